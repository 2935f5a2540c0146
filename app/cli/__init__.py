"""`flask faces ...` commands. The group is a blueprint; each module below adds its
commands to it: setup.py (weights, evaluation), admin.py (operators, API keys),
importer.py (enrol a folder), models.py (encoder models), cameras.py (cameras),
backup.py (export, restore), library.py (regroup and expire the unknown faces),
person_data.py (one person: export, erase, import)."""
from flask import Blueprint

bp = Blueprint("faces", __name__, cli_group="faces")

from . import admin, backup, cameras, importer, library, models, person_data, setup  # noqa: E402,F401
