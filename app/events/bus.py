"""The one place every recognition passes through on its way out.

Cameras call `track_confirmed` (a track's name or "unknown" is confirmed by its votes) and
`cycle` (after each recognition cycle, with the tracks seen in it). A known person's
*visit* to a camera starts with their first confirmed track and ends when they have not
been seen there for `LIVE_ARRIVAL_COOLDOWN_SECONDS`: one arrival and one departure per
visit, however many tracks (they stepped out of view, the detector missed them) it took.
An unknown face joins a group of the face library (app/library); each visit of a group is
one `unknown` event (a dismissed group's none). Every event becomes an Arrivals row
(arrivals and unknown faces), a queued delivery for each matching webhook, and an MQTT
message; a person's presence (home while on any camera) is kept on a retained topic."""
from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass

import numpy as np
from flask import Flask, current_app
from sqlalchemy import select

from ..extensions import db
from ..faces import get_state
from ..library.expiry import start_if_due
from ..library.learning import learn_from_camera
from ..library.sightings import track_ended, unknown_track
from ..models import Event, Person, utcnow
from ..recognition.jpeg import to_jpeg
from .webhooks import Sender, queue_webhooks

log = logging.getLogger(__name__)


@dataclass
class Visit:
    person_id: int | None
    name: str | None  # None: an unknown group's visit
    camera: dict
    last_seen: float  # time.monotonic()
    distance: float | None


class EventBus:
    """Per app and process. `start()` (in the process that runs the cameras) starts the
    webhook sender and the MQTT connection; elsewhere events are only queued."""

    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.RLock()
        self.visits: dict[tuple[int, str], Visit] = {}  # (camera id, name) -> visit
        self.sender = None  # webhooks.Sender, in the runner
        self.mqtt = None  # mqtt.MqttPublisher, in the runner when configured

    # Inputs from the cameras ----------------------------------------------------------

    def track_confirmed(self, camera: dict, track, crop) -> None:
        """An unknown face is confirmed as such: its best crop joins an unknown group (the
        face library) and a visit of that group starts, one `unknown` event for it however
        many tracks it takes; a dismissed group's face makes no event."""
        if track.name is not None:
            return
        group = self._with_app(lambda: unknown_track(camera, track))
        if group is not None and group["status"] == "dismissed":
            return
        key = (camera["id"], ("group", group["id"]) if group else ("track", track.id))
        with self.lock:
            if key in self.visits:
                self.visits[key].last_seen = time.monotonic()
                return
            self.visits[key] = Visit(None, None, camera, time.monotonic(), track.distance)
        self.publish("unknown", camera, None, None, track.distance, to_jpeg(crop, 85),
                     group_id=group["id"] if group else None)

    def track_ended(self, camera: dict, track) -> None:
        """A track left the view: an unknown one's other best crops join its group."""
        if track.name is None and track.group_id is not None:
            self._with_app(lambda: track_ended(camera, track))

    def _with_app(self, work):
        """Run a library write in this app's context and commit it; a failure is logged and
        leaves the cameras running (None)."""
        with self.app.app_context():
            try:
                out = work()
                out = None if out is None else {"id": out.id, "status": out.status}
                db.session.commit()
                return out
            except Exception:  # noqa: BLE001 - a camera must outlive a failed write
                db.session.rollback()
                log.exception("remembering an unknown face failed")
                return None

    def cycle(self, camera: dict, tracks, now: float | None = None) -> None:
        """After a recognition cycle of `camera`: arrivals of people newly in view,
        departures of those unseen for the absence time (unknown groups' visits end
        without an event)."""
        now = time.monotonic() if now is None else now
        absence = self.app.config["LIVE_ARRIVAL_COOLDOWN_SECONDS"]
        arrivals, departures = [], []
        with self.lock:
            for track in tracks:
                if track.name is None and track.group_id is not None:
                    if visit := self.visits.get((camera["id"], ("group", track.group_id))):
                        visit.last_seen = now
                if track.name is None or not track.confirmed:
                    continue
                visit = self.visits.get((camera["id"], track.name))
                if visit is None:
                    visit = Visit(None, track.name, camera, now, track.distance)
                    self.visits[(camera["id"], track.name)] = visit
                    arrivals.append((visit, track.face))
                visit.last_seen, visit.distance = now, track.distance
            for key, visit in list(self.visits.items()):
                if key[0] == camera["id"] and now - visit.last_seen > absence:
                    gone = self.visits.pop(key)
                    if gone.name is not None:
                        departures.append(gone)
        for visit, face in arrivals:
            crop, embedding = face if face else (None, None)
            visit.person_id = self.publish("arrival", camera, visit.name, None, visit.distance,
                                           None if crop is None else to_jpeg(crop, 85), embedding=embedding)
            if crop is not None and visit.person_id is not None:
                self._with_app(lambda: learn_from_camera(visit.person_id, crop, embedding, camera))
        for visit in departures:
            self.publish("departure", camera, visit.name, visit.person_id, visit.distance, None)

    def present(self, person_id: int) -> bool:
        with self.lock:
            return any(v.person_id == person_id for v in self.visits.values())

    def forget_camera(self, camera_id: int) -> None:
        """A camera removed or stopped: its visits end (with departures)."""
        with self.lock:
            gone = [self.visits.pop(k) for k in list(self.visits) if k[0] == camera_id]
        for visit in (v for v in gone if v.name is not None):
            self.publish("departure", visit.camera, visit.name, visit.person_id, visit.distance, None)

    # Out ------------------------------------------------------------------------------

    def publish(self, kind: str, camera: dict, name: str | None, person_id: int | None,
                distance: float | None, thumbnail: bytes | None, group_id: int | None = None,
                embedding=None) -> int | None:
        """Record and send one event; returns the person's id (looked up by name)."""
        with self.app.app_context():
            if name is not None and person_id is None:
                person_id = db.session.scalar(select(Person.id).where(Person.name == name))
            event_id = None
            if kind in ("arrival", "unknown") and thumbnail is not None:
                event_id = self._arrival_row(camera["name"], person_id, name, distance, thumbnail,
                                             group_id, embedding)
            event = {"id": str(uuid.uuid4()), "type": kind, "time": utcnow().isoformat() + "Z",
                     "person_id": person_id, "name": name, "group_id": group_id,
                     "camera": {"id": camera["id"], "name": camera["name"]},
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
        return person_id

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
            if self.sender is None:
                self.sender = Sender(self.app).start()
            if self.mqtt is None and self.app.config["MQTT_HOST"]:
                self.mqtt = MqttPublisher(self.app, self).start()

    def close(self) -> None:
        with self.lock:
            sender, mqtt, self.sender, self.mqtt = self.sender, self.mqtt, None, None
        if sender is not None:
            sender.close()
        if mqtt is not None:
            mqtt.close()


def get_bus() -> EventBus:
    """The current app's event bus (made on first use)."""
    from ..faces import state

    owner = state()
    with owner.lock:
        if owner.events is None:
            owner.events = EventBus(current_app._get_current_object())
        return owner.events
