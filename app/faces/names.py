"""Names that look like typos of each other ("Ben Afflek" beside "Ben Affleck"): a bulk
import warns before it enrols a second person under a near-duplicate name."""
from __future__ import annotations

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Person, name_key


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance between `a` and `b`, or `limit + 1` once it is certainly above
    `limit` (rows of the dynamic programme stop early)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            row.append(min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(row) > limit:
            return limit + 1
        previous = row
    return previous[-1]


def allowed_typos(key: str) -> int:
    """How many edits still read as a typo: 1 for short names, 2 from 8 characters on."""
    return 1 if len(key) < 8 else 2


def _candidates(key: str) -> list[str]:
    """Enrolled names of about the same length sharing the first or the last two letters
    (a typo rarely touches both ends): the few names worth an edit distance, read by SQL
    rather than every name of a large gallery."""
    n = allowed_typos(key)
    return list(db.session.scalars(select(Person.name).where(
        func.length(Person.name_key).between(len(key) - n, len(key) + n),
        Person.name_key != key,
        or_(Person.name_key.startswith(key[:2]), Person.name_key.endswith(key[-2:])))))


def near_duplicates(names: list[str]) -> list[tuple[str, str]]:
    """(new name, the enrolled or other new name it is a near-duplicate of) for each of
    `names` not enrolled yet that is a few typos from another name (case and spaces aside)."""
    keys = {name_key(n): n for n in names}
    enrolled = set(db.session.scalars(select(Person.name_key).where(Person.name_key.in_(list(keys)))))
    found = []
    for key, name in keys.items():
        if key in enrolled:
            continue
        # Other new names too (each pair once: the later name in sort order is reported).
        others = _candidates(key) + [n for k, n in keys.items() if k < key and k not in enrolled]
        n = allowed_typos(key)
        close = [o for o in others if edit_distance(key, name_key(o), n) <= n]
        if close:
            found.append((name, close[0]))
    return found
