import numpy as np
import pytest

from app.recognition.match import Crowding, pairwise_distances, similarity_from_distance
from reference_gallery import Gallery


def unit(*v):
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


def test_pairwise_distances_are_l2_between_unit_vectors():
    a = np.stack([unit(1, 0, 0), unit(0, 1, 0)])
    d = pairwise_distances(a, a)
    assert d[0, 0] == pytest.approx(0, abs=1e-3)
    assert d[0, 1] == pytest.approx(np.sqrt(2), abs=1e-6)
    assert similarity_from_distance(float(d[0, 1])) == pytest.approx(0, abs=1e-6)


def test_top_k_orders_people_nearest_first_and_collapses_photos():
    g = Gallery(np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0.9, 0.1, 0), unit(0, 0, 1)]),
                ["ann", "bob", "ann", "cy"])
    assert g.people == ["ann", "bob", "cy"]
    [m] = g.identify(unit(1, 0.05, 0)[None], threshold=0.5, k=3)
    assert [c.label for c in m.candidates] == ["ann", "bob", "cy"]
    assert m.label == "ann"
    # ann's distance is that of her nearest photo.
    assert m.distance == pytest.approx(np.linalg.norm(unit(1, 0.05, 0) - unit(1, 0, 0)), abs=1e-3)


def test_ties_resolve_in_enrolment_order():
    g = Gallery(np.stack([unit(0, 1, 0), unit(0, 0, 1)]), ["first", "second"])
    [m] = g.identify(unit(0, 1, 1)[None], threshold=2, k=2)
    assert [c.label for c in m.candidates] == ["first", "second"]
    assert m.candidates[0].distance == pytest.approx(m.candidates[1].distance)


def test_threshold_edge_is_inclusive():
    e = np.stack([unit(1, 0, 0)])
    g = Gallery(e, ["ann"])
    q = unit(1, 1, 0)[None]
    d = float(pairwise_distances(q, e)[0, 0])
    assert g.identify(q, threshold=d)[0].label == "ann"
    unknown = g.identify(q, threshold=d - 1e-4)[0]
    assert unknown.label is None
    assert unknown.distance == pytest.approx(d)
    assert unknown.candidates[0].label == "ann"


def test_empty_gallery_gives_unknown_for_every_query():
    g = Gallery(np.zeros((0, 3), np.float32), [])
    matches = g.identify(np.stack([unit(1, 0, 0), unit(0, 1, 0)]), threshold=1.0, k=3)
    assert [(m.label, m.distance, m.candidates) for m in matches] == [(None, None, [])] * 2


def test_k_larger_than_gallery_returns_everyone():
    g = Gallery(np.stack([unit(1, 0, 0)]), ["ann"])
    assert len(g.identify(unit(1, 0, 0)[None], threshold=1, k=10)[0].candidates) == 1


def _toward(v: np.ndarray, rng, distance: float) -> np.ndarray:
    """A unit vector at `distance` (L2) from unit vector v, in a random direction."""
    w = rng.normal(size=v.shape).astype(np.float32)
    w -= (w @ v) * v
    w /= np.linalg.norm(w)
    cos = 1 - distance ** 2 / 2
    return (cos * v + np.sqrt(1 - cos ** 2) * w).astype(np.float32)


def _people(rng, n: int) -> np.ndarray:
    v = rng.normal(size=(n, 128)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


CROWDING = Crowding(weight=0.7)


def test_a_crowded_face_gets_a_stricter_threshold():
    rng = np.random.default_rng(0)
    query = _people(rng, 1)[0]
    ann = _toward(query, rng, 0.8)
    # Ten people alike to the query (0.9-1.0 away), forty far away (~1.4).
    lookalikes = [_toward(query, rng, d) for d in np.linspace(0.9, 1.0, 10)]
    embeddings = np.stack([ann, *lookalikes, *_people(rng, 40)])
    labels = list(range(len(embeddings)))
    [plain] = Gallery(embeddings, labels).identify(query[None], threshold=0.85)
    [crowded] = Gallery(embeddings, labels, CROWDING).identify(query[None], threshold=0.85)
    assert plain.label == 0 and plain.threshold == pytest.approx(0.85)
    assert crowded.label is None and crowded.distance == pytest.approx(0.8, abs=1e-3)
    assert crowded.threshold < 0.8


def test_a_face_far_from_everyone_else_gets_a_looser_threshold():
    rng = np.random.default_rng(1)
    # Ten families of five look-alikes: a typical enrolled person has close neighbours.
    gallery_people = np.stack([_toward(v, rng, 0.9) for v in _people(rng, 10) for _ in range(5)])
    query_far = _people(rng, 1)[0]
    embeddings = np.vstack([gallery_people, _toward(query_far, rng, 0.82)[None]])
    g = Gallery(embeddings, list(range(len(embeddings))), CROWDING)
    [m] = g.identify(query_far[None], threshold=0.8)
    assert m.label == 50 and m.threshold > 0.8


def test_crowding_is_off_in_a_small_gallery():
    rng = np.random.default_rng(2)
    embeddings = _people(rng, CROWDING.min_people - 1)
    g = Gallery(embeddings, list(range(len(embeddings))), CROWDING)
    matches = g.identify(_people(rng, 5), threshold=0.8)
    assert all(m.threshold == pytest.approx(0.8) for m in matches)


def test_a_match_with_no_candidates_asked_still_names_the_nearest():
    g = Gallery(np.stack([unit(1, 0, 0), unit(0, 1, 0)]), ["ann", "bob"])
    [m] = g.identify(unit(1, 0.05, 0)[None], threshold=0.5, k=0)
    assert m.label == "ann" and m.candidates == []
