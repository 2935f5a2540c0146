"""Webhooks: list, add (the secret is shown once), remove, deliveries, a test event."""
from __future__ import annotations

from flask import jsonify, url_for

from ..auth import key_required
from ..events.webhooks import (create_webhook, delete_webhook, deliveries, get_webhook,
                               list_webhooks, send_test_event)
from ..extensions import db
from ..http.uploads import int_param, json_body
from ..stream import hub
from . import bp


@bp.get("/webhooks")
@key_required
def list_webhooks_view():
    """Every webhook with its rules (not its secret)."""
    return jsonify(items=[h.to_dict() for h in list_webhooks()])


@bp.post("/webhooks")
@key_required
def create_webhook_view():
    """Add a webhook: JSON {"url", optional "rules": {"events", "people", "cameras"},
    optional "secret"}; the answer holds the secret, shown only this once."""
    body = json_body()
    hook, secret = create_webhook(body.get("url"), body.get("rules"), body.get("secret"))
    db.session.commit()
    hub.camera_runner()  # the process that runs the cameras sends the deliveries
    return (jsonify({**hook.to_dict(), "secret": secret}), 201,
            {"Location": url_for("api.webhook_deliveries_view", webhook_id=hook.id)})


@bp.delete("/webhooks/<int:webhook_id>")
@key_required
def delete_webhook_view(webhook_id: int):
    """Remove a webhook and its delivery log."""
    delete_webhook(get_webhook(webhook_id))
    db.session.commit()
    return "", 204


@bp.get("/webhooks/<int:webhook_id>/deliveries")
@key_required
def webhook_deliveries_view(webhook_id: int):
    """The delivery log, newest first (?limit=, at most 500): status, attempts, last error."""
    rows = deliveries(get_webhook(webhook_id), int_param("limit", 100, 1, 500))
    return jsonify(items=[d.to_dict() for d in rows])


@bp.post("/webhooks/<int:webhook_id>/test")
@key_required
def test_webhook_view(webhook_id: int):
    """Queue a test event for this webhook; see its delivery in the log within a second."""
    delivery = send_test_event(get_webhook(webhook_id))
    db.session.commit()
    hub.camera_runner()
    return jsonify(delivery.to_dict()), 202
