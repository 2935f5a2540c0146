import numpy as np
import pytest

from app.recognition.match import Gallery, pairwise_distances, similarity_from_distance


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
