"""What the webhook routes answer (args.py holds what they take)."""
from __future__ import annotations

from marshmallow import Schema, fields

from .dumping import Json, Utc, Wrapping
from .schemas import DATE, _d, nullable


class Webhook(Wrapping):
    """A webhook row, or {"hook": its row, "secret": ...} (NewWebhookOut)."""

    wraps = "hook"
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    rules = Json(required=True, **_d('{"events": [...], "people": [ids], "cameras": [ids]}; empty lists: all.'))
    created_at = Utc(required=True, metadata={**DATE, "description": "UTC."})


class NewWebhookOut(Webhook):
    secret = fields.String(required=True, **_d("The HMAC-SHA256 key: shown only this once."))


class Webhooks(Schema):
    items = fields.List(fields.Nested(Webhook), required=True)


class Delivery(Schema):
    id = fields.Integer(required=True)
    webhook_id = fields.Integer(required=True)
    status = fields.String(required=True, **_d("pending, delivered or failed."))
    attempts = fields.Integer(required=True)
    event = fields.Dict(required=True, **_d("The JSON body sent."))
    last_error = nullable(fields.String, "Why the last attempt failed.", required=True)
    response_status = nullable(fields.Integer, "The receiver's HTTP status.", required=True)
    created_at = nullable(Utc, "UTC.", required=True)
    delivered_at = nullable(Utc, "UTC.", required=True)
    next_attempt_at = nullable(Utc, "UTC, while pending.", required=True, attribute="retry_at")


class Deliveries(Schema):
    items = fields.List(fields.Nested(Delivery), required=True)
