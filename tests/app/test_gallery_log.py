"""The incremental gallery: every change of people or faces is logged by the session events,
a worker applies only the changes after the generation it saw (its index is not rebuilt),
and whatever the path (changes, a snapshot on disk plus the log, a bulk statement, falling
behind the log) the answers are exactly those of a gallery rebuilt from every face. On
SQLite and on PostgreSQL."""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import delete, select, update

from app.extensions import db
from app.faces import gallery as gallery_module
from app.faces.gallery_store import person_means
from app.models import Face, GalleryChange, Person, name_key
from app.recognition.match import Crowding
from reference_gallery import Gallery
from app.recognition.weights import PRETRAINED
from support import database_url, make_app

ENGINES = ("sqlite", "postgresql")
RNG = np.random.default_rng(7)


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


CENTRES = unit(RNG.normal(size=(12, 128)))  # people cluster a little, so crowding matters


def random_face(person: Person) -> Face:
    v = unit(CENTRES[RNG.integers(len(CENTRES))] + RNG.normal(size=128) * 0.6)
    return Face(person=person, embedding=v.astype("<f4").tobytes(), model=PRETRAINED,
                crop_jpeg=b"", det_score=1.0, source_sha256=RNG.bytes(8).hex())


def add_people(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        person = Person(name=f"P{i}", name_key=name_key(f"P{i}"))
        db.session.add(person)
        for _ in range(int(RNG.integers(1, 4))):
            db.session.add(random_face(person))
    db.session.commit()


QUERIES = unit(np.concatenate([CENTRES + RNG.normal(size=(12, 128)) * 0.3, RNG.normal(size=(20, 128))]))


class Answers(list):
    """Names and candidates equal; thresholds and distances equal to float32 rounding (the
    index's one matrix-vector product may round the last bit apart from Gallery's)."""

    def __eq__(self, other):
        return len(self) == len(other) and all(
            a[:2] == b[:2] and np.allclose(a[2:], b[2:], rtol=0, atol=1e-5) for a, b in zip(self, other))


def summary(matches) -> Answers:
    return Answers((m.label, [c.label for c in m.candidates], m.threshold,
                    *(c.distance for c in m.candidates)) for m in matches)


def rebuilt_answers(crowding: float) -> Answers:
    """What a gallery rebuilt from every face answers (the behaviour before the log)."""
    rows = db.session.execute(select(Face.person_id, Face.embedding).order_by(Face.id)).all()
    return summary(Gallery(*person_means(rows), Crowding(weight=crowding)).identify(QUERIES, 0.9, 5))


def answers(app) -> Answers:
    return summary(app.extensions["faces"].gallery_view().gallery.identify(QUERIES, 0.9, 5))


@pytest.fixture
def pair(tmp_path, request, engine, model_dir):
    """Two apps (two workers) on one new database."""
    url = database_url(request, engine)
    apps = [make_app(tmp_path / "faces.db", url, IDENTIFY_CROWDING=0.7, INDEX_SNAPSHOT_MIN=10)
            for _ in range(2)]
    yield apps
    for app in apps:
        app.extensions["faces"].close()


def test_changes_are_applied_not_rebuilt_and_answer_as_a_rebuild(pair):
    writer, reader = pair
    with writer.app_context():
        add_people(40)
    with reader.app_context():
        index = reader.extensions["faces"].gallery_view().gallery
        assert len(index) == 40 and answers(reader) == rebuilt_answers(0.7)
    with writer.app_context():
        add_people(3, start=40)                                   # enrolments
        first = db.session.scalar(select(Person).where(Person.name == "P1"))
        db.session.add(random_face(first))                        # a new photo
        db.session.delete(db.session.scalar(select(Face).where(Face.person_id == 3)))   # photo gone
        moved = db.session.scalar(select(Face).where(Face.person_id == 5))
        moved.person_id = 6                                       # a photo moved to another person
        db.session.delete(db.session.get(Person, 7))              # a person gone
        db.session.get(Person, 8).name = "Renamed"
        db.session.commit()
        kinds = {k for (k,) in db.session.execute(select(GalleryChange.kind))}
        assert {"face+", "face-", "face~", "person"} <= kinds
    with reader.app_context():
        view = reader.extensions["faces"].gallery_view()
        assert view.gallery is index, "the reader rebuilt its index instead of applying the log"
        with_faces = set(db.session.scalars(select(Face.person_id).distinct()))
        assert {p for p in range(1, 50) if p in index} == with_faces and 7 not in index
        assert view.names[8] == "Renamed"
        assert answers(reader) == rebuilt_answers(0.7)


def test_a_starting_worker_loads_the_snapshot_then_the_log(pair, tmp_path):
    writer, reader = pair
    with writer.app_context():
        add_people(30)
        writer.extensions["faces"].gallery_view()          # loads from the table, writes a snapshot
    assert list((tmp_path / "index").glob("*.npz"))
    with writer.app_context():
        add_people(5, start=30)
        db.session.delete(db.session.get(Person, 2))
        db.session.commit()
        expected = rebuilt_answers(0.7)
    with reader.app_context():
        loads = []
        real = gallery_module.read_all_means
        gallery_module.read_all_means = lambda *a, **k: loads.append(1) or real(*a, **k)
        try:
            assert answers(reader) == expected
        finally:
            gallery_module.read_all_means = real
        assert loads == [], "the starting worker read every face instead of the snapshot"


def test_a_bulk_statement_or_falling_behind_reloads(pair, monkeypatch):
    writer, reader = pair
    with writer.app_context():
        add_people(25)
    with reader.app_context():
        first = reader.extensions["faces"].gallery_view().gallery
    with writer.app_context():
        db.session.execute(delete(Face).where(Face.person_id <= 3))   # bypasses the flush
        db.session.commit()
    with reader.app_context():
        second = reader.extensions["faces"].gallery_view().gallery
        assert second is not first and answers(reader) == rebuilt_answers(0.7)
    monkeypatch.setattr(gallery_module, "GALLERY_LOG_KEEP", 2)
    with writer.app_context():
        for i in range(3):
            add_people(1, start=100 + i)
        db.session.execute(update(Person).where(Person.id == 5).values(name="Bulk"))
        db.session.commit()
    with reader.app_context():
        third = reader.extensions["faces"].gallery_view()
        assert third.gallery is not second and third.names[5] == "Bulk"
        assert answers(reader) == rebuilt_answers(0.7)


def wait_until(condition, limit_s: float = 120.0) -> None:
    """Poll the background thread's work (a bound on waiting, not a timed assertion)."""
    import time

    end = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < end, "the gallery thread did not get there"
        time.sleep(0.05)


@pytest.fixture
def ann_pair(tmp_path, request, engine, model_dir):
    """Two workers whose gallery is searched through a graph from 30 people on."""
    url = database_url(request, engine)
    apps = [make_app(tmp_path / "faces.db", url, IDENTIFY_CROWDING=0.7, INDEX_SNAPSHOT_MIN=10,
                     INDEX_ANN_MIN=30) for _ in range(2)]
    yield apps
    for app in apps:
        app.extensions["faces"].close()


def graph_files(tmp_path):
    return list((tmp_path / "index").glob("*.usearch"))


def built_and_saved(writer, tmp_path) -> None:
    """The writer loads 40 people from the table; its thread builds the graph and saves it
    with the snapshot."""
    with writer.app_context():
        add_people(40)
        index = writer.extensions["faces"].gallery_view().gallery
    wait_until(lambda: index.approximate and graph_files(tmp_path))


def test_a_large_gallery_starts_from_the_snapshot_and_its_graph(ann_pair, tmp_path, monkeypatch):
    from app.recognition import index as index_module

    writer, reader = ann_pair
    built_and_saved(writer, tmp_path)
    with writer.app_context():
        add_people(5, start=40)
        db.session.delete(db.session.get(Person, 2))
        db.session.commit()
        expected = rebuilt_answers(0.7)
    builds = []
    real = index_module.build
    monkeypatch.setattr(index_module, "build", lambda *a, **k: builds.append(1) or real(*a, **k))
    with reader.app_context():
        view = reader.extensions["faces"].gallery_view()
        assert view.gallery.approximate, "the graph was not loaded with the snapshot"
        assert len(view.gallery.graph) == len(view.gallery) == 44 and 2 not in view.gallery.graph
        # 44 people: the graph's search reaches every one of them, so exactly a rebuild's answers.
        assert answers(reader) == expected
        with writer.app_context():
            add_people(2, start=50)
        assert answers(reader) == rebuilt_answers(0.7) and len(view.gallery.graph) == 46
    assert builds == [], "the starting worker rebuilt the graph instead of loading it"


@pytest.mark.parametrize("damage", ["missing", "stale"])
def test_without_a_usable_graph_file_exact_search_until_the_thread_built_one(ann_pair, tmp_path, monkeypatch, damage):
    import threading

    from app.recognition import index as index_module
    from app.recognition.graph import Graph

    writer, reader = ann_pair
    built_and_saved(writer, tmp_path)
    [path] = graph_files(tmp_path)
    path.unlink()
    if damage == "stale":  # a graph of other people under the snapshot's name
        other = Graph()
        other.add(range(1000, 1040), unit(RNG.normal(size=(40, 128))))
        other.save(path)
    go = threading.Event()
    real = index_module.build
    monkeypatch.setattr(index_module, "build", lambda *a, **k: go.wait(60) and real(*a, **k))
    with reader.app_context():
        index = reader.extensions["faces"].gallery_view().gallery
        assert not index.approximate and answers(reader) == rebuilt_answers(0.7)
        go.set()
        wait_until(lambda: index.approximate)
        assert answers(reader) == rebuilt_answers(0.7)
    wait_until(lambda: graph_files(tmp_path) and Graph.load(graph_files(tmp_path)[0]) is not None
               and len(Graph.load(graph_files(tmp_path)[0])) == 40)
