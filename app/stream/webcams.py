"""Which webcam a source of `auto` means on this machine."""
from __future__ import annotations

from ..faces import state
from .sources import SourceError, VideoSource

AUTO_NOTE = ("No webcam was found on the server, so the demo camera is shown "
             "(people from the sample photos coming and going).")


def webcam_available(index: str = "0") -> bool:
    """Whether a webcam opens here (checked once per process: opening one takes time)."""
    known = state().webcams
    if index not in known:
        source = VideoSource(int(index))
        try:
            source.open()
            known[index] = True
        except SourceError:
            known[index] = False
        finally:
            source.close()
    return known[index]


def resolve_source(spec: str) -> tuple[str, str]:
    """(source spec, note for the page). `auto` means the first webcam, or `demo` when no
    webcam opens on this machine."""
    if spec == "auto":
        if webcam_available("0"):
            return "0", ""
        return "demo", AUTO_NOTE
    return spec, ""
