"""The web pages. Every page needs a signed-in operator; with no operator yet, the first
visit asks to create one."""
import re

from flask import Blueprint, redirect, request, url_for
from markupsafe import Markup, escape
from sqlalchemy import select

from ..extensions import db
from ..models import Operator, Person

bp = Blueprint("web", __name__)
OPEN_ENDPOINTS = {"web.login", "web.setup", "static"}


@bp.app_template_filter("alike")
def alike(distance: float | None) -> str:
    """A distance between unit embeddings as a likeness a person reads: "81 % alike"
    (cosine similarity, 1 - d^2/2, as the API's `similarity`)."""
    if distance is None:
        return "—"
    return f"{max(0.0, 1 - distance * distance / 2):.0%} alike"


@bp.app_template_filter("code")
def code(text: str | None) -> Markup:
    """Markdown's inline code as HTML: `x` becomes <code>x</code>, the rest escaped (the
    OpenAPI descriptions are written for both the JSON document and the API page)."""
    parts = re.split(r"`([^`]*)`", str(text or ""))
    return Markup("").join(Markup("<code>%s</code>") % p if i % 2 else escape(p)
                           for i, p in enumerate(parts))


PICKER_NAMES = 2000  # names a picker lists; with more people it suggests, but checks nothing


@bp.app_template_global()
def enrolled_names() -> tuple[list[str], bool]:
    """The names a "which person?" field offers (sorted), and whether that is everyone: the
    field then refuses a name not on the list before the form is sent (static/picker.js)."""
    names = db.session.scalars(select(Person.name).order_by(Person.name_key).limit(PICKER_NAMES + 1)).all()
    return names[:PICKER_NAMES], len(names) <= PICKER_NAMES


@bp.before_app_request
def _first_operator():
    """With no operator yet, every page leads to the form that creates the first one."""
    if request.blueprint == "web" and request.endpoint not in OPEN_ENDPOINTS:
        if db.session.scalar(select(Operator.id).limit(1)) is None:
            return redirect(url_for("web.setup"))
    return None


from . import (access, arrivals, attendance, bulk, cameras, enrol, fixes, library, operators, pages,  # noqa: E402,F401
               person_data, signin, webhooks)
