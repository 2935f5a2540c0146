"""Cameras over several hosts on one PostgreSQL (app/stream/leases.py): each camera held by
one host at a time, spread evenly, moved when a host stops renewing, rebalanced when it
returns; a hand-edited lease or a pin to a host that is not up leaves a clear state; a visit
in progress is continued, not announced again, by the host that takes the camera over.
Real PostgreSQL through the app's migrations; hosts are host ids calling the lease round."""
from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest
from sqlalchemy import func, select, text

from app.events.bus import EventBus
from app.events.sink import CameraRef, Cycle, SeenTrack
from app.events.mqtt import MqttPublisher
from app.events.webhooks import Sender, create_webhook, queue_webhooks
from app.extensions import db
from app.hosts import host_id
from app.models import Camera, CameraLease, Event, Person
from app.recognition.weights import PRETRAINED
from app.stream.leases import lease_round, plan
from app.stream.sync import _lease
from harness import Receiver
from support import cli_api_key
from test_events_out import Listener, broker, wait_for  # noqa: F401 - broker: mosquitto, a fixture

ENGINES = ["postgresql"]
LEASE = 3.0  # seconds: the default (1 s expired between two rounds of one test at load 30)


def test_plan_spreads_evenly_keeps_cameras_where_they_run_and_honours_pins():
    cams = [(i, None) for i in range(1, 10)]
    spread = plan(cams, ["a", "b", "c"], {})
    assert sorted(list(spread.values()).count(h) for h in "abc") == [3, 3, 3]
    # c died: a and b share its cameras; what a and b ran stays where it was.
    after = plan(cams, ["a", "b"], spread)
    assert all(after[c] == h for c, h in spread.items() if h != "c")
    assert sorted(list(after.values()).count(h) for h in "ab") == [4, 5]
    # c back: only c's share moves (three cameras), to c.
    back = plan(cams, ["a", "b", "c"], after)
    assert sorted(list(back.values()).count(h) for h in "abc") == [3, 3, 3]
    assert sum(back[c] != after[c] for c in back) == 3
    # A pin wins; a pin to a host that is not up runs nowhere.
    pinned = plan([(1, "b"), (2, "nohost"), (3, None)], ["a", "b"], {})
    assert pinned == {1: "b", 3: "a"}
    assert plan(cams, [], {}) == {}


@pytest.fixture
def nine(app):
    """Nine enabled cameras (none runs: the test calls the lease rounds itself)."""
    with app.app_context():
        db.session.execute(text("DELETE FROM camera_lease"))
        db.session.execute(text("DELETE FROM cluster_host"))
        db.session.execute(text("DELETE FROM camera"))
        db.session.add_all(Camera(name=f"c{i}", source="demo") for i in range(9))
        db.session.commit()
        return [c.id for c in db.session.scalars(select(Camera).order_by(Camera.id))]


def rounds(app, hosts: list[str], n: int = 1, pins: dict | None = None) -> dict[str, set[int]]:
    """n lease rounds of each host in turn; {host: cameras it holds after its last}."""
    held = {}
    with app.app_context():
        cams = [(c.id, (pins or {}).get(c.id)) for c in db.session.scalars(select(Camera))]
        for _ in range(n):
            for host in hosts:
                held[host] = lease_round(host, None, cams, LEASE, {}).held
                assert_disjoint(held)
    return held


def assert_disjoint(held: dict[str, set[int]]) -> None:
    seen = [c for cams in held.values() for c in cams]
    assert len(seen) == len(set(seen)), held


def test_leases_spread_fail_over_and_rebalance(app, nine):
    held = rounds(app, ["a", "b", "c"], 2)
    assert sorted(len(v) for v in held.values()) == [3, 3, 3]
    assert set().union(*held.values()) == set(nine)
    c_had = held["c"]
    # c stops renewing (killed): once its leases expire, a and b hold all nine.
    t0 = time.monotonic()
    while True:
        held = rounds(app, ["a", "b"])
        if set().union(*held.values()) == set(nine):
            break
        assert time.monotonic() - t0 < 3 * LEASE, held
        time.sleep(0.1)
    assert time.monotonic() - t0 >= LEASE * 0.5  # not before c's leases could expire
    assert sorted(len(v) for v in held.values()) == [4, 5]
    # c returns: a and b give up its share, c takes it; never one camera on two hosts.
    for _ in range(3):
        held = rounds(app, ["a", "b", "c"])
    assert sorted(len(v) for v in held.values()) == [3, 3, 3]
    assert len(held["c"]) == 3 and c_had  # c runs three cameras again


