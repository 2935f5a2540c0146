"""API keys: `Authorization: Bearer <key>`, looked up by SHA-256."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from ..models import ApiKey
from ..problems import Problem


def require_key() -> None:
    """The request's API key (in g.api_key), or a 401 problem that says what is wrong."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or not auth[7:].strip():
        raise Problem("unauthorized", 401, "This needs an API key: send 'Authorization: Bearer "
                      "<key>'. An operator creates one with 'flask faces create-api-key NAME'.")
    key = ApiKey.find(auth[7:].strip())
    if key is None:
        raise Problem("unauthorized", 401, "The API key is not known. Check that it was copied "
                      "whole, or ask an operator for a new one.")
    if key.revoked_at is not None:
        raise Problem("unauthorized", 401, "The API key was revoked. Ask an operator for a new one.")
    g.api_key = key


def key_required(view):
    """Enrolment, deletion and changes always need a key."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        require_key()
        return view(*args, **kwargs)
    return wrapped


def key_for_recognition(view):
    """Identify and verify need a key unless API_OPEN_RECOGNITION is on."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_app.config["API_OPEN_RECOGNITION"]:
            require_key()
        return view(*args, **kwargs)
    return wrapped


def has_key() -> bool:
    """Whether the request carries a valid API key (for answers that say more to one)."""
    try:
        require_key()
    except Problem:
        return False
    return True
