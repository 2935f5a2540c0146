"""What the API takes, declared once as marshmallow schemas: they validate each request
(through `parser.parser`, which turns every refusal into an `invalid-input` problem that
names the field) and they are the parameters and bodies of /api/openapi.json."""
from __future__ import annotations

import re

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from ..events.rules import EVENT_TYPES
from ..faces.people import MAX_NAME
from ..http.uploads import FormText

DIGITS = re.compile(r"[+-]?[0-9]{1,18}")
# A camera source a viewer may ask for (what app/stream/sources.check_source accepts, minus
# the spaces it would strip): auto, demo, a webcam number, an rtsp(s):// or http(s):// URL
# whose host holds no [ ] \ (they break URL parsing), or a video file's name (no "..").
SOURCE_PATTERN = (r"^(auto|demo|[0-9]{1,2}|(rtsps?|https?)://[!\"$-.0->@-Z^-~]+([/?#][!-~]*)?"
                  r"|[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*)$")


class Whole(fields.Integer):
    """A whole number: a JSON integer (2.0 counts; 2.5, 1e400, true and "2" do not) or the
    digits of a form field or query parameter (FormText)."""

    def _validated(self, value):
        if isinstance(value, FormText):
            if not DIGITS.fullmatch(value):
                raise self.make_error("invalid")
            return int(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():  # also inf and nan
            raise self.make_error("invalid")
        return int(value)


def whole(low: int, high: int, default: int | None = None, description: str = "") -> Whole:
    msg = f"must be a whole number from {low} to {high}."
    default = {} if default is None else {"load_default": default}  # None: absent, not null
    return Whole(validate=validate.Range(low, high, error=msg), **default,
                 error_messages={"invalid": msg, "null": msg}, metadata={"description": description})


class Text(fields.String):
    """Text that can be stored and searched: lone surrogates (JSON "\\ud800") are refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("invalid") from None
        return value


def text(description: str, *, required: bool = False, max_length: int | None = None,
         validators: tuple = ()) -> Text:
    msg = "must be text" + ((f" of 1 to {max_length} characters." if required else
                             f" of at most {max_length} characters.") if max_length else ".")
    checks = [validate.Length(min=1 if required else None, max=max_length, error=msg)] if max_length else []
    return Text(required=required, validate=[*checks, *validators], metadata={"description": description},
                error_messages={"invalid": msg, "null": msg,
                                "required": "is missing; " + description[0].lower() + description[1:]})


# A person's name: 1 to MAX_NAME characters, not only spaces. "Space" as the service layer's
# str.split() means it, spelled out: \\s differs between Python and the ECMA regexes of JSON
# Schema (\\x1c-\\x1f, \\x85 are spaces only to Python; \\ufeff only to ECMA).
SPACES = "".join(f"\\u{c:04x}" for c in range(0x3001) if chr(c).isspace())
NOT_BLANK = f"[^{SPACES}]"  # somewhere in the name (a JSON Schema pattern matches anywhere)
NAME = f"Give the person's name (1 to {MAX_NAME} characters), e.g. \"Ada Lovelace\"."


def not_blank(value: str) -> bool:
    if not re.search(NOT_BLANK, value):
        raise ValidationError("must not be only spaces; give the person's name.")
    return True


def name_field(required: bool) -> Text:
    field = text(NAME, required=required, max_length=MAX_NAME, validators=(not_blank,))
    field.metadata["pattern"] = NOT_BLANK
    return field


class Args(Schema):
    class Meta:
        unknown = EXCLUDE  # parameters the API does not know are ignored, as before


class PeopleQuery(Args):
    page = whole(1, 10**6, 1, "Page number, from 1.")
    per_page = whole(1, 500, 50, "People per page.")
    q = text("Keep the people whose name contains this (case and spaces aside).")


class Confirm(fields.Boolean):
    """confirm: JSON true/false or 1/0; in a form or the query string 1/0/true/false."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, FormText):
            value = {"1": True, "true": True, "0": False, "false": False}.get(value.lower(), value)
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):  # JSON Schema: 1.0 is an integer
            return bool(value)
        raise self.make_error("invalid")


def confirm_field(description: str) -> Confirm:
    return Confirm(load_default=False, error_messages={"invalid": "must be 1 or 0 (true or false)."},
                   metadata={"description": description, "type": ["boolean", "integer"],
                             "minimum": 0, "maximum": 1})


MISMATCH = ("Add the face even when it is unlike the person's other photos (face-mismatch "
            "otherwise): 1 after checking that it is them.")


class IdentifyArgs(Args):
    k = whole(0, 20, 3, "How many nearest people (candidates) to list per face.")
    remember = confirm_field("1: keep the unknown faces as sightings, grouped for Who is this? "
                             "(GET /api/unknown); needs an API key.")


FACE = "Which face to enrol when the photo has several: 1 = the leftmost."


class EnrolArgs(Args):
    name = name_field(required=False)  # in the form, the JSON body or the query string
    face = whole(1, 100, None, FACE)


class AddFaceArgs(Args):
    face = whole(1, 100, None, FACE)
    confirm = confirm_field(MISMATCH)


class RenameArgs(Args):
    name = name_field(required=True)


class StatusQuery(Args):
    source = Text(validate=validate.Regexp(SOURCE_PATTERN, error=(
        "must be auto, demo, a webcam number, an rtsp:// or http(s):// URL, or the name of a "
        "video file in the videos folder.")), metadata={"description": (
            "The camera to report on (default: the live page's); same choices as the page.")})


class AuditQuery(Args):
    limit = whole(1, 500, 100, "How many entries, newest first.")
    before = whole(1, 10**18 - 1, None, "Only entries older than this id (to page back).")


