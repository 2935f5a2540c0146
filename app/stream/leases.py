"""Which host runs which camera, when several hosts share one PostgreSQL database.

Each host's camera process (runner.py: one per host, elected by its flock) calls
`lease_round` once a round (CAMERAS_SYNC_SECONDS). In one transaction it writes its
heartbeat, plans who should run each enabled camera (`plan`: the same answer on every host
from the same rows), gives up the leases the plan moves away, renews the leases it keeps
and takes the free ones the plan gives it. A lease is a row with an expiry on the
database's clock (`now()`): a host that dies stops renewing and its cameras are free
`CAMERAS_LEASE_SECONDS` later; the host itself stops them `LEASE_MARGIN` before that
(runner.py's watchdog), counted on its own monotonic clock from before the round, so two
hosts never run one camera at once. docs/CLUSTER.md says why rows rather than advisory
locks."""
from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import text

from ..extensions import db

LEASE_MARGIN = 0.5  # seconds before its lease's expiry that a host stops a camera it holds
NOW = "(now() AT TIME ZONE 'UTC')"
LEASE = "make_interval(secs => :lease)"


@dataclass
class Round:
    """What one lease round left: the cameras this host holds, and the monotonic time
    by which it must stop them unless a later round renews them."""

    held: set[int]
    deadline: float


def plan(cameras: list[tuple[int, str | None]], hosts: list[str], current: dict[int, str]) -> dict[int, str]:
    """{camera id: host} for the enabled cameras [(id, pinned host or None)] over the live
    hosts that run cameras: a pinned camera on its host (not at all when that host is not
    up), the others spread so that hosts differ by at most one camera of theirs, leaving
    as many as possible where they run now (`current`: {camera id: host})."""
    out: dict[int, str] = {}
    if not hosts:
        return out
    free = []
    for camera_id, pinned in sorted(cameras):
        if pinned is None:
            free.append(camera_id)
        elif pinned in hosts:
            out[camera_id] = pinned
    fill = {h: 0 for h in sorted(hosts)}
    base, extra = divmod(len(free), len(fill))
    rest = []
    for camera_id in free:  # stay where it runs, up to the even share
        host = current.get(camera_id)
        if host in fill and fill[host] < base:
            out[camera_id], fill[host] = host, fill[host] + 1
        else:
            rest.append(camera_id)
    moved = []
    for camera_id in rest:  # a host's one camera over the share, while some are left
        host = current.get(camera_id)
        if host in fill and fill[host] == base and extra:
            out[camera_id], fill[host], extra = host, base + 1, extra - 1
        else:
            moved.append(camera_id)
    for camera_id in moved:
        host = min(fill, key=lambda h: (fill[h], h))
        out[camera_id], fill[host] = host, fill[host] + 1
    return out


def live_hosts() -> list[str]:
    """The hosts up and running cameras now (in an app context)."""
    return _live_hosts(current_app.config["CAMERAS_LEASE_SECONDS"])


def leases_now() -> dict[int, dict]:
    """{camera id: {host, since (ISO, UTC), stats}} of the leases that hold now."""
    rows = db.session.execute(text(
        f"SELECT camera_id, host_id, since, stats FROM camera_lease WHERE expires_at > {NOW} "
        f"AND expires_at <= {NOW} + 2 * {LEASE}"), {"lease": current_app.config["CAMERAS_LEASE_SECONDS"]})
    return {c: {"host": h, "since": since.isoformat() + "Z", "stats": _stats(stats)} for c, h, since, stats in rows}


def _stats(raw: str | None) -> dict | None:
    try:
        return json.loads(raw) if raw else None
    except ValueError:  # a hand-edited row
        return None


def hosts_now() -> list[dict]:
    """Every host that has written a heartbeat: id, whether it runs cameras, when it
    started, seconds since its heartbeat (the database's clock), whether it is up."""
    rows = db.session.execute(text(
        f"SELECT host_id, runs_cameras, why_not, started_at, EXTRACT(EPOCH FROM {NOW} - heartbeat_at) "
        f"FROM cluster_host ORDER BY host_id"))
    lease = current_app.config["CAMERAS_LEASE_SECONDS"]
    return [{"host_id": h, "runs_cameras": runs, "why_not": why, "started_at": started.isoformat() + "Z",
             "heartbeat_age_s": round(float(age), 2), "up": float(age) < lease}
            for h, runs, why, started, age in rows]


def _live_hosts(lease: float) -> list[str]:
    return list(db.session.scalars(text(
        f"SELECT host_id FROM cluster_host WHERE runs_cameras AND heartbeat_at > {NOW} - {LEASE}"),
        {"lease": lease}))


