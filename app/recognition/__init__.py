"""The recognition core: decode -> detect -> align -> encode -> match. No Flask imports.

The public names are importable from here (`from app.recognition import FacePipeline`).
Importing the package is light: numpy, OpenCV and Pillow; the LiteRT interpreters load on
first use, and TensorFlow only inside `convert/`, when a model has to be converted.
"""
import os

# TensorFlow is imported only to convert weights; its C++ INFO lines would drown the CLI.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .align import align_face, align_faces  # noqa: E402
from .budget import ImageBudget  # noqa: E402
from .decode import decode_image  # noqa: E402
from .detect import FaceDetector  # noqa: E402
from .encode import FaceEncoder  # noqa: E402
from .errors import (BadImageError, BusyError, ImageTooLargeError, RecognitionError,  # noqa: E402
                     WeightsError)
from .jpeg import to_jpeg  # noqa: E402
from .match import Crowding, Match  # noqa: E402
from .pipeline import Analysis, Face, FacePipeline  # noqa: E402
from .select import select_face  # noqa: E402
from .types import Detection  # noqa: E402
from .weights import PRETRAINED, ensure_pretrained  # noqa: E402

__all__ = (
    "FacePipeline", "Analysis", "Face", "Detection",
    "FaceDetector", "FaceEncoder", "Match", "Crowding",
    "decode_image", "align_face", "align_faces", "select_face", "to_jpeg",
    "PRETRAINED", "ensure_pretrained",
    "RecognitionError", "BadImageError", "ImageTooLargeError", "BusyError", "WeightsError",
    "ImageBudget",
)
