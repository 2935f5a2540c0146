"""Who is asking: web operators (a session cookie, Flask-Login) and programs (an API key,
`Authorization: Bearer <key>`, looked up by SHA-256). The decorators here guard the REST
API and the live stream alike."""
from __future__ import annotations

import secrets
from functools import wraps

from flask import current_app, g
from flask_login import current_user, login_required

from ..errors import Problem, admin_only
from ..extensions import bearer_token, db, login_manager
from ..models import ApiKey, Operator

login_manager.login_view = "web.login"
login_manager.login_message = "Sign in to use this page."


@login_manager.user_loader
def _load_operator(session_id: str) -> Operator | None:
    """The operator of a session cookie ("<id>:<token>", Operator.get_id), or None (signed
    out) when the token is not the operator's current one: a cookie copied before a
    sign-out or a password change, or one written before tokens existed."""
    operator_id, _, token = session_id.partition(":")
    op = db.session.get(Operator, int(operator_id)) if operator_id.isdigit() else None
    current = op.session_token if op is not None else None
    return op if current and secrets.compare_digest(token, current) else None


def require_key() -> ApiKey:
    """The request's API key (also in g.api_key), or an unauthorized Problem that says what is wrong."""
    token = bearer_token()
    if token is None:
        raise Problem("unauthorized", "This needs an API key: send 'Authorization: Bearer "
                      "<key>'. An operator creates one with 'flask faces create-api-key NAME'.")
    key = ApiKey.find(token)
    if key is None:
        raise Problem("unauthorized", "The API key is not known. Check that it was copied "
                      "whole, or ask an operator for a new one.")
    if key.revoked_at is not None:
        raise Problem("unauthorized", "The API key was revoked. Ask an operator for a new one.")
    g.api_key = key
    return key


def has_key() -> bool:
    """Whether the request carries a valid API key (for answers that say more to one)."""
    try:
        require_key()
    except Problem:
        return False
    return True


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


def viewer_required(view):
    """The live stream, its status and arrivals: a signed-in operator, an API key, or
    anyone when LIVE_OPEN is on (a wall display on a private network)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not (current_app.config["LIVE_OPEN"] or current_user.is_authenticated):
            require_key()
        return view(*args, **kwargs)
    return wrapped


def admin_required(view):
    """Pages that change people, settings, keys or operators: a signed-in admin (a viewer
    gets a 403 page that says so)."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            raise admin_only()
        return view(*args, **kwargs)
    return wrapped


from . import audit  # noqa: E402,F401  (registers the session event that writes the log)
