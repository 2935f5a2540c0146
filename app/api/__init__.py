"""The REST API under /api. Its routes declare what they take and answer as marshmallow
schemas (flask-smorest, args.py and schemas.py): the schemas validate each request and make
the OpenAPI document served at /api/openapi.json and shown at /api/docs."""
from flask import current_app

from ..extensions import csrf, limiter
from .spec import ApiBlueprint

bp = ApiBlueprint("api", __name__)
# API clients authenticate with a key, not a session cookie: CSRF does not apply.
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(bp)

# In this order on the docs page: people, recognition, the face library, live video.
from . import people, person_data, recognize, library, live, cameras, webhooks, presence, audit, docs  # noqa: E402,F401,I001
