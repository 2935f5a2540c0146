"""What several pages show: a photo as a JPEG data URL with its faces' boxes, an upload
analysed with its problem under the field, a person's page."""
from __future__ import annotations

import base64

import cv2
import numpy as np
from flask import render_template

from ..events.presence import last_seen
from ..faces import analyze, face_problem
from ..faces.fixes import faces_by_standing, unlike_pair
from ..errors import Problem
from ..recognition.errors import RecognitionError
from ..recognition.jpeg import to_jpeg
from .badges import place_badges
from .forms import ConfirmDeleteForm, PhotoForm, RenameForm

DISPLAY_SIDE = 960  # photos are shown at most this wide/high (pixels)
NO_FACE = ("No face was found in this photo. Use a sharp, well-lit photo in which the face "
           "is seen from the front and at least 40 pixels wide.")


def data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


def display(rgb: np.ndarray) -> tuple[str, float, tuple[int, int]]:
    """The photo as a JPEG data URL at most DISPLAY_SIDE wide/high, its scale and size."""
    h, w = rgb.shape[:2]
    scale = min(1.0, DISPLAY_SIDE / max(h, w))
    if scale < 1.0:
        rgb = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return data_url(to_jpeg(rgb, 85)), scale, (rgb.shape[1], rgb.shape[0])


def boxes(faces: list[dict], scale: float, size: tuple[int, int]) -> list[dict]:
    """The faces' boxes in display pixels (the photo shown `size` wide and high), numbered,
    each with its badge's place (badges.place_badges: no two overlap)."""
    drawn = [{"n": i + 1, "x": f["box"][0] * scale, "y": f["box"][1] * scale,
              "w": f["box"][2] * scale, "h": f["box"][3] * scale, **f} for i, f in enumerate(faces)]
    place_badges(drawn, size)
    return drawn


# Why a face may be unknown only because of the photo: face_problem's type -> words.
WHY_UNKNOWN = {"face-too-small": "The face is too small in this photo to be recognised reliably.",
               "face-blurred": "The face is too blurred to be recognised reliably."}


def why_unknown(found, shown: list[dict]) -> None:
    """Add to each unknown face of an identification (`shown`: its faces as the page shows
    them, in order) the reason the photo gives, if any: too small or blurred for enrolment."""
    for identified, face in zip(found.faces, shown):
        problem = None if face.get("name") else face_problem(identified.face)
        face["why"] = WHY_UNKNOWN.get(problem.type) if problem else None


def analyze_upload(form):
    """Analyse the uploaded photo; a problem becomes the sentence under the photo field."""
    try:
        return analyze(form.photo.data.read())
    except (Problem, RecognitionError) as e:
        form.photo.errors.append(e.detail)
        return None


def person_page(p, rename=None, photo_form=None) -> str:
    """The person page: their faces, the farthest from their mean first, and the forms."""
    standing = faces_by_standing(p)
    return render_template("person.html", person=p, standing=standing, unlike_pair=unlike_pair(standing),
                           rename=rename or RenameForm(), photo_form=photo_form or PhotoForm(),
                           delete_form=ConfirmDeleteForm(), seen=last_seen([p.id]).get(p.id))
