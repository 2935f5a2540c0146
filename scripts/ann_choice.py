"""Which approximate index for PersonIndex: usearch (f32, f16, i8 storage), hnswlib and faiss
(HNSW flat, 8-bit) built on the same gallery as `make bench-scale` (random unit vectors with
the LFW people mixed in; needs `make open-set`'s cache), queried with LFW probes (half the
enrolled people's other photos, half strangers), each query's candidates re-ranked in
float32 as the app does. Prints one JSON line per library with the build time, and per
expansion (ef) the median search time and recall_at_1 against exact float64 search.

Only usearch is in requirements.txt (the choice, docs/BENCHMARKS.md "A million people"); to rerun
the comparison: .venv/bin/pip install hnswlib faiss-cpu (hnswlib compiles from source).

Usage: python scripts/ann_choice.py LIBRARY PEOPLE [--connectivity 16] [--expansion-add 128]
                                    [--dtype f32|f16|i8] [--ef 32 64 ...]   LIBRARY: usearch, hnswlib, faiss
"""
from __future__ import annotations

import harness  # noqa: F401  (first: the repository root on sys.path)

import argparse
import json
import os
import sys
import time

import numpy as np

from bench_scale import exact_nearest, lfw, random_units


def build(lib: str, vectors: np.ndarray, m: int, efc: int, dtype: str):
    """The index and a search function (query (128,), ef, count) -> candidate rows."""
    n = len(vectors)
    if lib == "usearch":
        from usearch.index import Index
        ix = Index(ndim=128, metric="ip", dtype=dtype, connectivity=m, expansion_add=efc)
        ix.add(np.arange(n), vectors, threads=2)

        def search(q, ef, count):
            ix.expansion_search = ef
            return ix.search(q, count, threads=1).keys
    elif lib == "hnswlib":
        import hnswlib
        ix = hnswlib.Index(space="ip", dim=128)
        ix.init_index(max_elements=n, ef_construction=efc, M=m, allow_replace_deleted=True)
        ix.add_items(vectors, np.arange(n), num_threads=2)

        def search(q, ef, count):
            ix.set_ef(max(ef, count))
            return ix.knn_query(q, k=count, num_threads=1)[0][0]
    else:
        import faiss
        faiss.omp_set_num_threads(2)
        ix = (faiss.IndexHNSWFlat(128, m, faiss.METRIC_INNER_PRODUCT) if dtype == "f32" else
              faiss.IndexHNSWSQ(128, faiss.ScalarQuantizer.QT_8bit, m, faiss.METRIC_INNER_PRODUCT))
        ix.hnsw.efConstruction = efc
        if dtype != "f32":
            ix.train(vectors)
        ix.add(vectors)
        faiss.omp_set_num_threads(1)

        def search(q, ef, count):
            ix.hnsw.efSearch = max(ef, count)
            return ix.search(q[None], count)[1][0]
    return search


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("library", choices=["usearch", "hnswlib", "faiss"])
    ap.add_argument("people", type=int)
    ap.add_argument("--connectivity", type=int, default=16)
    ap.add_argument("--expansion-add", type=int, default=128)
    ap.add_argument("--dtype", default="f32", choices=["f32", "f16", "i8"])
    ap.add_argument("--ef", type=int, nargs="+", default=[32, 64, 128, 256, 512],
                    help="search expansions to measure on the one graph")
    args = ap.parse_args()
    enrolled, others, strangers = lfw()
    vectors = random_units(args.people, seed=args.people)
    vectors[:len(enrolled)] = enrolled
    rng = np.random.default_rng(1)
    queries = np.concatenate([others[rng.permutation(len(others))[:200]],
                              strangers[rng.permutation(len(strangers))[:200]]])
    reference = exact_nearest(vectors, queries, 1)[:, 0]
    t = time.perf_counter()
    search = build(args.library, vectors, args.connectivity, args.expansion_add, args.dtype)
    out = {"library": args.library, "people": args.people, "connectivity": args.connectivity,
           "expansion_add": args.expansion_add, "dtype": args.dtype,
           "build_s": round(time.perf_counter() - t, 1), "load_average": os.getloadavg()[0]}
    for ef in args.ef:
        times, hits = [], []
        for q, ref in zip(queries, reference):
            t = time.perf_counter()
            rows = np.asarray(search(q, ef, 32), np.int64)
            best = rows[np.argmax(vectors[rows] @ q)]  # re-ranked in float32, as the app does
            times.append(time.perf_counter() - t)
            hits.append(best == ref)
        out[f"ef{ef}"] = {"ms_p50": round(float(np.median(times)) * 1e3, 3),
                          "recall_at_1": round(float(np.mean(hits)), 4),
                          "recall_genuine": round(float(np.mean(hits[:200])), 4)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
