"""The grey gallery (issue 19): a greyscale/IR face is matched against every enrolled face
made grey, once every person has grey embeddings (made at enrolment, or by `flask faces
backfill-grey` for faces stored without them, which resumes after an interruption)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.faces.grey import backfill_grey, missing_grey
from app.models import Face
from support import GOOD, grey_copy, photos

ENGINES = ("sqlite", "postgresql")


def identified(client, data: bytes) -> dict:
    r = client.post("/api/identify", data=data, content_type="image/jpeg")
    assert r.status_code == 200, r.get_json()
    return max(r.get_json()["faces"], key=lambda f: f["box"][2] * f["box"][3])


@pytest.fixture(scope="module")
def enrolled(app, api_key):
    """Madonna enrolled from two photos, Ben Affleck from one."""
    client = app.test_client()
    auth = {"Authorization": f"Bearer {api_key}"}
    for name, folder, n in (("Madonna", "madonna", 2), ("Ben Affleck", "ben_afflek", 1)):
        r = client.post(f"/api/people?name={name}", data=photos("train", folder)[0].read_bytes(),
                        content_type="image/jpeg", headers=auth)
        assert r.status_code == 201, r.get_json()
        for photo in photos("train", folder)[1:n]:
            r = client.post(f"/api/people/{r.get_json()['id']}/faces", data=photo.read_bytes(),
                            content_type="image/jpeg", headers=auth)
            assert r.status_code == 201, r.get_json()


def stored_grey(app) -> list[bytes | None]:
    with app.app_context():
        return list(db.session.scalars(select(Face.grey_embedding).order_by(Face.id)))


def forget_grey(app) -> None:
    """As if the faces had been enrolled before the grey gallery (one ORM change per face,
    so that every worker follows through the gallery's log)."""
    with app.app_context():
        for face in db.session.scalars(select(Face)):
            face.grey_embedding = None
        db.session.commit()


def test_a_grey_face_is_named_from_the_grey_gallery(client, enrolled):
    face = identified(client, grey_copy(GOOD))
    assert face["conditions"]["greyscale"] is True and face["conditions"]["gallery"] == "grey"
    assert face["name"] == "Madonna"
    colour = identified(client, GOOD.read_bytes())
    assert colour["conditions"]["gallery"] == "colour" and colour["name"] == "Madonna"


def test_enrolment_stores_a_grey_embedding_per_face(app, enrolled):
    greys = stored_grey(app)
    assert len(greys) == 3 and all(g is not None and len(g) == 512 for g in greys)


def test_the_backfill_resumes_after_an_interruption(app, client, enrolled, runner):
    made_at_enrolment = stored_grey(app)
    forget_grey(app)
    in_colour = identified(client, grey_copy(GOOD))
    assert in_colour["conditions"]["gallery"] == "colour"

    def killed(done: int):
        raise KeyboardInterrupt  # the run stopped after its first batch
    with app.app_context(), pytest.raises(KeyboardInterrupt):
        backfill_grey(batch=2, done=killed)
    with app.app_context():
        db.session.rollback()
        assert missing_grey() == 1  # the first batch was committed
    # Not everyone has grey vectors yet: grey faces are still matched in colour.
    assert identified(client, grey_copy(GOOD))["conditions"]["gallery"] == "colour"
    result = runner.invoke(args=["faces", "backfill-grey", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "1 faces without a grey embedding" in result.output and "1 left" not in result.output
    # Made from the stored crop, as enrolment made them.
    assert stored_grey(app) == made_at_enrolment
    face = identified(client, grey_copy(GOOD))
    assert face["conditions"]["gallery"] == "grey" and face["name"] == "Madonna"
    # Grey against grey: the enrolled photo made grey is nearer than in colour.
    assert face["distance"] < in_colour["distance"] - 0.05


def test_the_backfill_refuses_a_batch_of_nothing(runner):
    result = runner.invoke(args=["faces", "backfill-grey", "--batch", "0"])
    assert result.exit_code == 2 and "--batch" in result.output


def test_an_undone_deletion_brings_the_grey_embeddings_back(app, client, enrolled, sign_in, csrf_token):
    with app.app_context():
        ben = db.session.scalar(select(Face.person_id).order_by(Face.id.desc()).limit(1))
    sign_in(client)
    confirm = client.get(f"/people/{ben}/delete")
    page = client.get(client.post(f"/people/{ben}/delete", data={"csrf_token": csrf_token(confirm.data)})
                      .headers["Location"])
    undo = re.search(rb'action="(/undo/\d+)"', page.data).group(1).decode()
    assert client.post(undo, data={"csrf_token": csrf_token(page.data)}).status_code == 302
    assert len(stored_grey(app)) == 3 and None not in stored_grey(app)
    assert identified(client, grey_copy(GOOD))["conditions"]["gallery"] == "grey"
