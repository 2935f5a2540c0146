"""The fields and the base schema with which the schemas dump the use-cases' results
themselves: numbers rounded to the answers' precision, UTC datetimes, and results that
hold a row."""
from __future__ import annotations

import json

from marshmallow import Schema, fields, missing


class Rounded(fields.Float):
    """A number rounded to `places` decimals (None stays None)."""

    def __init__(self, places: int = 4, **kw):
        super().__init__(**kw)
        self.places = places

    def _serialize(self, value, attr, obj, **kw):
        return None if value is None else round(float(value), self.places)


class Whole(fields.Integer):
    """A number rounded to the nearest whole one (fields.Integer would truncate it)."""

    def _serialize(self, value, attr, obj, **kw):
        return None if value is None else round(float(value))


class Utc(fields.String):
    """A UTC datetime as ISO 8601 with a Z (None stays None)."""

    def _serialize(self, value, attr, obj, **kw):
        return None if value is None else value.isoformat() + "Z"


class Json(fields.Dict):
    """A JSON object kept as text in its row."""

    def _serialize(self, value, attr, obj, **kw):
        return json.loads(value or "{}")


class Wrapping(Schema):
    """Dumps a row, or a use-case result (or a dict) that holds one in `wraps` (e.g.
    PersonRow.person), or holds such a result there: what the result lacks is read from
    what it holds."""

    wraps = ""

    def get_attribute(self, obj, attr, default):
        value = super().get_attribute(obj, attr, default)
        inner = obj.get(self.wraps) if isinstance(obj, dict) else getattr(obj, self.wraps, None)
        return self.get_attribute(inner, attr, default) if value is missing and inner is not None else value
