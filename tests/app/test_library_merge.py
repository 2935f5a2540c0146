"""Groups that come together over time: open groups whose faces are close as sets merge
(`flask faces regroup --merge`, and in the background as faces arrive), never a dismissed
group, and never moving the faces of a group an operator placed them in."""
from __future__ import annotations

import numpy as np
from sqlalchemy import func, select

from app.extensions import db
from app.library.grouping import Seen, remember
from app.models import Event, Sighting, UnknownGroup, utcnow

RNG = np.random.default_rng(21)
DIRECTIONS = RNG.normal(size=(8, 128)).astype(np.float32)


def faces_of(person: int, n: int) -> list[Seen]:
    """n faces of one made-up person: their direction plus noise (pairwise ~0.7 apart,
    as two photos of one person; different people ~1.4)."""
    out = []
    for _ in range(n):
        v = DIRECTIONS[person] / np.linalg.norm(DIRECTIONS[person]) + RNG.normal(scale=0.045, size=128)
        out.append(Seen((v / np.linalg.norm(v)).astype(np.float32), b"\xff\xd8jpeg"))
    return out


def group_of(person: int, n: int, status: str = "open", placed: bool = False) -> int:
    """A group of n faces of `person`, made apart from any other (as the online rule may)."""
    from app.faces import get_state

    g = UnknownGroup(model=get_state().active_model, centroid=np.zeros(128, np.float32).tobytes(), count=0)
    db.session.add(g)
    db.session.flush()
    remember(faces_of(person, n), group_id=g.id)
    g.status, g.placed_at = status, utcnow() if placed else None
    db.session.commit()
    return g.id


def faces_in(group_id: int) -> set[int]:
    return set(db.session.scalars(select(Sighting.id).where(Sighting.group_id == group_id)))


def test_close_groups_merge_but_not_dismissed_nor_placed_faces(app, runner):
    with app.app_context():
        a1, a2, a3 = group_of(0, 4), group_of(0, 3), group_of(0, 3)
        dismissed = group_of(0, 3, "dismissed")
        b1, b2 = group_of(1, 3, placed=True), group_of(1, 3, placed=True)  # an operator kept them apart
        c_small_placed, c_big = group_of(2, 2, placed=True), group_of(2, 5)
        alone = group_of(3, 2)
        placed_faces = faces_in(c_small_placed)
        db.session.add(Event(camera="door", group_id=a2, thumbnail_jpeg=b"\xff\xd8"))
        db.session.commit()
        before = db.session.scalar(select(func.count(Sighting.id)))
    out = runner.invoke(args=["faces", "regroup", "--merge"]).output
    assert "groups merged" in out, out
    with app.app_context():
        assert db.session.scalar(select(func.count(Sighting.id))) == before
        merged = {db.session.get(UnknownGroup, g) is not None for g in (a1, a2, a3)}
        assert merged == {True, False} and sum(db.session.get(UnknownGroup, g) is not None
                                                for g in (a1, a2, a3)) == 1
        kept = next(g for g in (a1, a2, a3) if db.session.get(UnknownGroup, g) is not None)
        assert len(faces_in(kept)) == 10
        assert db.session.scalar(select(Event.group_id)) == kept  # Arrivals still lead to the person
        assert len(faces_in(dismissed)) == 3 and db.session.get(UnknownGroup, dismissed).status == "dismissed"
        assert len(faces_in(b1)) == 3 and len(faces_in(b2)) == 3
        # The bigger open group came into the placed one, whose faces stayed where they were.
        assert db.session.get(UnknownGroup, c_big) is None and placed_faces < faces_in(c_small_placed)
        assert len(faces_in(c_small_placed)) == 7 and len(faces_in(alone)) == 2
        centre = db.session.get(UnknownGroup, kept).centroid
        total = np.sum([np.frombuffer(s, np.float32) for s in db.session.scalars(
            select(Sighting.embedding).where(Sighting.group_id == kept))], axis=0)
        assert np.allclose(np.frombuffer(centre, np.float32), total, atol=1e-4)


def test_the_background_merge_runs_once_faces_are_remembered(app):
    from app.library.regroup import merge_soon

    app.config["GROUP_MERGE_EVERY"] = 60.0
    try:
        with app.app_context():
            x, y = group_of(4, 3), group_of(4, 3)
            merge_soon()
            db.session.commit()
            app.extensions["faces_background_merge"].thread.join(30)
            assert (db.session.get(UnknownGroup, x) is None) != (db.session.get(UnknownGroup, y) is None)
    finally:
        app.config["GROUP_MERGE_EVERY"] = 0.0


