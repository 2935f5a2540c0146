"""People and their faces: list, enrol, add a face, rename, delete. Each use-case leaves
the session to the caller's commit; the gallery generation follows by itself (models.py)."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..errors import Problem, not_found
from ..models import Face, Person, name_key
from .door import check_new_face
from .gallery import get_state
from .grey import grey_embedding
from .photos import NewFace, analyze, pick_face

MAX_NAME = 120
log = logging.getLogger(__name__)


@dataclass
class PersonRow:
    """A person in a list: the number of their faces and their first face's id (thumbnail)."""

    person: Person
    faces_count: int
    first_face_id: int | None

    def to_dict(self) -> dict:
        return self.person.to_dict(faces_count=self.faces_count)


@dataclass
class PeoplePage:
    items: list[PersonRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (1 for nobody)."""
        return max(1, -(-self.total // self.per_page))


ORDERS = {"name": (Person.name_key,), "newest": (Person.id.desc(),)}  # both on an index


def list_people(q: str = "", page: int = 1, per_page: int = 50, order: str = "name") -> PeoplePage:
    """People by name (or the newest first), `per_page` at a time; `q` keeps those whose
    name contains it. The page's people are read first (on the name index, so that a page
    of 10,000 people costs one page), then their faces counted (loading the faces would
    load every crop)."""
    query = select(Person)
    if q := (q or "").strip():
        query = query.where(Person.name_key.contains(name_key(q)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    people = db.session.scalars(query.order_by(*ORDERS[order]).limit(per_page)
                                .offset((page - 1) * per_page)).all()
    faces = dict.fromkeys([p.id for p in people], (0, None))
    faces.update({pid: (n, first) for pid, n, first in db.session.execute(
        select(Face.person_id, func.count(Face.id), func.min(Face.id))
        .where(Face.person_id.in_(list(faces))).group_by(Face.person_id))})
    return PeoplePage([PersonRow(p, *faces[p.id]) for p in people], page, per_page, total)


def clean_name(name) -> str:
    """The name with its spaces tidied; a Problem for no name, a name that is not text or
    one too long."""
    if name is not None and not isinstance(name, str):
        raise Problem("invalid-input", "The name must be text, e.g. \"Ada Lovelace\".")
    name = " ".join((name or "").split())
    if not name:
        raise Problem("invalid-input", "Give the person's name.")
    if len(name) > MAX_NAME:
        raise Problem("invalid-input", f"The name is longer than {MAX_NAME} characters; shorten it.")
    return name


def check_name_free(name: str, person_id: int | None = None) -> None:
    other = db.session.scalar(select(Person).where(Person.name_key == name_key(name)))
    if other is not None and other.id != person_id:
        raise Problem("conflict", f"The name “{other.name}” is already taken. Add the photo to "
                      "that person, or use another name (e.g. with a middle initial).",
                      person_id=other.id)


def new_name(name) -> str:
    """A name for a new person: tidied, and not taken (else a Problem that says so)."""
    name = clean_name(name)
    check_name_free(name)
    return name


def get_person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        raise not_found(f"person with id {person_id}")
    return person


def find_person(name: str) -> Person | None:
    """The person with this name (case and spaces aside), or None."""
    return db.session.scalar(select(Person).where(Person.name_key == name_key(name)))


def add_face(person: Person, face: NewFace, sha256: str, origin: str = "upload",
             camera: str | None = None, confirm: bool = False) -> Face:
    """Store one face of `person` after the checks at the door (door.py; `confirm` accepts a
    face unlike their others). A photo already enrolled for this person is refused, so that
    importing twice adds nothing twice."""
    check_not_enrolled(person, sha256)
    return _add_new_face(person, face, sha256, origin, camera, confirm)


def _add_new_face(person: Person, face: NewFace, sha256: str, origin: str, camera: str | None,
                  confirm: bool) -> Face:
    """add_face once the photo is known not to be the person's already."""
    check_new_face(face.embedding, sha256, person, confirm)
    return _store(person, face, sha256, origin, camera)


