"""How often the app's own graph (app/recognition/graph.py, built as the gallery thread builds
it: batches of 10,000 people, every core) finds the exact nearest person, on `make
bench-scale`'s gallery (random unit vectors with the LFW people mixed in; needs `make
open-set`'s cache), with more probes than bench-scale's 400 so that 0.99 can be told from
0.98: 1,000 of the enrolled people's other photos and 1,000 strangers, the first 200 of
each being bench-scale's own.

Prints one JSON object: the build time and the graph's size, and per search expansion (ef)
the median search time (one thread, candidates re-ranked in float32 as the app does),
recall_at_1 against exact float64 search (all, genuine, strangers, bench-scale's 400) and,
for each miss, whether the exact nearest is an LFW person, its similarity, how much nearer
it is than what was found, and whether it was among the candidates at all.

Usage: python scripts/graph_recall.py [--people 1000000] [--connectivity 32]
                                      [--expansion-add 128] [--ef 256 512 ...]
"""
from __future__ import annotations

import harness  # noqa: F401  (first: the repository root on sys.path)

import argparse
import json
import os
import sys
import time

import numpy as np
from usearch.index import Index

from app.recognition.graph import CANDIDATES, CONNECTIVITY, DTYPE, EXPANSION_ADD, Graph
from bench_scale import exact_nearest, lfw, random_units

PROBES = 1000  # of each kind


def gallery(people: int):
    """(vectors (people, 128), probes (2 * PROBES, 128), the exact nearest row of each)."""
    enrolled, others, strangers = lfw()
    vectors = random_units(people, seed=people)
    vectors[:len(enrolled)] = enrolled
    rng = np.random.default_rng(1)  # as bench_scale: its 400 probes are the first 200 of each
    probes = np.concatenate([others[rng.permutation(len(others))[:PROBES]],
                             strangers[rng.permutation(len(strangers))[:PROBES]]])
    return vectors, probes, exact_nearest(vectors, probes, 1)[:, 0], len(enrolled)


def build(vectors: np.ndarray, connectivity: int, expansion_add: int) -> tuple[Graph, float]:
    t = time.perf_counter()
    graph = Graph(128, Index(ndim=128, metric="ip", dtype=DTYPE, connectivity=connectivity,
                             expansion_add=expansion_add))
    for s in range(0, len(vectors), 10_000):
        graph.add(np.arange(s, min(len(vectors), s + 10_000)), vectors[s:s + 10_000],
                  threads=os.cpu_count() or 1)
    return graph, time.perf_counter() - t


def measure(graph: Graph, vectors, probes, reference, lfw_people: int, ef: int) -> dict:
    graph._ix.expansion_search = ef
    hits, times, misses = [], [], []
    for q, ref in zip(probes, reference):
        t = time.perf_counter()
        cand = graph.search(q[None], CANDIDATES)[0]
        cand = cand[cand >= 0]
        best = cand[np.argmax(vectors[cand] @ q)]
        times.append(time.perf_counter() - t)
        hits.append(best == ref)
        if best != ref:
            near = float(vectors[ref] @ q)
            misses.append({"lfw": bool(ref < lfw_people), "similarity": round(near, 4),
                           "gap": round(near - float(vectors[best] @ q), 4),
                           "among_candidates": bool(ref in cand)})
    hits = np.array(hits)
    bench = np.r_[np.arange(200), PROBES + np.arange(200)]
    return {"ms_p50": round(float(np.median(times)) * 1e3, 2), "recall_at_1": round(hits.mean(), 4),
            "genuine": round(hits[:PROBES].mean(), 4), "strangers": round(hits[PROBES:].mean(), 4),
            "bench_scale_400": round(hits[bench].mean(), 4), "misses": misses}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--connectivity", type=int, default=CONNECTIVITY)
    ap.add_argument("--expansion-add", type=int, default=EXPANSION_ADD)
    ap.add_argument("--ef", type=int, nargs="+", default=[256, 512, 1024])
    args = ap.parse_args()
    vectors, probes, reference, lfw_people = gallery(args.people)
    graph, build_s = build(vectors, args.connectivity, args.expansion_add)
    out = {"people": args.people, "connectivity": args.connectivity, "expansion_add": args.expansion_add,
           "build_s": round(build_s, 1), "graph_mb": round(graph.nbytes / 2**20),
           "load_average": round(os.getloadavg()[0], 2)}
    for ef in args.ef:
        out[f"ef{ef}"] = measure(graph, vectors, probes, reference, lfw_people, ef)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
