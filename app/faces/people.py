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
from .candidate import EnrolCandidate
from .door import check, check_not_enrolled
from .gallery import get_state
from .grey import grey_embedding
from .photos import analyze, pick_face

MAX_NAME = 120
log = logging.getLogger(__name__)


@dataclass
class PersonRow:
    """A person in a list: the number of their faces and their first face's id (thumbnail)."""

    person: Person
    faces_count: int
    first_face_id: int | None


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


@dataclass(frozen=True)
class PersonName:
    """A name for a new person, tidied and found free (new_name): `text`, and `key` for
    Person.name_key."""

    text: str
    key: str


def new_name(name) -> PersonName:
    """A name for a new person: tidied, and not taken (else a Problem that says so). Each
    request checks it once; the use-cases below take it checked."""
    name = clean_name(name)
    check_name_free(name)
    return PersonName(name, name_key(name))


def get_person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        raise not_found(f"person with id {person_id}")
    return person


def find_person(name: str) -> Person | None:
    """The person with this name (case and spaces aside), or None."""
    return db.session.scalar(select(Person).where(Person.name_key == name_key(name)))


def add_face(person: Person, candidate: EnrolCandidate, confirm: bool = False) -> Face:
    """Store a candidate as one of `person`'s faces after the checks at the door (door.py;
    `confirm` accepts a face unlike their others). A photo already theirs is refused, so
    that importing twice adds nothing twice."""
    check(candidate, person, confirm)
    return _store(person, candidate)


def door_problem(candidate: EnrolCandidate, person: Person | None) -> Problem | None:
    """What saving `candidate` for `person` (None: a new person) would be refused for,
    without saving or raising: the enrolment preview warns before Save (a face-mismatch can
    still be confirmed there)."""
    try:
        check(candidate, person)
    except Problem as e:
        return e
    return None


def _store(person: Person, c: EnrolCandidate) -> Face:
    row = Face(person=person, embedding=c.face.embedding.tobytes(), model=c.model,
               grey_embedding=grey_embedding(c.face.crop_jpeg), crop_jpeg=c.face.crop_jpeg,
               det_score=c.face.det_score, source_sha256=c.sha256, origin=c.origin, origin_camera=c.camera)
    db.session.add(row)
    log.info("face added to %r from %s (photo %s...)", person.name, c.origin, c.sha256[:12])
    return row


def create_person(name: PersonName, candidate: EnrolCandidate) -> tuple[Person, Face]:
    """A new person enrolled from one face (checked at the door before anything is added)."""
    get_state()  # made first if this is a new database: it commits, and nothing must go with it
    check(candidate, None)
    person = Person(name=name.text, name_key=name.key)
    db.session.add(person)
    return person, _store(person, candidate)


def enrol_photo(name: PersonName, data: bytes, choice: int | None = None, origin: str = "upload") -> Person:
    """Enrol a new person from a photo's bytes (face number `choice`, or the one it is
    about); the name was checked before the slow analysis."""
    photo = analyze(data)
    person, _ = create_person(name, EnrolCandidate.from_upload(photo, pick_face(photo, choice), origin))
    return person


def add_photo(person: Person, data: bytes, choice: int | None = None, confirm: bool = False,
              origin: str = "upload") -> Face:
    """Add a photo's face (number `choice`, or the one it is about) to a person. A photo
    already theirs is refused before the analysis (an interrupted import run again skips
    what it saved in milliseconds a photo)."""
    sha256 = hashlib.sha256(data).hexdigest()
    check_not_enrolled(person, sha256)
    photo = analyze(data, sha256=sha256)
    return add_face(person, EnrolCandidate.from_upload(photo, pick_face(photo, choice), origin), confirm)


def add_or_enrol(name: str, data: bytes, confirm: bool = False) -> Person:
    """Add the photo to the person called `name`, enrolling them if new (import)."""
    person = find_person(name)
    if person is None:
        return enrol_photo(new_name(name), data, origin="import")
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
