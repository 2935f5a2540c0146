"""The migration that adds person.uid, operator.session_token and sighting.api_key_id, on
a database with people, faces and an operator: every row gets its own value, and going
down and up again loses no face (a batch-mode rebuild of the person table on SQLite,
foreign keys on, deletes them all)."""
from __future__ import annotations

import flask_migrate
from sqlalchemy import text

ENGINES = ("sqlite", "postgresql")  # conftest: the module runs on both
BEFORE = "e2f4a6b8c0d1"  # the revision before this one


def count(db, table: str) -> int:
    return db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def test_upgrade_fills_every_row_and_downgrade_keeps_the_faces(app):
    from app.extensions import db

    with app.app_context():
        flask_migrate.downgrade(revision=BEFORE)
        db.session.execute(text("INSERT INTO person (id, name, name_key, created_at) VALUES "
                                "(901, 'A', 'a', '2026-01-01'), (902, 'B', 'b', '2026-01-01')"))
        db.session.execute(text("INSERT INTO face (person_id, embedding, model, crop_jpeg, det_score, "
                                "source_sha256, created_at, origin) VALUES (901, :b, 'm', :b, 1.0, 'h', "
                                "'2026-01-01', 'upload')"), {"b": b"\0"})
        db.session.execute(text("INSERT INTO operator (username, password_hash, role, created_at) "
                                "VALUES ('old', 'x', 'admin', '2026-01-01')"))
        db.session.commit()
        flask_migrate.upgrade()
        uids = db.session.execute(text("SELECT uid FROM person")).scalars().all()
        assert len(set(uids)) == 2 and all(uids)
        assert db.session.execute(text("SELECT session_token FROM operator")).scalar()
        db.session.commit()  # PostgreSQL: an open read would hold up the ALTER TABLE below
        flask_migrate.downgrade(revision=BEFORE)
        assert count(db, "face") == 1
        db.session.commit()
        flask_migrate.upgrade()
        assert count(db, "face") == 1 and count(db, "person") == 2
