"""`flask faces import DIR`: a folder per person, a summary, nothing added twice."""
from __future__ import annotations

import re
import shutil

from sqlalchemy import func, select

from support import photos


def test_import_twice(app, tmp_path, monkeypatch):
    from app.extensions import db
    from app.faces import people
    from app.models import Face, Person

    for folder in ("jerry_seinfeld", "mindy_kaling"):
        (tmp_path / folder).mkdir()
        for path in photos("val", folder):
            shutil.copy(path, tmp_path / folder)
    (tmp_path / "mindy_kaling" / "notes.jpg").write_bytes(b"not a photo")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["faces", "import", str(tmp_path)])
    assert first.exit_code == 0, first.output
    added = int(re.search(r"added (\d+) photos", first.output).group(1))
    assert added >= 8 and "bad-image: 1" in first.output
    real, analysed = people.analyze, []  # the second run analyses only what the first did not save
    monkeypatch.setattr(people, "analyze", lambda data, **kw: analysed.append(data) or real(data, **kw))
    second = runner.invoke(args=["faces", "import", str(tmp_path)])
    assert "added 0 photos" in second.output and f"already enrolled: {added}" in second.output
    assert len(analysed) == sum(1 for p in tmp_path.rglob("*") if p.is_file()) - added
    with app.app_context():
        names = set(db.session.scalars(select(Person.name)))
        assert names == {"Jerry Seinfeld", "Mindy Kaling"}
        assert db.session.scalar(select(func.count(Face.id))) == added


def test_a_near_duplicate_name_stops_the_import_until_yes(app, tmp_path):
    """"Ben Afflek" beside an enrolled "Ben Affleck": the import says so and adds nothing;
    renaming the folder adds the photo to him, --yes enrols a second person."""
    from app.extensions import db
    from app.models import Person

    runner = app.test_cli_runner()
    (tmp_path / "ben_affleck").mkdir()
    shutil.copy(photos("train", "ben_afflek")[0], tmp_path / "ben_affleck")
    assert runner.invoke(args=["faces", "import", str(tmp_path)]).exit_code == 0
    shutil.rmtree(tmp_path / "ben_affleck")
    (tmp_path / "ben_afflek").mkdir()
    shutil.copy(photos("train", "ben_afflek")[1], tmp_path / "ben_afflek")
    r = runner.invoke(args=["faces", "import", str(tmp_path)])
    assert r.exit_code != 0 and "'Ben Afflek' is close to 'Ben Affleck'" in r.output, r.output
    assert "nothing was imported" in r.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Person).where(Person.name == "Ben Afflek")) == 0
    r = runner.invoke(args=["faces", "import", str(tmp_path), "--yes"])
    assert r.exit_code == 0 and "added 1 photos" in r.output, r.output
