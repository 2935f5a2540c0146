"""A host that loses the database stops its cameras before its leases can expire, so that
the host that takes them over never runs them at the same time; when the database comes
back, it takes them again. Real PostgreSQL (connections refused with ALLOW_CONNECTIONS
false), a real camera runner with a demo camera; and another host's relay endpoint refuses
a caller without the cluster token."""
from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy.engine import make_url

from app.faces import state
from app.stream.leases import LEASE_MARGIN
from app.stream.sync import camera_runner
from harness import seconds_until, wait_for

ENGINES = ["postgresql"]
LEASE = 2.0


def allow_connections(app, postgres_server, allowed: bool) -> None:
    name = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    with psycopg.connect(postgres_server.get_uri(), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {str(allowed).lower()}")
        if not allowed:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


def test_a_host_cut_from_the_database_stops_its_cameras_before_its_lease_ends(app, postgres_server):
    app.config.update(CAMERAS_LEASE_SECONDS=LEASE, HOST_ID="solo", CAMERA_SOURCE="demo")
    with app.app_context():
        runner = camera_runner()
        assert wait_for(lambda: runner.cameras, 60, 0.05), "the demo camera did not start"
        cut = time.monotonic()
        allow_connections(app, postgres_server, False)
        try:
            stopped = seconds_until(lambda: not runner.cameras, LEASE + 2, 0.05)
            assert stopped is not None and stopped <= LEASE - LEASE_MARGIN + 0.5, stopped
            assert runner.deadline is not None and runner.deadline < cut + LEASE
        finally:
            allow_connections(app, postgres_server, True)
        assert wait_for(lambda: runner.cameras, 30, 0.05), "the camera did not come back with the database"
        state().runner.close()


def test_the_relay_endpoint_wants_the_cluster_token_and_a_camera_run_here(app):
    client = app.test_client()
    r = client.get("/cluster/frames/1")
    assert r.status_code == 403 and b"SECRET_KEY" in r.data
    from app.stream.leases import cluster_token

    r = client.get("/cluster/frames/999", headers={"X-Faces-Cluster-Token": cluster_token(app)})
    assert r.status_code == 404 and b"does not run on this host" in r.data
