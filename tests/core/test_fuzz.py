"""Fuzzing the decoder and the pipeline with 12,294 malformed and oversized images
(tests/fuzz_images.py, seeded). Every input either decodes to an (H, W, 3) uint8 RGB
array within the limits or is refused with BadImageError (400) or ImageTooLargeError
(413); nothing else may escape (an escaped exception is a 500 in the app)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import fuzz_images
from app.recognition.decode import decode_image
from app.recognition.errors import BadImageError, ImageTooLargeError
from support import photos

# About 40 s of CPU in all: `pytest -m "not slow"` skips them. Pillow warns about damaged
# EXIF, tags and palettes (harmless; the inputs are damaged on purpose).
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]

SHARDS = 8
MAX_SIDE = 4096
SMALL_SIDE = 24  # every third input is also decoded with this, to reduce every mode


def outcome(data: bytes, decode) -> str:
    """'decoded', 'bad-image' or 'too-large'; raises AssertionError for anything else."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns about damaged EXIF, palettes...
            rgb = decode(data)
    except (BadImageError, ImageTooLargeError) as exc:
        assert exc.type in ("bad-image", "too-large") and len(exc.detail) > 20
        return exc.type
    assert isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8, type(rgb)
    assert rgb.ndim == 3 and rgb.shape[2] == 3 and min(rgb.shape[:2]) >= 1, rgb.shape
    return "decoded"


def check_all(inputs, decode) -> dict[str, int]:
    """Run every input; one assertion at the end listing every input that misbehaved."""
    counts, failures = {}, []
    for name, data in inputs:
        try:
            result = outcome(data, decode)
        except Exception as exc:  # noqa: BLE001 - collect, then report them all
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:160]}")
            continue
        counts[result] = counts.get(result, 0) + 1
    assert not failures, f"{len(failures)} inputs misbehaved:\n" + "\n".join(failures[:40])
    return counts


@pytest.mark.parametrize("shard", range(SHARDS))
def test_decode_never_escapes_and_stays_within_limits(shard):
    inputs = fuzz_images.fuzz_inputs(0)[shard::SHARDS]
    counts = check_all(inputs, lambda data: _checked(decode_image(data), MAX_SIDE))
    # Not trivially all-refused or all-accepted: the mutations reach the decoders.
    assert counts.get("decoded", 0) > 0.2 * len(inputs), counts
    assert counts.get("bad-image", 0) > 0.2 * len(inputs), counts
    assert counts.get("too-large", 0) > 0, counts


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_mode_is_reduced_to_a_small_max_side(shard):
    inputs = fuzz_images.fuzz_inputs(0)[shard::SHARDS * 3]
    check_all(inputs, lambda data: _checked(decode_image(data, max_side=SMALL_SIDE), SMALL_SIDE))


def _checked(rgb: np.ndarray, max_side: int) -> np.ndarray:
    assert max(rgb.shape[:2]) <= max_side, rgb.shape
    return rgb


def test_the_pipeline_answers_or_refuses_every_input(pipeline):
    """A few hundred inputs through decode, detect, align and embed."""
    photo = photos("val", "jerry_seinfeld")[0].read_bytes()
    inputs = fuzz_images.analysis_inputs(photo, seed=0, n=300)
    assert len(inputs) == 300
    faces, failures = 0, []
    for name, data in inputs:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                analysis = pipeline.analyze_bytes(data)
            assert analysis.image.dtype == np.uint8 and analysis.image.shape[2] == 3
            for face in analysis.faces:
                assert face.aligned.shape == (160, 160, 3)
                assert np.isfinite(face.embedding).all()
            faces += len(analysis.faces)
        except (BadImageError, ImageTooLargeError):
            pass
        except Exception as exc:  # noqa: BLE001
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:160]}")
    assert not failures, "\n".join(failures[:40])
    assert faces >= 50  # mutated photos still show their face
