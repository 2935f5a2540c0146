"""Events out against real peers on loopback: a webhook receiver run here (signatures
checked, stopped in the middle: nothing lost, delivered late and in order), and Debian's
mosquitto broker started here (presence and Home Assistant discovery read back). The
events come from the demo camera run by the camera runner, with three people enrolled."""
from __future__ import annotations

import json
import threading
import time

import pytest

from app.events.webhooks import SIGNATURE_HEADER, verify_signature

from harness import Receiver, start_mosquitto, stop, wait_for
from support import cli_api_key, make_app, photos

ENROLLED = ["ben_afflek", "elton_john", "jerry_seinfeld"]
OUTAGE_SECONDS = 30


class Hooks(Receiver):
    """The webhook POSTs as these tests read them: the event, its delivery id, when it
    came, whether its signature holds with `secret` (known once the webhook is made)."""

    def __init__(self, secret: str = ""):
        super().__init__()
        self.secret = secret

    @property
    def got(self) -> list[dict]:
        return [{"event": json.loads(p.body), "at": p.at, "delivery": int(p.headers["X-Faces-Delivery"]),
                 "signed": verify_signature(self.secret, p.body, p.headers[SIGNATURE_HEADER])}
                for p in list(self.posts)]


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """Debian's mosquitto on a free loopback port (skips, saying so, without it)."""
    started = start_mosquitto(tmp_path_factory.mktemp("mqtt"))
    if started is None:
        pytest.skip("mosquitto is not installed (apt-get install mosquitto; .ci/run does it)")
    proc, port = started
    yield port
    stop(proc, 10)


class Listener:
    """A paho client subscribed to everything, keeping (topic, payload, retained)."""

    def __init__(self, port: int, client_id: str = "test-listener"):
        import paho.mqtt.client as mqtt
        self.messages, self.lock = [], threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.on_message = self._message
        self.client.on_connect = lambda c, *_: c.subscribe([("facerec/#", 1), ("homeassistant/#", 1)])
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _message(self, _client, _userdata, msg):
        with self.lock:
            self.messages.append((msg.topic, msg.payload.decode(), msg.retain, time.monotonic()))

    def topics(self, prefix: str) -> list:
        with self.lock:
            return [m for m in self.messages if m[0].startswith(prefix)]

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture(scope="module")
def events_app(model_dir, tmp_path_factory, broker):
    """The demo camera run here; departures after 3 s of absence; MQTT to the broker."""
    app = make_app(tmp_path_factory.mktemp("events") / "faces.db", CAMERA_SOURCE="demo",
                   LIVE_ARRIVAL_COOLDOWN_SECONDS=3.0, MQTT_HOST="127.0.0.1", MQTT_PORT=broker,
                   WEBHOOK_BACKOFF_MAX_SECONDS=2.0, WEBHOOK_POLL_SECONDS=0.2)
    key = {"Authorization": f"Bearer {cli_api_key(app)}"}
    client = app.test_client()
    for folder in ENROLLED:
        pid = None
        for path in photos("train", folder)[:3]:
            url = f"/api/people?name={folder}" if pid is None else f"/api/people/{pid}/faces"
            r = client.post(url, headers=key, data=path.read_bytes(), content_type="image/jpeg")
            if r.status_code == 201:
                pid = pid or r.get_json()["id"]
    yield app, key
    app.extensions["faces"].close()


