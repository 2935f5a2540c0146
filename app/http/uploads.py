"""Read an image from a request (multipart field, raw image body or JSON base64) and the\nfields beside it (form, JSON body, query string)."""
from __future__ import annotations

import base64
import binascii

from flask import request
from werkzeug.datastructures import MultiDict

from ..errors import Problem

RAW_TYPES = ("image/jpeg", "image/png", "image/webp", "image/bmp")


def json_body() -> dict:
    """The JSON object of the request ({} when the body is not JSON)."""
    if not request.is_json:
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Problem("invalid-input", "The body is not a JSON object; send e.g. "
                      '{"image": "<base64>"}.')
    return data


def _b64(value, field: str) -> bytes:
    if not isinstance(value, str):
        raise Problem("bad-image", f"'{field}' must be a base64 string.")
    if value.startswith("data:") and "," in value:  # a data: URL from a browser
        value = value.split(",", 1)[1]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Problem("bad-image", f"'{field}' is not valid base64; encode the file's bytes "
                      "with standard base64.") from None


def read_image(field: str = "file", json_field: str = "image", required: bool = True) -> bytes | None:
    """The image bytes sent as multipart `field`, as the raw body, or as JSON `json_field`."""
    if field in request.files:
        return request.files[field].read()
    if request.mimetype in RAW_TYPES:
        return request.get_data()
    data = json_body()
    if json_field in data:
        return _b64(data[json_field], json_field)
    if not required:
        return None
    raise Problem("missing-image", f"Send the photo as a multipart field '{field}', as a raw "
                  f"image/jpeg or image/png body, or as JSON {{\"{json_field}\": \"<base64>\"}}.")


class FormText(str):
    """A value from a form field or the query string: text that may stand for a number
    ("3"), unlike a string in a JSON body, which is text only."""


def request_values(query: bool = True) -> MultiDict:
    """The request's fields, as form_value read them before: the form's, else the JSON
    body's, else (with `query`) the query string's. Form and query values are FormText."""
    values = MultiDict()
    if query:
        values.update(MultiDict([(k, FormText(v)) for k, v in request.args.items(multi=True)]))
    for key, value in json_body().items():
        values.setlist(key, [value])
    for key in request.form:
        values.setlist(key, [FormText(v) for v in request.form.getlist(key)])
    return values
