"""Settings are declared once (app/config.py) and documented from there (issue 20.5):
docs/CONFIGURATION.md is what `make docs` writes, no other doc keeps a table of them, every
variable has the FACES_ prefix and only app/config.py reads them."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from app.config import SETTINGS, Config, read_settings
from support import ROOT


def test_configuration_doc_is_generated_from_the_settings():
    run = subprocess.run([sys.executable, "scripts/gen_config_docs.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    doc = (ROOT / "docs" / "CONFIGURATION.md").read_text()
    assert all(f"`{s.env}`" in doc for s in SETTINGS)


def test_no_other_doc_keeps_a_table_of_settings():
    docs = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    rows = {p.name: re.findall(r"^\| `(?:FACES_|CAMERA_SOURCE|SECRET_KEY)", p.read_text(), re.M)
            for p in docs if p.name != "CONFIGURATION.md"}
    assert {name: len(r) for name, r in rows.items() if r} == {}


def test_every_setting_has_the_prefix_help_and_a_key():
    assert all(s.env.startswith("FACES_") and s.help and s.key for s in SETTINGS)
    assert len({s.env for s in SETTINGS}) == len({s.key for s in SETTINGS}) == len(SETTINGS)
    assert all(hasattr(Config, s.key) for s in SETTINGS)


def test_only_config_reads_the_settings_from_the_environment():
    """os.environ / getenv naming a setting anywhere in app/ or train/ but app/config.py."""
    names = "|".join(re.escape(s.env) for s in SETTINGS) + "|" + "|".join(s.alias for s in SETTINGS if s.alias)
    pattern = re.compile(rf"(?:environ(?:\.get)?|getenv)\(\s*[\"'](?:{names})[\"']|environ\[[\"'](?:{names})[\"']")
    readers = [str(p.relative_to(ROOT)) for folder in ("app", "train", "migrations") for p in (ROOT / folder).rglob("*.py")
               if p != ROOT / "app" / "config.py" and pattern.search(p.read_text())]
    assert readers == []


def test_values_are_read_typed_and_the_old_names_still_work():
    values = read_settings({"FACES_THREADS": "3", "FACES_FLIP": "yes", "FACES_CACHE_DIR": "/tmp/c"})
    assert values["NUM_THREADS"] == 3 and values["ENCODER_FLIP"] is True and values["CACHE_DIR"] == "/tmp/c"
    assert read_settings({})["CAMERA_SOURCE"] == "auto"
    with pytest.warns(FutureWarning, match="CAMERA_SOURCE is deprecated: set FACES_CAMERA_SOURCE"):
        assert read_settings({"CAMERA_SOURCE": "demo"})["CAMERA_SOURCE"] == "demo"
    assert read_settings({"CAMERA_SOURCE": "demo", "FACES_CAMERA_SOURCE": "0"})["CAMERA_SOURCE"] == "0"
    with pytest.warns(FutureWarning):
        assert read_settings({"SECRET_KEY": "s"})["SECRET_KEY"] == "s"


def test_a_value_that_is_no_number_says_which_setting():
    with pytest.raises(ValueError, match=r"FACES_THREADS='two': it must be a whole number \(default 2\)"):
        read_settings({"FACES_THREADS": "two"})
