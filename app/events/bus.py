"""The one place every recognition passes through on its way out.

The event bus is the cameras' sink (sink.py): each recognition cycle of a camera is handed
to `process_cycle`, which does all its work under one app context. A known person's
*visit* to a camera (keyed by person id: a rename does not end it, two people who had one
name are two visits) starts with their first confirmed track and ends when they have not
been seen there for `LIVE_ARRIVAL_COOLDOWN_SECONDS`: one arrival and one departure per
visit, however many tracks (they stepped out of view, the detector missed them) it took.
An unknown face joins a group of the face library (app/library, which keeps what it wrote
of each track); each visit of a group is one `unknown` event (a dismissed group's none).
Every event becomes an Arrivals row (arrivals and unknown faces), a queued delivery for
each matching webhook, and an MQTT message; a person's presence (home while on any camera)
is kept on a retained topic."""
from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass

import numpy as np
from flask import Flask, current_app

from ..extensions import db
from ..faces import get_state
from ..hosts import clustered
from ..library.expiry import start_if_due
from ..library.learning import learn_from_camera
from ..library.sightings import UnknownTracks
from ..models import Event, utcnow
from ..recognition.jpeg import to_jpeg
from . import visits
from .presence import close_open_visits, end_visit
from .sink import CameraRef, Cycle, SeenTrack
from .webhooks import Sender, queue_webhooks

log = logging.getLogger(__name__)


@dataclass
class Visit:
    person_id: int | None  # None: an unknown group's (or unremembered track's) visit
    name: str | None  # the person's name as last seen, for the events
    camera: CameraRef
    last_seen: float  # time.monotonic()
    distance: float | None
    saved: float = 0.0  # time.monotonic() of its last write to the database (visits.py)
    event_id: int | None = None  # its arrival's row (presence.py ends it on departure)


