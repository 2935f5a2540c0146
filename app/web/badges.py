"""Where each face's number badge goes on a photo: names written beside the boxes ran into
each other on group photos, so a photo carries only numbered badges (the names are in a
legend under it), each placed where it overlaps no other badge."""
from __future__ import annotations

BADGE_SHARE = 40  # a badge's radius is the photo's longer side / this (24 px at 960 px)


def _spots(b: dict, r: float) -> list[tuple[float, float]]:
    """Centres to try for box b (x, y, w, h in display pixels): its corners inside the box,
    then above it, then down its left side."""
    x, y, w, h = b["x"], b["y"], b["w"], b["h"]
    return ([(x + r, y + r), (x + w - r, y + r), (x + r, y - r), (x + r, y + h - r), (x + w - r, y + h - r)]
            + [(x - r, y + r + k * r) for k in range(0, 8, 2)])


def place_badges(boxes: list[dict], size: tuple[int, int]) -> None:
    """Set each box's "badge" to (cx, cy, r) in display pixels: the first of its spots that
    lies on the photo and overlaps no badge placed before (else its first spot)."""
    r = max(size) / BADGE_SHARE
    placed: list[tuple[float, float]] = []
    for b in boxes:
        spots = [(cx, cy) for cx, cy in _spots(b, r) if r <= cx <= size[0] - r and r <= cy <= size[1] - r]
        free = [s for s in spots if all((s[0] - p[0]) ** 2 + (s[1] - p[1]) ** 2 >= (2.1 * r) ** 2 for p in placed)]
        cx, cy = (free or spots or [(b["x"] + r, b["y"] + r)])[0]
        placed.append((cx, cy))
        b["badge"] = (cx, cy, r)
