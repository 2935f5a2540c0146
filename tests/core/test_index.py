"""PersonIndex answers as Gallery does (nearest person, candidates in order, ties by rank,
the crowding rule and its typical value) after rows are added, changed, removed and reused;
on random galleries and, when `make open-set` has cached them, the LFW embeddings."""
from __future__ import annotations

import numpy as np
import pytest

from app.recognition.index import PersonIndex
from app.recognition.match import Crowding
from reference_gallery import Gallery
from support import LFW_CACHE, lfw_embeddings

CROWDING = Crowding(weight=0.7)


def unit(v):
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def same(a, b) -> bool:
    return all(x.label == y.label and [c.label for c in x.candidates] == [c.label for c in y.candidates]
               and abs(x.threshold - y.threshold) < 1e-5 for x, y in zip(a, b))


def index_of(ids, vectors, ranks=None) -> PersonIndex:
    ix = PersonIndex(crowding=CROWDING)
    ix.upsert(ids, vectors, ids if ranks is None else ranks)
    ix.typical = ix.compute_typical_crowding()
    return ix


@pytest.mark.parametrize("people", [3, 25, 1000, 2500])
def test_as_gallery_on_random_people(people):
    rng = np.random.default_rng(people)
    v = unit(rng.normal(size=(people, 128)))
    q = unit(np.concatenate([v[:30] + rng.normal(size=(min(30, people), 128)) * 0.05,
                             rng.normal(size=(30, 128))]))
    ids = list(range(10, 10 + people))
    assert same(index_of(ids, v).identify(q, 1.0, 5), Gallery(v, ids, CROWDING).identify(q, 1.0, 5))


def test_removed_rows_are_reused_and_never_answer():
    rng = np.random.default_rng(1)
    v = unit(rng.normal(size=(60, 128)))
    ix = index_of(range(60), v)
    ix.remove(range(0, 60, 3))
    new = unit(rng.normal(size=(11, 128)))
    ix.upsert(range(100, 110), new[1:], range(100, 110))
    ix.upsert([1], new[:1], [1])  # a person's vector changed in place
    ix.typical = ix.compute_typical_crowding()
    keep = [i for i in range(60) if i % 3]
    vectors = {i: v[i] for i in keep} | {1: new[0]} | dict(zip(range(100, 110), new[1:]))
    ids = sorted(vectors)
    expected = Gallery(np.stack([vectors[i] for i in ids]), ids, CROWDING)
    q = unit(np.concatenate([v, new]))
    assert len(ix) == len(ids) and same(ix.identify(q, 1.0, 5), expected.identify(q, 1.0, 5))
    assert all(m.label % 3 or m.label >= 100 or m.label == 1 for m in ix.identify(v, 2.0, 1) if m.label is not None)


def test_ties_go_to_the_first_enrolled():
    v = unit(np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [1, 0, 0]], np.float32))
    ix = PersonIndex(dim=3)
    ix.upsert([7, 8, 5, 9], v, ranks=[30, 10, 20, 40])  # person 5 enrolled before 7 and 9
    [m] = ix.identify(v[:1], 0.5, 3)
    assert m.label == 5 and [c.label for c in m.candidates] == [5, 7, 9]


@pytest.mark.skipif(not LFW_CACHE.exists(),
                    reason="the LFW embeddings are cached by `make open-set` (needs ../shared/datasets)")
def test_as_gallery_on_lfw():
    emb, people = lfw_embeddings()
    enrolled = [v for v in people if len(v) >= 2]
    gallery = emb[[v[0] for v in enrolled]]
    probes = emb[[i for v in people for i in (v[1:] if len(v) >= 2 else v)]]
    ids = list(range(len(enrolled)))
    assert same(index_of(ids, gallery).identify(probes, 0.8, 3),
                Gallery(gallery, ids, CROWDING).identify(probes, 0.8, 3))


@pytest.mark.parametrize("people", [5000, 100_000])
def test_top_is_a_full_sort_with_ties_and_removed_rows(people):
    """ranking.top bounds a long row from a sample before partitioning: the n nearest are
    still those of a full sort by (distance, rank), ties at the top and -inf rows included."""
    from app.recognition.ranking import top

    rng = np.random.default_rng(people)
    for trial in range(12):
        sims = rng.normal(size=(1, people)).astype(np.float32)
        if trial % 3 == 0:
            sims[0, rng.integers(0, people, 50)] = sims.max()
        if trial % 3 == 1:
            sims[0, rng.integers(0, people, people // 2)] = -np.inf
        ids, ranks = np.arange(people) + 7, rng.permutation(people)
        _, got = top(sims, 11, ids, ranks)
        full = np.lexsort((ranks, np.sqrt(np.clip(2 - 2 * sims[0], 0, 4)).astype(np.float32)))[:11]
        assert got[0].tolist() == ids[full].tolist()
