"""The OpenAPI document made from the routes' schemas (spec.py), and a page made from it."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from . import bp
from .spec import document

METHODS = ("get", "post", "put", "patch", "delete")
SECURITY = {"apiKey": "an API key", "operator": "a signed-in operator"}


def _outside_document(rule: str):
    """A GET route that is not itself part of the document (flask's add_url_rule, not smorest's)."""
    def decorator(view):
        Blueprint.add_url_rule(bp, rule, view.__name__, view, methods=["GET"])
        return view
    return decorator


def resolve(spec: dict, node):
    """`node` with a top-level $ref followed (#/components/...)."""
    while isinstance(node, dict) and "$ref" in node:
        section, _, name = node["$ref"].removeprefix("#/components/").partition("/")
        node = spec["components"][section][name]
    return node


def _range(schema: dict) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    kind = schema.get("type", "")
    kind = " or ".join(kind) if isinstance(kind, list) else kind  # a new string: never the spec's own
    kind = "whole number" if kind == "integer" else kind
    if schema.get("maxLength"):
        kind += f", at most {schema['maxLength']} characters"
    if low is not None and high is not None:
        kind += f" from {low} to {high}"
    if "default" in schema:
        kind += f"; default {schema['default']}"
    return kind


def _who(security: list | None) -> str:
    if not security:
        return "open to anyone"
    names = [" and ".join(SECURITY[n] for n in req) for req in security if req]
    who = " or ".join(names)
    return f"open, or {who} if so configured" if {} in security else f"needs {who}"


def _body(spec: dict, body: dict | None) -> list[dict]:
    """Each content type of a request body with the fields it carries."""
    out = []
    for mime, content in (body or {}).get("content", {}).items():
        schema = resolve(spec, content.get("schema", {}))
        props = dict(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            props.update(resolve(spec, part).get("properties", {}))
        out.append({"mime": mime, "fields": ", ".join(props) if props else "the image's bytes"})
    return out


def _responses(spec: dict, responses: dict) -> list[dict]:
    out = []
    for code, response in sorted(responses.items()):
        response = resolve(spec, response)
        content = response.get("content", {})
        mime = next(iter(content), "")
        schema = content.get(mime, {}).get("schema", {})
        name = schema.get("$ref", "").rpartition("/")[2]
        out.append({"code": code, "text": response.get("description", ""), "mime": mime, "schema": name})
    return out


def operations(spec: dict) -> list[dict]:
    """The document as the page shows it: one entry per path and method."""
    ops = []
    for path, item in spec["paths"].items():
        for method in (m for m in METHODS if m in item):
            op = item[method]
            params = [resolve(spec, p) for p in item.get("parameters", []) + op.get("parameters", [])]
            ops.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                        "description": op.get("description", ""), "who": _who(op.get("security")),
                        "params": [{"name": p["name"], "in": p["in"], "kind": _range(p.get("schema", {})),
                                    "text": p.get("description", "")} for p in params],
                        "body": _body(spec, op.get("requestBody")),
                        "responses": _responses(spec, op.get("responses", {}))})
    return ops


@_outside_document("/openapi.json")
def openapi_json():
    """The OpenAPI document."""
    return jsonify(document(current_app))


@_outside_document("/docs")
def docs_page():
    """A readable page made from the OpenAPI document (no external assets)."""
    spec = document(current_app)
    return render_template("api_docs.html", spec=spec, operations=operations(spec))
