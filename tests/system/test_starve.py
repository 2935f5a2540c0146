"""Long-lived connections do not starve the API (issue 18, point 6): gunicorn as `make serve`
runs it, 20 MJPEG viewers and 32 clients trickling their requests held open together, and
/api/health answers every time within 1 s (scripts/bench_starve.py does the measuring)."""
from __future__ import annotations

import sys

import pytest

from support import ROOT

pytestmark = pytest.mark.slow
sys.path.insert(0, str(ROOT / "scripts"))


def test_viewers_and_slow_clients_leave_the_api_answering(model_dir):
    from bench_starve import measure

    figures = measure(viewers=20, slow=32, seconds=10, timeout=5.0)
    assert figures["health_failed"] == 0 and figures["health_ms_max"] < 1000, figures
    # The viewers past the workers' stream slots were told when to come back.
    assert set(figures["viewers_by_status"]) <= {"200", "503"}, figures
    assert figures["viewers_by_status"].get("200", 0) >= 4 and figures["viewer_frames_min"] > 0, figures
    if "503" in figures["viewers_by_status"]:
        assert figures["retry_after"] == ["5"], figures
