"""Events out: every recognition of every camera passes through `EventBus` (bus.py), which
turns tracks into visits (one arrival, one departure) and unknown faces, writes the
Arrivals row, queues a signed delivery for each webhook whose rules match (webhooks.py:
sent in order, retried with backoff) and publishes on MQTT with Home Assistant discovery
(mqtt.py). The bus of a process is owned by its ProcessState (app/faces/runtime.py)."""
from .bus import EventBus, get_bus
from .rules import Rules

__all__ = ("EventBus", "get_bus", "Rules")