# --- Cameras and webhooks: the bodies are checked again, field by field, by the service
# (app/stream/cameras.py, app/events/webhooks.py) with sentences that name the field.
SOURCE_TEXT = ("auto, demo, a webcam number, an rtsp:// or http(s):// URL, or the name of a "
               "video file in the videos folder.")


def camera_name(required: bool) -> Text:
    field = Text(required=required, validate=[validate.Length(1, 120), not_blank_text], metadata={
        "description": "The camera's name (1 to 120 characters), e.g. \"front door\".",
        "pattern": NOT_BLANK}, error_messages={"required": "is missing; name the camera."})
    return field


def camera_source(required: bool) -> Text:
    return Text(required=required, validate=validate.Regexp(SOURCE_PATTERN, error="must be " + SOURCE_TEXT),
                metadata={"description": "Where frames come from: " + SOURCE_TEXT},
                error_messages={"required": "is missing; give " + SOURCE_TEXT})


class Number(fields.Float):
    """A JSON number (not "1.5", not true): what the document says, nothing looser."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Flag(fields.Boolean):
    """true or false only (not 0, 1 or "yes", which Python would take for them)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def not_blank_text(value: str) -> bool:
    if not re.search(NOT_BLANK, value):
        raise ValidationError("must not be only spaces.")
    return True


class CameraFields(Args):
    class Meta:
        unknown = RAISE  # a misspelt field is refused, not ignored

    name = camera_name(required=False)
    source = camera_source(required=False)
    enabled = Flag(metadata={"description": "Whether it runs (default true)."})
    detect_side = whole(160, 1920, None, "Detection runs on a copy this many pixels wide.")
    min_face = whole(12, 400, None, "The smallest face looked for, in frame pixels.")
    ignore_region = fields.List(Whole(validate=validate.Range(0, 10000)), allow_none=True,
                                validate=validate.Length(equal=4), metadata={
                                    "description": "[x, y, width, height] of the frame in which faces "
                                                   "are ignored (a zero width or height: none), or null.",
                                    "minItems": 4, "maxItems": 4})
    recognition_fps = Number(validate=validate.Range(0.2, 30), allow_nan=False, metadata={
        "description": "Recognitions per second at most (shared fairly with the other cameras)."})
    learn_unknown = Flag(metadata={"description": "Keep the unknown faces it sees as sightings for "
                                                  "Who is this? (default: FACES_CAMERAS_LEARN_UNKNOWN, off)."})
    retain_sightings_days = Number(validate=validate.Range(0.01, 3650), allow_nan=False, allow_none=True, metadata={
        "description": "Days its unknown faces are kept (null: FACES_SIGHTINGS_MAX_AGE_DAYS)."})
    retain_arrivals_days = Number(validate=validate.Range(0.01, 3650), allow_nan=False, allow_none=True, metadata={
        "description": "Days its arrivals are kept (null: FACES_LIVE_EVENTS_MAX_AGE_DAYS)."})
    privacy = fields.String(validate=validate.OneOf(("off", "unknown", "all")), metadata={
        "description": "Whose faces its stream, snapshots and crops blur: off (default), unknown "
                       "(people not enrolled, and faces not named yet) or all."})


class NewCamera(CameraFields):
    name = camera_name(required=True)
    source = camera_source(required=True)


EVENTS = tuple(e for e in EVENT_TYPES if e != "test")  # a test event is sent, not subscribed to
# What app/events/webhooks.check_url accepts, spelt out in RFC 3986's characters so that
# the pattern and the document's "uri" format agree: an http(s) URL whose host is a name
# or an IPv4 address or an [IPv6] address (no user@), an optional port, a path, a query, a
# fragment; check_url then refuses what parses but may not be reached (loopback, link-local).
_PCHAR = r"([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
WEBHOOK_URL = (r"^[Hh][Tt][Tt][Pp][Ss]?://(([A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+|\[[0-9A-Fa-f:.]+\])"
               r"(:[0-9]{1,5})?"
               rf"(/{_PCHAR}*)*(\?({_PCHAR}|[/?])*)?(#({_PCHAR}|[/?])*)?$")


def _is_webhook_url(value: str) -> bool:
    if not re.fullmatch(WEBHOOK_URL, value):  # fullmatch: Python's $ also matches before a "\n"
        raise ValidationError("is not a valid URL: send an http:// or https:// URL (a host name, "
                              "an IPv4 address or an [IPv6] address, an optional port, a path).")
    return True


def webhook_url() -> Text:
    field = text("Where events are POSTed: an http:// or https:// URL, e.g. "
                 "http://homeassistant.local:8123/api/webhook/faces.", required=True, max_length=2000,
                 validators=(_is_webhook_url,))
    field.metadata.update(pattern=WEBHOOK_URL, format="uri")
    return field


class WebhookRules(Args):
    class Meta:
        unknown = RAISE

    events = fields.List(Text(validate=validate.OneOf(EVENTS, error=(
        "has an event type other than arrival, departure or unknown in events."))),
                         metadata={"description": "Event types (arrival, departure, unknown); empty: all. "
                                                  "A test event (POST /api/webhooks/{id}/test) always goes out."})
    people = fields.List(Whole(), metadata={"description": "Person ids; empty: everyone."})
    cameras = fields.List(Whole(), metadata={"description": "Camera ids; empty: every camera."})


class NewWebhook(Args):
    class Meta:
        unknown = RAISE

    url = webhook_url()
    rules = fields.Nested(WebhookRules, allow_none=True, metadata={"description": "Which events go there."})
    secret = text("The HMAC-SHA256 key (default: a random one, returned once).", max_length=128)


class DeliveriesQuery(Args):
    limit = whole(1, 500, 100, "How many deliveries, newest first.")
