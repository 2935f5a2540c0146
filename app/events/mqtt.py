"""MQTT out (paho-mqtt): an event per recognition, a retained presence per person, and Home
Assistant MQTT discovery so that each enrolled person appears as a presence sensor
(a `device_tracker`, home / not_home) with nothing to configure on that side.

Topics, with MQTT_PREFIX (`facerec`) and MQTT_DISCOVERY_PREFIX (`homeassistant`):
    facerec/status                             online / offline (retained; the will; online
                                               while any host of a cluster sends)
    facerec/events/<type>                      each event as JSON (arrival, departure, unknown)
    facerec/presence/person_<id>               home / not_home (retained)
    homeassistant/device_tracker/facerec_person_<id>/config   discovery (retained)
"""
from __future__ import annotations

import json
import logging
import threading

import paho.mqtt.client as mqtt
from flask import Flask
from sqlalchemy import select

from ..extensions import db
from ..hosts import clustered, host_id
from ..models import Person
from .rules import Rules

log = logging.getLogger(__name__)


def client_id(app: Flask) -> str:
    """MQTT_CLIENT_ID, and the host's id in a cluster: a broker drops a client when another
    connects with its id, so hosts sharing one would knock each other off in turn."""
    base = app.config["MQTT_CLIENT_ID"]
    return f"{base}-{host_id(app)}" if clustered(app) else base


class MqttPublisher:
    def __init__(self, app: Flask, bus):
        cfg = app.config
        self.app, self.bus = app, bus
        self.prefix = cfg["MQTT_PREFIX"].rstrip("/")
        self.discovery = cfg["MQTT_DISCOVERY_PREFIX"].rstrip("/")
        self.rules = Rules.parse(cfg["MQTT_RULES"])
        self.people: dict[int, str] = {}  # announced to Home Assistant: id -> name
        self.closing = False
        self.lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id(app))
        if cfg["MQTT_USERNAME"]:
            self.client.username_pw_set(cfg["MQTT_USERNAME"], cfg["MQTT_PASSWORD"])
        self.client.will_set(f"{self.prefix}/status", "offline", qos=1, retain=True)
        self.client.on_connect = self._connected
        self.client.on_message = self._status_seen
        self.client.reconnect_delay_set(1, 30)

    def start(self) -> "MqttPublisher":
        cfg = self.app.config
        self.client.connect_async(cfg["MQTT_HOST"], cfg["MQTT_PORT"], keepalive=30)
        self.client.loop_start()  # paho's own thread: connects, reconnects, sends
        return self

    def close(self) -> None:
        self.closing = True  # our own offline, read back, is not another host's
        self.client.publish(f"{self.prefix}/status", "offline", qos=1, retain=True)
        self.client.disconnect()
        self.client.loop_stop()

    def _connected(self, client, _userdata, _flags, reason, _props) -> None:
        if reason.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason)
            return
        client.publish(f"{self.prefix}/status", "online", qos=1, retain=True)
        client.subscribe(f"{self.prefix}/status", qos=1)
        with self.lock:
            self.people = {}
        self.sync_people()

    def _status_seen(self, client, _userdata, message) -> None:
        """Another host of the cluster went (its will, or its close, said offline): this
        one still sends, so the people's sensors stay available."""
        if message.payload == b"offline" and client.is_connected() and not self.closing:
            client.publish(f"{self.prefix}/status", "online", qos=1, retain=True)

    def sync_people(self) -> None:
        """Announce new or renamed people to Home Assistant and remove deleted ones (called
        on connection and by the camera runner's sync, about once a second)."""
        if not self.client.is_connected():
            return
        with self.app.app_context():
            people = dict(db.session.execute(select(Person.id, Person.name)).all())
        with self.lock:
            for pid in set(self.people) - set(people):
                self.client.publish(self._config_topic(pid), "", qos=1, retain=True)
                self.client.publish(self._presence_topic(pid), "", qos=1, retain=True)
            for pid, name in people.items():
                if self.people.get(pid) != name:
                    self.client.publish(self._config_topic(pid), json.dumps(self._config(pid, name)),
                                        qos=1, retain=True)
                    self.presence(pid, self.bus.present(pid))
            self.people = people

    def presence(self, person_id: int, home: bool) -> None:
        self.client.publish(self._presence_topic(person_id), "home" if home else "not_home",
                            qos=1, retain=True)

    def event(self, event: dict, present: bool | None) -> None:
        """One event (if the rules want it) and the person's presence, when it changed."""
        if self.rules.matches(event):
            self.client.publish(f"{self.prefix}/events/{event['type']}", json.dumps(event), qos=1)
        if event["person_id"] is not None and event["type"] in ("arrival", "departure"):
            self.presence(event["person_id"], bool(present))

    def _presence_topic(self, pid: int) -> str:
        return f"{self.prefix}/presence/person_{pid}"

    def _config_topic(self, pid: int) -> str:
        return f"{self.discovery}/device_tracker/{self.prefix}_person_{pid}/config"

    def _config(self, pid: int, name: str) -> dict:
        return {"name": name, "unique_id": f"{self.prefix}_person_{pid}",
                "object_id": f"{self.prefix}_person_{pid}",
                "state_topic": self._presence_topic(pid), "payload_home": "home",
                "payload_not_home": "not_home", "source_type": "router",
                "availability_topic": f"{self.prefix}/status",
                "payload_available": "online", "payload_not_available": "offline",
                "device": {"identifiers": [f"{self.prefix}_person_{pid}"], "name": name,
                           "manufacturer": "facerec", "model": "face recognition"}}
