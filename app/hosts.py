"""Which host this app is when several hosts share one PostgreSQL database (docs/CLUSTER.md):
the camera leases (app/stream/leases.py) and what each host tells others (MQTT) use it."""
from __future__ import annotations

import hashlib
import socket


def host_id(app) -> str:
    """HOST_ID, else this machine's name and a hash of the instance folder (two servers on
    one machine with two instance folders are two hosts)."""
    if app.config.get("HOST_ID"):
        return app.config["HOST_ID"]
    return f"{socket.gethostname()}-{hashlib.sha256(app.instance_path.encode()).hexdigest()[:6]}"


def clustered(app) -> bool:
    """Leases apply with PostgreSQL; with SQLite one host runs every camera (its flock)."""
    return str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql")
