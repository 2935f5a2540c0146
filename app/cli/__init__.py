"""`flask faces ...` commands. The group is a blueprint; each module below adds its
commands to it: setup.py (weights, evaluation), admin.py (operators, API keys),
importer.py (enrol a folder), models.py (encoder models)."""
from flask import Blueprint

bp = Blueprint("faces", __name__, cli_group="faces")

from . import admin, importer, models, setup  # noqa: E402,F401
