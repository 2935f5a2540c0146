"""Plain helpers for the tests (paths, apps on a temporary database, images made from the
sample photos), usable at import time; what a test receives as an argument is a fixture in
conftest.py."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "instance" / "models"
SAMPLES_DIR = ROOT / "instance" / "samples"
# Browser tests: Debian's Chromium, headless, as root, with the network it must not try.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LFW_CACHE = ROOT / "instance" / "cache" / "open_set_int8.npz"  # written by `make open-set`


def lfw_embeddings() -> tuple[np.ndarray, list[list[int]]]:
    """The LFW photos' embeddings cached by `make open-set` ((N, 128) float32) and, per
    person, the indices of their photos (sorted by file name, as open_set.py enrols)."""
    data = np.load(LFW_CACHE)
    people: dict[str, list[int]] = {}
    for i, p in enumerate(data["paths"]):
        people.setdefault(Path(str(p)).parent.name, []).append(i)
    return data["embeddings"].astype(np.float32), list(people.values())


def photos(split: str, person: str) -> list[Path]:
    """The sample photos of one person: split "train" or "val"."""
    return sorted((SAMPLES_DIR / split / person).glob("*.jpg"))


def make_app(db_path: Path, url: str | None = None, **overrides):
    """A migrated app on the SQLite file `db_path`, or on the database `url` when given;
    index snapshots go beside `db_path`; `overrides` are config values."""
    import flask_migrate

    from app import create_app
    from app.config import TestConfig

    cfg = type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{db_path}",
                                      "INDEX_DIR": str(db_path.parent / "index"), **overrides})
    app = create_app(cfg)
    with app.app_context():
        flask_migrate.upgrade()
    return app


def new_postgres_database(server) -> str:
    """A new empty database on `server` with pgvector; its SQLAlchemy URL (psycopg 3)."""
    import uuid

    import psycopg

    name = f"faces_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(server.get_uri(name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    return server.get_uri(name).replace("postgresql://", "postgresql+psycopg://", 1)


def database_url(request, engine: str) -> str | None:
    """None for SQLite (make_app puts the file beside it), else a new PostgreSQL database."""
    if engine == "sqlite":
        return None
    return new_postgres_database(request.getfixturevalue("postgres_server"))


def cli_api_key(app, name: str = "tests") -> str:
    """A new API key, made as an operator would (flask faces create-api-key)."""
    result = app.test_cli_runner().invoke(args=["faces", "create-api-key", name])
    assert result.exit_code == 0, result.output
    return re.search(r"fk_\S+", result.output).group(0)


def csrf_token(html: bytes | str) -> str:
    """The CSRF token of the first form of a page."""
    html = html.decode() if isinstance(html, bytes) else html
    return CSRF_RE.search(html).group(1)


def sign_in(client, username: str = "op", password: str = "correct horse") -> None:
    """Create the first operator through the setup form if needed, else sign in."""
    page = client.get("/setup", follow_redirects=True)
    if b"Create the first operator" in page.data:
        r = client.post("/setup", data={"username": username, "password": password,
                                        "confirm": password, "csrf_token": csrf_token(page.data)})
    else:
        page = client.get("/login")
        r = client.post("/login", data={"username": username, "password": password,
                                        "csrf_token": csrf_token(page.data)})
    assert r.status_code == 302, r.data[:500]


# --- Images made from the sample photos ----------------------------------------------------

GOOD = photos("train", "madonna")[0]  # one sharp 85-pixel face


def jpeg(rgb: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()


def load(path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def grey_copy(path=GOOD) -> bytes:
    """A photo as an IR camera would give it: its grey levels in all channels."""
    grey = cv2.cvtColor(load(path), cv2.COLOR_RGB2GRAY)
    return jpeg(np.repeat(grey[..., None], 3, axis=2))


def two_faces() -> bytes:
    a, b = load(photos("val", "madonna")[1]), load(photos("val", "ben_afflek")[1])
    b = cv2.resize(b, (round(b.shape[1] * a.shape[0] / b.shape[0]), a.shape[0]))
    return jpeg(np.hstack([a, b]))


def blurred() -> bytes:
    return jpeg(cv2.GaussianBlur(load(GOOD), (0, 0), 4))


def small_face(divisor: int = 3) -> bytes:
    """The good photo at 1/divisor of its size on a grey canvas: a ~28-pixel face (3), a
    14-pixel one (6)."""
    img = load(GOOD)
    small = cv2.resize(img, (img.shape[1] // divisor, img.shape[0] // divisor), interpolation=cv2.INTER_AREA)
    canvas = np.full((300, 300, 3), 128, np.uint8)
    canvas[100:100 + small.shape[0], 100:100 + small.shape[1]] = small
    return jpeg(canvas)


def huge_png() -> bytes:
    """A blank 7000 x 6000 PNG: small file, 42 million pixels (over the 40 M limit)."""
    return cv2.imencode(".png", np.zeros((6000, 7000), np.uint8))[1].tobytes()




def person_with_faces(app, faces: int) -> int:
    """Enrol "Many Faces" with `faces` faces: one from a sample photo, the others that crop
    with random unit embeddings (a bulk insert: thousands in a second). Returns their id."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.faces import NewFace, create_person
    from app.faces.photos import analyze, pick_face
    from app.models import Face

    with app.app_context():
        face = NewFace.of(pick_face(analyze(photos("train", "madonna")[0].read_bytes()), None))
        person, first = create_person("Many Faces", face, "0" * 64)
        db.session.commit()
        vectors = np.random.default_rng(0).normal(size=(faces - 1, 128)).astype("<f4")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        db.session.execute(insert(Face), [
            {"person_id": person.id, "embedding": v.tobytes(), "model": first.model, "crop_jpeg": first.crop_jpeg,
             "det_score": 0.99, "source_sha256": f"{i:064x}", "origin": "import"} for i, v in enumerate(vectors)])
        db.session.commit()
        return person.id


ZIP_PEOPLE = ("madonna", "ben_afflek", "jerry_seinfeld")


def people_zip(extra: dict[str, bytes] | None = None, top: str = "people/") -> bytes:
    """Three sample people, three train photos each, under one top folder (as a zipped
    folder is), plus `extra` members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for person in ZIP_PEOPLE:
            for path in photos("train", person)[:3]:
                z.writestr(f"{top}{person}/{path.name}", path.read_bytes())
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def mjpeg_parts(chunks):
    """The JPEG parts of a multipart/x-mixed-replace body given as an iterable of byte
    chunks, one at a time as they complete (each part's Content-Length header says its size)."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while b"\r\n\r\n" in buffer:
            head, rest = buffer.split(b"\r\n\r\n", 1)
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            if len(rest) < length:
                break
            buffer = rest[length + 2:]
            yield rest[:length]
