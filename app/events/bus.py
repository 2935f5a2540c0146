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
from ..library.expiry import start_if_due
from ..library.learning import learn_from_camera
from ..library.sightings import UnknownTracks
from ..models import Event, utcnow
from ..recognition.jpeg import to_jpeg
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
    event_id: int | None = None  # its arrival's row (presence.py ends it on departure)


class EventBus:
    """Per app and process. `start()` (in the process that runs the cameras) starts the
    webhook sender and the MQTT connection; elsewhere events are only queued."""

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.RLock()
        # (camera id, ("person", id) | ("group", id) | ("track", recognizer key, id)) -> visit
        self.visits: dict[tuple[int, tuple], Visit] = {}
        self.unknown = UnknownTracks()  # the library's record of the unknown tracks
        self.sender = None  # webhooks.Sender, in the runner
        self.mqtt = None  # mqtt.MqttPublisher, in the runner when configured

    # The sink: what the cameras' cycles produce ---------------------------------------

    def process_cycle(self, cycle: Cycle) -> dict[int, int]:
        """One recognition cycle of a camera, under one app context: unknown tracks
        confirmed (their best crop joins a group) and ended (their other best crops join
        it), then arrivals and departures. Returns {track id: unknown group id}."""
        key = cycle.camera.key
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
            self.visits[key] = Visit(None, None, camera, now, track.distance)
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
        arrivals, departures = [], []
        with self.lock:
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
            for key, visit in list(self.visits.items()):
                if key[0] == camera.id and now - visit.last_seen > absence:
                    gone = self.visits.pop(key)
                    if gone.person_id is not None:
                        departures.append(gone)
        for visit, face in arrivals:
            crop, embedding = face if face else (None, None)
            visit.event_id = self.publish("arrival", camera, visit.person_id, visit.name, visit.distance,
                                          None if crop is None else to_jpeg(crop, 85), embedding=embedding)
            if crop is not None:
                self._library_write(lambda: learn_from_camera(visit.person_id, crop, embedding, camera.name))
        for visit in departures:
            self._depart(visit, now - visit.last_seen)

    def present(self, person_id: int) -> bool:
        with self.lock:
            return any(v.person_id == person_id for v in self.visits.values())

    def forget_camera(self, camera_id: int) -> None:
        """A camera removed or stopped: its visits end (with departures). In an app context."""
        with self.lock:
            gone = [self.visits.pop(k) for k in list(self.visits) if k[0] == camera_id]
        for visit in (v for v in gone if v.person_id is not None):
            self._depart(visit, time.monotonic() - visit.last_seen)

    def _depart(self, visit: Visit, unseen_seconds: float) -> None:
        """A visit ends: its arrival row records when (the presence the pages and
        /api/presence read), then the departure goes out as MQTT and webhooks do."""
        end_visit(visit.event_id, unseen_seconds)
        self.publish("departure", visit.camera, visit.person_id, visit.name, visit.distance, None)

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
