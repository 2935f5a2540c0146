"""The stream's rate meters are read by status requests while a camera thread ticks them:
GET /api/cameras answered 500 "deque mutated during iteration" under schemathesis."""
from __future__ import annotations

import sys
import threading

from app.stream.rates import RateMeter


def test_a_rate_is_read_while_another_thread_ticks():
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns often: the race shows within a second
    meter = RateMeter(window=1e9)  # a long window: nothing expires, the deque only grows
    # 1,000 ticks: the unlocked meter failed 5 runs of 5 within them; each read walks the whole
    # deque under the lock, so 100,000 took the locked one four minutes.
    ticker = threading.Thread(target=lambda: [meter.tick(i * 1e-6) for i in range(1_000)])
    try:
        ticker.start()
        while ticker.is_alive():
            assert meter.rate(1.0) >= 0.0
    finally:
        ticker.join()
        sys.setswitchinterval(interval)
