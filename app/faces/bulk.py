"""Bulk enrolment, one service for `flask faces import DIR` and the Enrol page's zip: each
photo goes through add_or_enrol (the door's checks of any enrolment), one transaction per
batch, and what was refused is counted by reason with the first examples kept."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath

from ..extensions import db
from ..errors import Problem
from ..recognition.errors import RecognitionError
from .people import add_or_enrol

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
EXAMPLES = 100  # refused photos kept with their reason, for the summary


def person_name(folder: str) -> str:
    """Folder name to a person's name: 'jerry_seinfeld' -> 'Jerry Seinfeld'."""
    return " ".join(w.capitalize() if w.islower() else w for w in PurePath(folder).name.replace("_", " ").split())


@dataclass
class ImportReport:
    """Photos handled so far: added, refused by reason, the first refusals in words."""

    total: int
    done: int = 0
    added: int = 0
    refused: Counter = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)  # (photo, why)

    def refuse(self, photo: str, reason: str, detail: str) -> None:
        self.refused[reason] += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append((photo, detail))

    def to_dict(self) -> dict:
        return {"total": self.total, "done": self.done, "added": self.added,
                "refused": dict(self.refused), "examples": self.examples}


def import_photos(jobs: Iterable[tuple[str, str, Callable[[], bytes]]], total: int, confirm: bool = False,
                  batch: int = 64, progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
    """Add each (person name, photo label, read bytes) job to the person of that name,
    enrolling them if new; commit every `batch` photos (an interrupted import loses at most
    one batch, and running it again skips what was saved), then call `progress`."""
    report = ImportReport(total)
    for name, label, read in jobs:
        try:
            # Every refusal (a Problem) comes before anything is added to the session,
            # so the batch's other photos are kept without a savepoint.
            add_or_enrol(name, read(), confirm)
            report.added += 1
        except (Problem, RecognitionError) as e:
            reason = "already enrolled" if getattr(e, "type", "") == "conflict" else e.type
            report.refuse(label, reason, e.detail)
        report.done += 1
        if report.done % batch == 0:
            db.session.commit()  # one transaction per batch: one log entry per person
            if progress:
                progress(report)
    db.session.commit()
    return report
