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

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def _fill(folder: Path, faces: int) -> int:
    import support

    app = support.make_app(folder / "faces.db")
    pid = support.person_with_faces(app, faces)
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