def test_webhooks_are_signed_follow_their_rules_and_survive_an_outage(events_app):
    app, key = events_app
    client = app.test_client()
    everything = Hooks().start()
    r = client.post("/api/webhooks", json={"url": everything.url}, headers=key)
    assert r.status_code == 201
    everything.secret, all_id = r.get_json()["secret"], r.get_json()["id"]
    unknown_only = Hooks(secret="s3cret").start()
    r = client.post("/api/webhooks", json={"url": unknown_only.url, "secret": "s3cret",
                                           "rules": {"events": ["unknown"], "cameras": [1]}}, headers=key)
    assert r.status_code == 201 and "secret" not in client.get("/api/webhooks", headers=key).get_json()["items"][0]
    bad = client.post("/api/webhooks", json={"url": "ftp://x", "rules": {"events": ["x"]}}, headers=key)
    assert bad.status_code == 400
    # The camera runs (started by the first request that needs it); arrivals come.
    assert wait_for(lambda: {e["event"]["type"] for e in everything.got} >= {"arrival", "unknown"}
                    and unknown_only.got, 40), [e["event"]["type"] for e in everything.got]
    assert all(e["signed"] for e in everything.got + unknown_only.got)
    assert {e["event"]["type"] for e in unknown_only.got} == {"unknown"}
    arrival = next(e["event"] for e in everything.got if e["event"]["type"] == "arrival")
    assert arrival["name"] in ENROLLED and arrival["person_id"] and arrival["camera"] == {"id": 1, "name": "Camera 1"}
    thumb = client.get(arrival["thumbnail_url"].split("5000", 1)[1], headers=key)
    assert thumb.mimetype == "image/jpeg"
    # An outage: the receiver stops; events (test events and the camera's) keep coming. It
    # lasts until the log shows all the outage must show (a camera's event queued, a retry
    # refused), at most 30 s: with retries 2 s apart at most, that is a few seconds.
    everything.stop()
    down_at = time.monotonic()
    for _ in range(3):
        assert client.post(f"/api/webhooks/{all_id}/test", headers=key).status_code == 202
        time.sleep(1)

    def queued_in_outage():
        log = client.get(f"/api/webhooks/{all_id}/deliveries", headers=key).get_json()["items"]
        queued = [d for d in log if d["status"] == "pending"]
        return queued if (sum(d["event"]["type"] == "test" for d in queued) == 3
                          and any(d["event"]["type"] != "test" for d in queued)
                          and any(d["attempts"] >= 2 and "refused" in (d["last_error"] or "").lower()
                                  for d in queued)) else None
    assert wait_for(queued_in_outage, OUTAGE_SECONDS - (time.monotonic() - down_at)), \
        client.get(f"/api/webhooks/{all_id}/deliveries", headers=key).get_json()["items"][:4]
    before = len(everything.got)
    everything.start()  # back, on the same port
    assert wait_for(lambda: all(d["status"] == "delivered" for d in client.get(
        f"/api/webhooks/{all_id}/deliveries", headers=key).get_json()["items"]), 20)
    late = everything.got[before:]
    assert sum(e["event"]["type"] == "test" for e in late) == 3
    assert any(e["event"]["type"] != "test" for e in late), "the camera's events of the outage too"
    assert [e["delivery"] for e in late] == sorted(e["delivery"] for e in late), "delivered in order"
    ids = [d["id"] for d in client.get(f"/api/webhooks/{all_id}/deliveries", headers=key).get_json()["items"]]
    assert sorted(e["delivery"] for e in everything.got) == sorted(ids), "nothing lost"
    assert all(e["signed"] for e in late) and time.monotonic() - down_at < OUTAGE_SECONDS + 30
    # One visit, one arrival: no person arrives twice on the camera without a departure between.
    seen = {}
    for e in (x["event"] for x in everything.got if x["event"]["type"] in ("arrival", "departure")):
        assert seen.get(e["name"]) != e["type"], f"two {e['type']}s of {e['name']} in a row"
        seen[e["name"]] = e["type"]
    assert client.delete(f"/api/webhooks/{all_id}", headers=key).status_code == 204
    unknown_only.stop()
    everything.stop()