def test_a_camera_moved_away_keeps_its_lease_until_its_old_host_has_stopped_it(app, nine):
    # Else the new host reads the visits in progress while the old one may still announce.
    lease, cams = 10.0, [(c, None) for c in nine]  # long: no lease expires under load here
    with app.app_context():
        everything = lease_round("a", None, cams, lease, {}).held
        running = {c: {"state": "live"} for c in everything}
        assert not lease_round("b", None, cams, lease, {}).held  # b comes: all are a's yet
        kept = lease_round("a", None, cams, lease, running).held
        moved = everything - kept
        assert len(moved) == 4  # the plan gives b four: a stops them at its next camera round
        assert not lease_round("b", None, cams, lease, {}).held & moved  # still running on a
        lease_round("a", None, cams, lease, {c: running[c] for c in kept})  # a stopped them
        assert lease_round("b", None, cams, lease, {}).held == moved


def test_a_hand_edited_lease_and_a_pin_to_no_such_host_leave_a_clear_state(app, nine):
    rounds(app, ["a", "b"], 2)
    with app.app_context():
        # A lease "held" for a year by a host that does not exist: taken anyway.
        db.session.execute(text("UPDATE camera_lease SET host_id = 'ghost', expires_at = "
                                "now() + interval '1 year' WHERE camera_id = :c"), {"c": nine[0]})
        db.session.commit()
    held = rounds(app, ["a", "b"], 2)
    assert set().union(*held.values()) == set(nine)
    # Pinned to a host that is not up: nobody runs it, the others are spread.
    held = rounds(app, ["a", "b"], 3, pins={nine[1]: "nohost", nine[2]: "b"})
    assert nine[1] not in set().union(*held.values()) and nine[2] in held["b"]
    with app.app_context():
        assert db.session.get(CameraLease, nine[1]) is None


def track(person_id: int, tid: int = 1) -> SeenTrack:
    face = (np.zeros((160, 160, 3), np.uint8), np.zeros(128, np.float32))
    return SeenTrack(tid, person_id, "ann", 0.5, True, face)


def person(app, name: str) -> int:
    with app.app_context():
        row = Person(name=name, name_key=name)
        db.session.add(row)
        db.session.commit()
        return row.id


def arrivals(app, pid: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event).where(Event.person_id == pid))


def test_a_visit_in_progress_is_not_announced_again_by_the_host_that_takes_the_camera(app, nine):
    pid = person(app, "ann")
    cam = CameraRef(nine[0], "c0", f"camera:{nine[0]}")
    host_a, host_b = EventBus(app), EventBus(app)

    seen = (track(pid),)
    host_a.process_cycle(Cycle(cam, seen, seen, (), time.monotonic()))
    assert arrivals(app, pid) == 1
    host_a.hand_over(cam.id)  # the camera moves: host a's lease went to host b
    with app.app_context():
        host_b.adopt(cam)
    host_b.process_cycle(Cycle(cam, (track(pid, 7),), (track(pid, 7),), (), time.monotonic()))
    assert arrivals(app, pid) == 1  # the same visit, not a second arrival
    assert host_b.present(pid)


def test_a_cycle_that_ends_after_its_camera_was_handed_over_announces_nothing(app, nine):
    # The watchdog or a moved lease stops a camera while the recognition of its last frame
    # runs on: that cycle must not start a visit here (it goes on elsewhere).
    pid = person(app, "cy")
    cam = CameraRef(nine[5], "c5", f"camera:{nine[5]}")
    host = EventBus(app)
    seen = (track(pid),)
    host.hand_over(cam.id)
    host.process_cycle(Cycle(cam, seen, seen, (), time.monotonic()))
    assert arrivals(app, pid) == 0
    with app.app_context():
        host.adopt(cam)  # the camera back here
    host.process_cycle(Cycle(cam, seen, seen, (), time.monotonic()))
    assert arrivals(app, pid) == 1


def test_a_person_who_leaves_one_host_s_camera_stays_home_while_another_host_sees_them(app, nine):
    # MQTT's presence (home / not_home, retained) is sent by whichever host announces.
    pid = person(app, "bob")
    cam_a, cam_b = (CameraRef(c, f"c{c}", f"camera:{c}") for c in nine[2:4])
    host_a, host_b = EventBus(app), EventBus(app)
    t, seen = time.monotonic(), (track(pid),)
    host_a.process_cycle(Cycle(cam_a, seen, seen, (), t))
    host_b.process_cycle(Cycle(cam_b, seen, seen, (), t))
    host_b.process_cycle(Cycle(cam_b, (), (), (), t + 1000))  # gone from b's camera: a departure
    assert host_b.present(pid)  # still on a's camera
    host_a.process_cycle(Cycle(cam_a, (), (), (), t + 1000))
    assert not host_a.present(pid) and not host_b.present(pid)


