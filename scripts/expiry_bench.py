"""Expiry of many old unknown faces (issue 22): a temporary SQLite database with --rows
sightings (in groups of 100, a crop of --crop-bytes each, all past their retention), then
`expire_all` in the app, timed, while a thread identifies a sample photo again and again;
the identify latencies before and during the expiry are compared (p50, p99). One JSON line."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def _fill(app, rows: int, crop_bytes: int) -> None:
    from app.extensions import db
    from app.faces import get_state
    from app.models import Sighting, UnknownGroup, utcnow

    old, rng = utcnow() - timedelta(days=400), np.random.default_rng(0)
    crop = b"\xff\xd8" + rng.bytes(crop_bytes - 2)
    with app.app_context():
        model = get_state().active_model
        groups = rows // 100
        db.session.execute(insert(UnknownGroup), [
            {"model": model, "centroid": bytes(512), "count": 100, "first_seen": old, "last_seen": old}
            for _ in range(groups)])
        for start in range(0, rows, 50_000):
            v = rng.normal(size=(min(50_000, rows - start), 128)).astype("<f4")
            db.session.execute(insert(Sighting), [
                {"group_id": 1 + (start + i) // 100, "seen_at": old, "model": model, "embedding": e.tobytes(),
                 "crop_jpeg": crop} for i, e in enumerate(v)])
            db.session.commit()


def _identify_loop(app, stop, out: list) -> None:
    from support import photos

    client, data = app.test_client(), photos("val", "madonna")[0].read_bytes()
    while not stop.is_set():
        t0 = time.perf_counter()
        r = client.post("/api/identify", data=data, content_type="image/jpeg")
        if r.status_code == 200:  # a refusal (busy) would be fast and hide a stall
            out.append((time.perf_counter(), (time.perf_counter() - t0) * 1e3))


def _stats(ms: list[float]) -> dict:
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1)} if ms else {"n": 0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--crop-bytes", type=int, default=6000)
    ap.add_argument("--baseline-s", type=float, default=20.0)
    ap.add_argument("--no-secure-delete", action="store_true",
                    help="what SQLite's secure_delete (the app's default) costs: measured without it")
    args = ap.parse_args()
    if args.no_secure_delete:
        from sqlalchemy import Engine, event

        event.listen(Engine, "connect", lambda conn, _: conn.execute("PRAGMA secure_delete=OFF"))
    import support
    from app.library.centres import group_centres
    from app.library.expiry import expire_all

    with tempfile.TemporaryDirectory() as tmp:
        app = support.make_app(Path(tmp) / "faces.db", RATELIMIT_ENABLED=False)  # every identify runs
        t0 = time.perf_counter()
        _fill(app, args.rows, args.crop_bytes)
        fill_s = time.perf_counter() - t0
        with app.app_context():  # else the first identify starts the hourly pass, which expires them
            group_centres().expired_at = time.monotonic()
        stop, seen = threading.Event(), []
        worker = threading.Thread(target=_identify_loop, args=(app, stop, seen))
        worker.start()
        time.sleep(args.baseline_s)
        start = time.perf_counter()
        with app.app_context():
            done = expire_all(pause=0.005)
        end = time.perf_counter()
        stop.set()
        worker.join()
        app.extensions["faces"].close()
    before = [ms for t, ms in seen if t < start]
    during = [ms for t, ms in seen if start <= t <= end]
    print(json.dumps({"rows": args.rows, "crop_bytes": args.crop_bytes, "secure_delete": not args.no_secure_delete,
                      "fill_s": round(fill_s, 1),
                      "expire_s": round(end - start, 1), "deleted": done,
                      "identify_before": _stats(before[1:]), "identify_during": _stats(during)}))


if __name__ == "__main__":
    main()
