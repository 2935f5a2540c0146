"""model.json: what a model folder holds, with each file's sha256.

Written last into a model folder (the converted pretrained encoder, a trained one, the
compiled detector networks) and checked whenever the folder is loaded, so that a corrupt or
half-copied file is refused with a sentence that says what to do. Its "thresholds" hold what
was measured on the model itself (scripts/open_set.py --save: the open-set tables that
app/faces/thresholds.py turns into words and suggested thresholds).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from .errors import WeightsError

FORMAT_VERSION = 1


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(model_dir: Path, meta: dict) -> None:
    """model.json: `meta`, the creation time (unless meta has one) and each model file's sha256."""
    files = sorted(p.name for p in model_dir.iterdir() if p.suffix in (".keras", ".tflite"))
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta = {"created": created, **meta, "format": FORMAT_VERSION,
            "files": {f: sha256_of(model_dir / f) for f in files}}
    (model_dir / "model.json").write_text(json.dumps(meta, indent=2))


def verify_model_dir(model_dir: Path) -> dict:
    """Check every file listed in `model.json` against its sha256; return the metadata."""
    manifest = model_dir / "model.json"
    if not manifest.exists():
        raise WeightsError(f"No model at {model_dir}. Run `make setup` to fetch and convert it.")
    meta = json.loads(manifest.read_text())
    for name, digest in meta["files"].items():
        path = model_dir / name
        if not path.exists() or sha256_of(path) != digest:
            raise WeightsError(f"{path} is missing or corrupt. Delete {model_dir} and run "
                               "`make setup` to convert the model again.")
    return meta


def measured(model_dir: Path) -> dict:
    """What was measured on the model in `model_dir` (model.json's "thresholds": name ->
    table), {} for none (or no readable model.json)."""
    try:
        return json.loads((Path(model_dir) / "model.json").read_text()).get("thresholds", {})
    except (OSError, ValueError):
        return {}


def write_measured(model_dir: Path, name: str, table: dict) -> None:
    """Keep `table` as model.json's "thresholds"[name] (the files and their sha256 as they
    are); written to a temporary file, then moved over model.json."""
    path = Path(model_dir) / "model.json"
    meta = json.loads(path.read_text())
    meta.setdefault("thresholds", {})[name] = table
    tmp = path.with_name(".model.json.tmp")
    tmp.write_text(json.dumps(meta, indent=2))
    tmp.replace(path)
