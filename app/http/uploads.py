"""Read an image from a request: multipart field, raw image body or JSON base64."""
from __future__ import annotations

import base64
import binascii

from flask import request

from .problems import Problem

RAW_TYPES = ("image/jpeg", "image/png", "image/webp", "image/bmp")


def json_body() -> dict:
    """The JSON object of the request ({} when the body is not JSON)."""
    if not request.is_json:
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Problem("invalid-input", 400, "The body is not a JSON object; send e.g. "
                      '{"image": "<base64>"}.')
    return data


def _b64(value, field: str) -> bytes:
    if not isinstance(value, str):
        raise Problem("bad-image", 400, f"'{field}' must be a base64 string.")
    if value.startswith("data:") and "," in value:  # a data: URL from a browser
        value = value.split(",", 1)[1]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Problem("bad-image", 400, f"'{field}' is not valid base64; encode the file's bytes "
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
    raise Problem("missing-image", 400, f"Send the photo as a multipart field '{field}', as a raw "
                  f"image/jpeg or image/png body, or as JSON {{\"{json_field}\": \"<base64>\"}}.")


def form_value(name: str):
    """A parameter from the form, the JSON body or the query string."""
    if name in request.form:
        return request.form[name]
    data = json_body()
    if name in data:
        return data[name]
    return request.args.get(name)


def _whole_number(value) -> int | None:
    """A JSON number or a form string as an int; None for anything else (text, 2.5, 1e400,
    true, lists)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None  # inf and nan are not integers
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value) < 20:
        return int(value)
    return None


def int_param(name: str, default: int | None, low: int, high: int) -> int | None:
    """A whole-number parameter within low..high; a 400 problem that says so otherwise."""
    value = form_value(name)
    if value is None or value == "":
        return default
    n = _whole_number(value)
    if n is None or not low <= n <= high:
        raise Problem("invalid-input", 400, f"'{name}' must be a whole number from {low} to {high}.")
    return n
