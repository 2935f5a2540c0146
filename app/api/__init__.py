"""The REST API under /api (see /api/openapi.json)."""
from flask import Blueprint, current_app

from ..extensions import csrf, limiter

bp = Blueprint("api", __name__)
# API clients authenticate with a key, not a session cookie: CSRF does not apply.
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(bp)

from . import cameras, docs, people, recognize, webhooks  # noqa: E402,F401
