"""Session events that follow every change of people and faces: the gallery generation
and the change log that workers apply (no write path has to remember either)."""
from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import String, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from .library import Correction
from .people import AppState, Face, Person


# --- The gallery generation follows every change of people and faces by itself ----------
# (as microblog's SearchableMixin keeps its index in step): no write path has to remember it.
# Corrections change who a face is named as (app/faces/negatives.py): they move it too.
GALLERY_MODELS = (Person, Face, Correction)
# session.info key: this session's open transaction has changed the gallery. Its worker must
# not apply the log up to that uncommitted generation (app/faces/gallery.py): were the
# transaction rolled back and another committed under the same number, it would never catch up.
GALLERY_PENDING = "gallery_change_pending"


def bump_generation(session: Session) -> None:
    """Add one to the gallery generation in the session's transaction (one UPDATE ... + 1,
    so concurrent writers never lose a bump); creates the state row if there is none. A
    state row being created in this very flush is new to every worker: nothing to bump.
    Once per transaction: its UPDATE holds the row's lock until commit, so every change of
    the transaction is logged under that one generation (a merge of two people, an import
    batch: one bump, each worker catches up once)."""
    if session.info.get(GALLERY_PENDING) or any(isinstance(o, AppState) for o in session.new):
        return
    session.info[GALLERY_PENDING] = True
    table = AppState.__table__
    done = session.connection().execute(update(table).where(table.c.id == 1).values(
        gallery_generation=table.c.gallery_generation + 1))
    if done.rowcount == 0:
        threshold = current_app.config["IDENTIFY_THRESHOLD"] if has_app_context() else 0.8
        session.add(AppState(id=1, gallery_generation=1, identify_threshold=threshold))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session: Session, *_args) -> None:
    session.info.pop(GALLERY_PENDING, None)


@event.listens_for(Session, "before_flush")
def _people_or_faces_flushed(session: Session, _context, _instances) -> None:
    dirty = (o for o in session.dirty if session.is_modified(o, include_collections=False))
    if any(isinstance(o, GALLERY_MODELS) for o in (*session.new, *session.deleted, *dirty)):
        bump_generation(session)


@event.listens_for(Session, "do_orm_execute")
def _bulk_change_of_people_or_faces(orm_state) -> None:
    """`insert(Face)...` / `update(Face)...` / `delete(Person)...` statements bypass the flush."""
    if (orm_state.is_insert or orm_state.is_update or orm_state.is_delete) and any(
            m.class_ in GALLERY_MODELS for m in orm_state.all_mappers):
        bump_generation(orm_state.session)



# --- Gallery at scale ---
# Each change of the gallery is also written to a log, by the session events below and in the
# transaction of the change, stamped with the gallery generation it commits with. A worker
# applies the changes after the generation it last saw (a person added is one row of its
# index written, not a rebuild). The UPDATE of the generation holds the state row's lock until
# commit, so writers of the gallery commit in generation order on every engine: a worker that
# has read generation G has seen every change stamped <= G.
GALLERY_LOG_KEEP = 100_000  # generations of changes kept; a worker further behind reloads


class GalleryChange(db.Model):
    """One change of people or faces: whose (None: a bulk statement, anything may have
    changed, reload), what (face+ added, face- deleted, face~ changed or moved, person:
    added, renamed or deleted, bulk) and at which gallery generation."""

    __tablename__ = "gallery_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(index=True)
    person_id: Mapped[int | None] = mapped_column(default=None)
    face_id: Mapped[int | None] = mapped_column(default=None)
    kind: Mapped[str] = mapped_column(String(8))


class GalleryMeta(db.Model):
    """One row: this database's identity, so that an index snapshot on disk is only ever
    loaded for the database it was taken from."""

    __tablename__ = "gallery_meta"
    id: Mapped[int] = mapped_column(primary_key=True)
    database_id: Mapped[str] = mapped_column(String(32))


def log_person_gone(session: Session, person_id: int) -> int:
    """A person removed by core statements (an erase, which must not leave the per-row
    events' traces): one bump and one log row, so that every worker drops them. Returns
    the generation it commits with."""
    bump_generation(session)
    _log(session, [{"kind": "person", "face_id": None, "person_id": person_id}])
    state = AppState.__table__
    return session.connection().scalar(select(state.c.gallery_generation).where(state.c.id == 1))


def _history_ids(obj, attr: str) -> list:
    """Old values of a column or many-to-one (objects) before this flush."""
    from sqlalchemy import inspect

    return list(inspect(obj).attrs[attr].history.deleted or ())


@event.listens_for(Session, "before_flush")
def _collect_gallery_changes(session: Session, _context, _instances) -> None:
    """What this flush changes, kept until after it (ids of new rows are known then)."""
    pending = []
    for obj in session.new:
        if isinstance(obj, Face):
            pending.append(("face+", obj, obj))
        elif isinstance(obj, Person):
            pending.append(("person", None, obj))
    for obj in session.deleted:
        if isinstance(obj, Face):
            pending.append(("face-", obj, obj.person_id))
        elif isinstance(obj, Person):
            pending.append(("person", None, obj))
    for obj in session.dirty:
        if not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, Face):
            pending.append(("face~", obj, obj))
            for old in _history_ids(obj, "person_id") + _history_ids(obj, "person"):
                pending.append(("face~", obj, old))
        elif isinstance(obj, Person):
            pending.append(("person", None, obj))
    session.info["gallery_changes"] = pending


def _person_id(ref) -> int | None:
    if isinstance(ref, Face):
        return ref.person_id if ref.person_id is not None else getattr(ref.person, "id", None)
    return ref.id if isinstance(ref, Person) else ref


def _log(session: Session, rows: list[dict]) -> None:
    conn = session.connection()
    state = AppState.__table__
    generation = conn.scalar(select(state.c.gallery_generation).where(state.c.id == 1)) or 0
    conn.execute(GalleryChange.__table__.insert(), [{**r, "generation": generation} for r in rows])
    if generation % 1000 == 0 and generation > GALLERY_LOG_KEEP:
        log_table = GalleryChange.__table__
        conn.execute(log_table.delete().where(log_table.c.generation < generation - GALLERY_LOG_KEEP))


@event.listens_for(Session, "after_flush")
def _log_gallery_changes(session: Session, _context) -> None:
    pending = session.info.pop("gallery_changes", None)
    if not pending:
        return
    rows = {(kind, getattr(face, "id", None), _person_id(ref)) for kind, face, ref in pending}
    _log(session, [{"kind": kind, "face_id": face_id, "person_id": person_id}
                   for kind, face_id, person_id in sorted(rows, key=str)])


@event.listens_for(Session, "do_orm_execute")
def _log_bulk_change(orm_state) -> None:
    """A bulk statement on people or faces: every worker reloads (the log cannot say whose)."""
    if (orm_state.is_insert or orm_state.is_update or orm_state.is_delete) and any(
            m.class_ in GALLERY_MODELS for m in orm_state.all_mappers):
        _log(orm_state.session, [{"kind": "bulk", "face_id": None, "person_id": None}])