def test_status_shows_who_runs_each_camera_and_the_hosts(app, nine):
    app.config["CAMERAS_RUNNER"] = "off"  # no camera process here: the rounds are the test's
    with app.app_context():
        key = {"Authorization": f"Bearer {cli_api_key(app)}"}
    client = app.test_client()
    r = client.patch(f"/api/cameras/{nine[1]}", json={"pinned_host": "nohost"}, headers=key)
    assert r.status_code == 200 and r.get_json()["pinned_host"] == "nohost"
    assert client.patch(f"/api/cameras/{nine[1]}", json={"pinned_host": 5}, headers=key).status_code == 400
    held = rounds(app, ["a", "b"], 2, pins={nine[1]: "nohost"})
    items = {c["id"]: c for c in client.get("/api/cameras", headers=key).get_json()["items"]}
    for host, cams in held.items():
        assert all(items[c]["host"] == host and items[c]["host_since"] for c in cams)
    assert items[nine[1]]["host"] is None and "nohost, which is not up" in items[nine[1]]["message"]
    cluster = client.get("/api/cluster", headers=key).get_json()
    assert cluster["clustered"] is True
    hosts = {h["host_id"]: h for h in cluster["hosts"]}
    assert set(hosts["a"]["cameras"]) == held["a"] and hosts["b"]["up"]
    assert sorted(len(h["cameras"]) for h in hosts.values()) == [4, 4]


def test_a_host_without_the_model_s_weights_takes_no_camera_and_says_why(app, nine):
    """A model trained on another host is active; this host lacks its folder."""
    app.config["CAMERAS_RUNNER"] = "off"
    runner = SimpleNamespace(cameras={}, held=set(), deadline=None)
    with app.app_context():
        key = {"Authorization": f"Bearer {cli_api_key(app)}"}
        db.session.execute(text("UPDATE app_state SET active_model = 'trained-elsewhere'"))
        db.session.commit()
        try:
            _lease(app)(runner)  # this host's own round, as its camera process runs it
        finally:
            db.session.execute(text(f"UPDATE app_state SET active_model = '{PRETRAINED}'"))
            db.session.commit()
    assert runner.held == set()
    held = rounds(app, ["b"])  # a host with the weights takes every camera
    assert held["b"] == set(nine)
    hosts = {h["host_id"]: h for h in app.test_client().get("/api/cluster", headers=key).get_json()["hosts"]}
    mine = hosts[host_id(app)]
    assert not mine["runs_cameras"] and "weights of the active model" in mine["why_not"]
    assert "instance/models/trained-elsewhere" in mine["why_not"] and hosts["b"]["why_not"] is None


def test_two_hosts_senders_post_each_webhook_delivery_once_and_in_order(app):
    # Every host's camera process runs a webhook sender on the shared delivery table.
    app.config.update(ALLOW_LOCAL_TARGETS=True, WEBHOOK_POLL_SECONDS=0.05)
    # 0.1 s an answer: two senders polling every 0.05 s see the same head while it is in flight.
    receiver = Receiver(delay=0.1).start()
    got = lambda: [int(p.headers["X-Faces-Delivery"]) for p in receiver.posts]  # noqa: E731
    with app.app_context():
        hook, _ = create_webhook(receiver.url)
        for i in range(12):
            queue_webhooks({"id": str(i), "type": "test"}, only=hook)
        db.session.commit()
        hook_id = hook.id
    hosts = [Sender(app).start() for _ in range(2)]
    try:
        deadline = time.monotonic() + 30
        while len(set(got())) < 12 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a second post of the last one would come now
    finally:
        for sender in hosts:
            sender.close()
        receiver.stop()
        with app.app_context():
            db.session.execute(text("DELETE FROM webhook WHERE id = :id"), {"id": hook_id})
            db.session.commit()
    assert len(set(got())) == 12 and got() == sorted(set(got())), got()


def test_two_hosts_stay_connected_to_mqtt_and_one_going_leaves_the_status_online(app, broker):
    # One client id for every host made the broker drop each for the other, in turn.
    app.config.update(MQTT_HOST="127.0.0.1", MQTT_PORT=broker, MQTT_CLIENT_ID="facerec")
    listener = Listener(broker, "cluster-listener")
    connects = {"a": 0, "b": 0}
    hosts = {}
    for name in connects:
        app.config["HOST_ID"] = name
        hosts[name] = MqttPublisher(app, EventBus(app))
        connected = hosts[name].client.on_connect
        hosts[name].client.on_connect = lambda *a, _n=name, _c=connected: (connects.__setitem__(_n, connects[_n] + 1), _c(*a))
        hosts[name].start()
    try:
        assert wait_for(lambda: connects["a"] and connects["b"], 10)
        time.sleep(3)  # paho reconnects a dropped client within 1 s
        assert connects == {"a": 1, "b": 1}
        hosts.pop("a").close()  # its offline (as its will would say, killed)
        time.sleep(1)
        status = [m[1] for m in listener.topics("facerec/status")]
        assert "offline" in status and status[-1] == "online", status  # b still sends: retained online
    finally:
        app.config.update(HOST_ID=None, MQTT_HOST=None)
        for publisher in hosts.values():
            publisher.close()
        listener.close()
