"""What GET /api/cluster answers (docs/CLUSTER.md); schemas.py holds the cameras' own."""
from __future__ import annotations

from marshmallow import Schema, fields

from .schemas import DATE, _d


class ClusterHost(Schema):
    host_id = fields.String(required=True)
    runs_cameras = fields.Boolean(required=True, **_d("False: the host takes no camera (why_not says why)."))
    why_not = fields.String(allow_none=True, **_d(
        "Why it runs no camera: FACES_HOST_RUNS_CAMERAS is off, or the active model's weights "
        "are not on it (and what to do); null when it runs cameras."))
    started_at = fields.String(required=True, metadata={**DATE, "description": "UTC."})
    heartbeat_age_s = fields.Float(required=True, **_d("Seconds since its last heartbeat (the database's clock)."))
    up = fields.Boolean(required=True, **_d("Its heartbeat is younger than a lease."))
    cameras = fields.List(fields.Integer(), required=True, **_d("The ids of the cameras it runs."))


class Cluster(Schema):
    clustered = fields.Boolean(required=True, **_d("PostgreSQL: cameras are leased to hosts."))
    this_host = fields.String(required=True, **_d("The id of the host that answered."))
    running_here = fields.List(fields.Integer(), required=True, **_d(
        "The cameras that this host's camera process runs now (its own view, not the leases)."))
    hosts = fields.List(fields.Nested(ClusterHost), required=True)
    note = fields.String()
