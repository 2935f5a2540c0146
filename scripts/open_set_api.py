"""The open-set measurement of scripts/open_set.py, done through the REST API: every person
with >= 2 photos is enrolled with POST /api/people from their first photo, their other
photos and the one-photo people (strangers) go through POST /api/identify, and the answer
for the face nearest the photo's centre (LFW photos are centred on their subject) counts.

By default the app runs in this process (Flask test client, temporary SQLite database,
default settings); --url and --key measure a running server instead (its database must be
empty of these people).

Usage: python scripts/open_set_api.py [--images DIR] [--url http://127.0.0.1:5000 --key KEY]
Prints one JSON object: people enrolled and refused (by problem type), named right,
named wrong, strangers accepted, at the app's threshold.
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import json
import logging
import sys
import tempfile
from collections import Counter
from pathlib import Path


log = logging.getLogger("open_set_api")


class InProcess:
    """The app on a temporary database, called through the Flask test client."""

    def __init__(self, tmp: Path):
        import flask_migrate

        from app import create_app
        from app.config import Config
        from app.extensions import db
        from app.models import ApiKey

        cfg = type("OpenSetConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'faces.db'}",
                                                "RATELIMIT_ENABLED": False})
        self.app = create_app(cfg)
        with self.app.app_context():
            flask_migrate.upgrade()
            _, self.key = ApiKey.create("open-set")
            db.session.commit()
        self.client = self.app.test_client()

    def post(self, path: str, body: bytes, params: dict | None = None) -> tuple[int, dict]:
        r = self.client.post(path, data=body, query_string=params or {}, content_type="image/jpeg",
                             headers={"Authorization": f"Bearer {self.key}"})
        return r.status_code, r.get_json()


class Remote:
    """A running server."""

    def __init__(self, url: str, key: str):
        import requests

        self.session, self.url, self.key = requests.Session(), url.rstrip("/"), key

    def post(self, path: str, body: bytes, params: dict | None = None) -> tuple[int, dict]:
        r = self.session.post(self.url + path, data=body, params=params, timeout=120,
                              headers={"Authorization": f"Bearer {self.key}", "Content-Type": "image/jpeg"})
        return r.status_code, r.json()


def central_face(faces: list[dict], size: int = 250) -> dict:
    """The face whose box centre is nearest the centre of an LFW photo (250 x 250)."""
    def off(f):
        x, y, w, h = f["box"]
        return (x + w / 2 - size / 2) ** 2 + (y + h / 2 - size / 2) ** 2
    return min(faces, key=off)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=Path, default=ROOT.parent / "shared/datasets/lfw-devtrain/images")
    ap.add_argument("--url")
    ap.add_argument("--key")
    ap.add_argument("--folders", type=int, default=None, help="only the first N folders (a quick run)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    folders = sorted(d for d in args.images.iterdir() if d.is_dir())[:args.folders]
    people = {d.name: sorted(d.glob("*.jpg")) for d in folders}
    with tempfile.TemporaryDirectory() as tmp:
        api = Remote(args.url, args.key) if args.url else InProcess(Path(tmp))
        ids, refused = {}, Counter()
        for name, photos in people.items():
            if len(photos) < 2:
                continue
            status, body = api.post("/api/people", photos[0].read_bytes(), {"name": name})
            if status == 201:
                ids[body["id"]] = name
            else:
                refused[body["type"]] += 1
        log.info("enrolled %d people (refused: %s)", len(ids), dict(refused))

        outcome, threshold = Counter(), None
        for n, (name, photos) in enumerate(people.items()):
            if n % 500 == 0:
                log.info("identifying: %d of %d folders", n, len(people))
            stranger = len(photos) == 1
            if not stranger and name not in ids.values():
                continue  # not enrolled: neither probe nor stranger
            for path in photos if stranger else photos[1:]:
                status, body = api.post("/api/identify", path.read_bytes(), {"k": 1})
                if status != 200:
                    outcome["stranger_" + body["type"] if stranger else "probe_" + body["type"]] += 1
                    continue
                threshold = body["threshold"]
                got = ids.get(central_face(body["faces"])["person_id"])
                if stranger:
                    outcome["stranger_accepted" if got else "stranger_unknown"] += 1
                else:
                    outcome["right" if got == name else "unknown" if got is None else "wrong"] += 1
    probes = sum(v for k, v in outcome.items() if not k.startswith("stranger"))
    strangers = sum(v for k, v in outcome.items() if k.startswith("stranger"))
    print(json.dumps({
        "threshold": threshold, "enrolled_people": len(ids), "refused_people": dict(refused),
        "probe_photos": probes, "strangers": strangers,
        "named_right": round(outcome["right"] / probes, 4),
        "named_wrong": round(outcome["wrong"] / probes, 4),
        "strangers_accepted": round(outcome["stranger_accepted"] / strangers, 4),
        "counts": dict(outcome),
    }, indent=2))


if __name__ == "__main__":
    main()
