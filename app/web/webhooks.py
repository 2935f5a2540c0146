"""The Webhooks page: add one (events ticked, optionally one person and some cameras), send
a test event, see its deliveries (local time), remove it."""
from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for

from ..auth import admin_required
from ..events.rules import Rules
from ..events.webhooks import (create_webhook, delete_webhook, deliveries, get_webhook,
                               list_webhooks, send_test_event)
from ..extensions import db
from ..faces.people import find_person
from ..errors import Problem
from ..models import Person
from ..stream.cameras import list_cameras
from . import bp
from .forms import ActionForm, WebhookForm

EVENT_WORDS = {"arrival": "arrivals", "departure": "departures", "unknown": "unknown faces"}


def _form() -> WebhookForm:
    """The "add a webhook" form (the request's data when posted), the cameras to tick."""
    form = WebhookForm()
    form.cameras.choices = [(c.id, c.name) for c in list_cameras()]
    return form


def rules_in_words(rules: Rules) -> str:
    """What a webhook is sent: "arrivals, departures · only Ada Lovelace · only from Garden"."""
    cameras = {c.id: c.name for c in list_cameras()}
    words = [", ".join(EVENT_WORDS[e] for e in rules.events) or "every event"]
    if rules.people:
        names = [p.name if (p := db.session.get(Person, i)) else f"person {i} (deleted)" for i in rules.people]
        words.append("only " + ", ".join(names))
    if rules.cameras:
        words.append("only from " + ", ".join(cameras.get(i, f"camera {i} (removed)") for i in rules.cameras))
    return " · ".join(words)


def _webhooks_page(form: WebhookForm | None = None):
    """The webhooks with their rules in words and recent deliveries; `form` a refused "add"
    shown with its input and the sentence under the field (400)."""
    hooks = [(h, rules_in_words(Rules.parse(h.rules)), deliveries(h, 10)) for h in list_webhooks()]
    page = render_template("webhooks.html", hooks=hooks, secret=session.pop("new_webhook_secret", None),
                           webhook_form=form or _form(), action=ActionForm())
    return (page, 400) if form is not None else page


@bp.get("/webhooks")
@admin_required
def webhooks_page():
    """Webhooks, their rules and deliveries."""
    return _webhooks_page()


def _rules(form: WebhookForm) -> dict:
    """The form's rules as the API takes them; a person not enrolled is a Problem."""
    people = []
    if (form.person.data or "").strip():
        person = find_person(form.person.data)
        if person is None:
            raise Problem("invalid-input", f"Nobody called “{form.person.data.strip()}” is enrolled; "
                          "choose a name from the list, or leave it empty for everyone.")
        people = [person.id]
    return {"events": form.events.data or [], "people": people, "cameras": form.cameras.data or []}


@bp.post("/webhooks")
@admin_required
def add_webhook_page():
    """Add a webhook; its secret is shown once, on the next page."""
    form = _form()
    if not form.validate_on_submit():
        return _webhooks_page(form)
    try:
        hook, secret = create_webhook(form.url.data, _rules(form))
    except Problem as p:
        db.session.rollback()
        field = form.person if "enrolled" in p.detail else form.url
        field.errors = [*field.errors, p.detail[:1].upper() + p.detail[1:]]
        return _webhooks_page(form)
    db.session.commit()
    session["new_webhook_secret"] = (hook.id, secret)
    return redirect(url_for("web.webhooks_page"))


@bp.post("/webhooks/<int:webhook_id>/<any(test):action>")
@admin_required
def webhook_action(webhook_id: int, action: str):
    """Send a test event to a webhook."""
    if not ActionForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("web.webhooks_page"))
    hook = get_webhook(webhook_id)
    send_test_event(hook)
    flash(f"A test event is on its way to {hook.url}; its delivery appears below.")
    db.session.commit()
    return redirect(url_for("web.webhooks_page"))


@bp.route("/webhooks/<int:webhook_id>/remove", methods=["GET", "POST"])
@admin_required
def remove_webhook_page(webhook_id: int):
    """Ask, then remove a webhook and its delivery log."""
    hook, form = get_webhook(webhook_id), ActionForm()
    if form.validate_on_submit():
        delete_webhook(hook)
        db.session.commit()
        flash(f"Webhook {hook.url} removed.")
        return redirect(url_for("web.webhooks_page"))
    return render_template("confirm.html", title="Remove this webhook?", form=form,
                           text=f"{hook.url} will get no more events, and its delivery log is "
                                "deleted. This cannot be undone.",
                           yes="Yes, remove it", back=url_for("web.webhooks_page"))
