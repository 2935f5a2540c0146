"""Read LFW pairs files (pairsDevTrain.txt, pairsDevTest.txt, pairs.txt)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    """Two photos, `DIR/name/name_000i.jpg`; `same` when they show one person."""

    first: tuple[str, int]
    second: tuple[str, int]
    same: bool
    fold: int


@dataclass(frozen=True)
class PairsFile:
    pairs: list[Pair]
    folds: int  # 1 for a View 1 file (no folds)


def photo_path(images_dir: Path, name: str, number: int) -> Path:
    return Path(images_dir) / name / f"{name}_{number:04d}.jpg"


def read_pairs(path: Path) -> PairsFile:
    """Parse a pairs file.

    The header is `N` (View 1: N same-person pairs, then N different-person pairs) or
    `FOLDS N` (View 2: FOLDS folds of N same then N different). Then one pair a line:
    `name i j` (same person) or `name1 i name2 j` (different people).
    Raises ValueError with the line number on malformed input.
    """
    lines = [l.split() for l in Path(path).read_text().splitlines() if l.strip()]
    if not lines:
        raise ValueError(f"{path} is empty")
    header = [int(v) for v in lines[0]]
    folds, per_class = (1, header[0]) if len(header) == 1 else header[:2]
    pairs = []
    for number, fields in enumerate(lines[1:], start=2):
        index = len(pairs)
        fold = index // (2 * per_class)
        if len(fields) == 3:
            name, i, j = fields
            pairs.append(Pair((name, int(i)), (name, int(j)), True, fold))
        elif len(fields) == 4:
            a, i, b, j = fields
            pairs.append(Pair((a, int(i)), (b, int(j)), False, fold))
        else:
            raise ValueError(f"{path}:{number}: expected 'name i j' or 'name1 i name2 j'")
    if len(pairs) != 2 * per_class * folds:
        raise ValueError(f"{path}: header promises {2 * per_class * folds} pairs, "
                         f"found {len(pairs)}")
    return PairsFile(pairs, folds)
