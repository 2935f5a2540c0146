"""The use-cases between the front doors (web pages, REST API, CLI, live video) and the
recognition core: people and their faces, identification and verification, the gallery,
the model switch and what thresholds mean. Routes parse, call one of these, render.

The process state these need (pipelines, the gallery cache, cameras) has one owner,
`runtime` (a Flask extension bound in create_app; `state()` is the current app's)."""
from .candidate import EnrolCandidate
from .gallery import get_state
from .view import GalleryView
from .people import (PeoplePage, add_face, add_or_enrol, add_photo, create_person, delete_face,
                     delete_person, enrol_photo, get_person, list_people, new_name, rename)
from .photos import NewFace, Photo, analyze, face_problem, pick_face
from .recognize import Identification, Verification, identify, identify_faces, verify
from .runtime import Runtime, runtime, state

__all__ = ("EnrolCandidate", "GalleryView", "get_state", "PeoplePage", "add_face", "add_or_enrol", "add_photo",
           "create_person", "delete_face", "delete_person", "enrol_photo", "get_person",
           "list_people", "new_name", "rename", "NewFace", "Photo", "analyze", "face_problem", "pick_face",
           "Identification", "Verification", "identify", "identify_faces", "verify", "Runtime",
           "runtime", "state")
