"""Which events a subscription (a webhook, the MQTT connection) wants."""
from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import Problem

EVENT_TYPES = ("arrival", "departure", "unknown", "test")


@dataclass(frozen=True)
class Rules:
    """Empty tuples mean "all". "Only unknown faces at the front door" is
    Rules(events=("unknown",), cameras=(front_door_id,))."""

    events: tuple[str, ...] = ()
    people: tuple[int, ...] = ()
    cameras: tuple[int, ...] = ()

    def matches(self, event: dict) -> bool:
        if event["type"] == "test":
            return True  # a test event always goes out: that is its point
        if self.events and event["type"] not in self.events:
            return False
        if self.people and event.get("person_id") not in self.people:
            return False
        camera = (event.get("camera") or {}).get("id")
        return not self.cameras or camera in self.cameras

    def to_dict(self) -> dict:
        return {"events": list(self.events), "people": list(self.people), "cameras": list(self.cameras)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def parse(cls, data) -> "Rules":
        """From a dict (JSON body) or a JSON string; a Problem says what is wrong."""
        if isinstance(data, str):
            try:
                data = json.loads(data or "{}")
            except ValueError:
                raise Problem("invalid-input", "rules must be a JSON object.") from None
        if data is None:
            data = {}
        if not isinstance(data, dict) or set(data) - {"events", "people", "cameras"}:
            raise Problem("invalid-input", 'rules is an object with "events", "people" '
                          'and "cameras" lists (an empty or missing list means all).')
        events = data.get("events") or []
        if not isinstance(events, list) or any(e not in EVENT_TYPES[:3] for e in events):
            raise Problem("invalid-input", "rules.events lists some of: arrival, departure, unknown.")
        ids = {}
        for key in ("people", "cameras"):
            value = data.get(key) or []
            if not isinstance(value, list) or any(type(v) is not int for v in value):
                raise Problem("invalid-input", f"rules.{key} is a list of ids (integers).")
            ids[key] = tuple(value)
        return cls(tuple(events), ids["people"], ids["cameras"])
