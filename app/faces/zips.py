"""A zip of photos, one sub-folder per person, checked before anything is read: not a zip,
too many members, a member too large or compressed suspiciously well (a zip bomb), or a
path that leaves the archive (absolute, `..`) is refused whole with a sentence that says
what to do. Members are read in memory, never extracted to disk."""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..errors import Problem

MAX_RATIO = 100  # uncompressed / compressed size of one member: photos compress < 2x


@dataclass(frozen=True)
class ZipLimits:
    members: int  # photos and other files at most
    member_bytes: int  # one photo, uncompressed
    total_bytes: int  # all members, uncompressed


def _bad(detail: str) -> Problem:
    return Problem("invalid-input", detail)


def _check(info: zipfile.ZipInfo, limits: ZipLimits) -> None:
    path = PurePosixPath(info.filename)
    if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
        raise _bad(f"The zip holds a path that leaves its folder ({info.filename!r}); make the zip "
                   "again from the folder of people.")
    if info.file_size > limits.member_bytes:
        raise _bad(f"{info.filename} is {info.file_size / 1e6:.0f} MB; photos may be up to "
                   f"{limits.member_bytes / 1e6:.0f} MB each.")
    if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1_000_000:
        raise _bad(f"{info.filename} unpacks to {info.file_size / max(info.compress_size, 1):.0f} times its "
                   "size: this is not a zip of photos (a zip bomb?).")


def photo_members(path, limits: ZipLimits) -> tuple[list[tuple[str, str]], list[str]]:
    """The zip at `path`: ([(person folder, member name)], [members that are not in a
    person's folder]). A single top folder around the people's folders is allowed."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise _bad("This is not a zip file. Zip a folder that holds one sub-folder of photos per "
                   "person (e.g. people/ada_lovelace/1.jpg), or choose photos instead.") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > limits.members:
        raise _bad(f"The zip holds {len(infos)} files; at most {limits.members} at a time: split it.")
    for info in infos:
        _check(info, limits)
    if sum(i.file_size for i in infos) > limits.total_bytes:
        raise _bad(f"The zip unpacks to more than {limits.total_bytes / 1e9:.1f} GB: split it.")
    names = [PurePosixPath(i.filename).parts for i in infos if not i.filename.startswith("__MACOSX/")]
    top = {p[0] for p in names}
    strip = 1 if len(top) == 1 and all(len(p) == 3 for p in names) else 0
    good = [(p[strip], "/".join(p)) for p in names if len(p) == 2 + strip]
    return good, ["/".join(p) for p in names if len(p) != 2 + strip]
