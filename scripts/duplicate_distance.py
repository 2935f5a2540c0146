"""How far apart are two copies of one picture, against two photos of one person? This
chooses FACES_DUPLICATE_FACE_DISTANCE (app/faces/door.py: a face this close to another
person's enrolled face is refused as duplicate-face).

For photos of people with two or more photos (LFW layout, DIR/<person>/*.jpg), each
photo's main face is embedded as it is and as copies an operator could upload: JPEG
re-encoded at quality 60 and 85, resized to 50 % and 150 %, cropped by 8 % of each side,
a 5 % crop and re-encode together, and mirrored (not a copy: a check that the measure tells
a mirror image apart). The genuine distances are those between the first two photos of each
person. Prints one JSON document: per kind of copy the distances' max and 99th percentile,
genuine pairs' min and 1st percentile, and the share of each below candidate thresholds.

Usage: python scripts/duplicate_distance.py [--images DIR] [--people 300] [--seed 0]
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from app.recognition import FacePipeline, select_face
from app.recognition.weights import PRETRAINED

CANDIDATES = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


def copies(data: bytes) -> dict[str, bytes]:
    """The same picture as an operator might upload it again."""
    img = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = img.size

    def jpeg(im: Image.Image, quality: int) -> bytes:
        out = io.BytesIO()
        im.save(out, "JPEG", quality=quality)
        return out.getvalue()

    def crop(im: Image.Image, f: float) -> Image.Image:
        return im.crop((round(w * f), round(h * f), round(w * (1 - f)), round(h * (1 - f))))

    return {"jpeg_q60": jpeg(img, 60), "jpeg_q85": jpeg(img, 85),
            "resized_50": jpeg(img.resize((w // 2, h // 2), Image.LANCZOS), 92),
            "resized_150": jpeg(img.resize((w * 3 // 2, h * 3 // 2), Image.LANCZOS), 92),
            "cropped_8": jpeg(crop(img, 0.08), 92), "cropped_5_q70": jpeg(crop(img, 0.05), 70),
            "mirrored": jpeg(img.transpose(Image.FLIP_LEFT_RIGHT), 92)}


def main_face(pipeline: FacePipeline, data: bytes) -> np.ndarray | None:
    analysis = pipeline.analyze_bytes(data)
    i = select_face([f.detection for f in analysis.faces], "largest")
    return None if i is None else analysis.faces[i].embedding


def summary(d: np.ndarray, below: bool) -> dict:
    d = np.asarray(d)
    out = {"n": int(len(d)), "min": round(float(d.min()), 4), "max": round(float(d.max()), 4),
           "p1": round(float(np.percentile(d, 1)), 4), "p99": round(float(np.percentile(d, 99)), 4)}
    out["share_below" if below else "share_below_(false_duplicates)"] = {
        str(t): round(float((d <= t).mean()), 4) for t in CANDIDATES}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=Path, default=ROOT.parent / "shared/datasets/lfw-devtrain/images")
    ap.add_argument("--people", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    people = [sorted(d.glob("*.jpg")) for d in sorted(args.images.iterdir()) if d.is_dir()]
    people = [p for p in people if len(p) >= 2]
    rng = np.random.default_rng(args.seed)
    chosen = [people[i] for i in rng.choice(len(people), min(args.people, len(people)), replace=False)]
    pipeline = FacePipeline(ROOT / "instance/models" / PRETRAINED)
    kinds: dict[str, list[float]] = {}
    genuine = []
    for photos in chosen:
        data = photos[0].read_bytes()
        first, second = main_face(pipeline, data), main_face(pipeline, photos[1].read_bytes())
        if first is None:
            continue
        if second is not None:
            genuine.append(float(np.linalg.norm(first - second)))
        for kind, copy in copies(data).items():
            e = main_face(pipeline, copy)
            if e is not None:
                kinds.setdefault(kind, []).append(float(np.linalg.norm(first - e)))
    print(json.dumps({"people": len(chosen), "copies": {k: summary(v, True) for k, v in kinds.items()},
                      "genuine_pairs": summary(genuine, False)}, indent=1))


if __name__ == "__main__":
    main()
