"""Export and erase of one person with many faces (issue 22): a temporary SQLite database
with one person of --faces faces (a real crop, random unit embeddings), then
`flask faces export-person` and `flask faces erase-person` timed, with their peak memory
(the export streams: its memory must not grow with the faces). Prints one JSON line."""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def _fill(folder: Path, faces: int) -> int:
    import support
    from app.extensions import db
    from app.faces import NewFace, create_person
    from app.faces.photos import analyze, pick_face
    from app.models import Face

    app = support.make_app(folder / "faces.db")
    with app.app_context():
        face = NewFace.of(pick_face(analyze(support.photos("train", "madonna")[0].read_bytes()), None))
        person, first = create_person("Many Faces", face, "0" * 64)
        db.session.commit()
        vectors = np.random.default_rng(0).normal(size=(faces - 1, 128)).astype("<f4")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        db.session.execute(insert(Face), [
            {"person_id": person.id, "embedding": v.tobytes(), "model": first.model, "crop_jpeg": first.crop_jpeg,
             "det_score": 0.99, "source_sha256": f"{i:064x}", "origin": "import"} for i, v in enumerate(vectors)])
        db.session.commit()
        pid = person.id
    app.extensions["faces"].close()
    return pid


def _run(env, *args: str) -> tuple[float, float]:
    """Seconds and the peak RSS (MB) of one `flask faces` command."""
    t0 = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "faces", *args], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--faces", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pid = _fill(folder, args.faces)
        env = {**os.environ, "FLASK_APP": "wsgi", "FACES_DATABASE_URL": f"sqlite:///{folder / 'faces.db'}",
               "FACES_INDEX_DIR": str(folder / "index")}
        base_s, base_mb = _run(env, "--help")
        export_s, export_mb = _run(env, "export-person", str(pid), str(folder / "p.zip"))
        size = (folder / "p.zip").stat().st_size
        erase_s, erase_mb = _run(env, "erase-person", str(pid), "--yes")
    print(json.dumps({"faces": args.faces, "command_start_s": round(base_s, 2),
                      "export_s": round(export_s, 2), "export_zip_mb": round(size / 1e6, 1),
                      "erase_s": round(erase_s, 2), "peak_rss_mb_after_export": round(export_mb),
                      "peak_rss_mb_after_erase": round(erase_mb)}))


if __name__ == "__main__":
    main()