class EventBus:
    """Per app and process. `start()` (in the process that runs the cameras) starts the
    webhook sender and the MQTT connection; elsewhere events are only queued."""

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.RLock()
        # (camera id, ("person", id) | ("group", id) | ("track", recognizer key, id)) -> visit
        self.visits: dict[tuple[int, tuple], Visit] = {}
        # Cameras handed over to another host (or process): a cycle of theirs still in
        # recognition when they stopped is dropped, or it would announce anew a visit that
        # goes on elsewhere. adopt() takes a camera back.
        self.away: set[int] = set()
        self.unknown = UnknownTracks()  # the library's record of the unknown tracks
        self.sender = None  # webhooks.Sender, in the runner
        self.mqtt = None  # mqtt.MqttPublisher, in the runner when configured

    # The sink: what the cameras' cycles produce ---------------------------------------

    def process_cycle(self, cycle: Cycle) -> dict[int, int]:
        """One recognition cycle of a camera, under one app context: unknown tracks
        confirmed (their best crop joins a group) and ended (their other best crops join
        it), then arrivals and departures. Returns {track id: unknown group id}."""
        key = cycle.camera.key
        if cycle.camera.id in self.away:
            return {}
        with self.app.app_context():
            for track in cycle.confirmed:
                if track.person_id is None:
                    self._unknown_confirmed(cycle.camera, track, cycle.at)
            for track in cycle.ended:
                if track.person_id is None:
                    self._library_write(lambda: self.unknown.ended(
                        key, track.id, track.best, cycle.camera.id, cycle.camera.name))
            self.unknown.seen(key, [t.id for t in cycle.in_view], cycle.at)
            self._visits(cycle)
        return {t.id: g for t in cycle.in_view if (g := self.unknown.group_of(key, t.id)) is not None}

    def _unknown_confirmed(self, camera: CameraRef, track: SeenTrack, now: float) -> None:
        """An unknown face is confirmed as such: its best crop joins an unknown group (the
        face library) and a visit of that group starts, one `unknown` event for it however
        many tracks it takes; a dismissed group's face makes no event."""
        group = self._library_write(lambda: _id_and_status(self.unknown.confirmed(
            camera.key, track.id, track.best, camera.id, camera.name, now)))
        if group is not None and group[1] == "dismissed":
            return
        key = (camera.id, ("group", group[0]) if group else ("track", camera.key, track.id))
        with self.lock:
            if key in self.visits:
                self.visits[key].last_seen = now
                return
            self.visits[key] = visit = Visit(None, None, camera, now, track.distance, saved=now)
        visits.save(key, visit)
        self.publish("unknown", camera, None, None, track.distance, to_jpeg(track.face[0], 85),
                     group_id=group[0] if group else None)

    def _library_write(self, work):
        """Run a library write and commit it; a failure is logged and leaves the cameras
        running (None)."""
        try:
            out = work()
            db.session.commit()
            return out
        except Exception:  # noqa: BLE001 - a camera must outlive a failed write
            db.session.rollback()
            log.exception("a write of the face library from a camera failed")
            return None

    def _visits(self, cycle: Cycle) -> None:
        """Arrivals of people newly in view, departures of those unseen for the absence
        time (unknown groups' visits end without an event)."""
        camera, now = cycle.camera, cycle.at
        absence = self.app.config["LIVE_ARRIVAL_COOLDOWN_SECONDS"]
        arrivals = []
        with self.lock:
            if camera.id in self.away:  # handed over while this cycle ran
                return
            for track in cycle.in_view:
                if track.person_id is None:
                    group_id = self.unknown.group_of(camera.key, track.id)
                    if visit := self.visits.get((camera.id, ("group", group_id))):
                        visit.last_seen = now
                    continue
                if not track.confirmed:
                    continue
                visit = self.visits.get((camera.id, ("person", track.person_id)))
                if visit is None:
                    visit = Visit(track.person_id, track.name, camera, now, track.distance)
                    self.visits[(camera.id, ("person", track.person_id))] = visit
                    arrivals.append((visit, track.face))
                visit.last_seen, visit.distance, visit.name = now, track.distance, track.name
            ended = [(key, self.visits.pop(key)) for key, visit in list(self.visits.items())
                     if key[0] == camera.id and now - visit.last_seen > absence]
            departures = [visit for _, visit in ended if visit.person_id is not None]
            stale = [(key, v) for key, v in self.visits.items()
                     if key[0] == camera.id and v.saved < v.last_seen - visits.SAVE_EVERY]
        self._keep(arrivals, stale, ended, now)
        for visit, face in arrivals:
            crop, embedding = face if face else (None, None)
            visit.event_id = self.publish("arrival", camera, visit.person_id, visit.name, visit.distance,
                                          None if crop is None else to_jpeg(crop, 85), embedding=embedding)
            # Kept before the arrival (a host taking the camera over meanwhile continues
            # the visit), its arrival's row after: whichever host ends it closes that row.
            if visit.event_id is not None:
                visits.save((camera.id, ("person", visit.person_id)), visit)
            if crop is not None:
                self._library_write(lambda: learn_from_camera(visit.person_id, crop, embedding, camera.name))
        for visit in departures:
            self._depart(visit, now - visit.last_seen)

    def _keep(self, arrivals, stale, ended, now: float) -> None:
        """Write the camera's visits that started or were seen again, delete those that
        ended (visits.py: the host that takes the camera over continues them)."""
        for visit, _ in arrivals:
            stale.append(((visit.camera.id, ("person", visit.person_id)), visit))
        for key, visit in stale:
            visit.saved = now
            visits.save(key, visit)
        for key, _ in ended:
            visits.end(key[0], key[1])

    def present(self, person_id: int) -> bool:
        """In view on a camera: one of this process's, or in a cluster one of another host's
        (its visits in progress, kept in the database): a departure from this host's camera
        leaves the person home while another host still sees them."""
        with self.lock:
            if any(v.person_id == person_id for v in self.visits.values()):
                return True
        if not clustered(self.app):
            return False
        with self.app.app_context():
            return visits.in_view_anywhere(person_id)

    def forget_camera(self, camera_id: int) -> None:
        """A camera removed or stopped: its visits end (with departures). In an app context."""
        with self.lock:
            gone = [self.visits.pop(k) for k in list(self.visits) if k[0] == camera_id]
        visits.end(camera_id)
        for visit in (v for v in gone if v.person_id is not None):
            self._depart(visit, time.monotonic() - visit.last_seen)

    def _depart(self, visit: Visit, unseen_seconds: float) -> None:
        """A visit ends: its arrival row records when (the presence the pages and
        /api/presence read), then the departure goes out as MQTT and webhooks do."""
        end_visit(visit.event_id, unseen_seconds)
        self.publish("departure", visit.camera, visit.person_id, visit.name, visit.distance, None)

    def hand_over(self, camera_id: int) -> None:
        """A camera moves to another host (or worker): its visits go on there, from the
        database, without an event here."""
        with self.lock:
            self.away.add(camera_id)
            for key in [k for k in self.visits if k[0] == camera_id]:
                del self.visits[key]

    def adopt(self, camera: CameraRef) -> None:
        """A camera taken over: continue its visits in progress (no new arrival for who is
        still in view); a visit whose absence time passed meanwhile gets its departure.
        In an app context."""
        absence, now = self.app.config["LIVE_ARRIVAL_COOLDOWN_SECONDS"], time.monotonic()
        with self.lock:
            self.away.discard(camera.id)
        for key, row, age in visits.open_visits(camera.id):
            visit = Visit(row.person_id, row.name, camera, now - age, row.distance, saved=now - age,
                          event_id=row.event_id)
            if age > absence:
                visits.end(camera.id, key)
                if row.person_id is not None:
                    self._depart(visit, age)
                continue
            with self.lock:
                self.visits.setdefault((camera.id, key), visit)

    # Out ------------------------------------------------------------------------------

    def publish(self, kind: str, camera: CameraRef, person_id: int | None, name: str | None,
                distance: float | None, thumbnail: bytes | None, group_id: int | None = None,
                embedding=None) -> int | None:
        """Record and send one event (in an app context): `person_id` says who, `name` is
        the name to show. Returns its Arrivals row's id (None: none written)."""
        event_id = None
        if kind in ("arrival", "unknown") and thumbnail is not None:
            event_id = self._arrival_row(camera.name, person_id, name, distance, thumbnail,
                                         group_id, embedding)
        event = {"id": str(uuid.uuid4()), "type": kind, "time": utcnow().isoformat() + "Z",
                 "person_id": person_id, "name": name, "group_id": group_id,
                 "camera": {"id": camera.id, "name": camera.name},
                 "distance": None if distance is None else round(float(distance), 4),
                 "thumbnail_url": None if event_id is None else
                 f"{self.app.config['EVENTS_BASE_URL']}/events/{event_id}/thumbnail.jpg"}
        queue_webhooks(event)
        db.session.commit()
        if self.sender is not None:
            self.sender.wake()
        if self.mqtt is not None:
            # Home while on any camera: an arrival is home; after a departure, home only if
            # still in view on another camera.
            home = kind == "arrival" or (person_id is not None and self.present(person_id))
            self.mqtt.event(event, home)
        return event_id

    def _arrival_row(self, camera_name, person_id, name, distance, thumbnail, group_id, embedding) -> int:
        start_if_due(self.app)  # old arrivals go by their camera's days or the default
        row = Event(camera=camera_name, person_id=person_id, name=name, distance=distance,
                    thumbnail_jpeg=thumbnail, group_id=group_id,
                    embedding=None if embedding is None else np.asarray(embedding, np.float32).tobytes(),
                    model=None if embedding is None else get_state().active_model)
        db.session.add(row)
        db.session.flush()
        return row.id

    def start(self) -> None:
        """In the process that runs the cameras: send webhooks, connect to MQTT."""
        from .mqtt import MqttPublisher

        with self.lock:
            starting = self.sender is None
            if starting:
                self.sender = Sender(self.app).start()
            if self.mqtt is None and self.app.config["MQTT_HOST"]:
                self.mqtt = MqttPublisher(self.app, self).start()
        if starting:  # the runner calls this every round: only the first finds nobody in view
            with self.app.app_context():
                close_open_visits()

    def close(self) -> None:
        with self.lock:
            sender, mqtt, self.sender, self.mqtt = self.sender, self.mqtt, None, None
        if sender is not None:
            sender.close()
        if mqtt is not None:
            mqtt.close()


def _id_and_status(group) -> tuple[int, str] | None:
    return None if group is None else (group.id, group.status)


def get_bus() -> EventBus:
    """The current app's event bus (made on first use)."""
    from ..faces import state

    owner = state()
    with owner.lock:
        if owner.events is None:
            owner.events = EventBus(current_app._get_current_object())
        return owner.events