def test_mqtt_presence_and_home_assistant_discovery_from_the_broker(events_app, broker):
    app, key = events_app
    client = app.test_client()
    people = {p["name"]: p["id"] for p in client.get("/api/people", headers=key).get_json()["items"]}
    client.get("/api/cameras", headers=key)  # the runner (and its MQTT connection) is up
    listener = Listener(broker)
    try:
        def discovered():
            found = {m[0]: json.loads(m[1]) for m in listener.topics("homeassistant/device_tracker/") if m[1]}
            return len(found) == len(people) and found
        found = wait_for(discovered, 20)
        assert found, listener.topics("homeassistant")
        for name, pid in people.items():
            config = found[f"homeassistant/device_tracker/facerec_person_{pid}/config"]
            assert config["name"] == name and config["state_topic"] == f"facerec/presence/person_{pid}"
            assert config["payload_home"] == "home" and config["unique_id"] == f"facerec_person_{pid}"
        # Retained: a client that subscribes later (Home Assistant restarting) gets them at once.
        late = Listener(broker, "late-listener")
        try:
            assert wait_for(lambda: len([m for m in late.topics("homeassistant/device_tracker/")
                                         if m[2]]) == len(people), 10)
            assert wait_for(lambda: ("facerec/status", "online", True) in
                            [m[:3] for m in late.topics("facerec/status")], 10)
        finally:
            late.close()
        # Presence: someone comes home, and leaves 3 s after the demo takes them away.
        def visit():  # an arrival then a departure of one person, both seen here
            events = [json.loads(m[1]) for m in listener.topics("facerec/events/")]
            arrived = [e["person_id"] for e in events if e["type"] == "arrival"]
            return next((e for e in events if e["type"] == "departure" and e["person_id"] in arrived), None)
        departure = wait_for(visit, 45)
        assert departure and departure["name"] in ENROLLED, listener.topics("facerec/events/")
        states = [m[1] for m in listener.topics(f"facerec/presence/person_{departure['person_id']}")]
        # home, then not_home after it (the demo may bring them home again meanwhile)
        assert "home" in states and "not_home" in states[states.index("home"):], states
        # /api/presence follows the same visits: the people MQTT last said home are those here,
        # among them one home for 2 s at least (the camera runner has gone round since).
        def agree():
            last = {int(m[0].rsplit("_", 1)[1]): m for m in listener.topics("facerec/presence/person_")}
            home = {pid for pid, m in last.items() if m[1] == "home"}
            here = {p["person_id"] for p in client.get("/api/presence", headers=key).get_json()["present"]}
            return home == here and any(time.monotonic() - last[pid][3] > 2 for pid in home)
        assert wait_for(agree, 15), listener.topics("facerec/presence/")[-6:]
        # A new person appears in Home Assistant without anything done there.
        photo = photos("train", "madonna")[0]
        r = client.post("/api/people?name=madonna", headers=key, data=photo.read_bytes(),
                        content_type="image/jpeg")
        assert r.status_code == 201
        topic = f"homeassistant/device_tracker/facerec_person_{r.get_json()['id']}/config"
        assert wait_for(lambda: any(m[0] == topic for m in listener.topics(topic)), 10)
    finally:
        listener.close()


def test_rules_choose_events_people_and_cameras_and_signatures_refuse_tampering():
    from app.events.rules import Rules
    from app.events.webhooks import sign
    from app.errors import Problem

    front_door_unknown = Rules.parse({"events": ["unknown"], "cameras": [1]})
    event = lambda kind, camera, person=None: {"type": kind, "camera": {"id": camera}, "person_id": person}  # noqa: E731
    assert front_door_unknown.matches(event("unknown", 1))
    assert not front_door_unknown.matches(event("unknown", 2))
    assert not front_door_unknown.matches(event("arrival", 1, 7))
    ada = Rules.parse('{"people": [7]}')
    assert ada.matches(event("arrival", 3, 7)) and ada.matches(event("departure", 1, 7))
    assert not ada.matches(event("arrival", 3, 8)) and not ada.matches(event("unknown", 3))
    assert Rules.parse(None).matches(event("unknown", 5)) and ada.matches({"type": "test", "camera": None})
    for bad in ({"events": ["everything"]}, {"people": ["ada"]}, {"colour": []}, "[1", [1]):
        with pytest.raises(Problem):
            Rules.parse(bad)
    body, now = b'{"type": "arrival"}', int(time.time())
    header = sign("k", body, now)
    assert verify_signature("k", body, header)
    assert not verify_signature("k", body + b" ", header) and not verify_signature("other", body, header)
    assert not verify_signature("k", body, sign("k", body, now - 3600))  # too old: a replay
    assert not verify_signature("k", body, "garbage")