def test_the_threshold_command_says_what_it_needs(runner):
    out = runner.invoke(args=["faces", "threshold"])
    assert out.exit_code != 0 and "Too few faces stored" in out.output, out.output
    out = runner.invoke(args=["faces", "threshold", "--target", "2"])
    assert out.exit_code != 0 and "between 0 and 0.5" in out.output, out.output


def test_what_an_operator_placed_stays_where_they_put_it(app, runner):
    """A face moved from one group to another keeps the two apart (the background merge
    would bring them back together: one person, close as sets); a regroup from scratch
    leaves a placed group's faces where they are."""
    from app.library.group_edits import take_out_face

    with app.app_context():
        source, target = group_of(5, 4), group_of(5, 3)
        moved = min(faces_in(source))
        take_out_face(moved, target)
        db.session.commit()
        placed, loose = group_of(6, 2, placed=True), group_of(6, 4)
        placed_faces = faces_in(placed)
    runner.invoke(args=["faces", "regroup", "--merge"])
    with app.app_context():
        assert len(faces_in(source)) == 3 and len(faces_in(target)) == 4 and moved in faces_in(target)
        # The open group came into the placed one (its faces stayed); a fresh loose group
        # of the same person is left to the regroup, which moves none of the placed faces.
        assert db.session.get(UnknownGroup, loose) is None and placed_faces < faces_in(placed)
        loose = group_of(6, 3)
    assert "groups before" in runner.invoke(args=["faces", "regroup"]).output
    with app.app_context():
        assert len(faces_in(placed)) == 6 and len(faces_in(loose)) == 3


def test_a_merge_finds_the_arrivals_of_a_group_by_index(app):
    """Each merge moves the Arrivals rows of the groups it deletes, and SQLite's foreign key
    check of each deleted group looks for rows pointing at it: without an index on
    event.group_id both read every arrival, holding the write lock (3.3 s a merge at 50,000
    arrivals; docs/LIBRARY.md)."""
    from sqlalchemy import inspect, text

    with app.app_context():
        indexed = [ix["column_names"] for ix in inspect(db.engine).get_indexes("event")]
        assert ["group_id"] in indexed
        plan = " ".join(str(r[-1]) for r in db.session.execute(text(
            "EXPLAIN QUERY PLAN UPDATE event SET group_id = 1 WHERE group_id IN (2, 3)")))
        assert "ix_event_group_id" in plan, plan


def test_the_threshold_command_reads_the_gallery_and_applies_it(app, runner):
    """Three people enrolled from sample photos, each with 30 more faces that point
    nowhere near anyone (random): every held-out face is far from the others, so the
    gallery's threshold is the ceiling (1.0), and --apply makes it the threshold."""
    from sqlalchemy import insert

    from support import photos

    from app.faces import EnrolCandidate, NewFace, create_person, get_state, new_name
    from app.faces.photos import analyze, pick_face
    from app.models import Face

    with app.app_context():
        before = get_state().identify_threshold
        rng = np.random.default_rng(5)
        for name in ("madonna", "ben_afflek", "jerry_seinfeld"):
            photo = analyze(photos("train", name)[0].read_bytes())
            face = EnrolCandidate(NewFace.of(pick_face(photo, None)), f"{hash(name) & 0xffff:064x}", photo.model)
            person, first = create_person(new_name(name), face)
            db.session.flush()
            vectors = rng.normal(size=(30, 128)).astype("<f4")
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            db.session.execute(insert(Face), [
                {"person_id": person.id, "embedding": v.tobytes(), "model": first.model, "crop_jpeg": first.crop_jpeg,
                 "det_score": 0.99, "source_sha256": f"{name}{i}".encode().hex().ljust(64, "0")[:64], "origin": "import"}
                for i, v in enumerate(vectors)])
        db.session.commit()
    out = runner.invoke(args=["faces", "threshold", "--target", "0.02", "--apply"])
    assert "From the gallery: 1.000" in out.output and "is now 1.000" in out.output, out.output
    with app.app_context():
        assert get_state().identify_threshold == 1.0
        get_state().identify_threshold = before
        db.session.commit()
