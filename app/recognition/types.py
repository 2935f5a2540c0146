"""Plain value types passed between the stages of the recognition core."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LANDMARKS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")  # Detection.landmarks' order


@dataclass(frozen=True)
class Detection:
    """One face found by the detector, in the coordinates of the image it was given.

    Attributes:
        box: (4,) float32, x1, y1, x2, y2 in pixels.
        score: detector confidence, 0..1.
        landmarks: (5, 2) float32 x, y in pixels, in the order left eye, right eye,
            nose, left mouth corner, right mouth corner ("left" = smaller x in the image).
    """

    box: np.ndarray
    score: float
    landmarks: np.ndarray

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])

    @property
    def height(self) -> float:
        return float(self.box[3] - self.box[1])

    @property
    def xywh(self) -> list[int]:
        """The box as [x, y, width, height] in whole pixels (how answers give it)."""
        x1, y1, x2, y2 = (float(v) for v in self.box)
        return [round(x1), round(y1), round(x2 - x1), round(y2 - y1)]

    @property
    def named_landmarks(self) -> dict[str, list[float]]:
        """The landmarks by name, [x, y] in pixels to 0.1."""
        return {n: [round(float(x), 1), round(float(y), 1)] for n, (x, y) in zip(LANDMARKS, self.landmarks)}

    def to_dict(self) -> dict:
        """JSON-ready form (the API's schemas.Detection): for the multiple-faces refusal,
        which the domain raises below the API and its schemas."""
        return {"box": self.xywh, "score": round(float(self.score), 4), "landmarks": self.named_landmarks}
