"""At most N images are decoded and analysed at once per process (ImageBudget); the others
wait for a turn, then get BusyError (503 'busy') with a sentence that says what to do.
Through the API: tests/app/test_busy.py."""
from __future__ import annotations

import threading
import time

import pytest

from app.recognition.budget import ImageBudget
from app.recognition.errors import BusyError, RecognitionError
from app.recognition.pipeline import FacePipeline
from support import photos

PHOTO = photos("val", "madonna")[0]


def test_a_caller_waits_for_a_slot_to_free():
    budget = ImageBudget(1, wait_seconds=5)
    held = threading.Event()

    def hold():
        with budget.slot():
            held.set()
            time.sleep(0.3)

    worker = threading.Thread(target=hold)
    worker.start()
    held.wait()
    start = time.perf_counter()
    with budget.slot():
        waited = time.perf_counter() - start
    worker.join()
    assert 0.15 < waited < 3


def test_no_slot_in_time_is_busy():
    budget = ImageBudget(2, wait_seconds=0.05)
    with budget.slot(), budget.slot():
        with pytest.raises(BusyError) as err:
            with budget.slot():
                pass
    assert isinstance(err.value, RecognitionError)  # rendered by the app's error handler
    assert err.value.type == "busy"
    assert err.value.retry_after >= 1
    assert "again" in err.value.detail and "seconds" in err.value.detail
    with budget.slot():  # slots were given back
        pass


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        ImageBudget(0, 1)
    with pytest.raises(ValueError):
        ImageBudget(1, -1)


def test_the_pipeline_decodes_and_analyses_at_most_n_images_at_once(model_dir):
    pipeline = FacePipeline(model_dir, budget=ImageBudget(2, wait_seconds=60))
    analyze, lock, active, most = pipeline.analyze, threading.Lock(), [0], [0]

    def counting_analyze(rgb, max_faces=None):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.1)
        try:
            return analyze(rgb, max_faces)
        finally:
            with lock:
                active[0] -= 1

    pipeline.analyze = counting_analyze
    data = PHOTO.read_bytes()
    results = []
    threads = [threading.Thread(target=lambda: results.append(pipeline.analyze_bytes(data)))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and all(len(r.faces) == 1 for r in results)
    assert most[0] == 2


def test_every_pipeline_of_an_app_shares_one_budget(tmp_path):
    from support import make_app

    app = make_app(tmp_path / "faces.db", MAX_CONCURRENT_IMAGES=3, IMAGE_WAIT_SECONDS=1.5)
    owner = app.extensions["faces"]
    with app.app_context():
        int8, fp32 = owner.pipeline(variant="int8"), owner.pipeline(variant="fp32")
    assert int8.budget is fp32.budget is owner.budget
    assert (owner.budget.slots, owner.budget.wait_seconds) == (3, 1.5)