def _current(lease: float) -> dict[int, str]:
    """{camera id: host} of the leases that hold: not expired, and not expiring later than
    a lease can (a hand-edited row)."""
    rows = db.session.execute(text(
        f"SELECT camera_id, host_id FROM camera_lease WHERE expires_at > {NOW} "
        f"AND expires_at <= {NOW} + 2 * {LEASE}"), {"lease": lease})
    return dict(rows.all())


def heartbeat(host_id: str, why_not: str | None, url: str | None = None) -> None:
    """This host is up; it takes camera leases unless `why_not` says why it does not."""
    db.session.execute(text(
        f"INSERT INTO cluster_host (host_id, runs_cameras, why_not, url, started_at, heartbeat_at) "
        f"VALUES (:host, :runs, :why, :url, {NOW}, {NOW}) ON CONFLICT (host_id) DO UPDATE "
        f"SET runs_cameras = :runs, why_not = :why, url = :url, heartbeat_at = {NOW}"),
        {"host": host_id, "runs": why_not is None, "why": why_not, "url": url})


def host_url(camera_id: int, lease: float) -> tuple[str, str | None] | None:
    """(host id, its HOST_URL) of the host that holds the camera's lease now, or None."""
    row = db.session.execute(text(
        f"SELECT l.host_id, h.url FROM camera_lease l JOIN cluster_host h ON h.host_id = l.host_id "
        f"WHERE l.camera_id = :camera AND l.expires_at > {NOW} AND l.expires_at <= {NOW} + 2 * {LEASE}"),
        {"camera": camera_id, "lease": lease}).first()
    db.session.rollback()
    return None if row is None else (row[0], row[1])


def cluster_token(app) -> str:
    """The token one host shows another to relay a camera: made from SECRET_KEY, which
    every host of a cluster shares (sessions need it too)."""
    return hmac.new(str(app.config["SECRET_KEY"]).encode(), b"faces-cluster-relay", "sha256").hexdigest()


def lease_round(host_id: str, why_not: str | None, cameras: list[tuple[int, str | None]],
                lease: float, stats: dict[int, dict], url: str | None = None) -> Round:
    """One round for this host (in an app context, PostgreSQL); commits. `why_not`: None
    when the host takes cameras, else why not (it holds none). `stats`: {camera
    id: its state now} for the cameras it runs, stored on their leases for the other hosts'
    status pages. A camera that the plan moves away but that still runs here keeps its
    lease (renewed, not held) until this host has stopped it: the host that takes it
    over reads its visits in progress only once no arrival can come from here."""
    started = time.monotonic()
    db.session.rollback()  # a fresh transaction: now() is not older than `started`
    heartbeat(host_id, why_not, url)
    mine = {c for c, h in plan(cameras, _live_hosts(lease), _current(lease)).items() if h == host_id}
    args = {"host": host_id, "lease": lease, "mine": list(mine), "keep": list(mine | set(stats))}
    db.session.execute(text("DELETE FROM camera_lease WHERE host_id = :host "
                            "AND NOT (camera_id = ANY(:keep))"), args)
    held = mine & set(db.session.scalars(text(
        f"UPDATE camera_lease SET expires_at = {NOW} + {LEASE} WHERE host_id = :host "
        f"AND camera_id = ANY(:keep) RETURNING camera_id"), args))
    for camera_id in mine - held:
        taken = db.session.scalar(text(
            f"INSERT INTO camera_lease (camera_id, host_id, since, expires_at) "
            f"VALUES (:camera, :host, {NOW}, {NOW} + {LEASE}) ON CONFLICT (camera_id) DO UPDATE "
            f"SET host_id = :host, since = {NOW}, expires_at = {NOW} + {LEASE} "
            f"WHERE camera_lease.expires_at <= {NOW} OR camera_lease.expires_at > {NOW} + 2 * {LEASE} "
            f"RETURNING camera_id"), {**args, "camera": camera_id})
        if taken is not None:
            held.add(taken)
    for camera_id in held & set(stats):
        db.session.execute(text("UPDATE camera_lease SET stats = :stats WHERE camera_id = :camera"),
                           {"stats": json.dumps(stats[camera_id]), "camera": camera_id})
    db.session.commit()
    return Round(held, started + lease - LEASE_MARGIN)


def give_up(host_id: str) -> None:
    """This host stops running cameras (shut down): its leases are free at once."""
    db.session.execute(text("DELETE FROM camera_lease WHERE host_id = :host"), {"host": host_id})
    db.session.commit()
