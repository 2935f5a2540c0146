"""P x K batches (P people, K photos each) and light image augmentation, all seeded."""
from __future__ import annotations

import cv2
import numpy as np


def pk_batches(labels: np.ndarray, p: int, k: int, steps: int, rng: np.random.Generator,
               negatives: dict[int, np.ndarray] | None = None):
    """Yield `steps` index arrays of shape (p * k + extra,) into `labels`.

    Each batch takes p distinct people among those with at least two samples (a person with
    one sample cannot be an anchor and its positive), then k of each one's samples, drawn
    with replacement only when the person has fewer than k. `negatives` (label -> indices of
    faces an operator said were not that person, each under a label of its own) adds up to
    k of a chosen person's hard negatives to the batch, so that mining meets them beside
    that person's photos.
    """
    people = {}
    for i, label in enumerate(labels):
        people.setdefault(int(label), []).append(i)
    eligible = [np.array(v) for v in people.values() if len(v) >= 2]
    if len(eligible) < 2:
        raise ValueError("P x K batches need at least 2 people with 2 or more photos each")
    p = min(p, len(eligible))
    for _ in range(steps):
        chosen = rng.choice(len(eligible), p, replace=False)
        batch = [rng.choice(eligible[c], k, replace=len(eligible[c]) < k) for c in chosen]
        for c in chosen if negatives else ():
            hard = negatives.get(int(labels[eligible[c][0]]))
            if hard is not None and len(hard):
                batch.append(rng.choice(hard, min(k, len(hard)), replace=False))
        yield np.concatenate(batch)


def augment(faces: np.ndarray, rng: np.random.Generator, crop: float = 0.08,
            jitter: float = 0.15) -> np.ndarray:
    """Random horizontal flip, small crop (up to `crop` of the side, resized back) and
    brightness / contrast / saturation jitter (each up to +-`jitter`).

    faces: (N, H, W, 3) uint8 RGB aligned crops. Returns (N, H, W, 3) uint8. Mild on purpose:
    the crops are aligned, so a large shift would undo what alignment does for the encoder.
    """
    out = np.empty_like(faces)
    n, h, w, _ = faces.shape
    for i in range(n):
        img = faces[i, :, ::-1] if rng.random() < 0.5 else faces[i]
        side = 1.0 - rng.uniform(0.0, crop)
        ch, cw = int(round(h * side)), int(round(w * side))
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        img = cv2.resize(img[y:y + ch, x:x + cw], (w, h), interpolation=cv2.INTER_LINEAR)
        img = img.astype(np.float32)
        grey = img.mean(axis=2, keepdims=True)
        img = grey + (img - grey) * (1.0 + rng.uniform(-jitter, jitter))      # saturation
        img = img.mean() + (img - img.mean()) * (1.0 + rng.uniform(-jitter, jitter))  # contrast
        img = img * (1.0 + rng.uniform(-jitter, jitter))                      # brightness
        out[i] = np.clip(img, 0, 255).astype(np.uint8)
    return out
