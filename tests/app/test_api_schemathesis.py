"""Schemathesis against the generated /api/openapi.json, in-process (the Flask app through
its WSGI interface), with an API key so keyed routes are exercised: every phase (examples,
coverage, fuzzing, stateful) at 50 examples per operation, seeded and derandomized so that
a run finds what the last one found. Checks: no 5xx, every status documented, the response
content type and schema as documented, schema-invalid requests refused, schema-valid ones
accepted (photo routes: see `refused_only_for_the_photo`), a problem document on every 4xx.

Bodies are mostly junk (a real photo costs a face detection); a junk photo is a 400
bad-image, which is the right answer to a request that a schema cannot tell from a photo."""
from __future__ import annotations

import json
import time

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.transport.wsgi import WSGI_TRANSPORT

from support import cli_api_key, make_app

pytestmark = pytest.mark.slow

# A schema says "bytes", not "a photo with one sharp face": these routes may refuse a
# schema-valid request for what its photo holds (see refused_only_for_the_photo).
PHOTO_ROUTES = ("POST /api/identify", "POST /api/verify", "POST /api/people",
                "POST /api/people/{person_id}/faces")
PHOTO_PROBLEMS = {"bad-image", "too-large", "no-face", "multiple-faces", "face-too-small", "face-blurred"}


@schemathesis.check
def problem_json_on_4xx(ctx, response, case):
    """Every 4xx under /api is an application/problem+json document with its type."""
    if 400 <= response.status_code < 500:
        assert response.headers.get("content-type", [""])[0].startswith("application/problem+json"), \
            f"{response.status_code} without application/problem+json"
        body = json.loads(response.content)
        assert body["status"] == response.status_code and body["type"] and len(body["detail"]) > 20, body


def _sends_a_name(case) -> bool:
    body = case.body if isinstance(case.body, dict) else {}
    return "name" in (case.query or {}) or "name" in body


@schemathesis.check
def refused_only_for_the_photo(ctx, response, case):
    """positive_data_acceptance for the photo routes: a schema-valid request may be refused
    for its photo (400 bad-image, 413, 422), never as invalid-input or missing-image; except
    an enrolment with no name at all (it may come in the body or the query, and OpenAPI
    cannot require "one of these two places")."""
    if case.operation.label not in PHOTO_ROUTES or case.meta is None or case.meta.generation.mode.is_negative:
        return None
    if response.status_code not in (400, 422):
        return None
    kind = json.loads(response.content)["type"]
    no_name = case.operation.label == "POST /api/people" and not _sends_a_name(case)
    assert kind in PHOTO_PROBLEMS or (no_name and kind == "invalid-input"), \
        f"schema-valid request refused: {kind}"


def _in_process_send(send):
    """Schemathesis 4.32's ignored_auth check sends socket options (max_redirects, verify,
    ...) that werkzeug's test client does not take; in-process they mean nothing."""
    def wrapper(case, **kwargs):
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return send(case, **kwargs)
    return wrapper


@pytest.fixture(scope="module")
def fuzz_app(model_dir, tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("fuzz") / "faces.db", API_RATE_LIMIT="100000 per minute",
                   CAMERA_SOURCE="demo", LIVE_IDLE_SECONDS=1.0)
    yield app
    app.extensions["faces"].close()


def run_schemathesis(app, key: str) -> tuple[dict, dict]:
    """Every phase against the app; (distinct failures by operation/check/title, cases by operation)."""
    config = SchemathesisConfig.from_dict({
        "seed": 20260101, "continue-on-failure": True,
        "generation": {"max-examples": 50, "deterministic": True, "database": "none"},
        "headers": {"Authorization": f"Bearer {key}"},
        "operations": [{"include-path": path, "include-method": method,
                        "checks": {"positive_data_acceptance": {"enabled": False}}}
                       for method, path in (label.split() for label in PHOTO_ROUTES)],
    })
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)
    failures, cases = {}, {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases[event.recorder.label] = cases.get(event.recorder.label, 0) + len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        f = check.failure_info.failure
                        first = f.message.splitlines()[0] if f.message else ""
                        failures.setdefault(f"{f.operation} [{check.name}] {f.title}: {first}",
                                            f"{f.message}\n{check.failure_info.code_sample}")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            failures[f"error: {getattr(event, 'label', '')}"] = repr(getattr(event, "value", event))
    return failures, cases


def test_the_api_keeps_its_document(fuzz_app, monkeypatch):
    monkeypatch.setattr(WSGI_TRANSPORT, "send", _in_process_send(WSGI_TRANSPORT.send))
    started = time.monotonic()
    failures, cases = run_schemathesis(fuzz_app, cli_api_key(fuzz_app, "schemathesis"))
    print(f"schemathesis: {sum(cases.values())} requests in {time.monotonic() - started:.0f} s", cases)
    print(f"{len(failures)} distinct failures:", *failures, sep="\n  ")
    assert not failures, "\n\n".join(f"{name}\n{text}" for name, text in failures.items())
    spec = fuzz_app.test_client().get("/api/openapi.json").get_json()
    tested = {label for label in cases if label != "Stateful tests"}
    assert tested == {f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops if m != "parameters"}