def check_not_enrolled(person: Person, sha256: str) -> None:
    """conflict: this photo (its bytes' SHA-256) is already one of the person's."""
    if person.id is not None and db.session.scalar(select(Face.id).where(
            Face.person_id == person.id, Face.source_sha256 == sha256)):
        raise Problem("conflict", f"This photo is already enrolled for {person.name}.")


def door_problem(face: NewFace, sha256: str, person: Person | None) -> Problem | None:
    """What saving `face` for `person` (None: a new person) would be refused for, without
    saving or raising: the enrolment preview warns before Save (a face-mismatch can still be
    confirmed there)."""
    try:
        if person is not None:
            check_not_enrolled(person, sha256)
        check_new_face(face.embedding, sha256, person)
    except Problem as e:
        return e
    return None


def _store(person: Person, face: NewFace, sha256: str, origin: str, camera: str | None) -> Face:
    row = Face(person=person, embedding=face.embedding.tobytes(), model=get_state().active_model,
               grey_embedding=grey_embedding(face.crop_jpeg), crop_jpeg=face.crop_jpeg, det_score=face.det_score, source_sha256=sha256,
               origin=origin, origin_camera=camera)
    db.session.add(row)
    log.info("face added to %r from %s (photo %s...)", person.name, origin, sha256[:12])
    return row


def create_person(name: str, face: NewFace, sha256: str, origin: str = "upload",
                  camera: str | None = None) -> tuple[Person, Face]:
    """A new person enrolled from one face (checked at the door before anything is added)."""
    name = new_name(name)
    get_state()  # made first if this is a new database: it commits, and nothing must go with it
    check_new_face(face.embedding, sha256, None)
    person = Person(name=name, name_key=name_key(name))
    db.session.add(person)
    return person, _store(person, face, sha256, origin, camera)


def enrol_photo(name: str, data: bytes, choice: int | None = None, origin: str = "upload") -> Person:
    """Enrol a new person from a photo's bytes (face number `choice`, or the one it is
    about). The name is checked before the slow analysis."""
    new_name(name)
    photo = analyze(data)
    person, _ = create_person(name, NewFace.of(pick_face(photo, choice)), photo.sha256, origin)
    return person


def add_photo(person: Person, data: bytes, choice: int | None = None, confirm: bool = False,
              origin: str = "upload") -> Face:
    """Add a photo's face (number `choice`, or the one it is about) to a person. A photo
    already theirs is refused before the analysis (an interrupted import run again skips
    what it saved in milliseconds a photo)."""
    sha256 = hashlib.sha256(data).hexdigest()
    check_not_enrolled(person, sha256)
    photo = analyze(data)
    return _add_new_face(person, NewFace.of(pick_face(photo, choice)), sha256, origin, None, confirm)


def add_or_enrol(name: str, data: bytes, confirm: bool = False) -> Person:
    """Add the photo to the person called `name`, enrolling them if new (import)."""
    person = find_person(name)
    if person is None:
        return enrol_photo(name, data, origin="import")
    add_photo(person, data, confirm=confirm, origin="import")
    return person


def rename(person: Person, name) -> Person:
    """Give a person a new name (unique, case-insensitive)."""
    name = clean_name(name)
    check_name_free(name, person.id)
    person.name, person.name_key = name, name_key(name)
    return person


def delete_person(person: Person) -> None:
    """Delete a person and their faces."""
    log.info("person %d (%r) deleted with %d faces", person.id, person.name, len(person.faces))
    db.session.delete(person)


def delete_face(person_id: int, face_id: int) -> None:
    """Delete one face of a person; not-found if it is not theirs."""
    face = db.session.get(Face, face_id)
    if face is None or face.person_id != person_id:
        raise not_found(f"face {face_id} of person {person_id}")
    log.info("face %d of person %d deleted", face_id, person_id)
    db.session.delete(face)
