"""webargs' parser for the API's schemas (app/api/args.py): where each location's fields come
from, and every refusal as an `invalid-input` problem whose detail names the field and says
what to send."""
from __future__ import annotations

from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict

from ..errors import Problem
from ..http.uploads import FormText, request_values


def explain(messages, schema=None) -> str:
    """webargs' {location: {field: [message]}} as sentences that name each field; an unknown
    field is told with the fields `schema` (the request's marshmallow schema) does take."""
    parts = []
    for errors in messages.values():
        for field, problem in (errors.items() if isinstance(errors, dict) else [("_schema", errors)]):
            while isinstance(problem, (list, dict)) and problem:
                problem = problem[0] if isinstance(problem, list) else next(iter(problem.values()))
            if field == "_schema":
                parts.append("The body is not a JSON object; send e.g. {\"image\": \"<base64>\"}.")
            elif problem == "Unknown field.":
                parts.append(f"'{field}' is not a field of this request; {takes(schema)}")
            else:
                parts.append(f"'{field}' {problem}")
    return " ".join(parts) or "The request is malformed; check it against /api/openapi.json."


def takes(schema) -> str:
    """What a request schema takes, as the end of a sentence."""
    names = sorted(f.data_key or name for name, f in getattr(schema, "fields", {}).items()
                   if not f.dump_only)
    if not names:
        return "it takes none (see /api/openapi.json)."
    return f"it takes {', '.join(repr(n) for n in names)} (see /api/openapi.json)."


class ProblemParser(FlaskParser):
    """webargs' Flask parser whose refusals are `invalid-input` problems (400)."""

    DEFAULT_VALIDATION_STATUS = 400

    def handle_error(self, error: ValidationError, req, schema, *, error_status_code, error_headers):
        raise Problem("invalid-input", explain(error.messages, schema))

    def load_querystring(self, req, schema):
        """Query parameters as FormText (text that may stand for a number)."""
        return MultiDictProxy(MultiDict([(k, FormText(v)) for k, v in req.args.items(multi=True)]), schema)


parser = ProblemParser()


@parser.location_loader("params")
def _params(req, schema):
    """Fields of the form or the JSON body, else of the query string (photo routes)."""
    return MultiDictProxy(request_values(query=True), schema)


@parser.location_loader("body")
def _body(req, schema):
    """Fields of the form or the JSON body."""
    return MultiDictProxy(request_values(query=False), schema)
