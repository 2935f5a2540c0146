"""The web pages. Every page needs a signed-in operator; with no operator yet, the first
visit asks to create one."""
from flask import Blueprint, redirect, request, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Operator

bp = Blueprint("web", __name__)
OPEN_ENDPOINTS = {"web.login", "web.setup", "static"}


@bp.app_template_filter("alike")
def alike(distance: float | None) -> str:
    """A distance between unit embeddings as a likeness a person reads: "81 % alike"
    (cosine similarity, 1 - d^2/2, as the API's `similarity`)."""
    if distance is None:
        return "—"
    return f"{max(0.0, 1 - distance * distance / 2):.0%} alike"


@bp.before_app_request
def _first_operator():
    """With no operator yet, every page leads to the form that creates the first one."""
    if request.blueprint == "web" and request.endpoint not in OPEN_ENDPOINTS:
        if db.session.scalar(select(Operator.id).limit(1)) is None:
            return redirect(url_for("web.setup"))
    return None


from . import access, arrivals, cameras, fixes, library, pages, signin  # noqa: E402,F401
