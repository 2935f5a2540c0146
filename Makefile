# The two commands: `make run` (set up, then serve on http://127.0.0.1:5000) and
# `make test` (set up, then run the whole test suite). Everything else is a step of theirs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: setup venv weights db run test bench bench-api bench-live open-set evaluate-lfw clean

setup: venv weights db

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

weights: venv
	$(BIN)/flask faces setup

# Create or upgrade the database (SQLite in instance/ unless FACES_DATABASE_URL says otherwise).
db: venv
	$(BIN)/flask db upgrade

run: setup
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: setup
	$(BIN)/python scripts/bench.py

# api_identify_ms and api_identify_rps: the REST API under gunicorn on loopback.
bench-api: setup
	$(BIN)/python scripts/bench_api.py

# stream_fps, label_latency_ms, cpu_ratio_3_viewers_vs_1: the demo camera under gunicorn.
bench-live: setup
	$(BIN)/python scripts/bench_live.py

# Open-set identification on LFW (needs ../shared/datasets/lfw-devtrain): named right and
# strangers accepted against the threshold; the default threshold; combining photos.
open-set: setup
	$(BIN)/python scripts/open_set.py --images $(LFW)/images

LFW ?= ../shared/datasets/lfw-devtrain
# Accuracy on LFW View 1 training pairs (needs ../shared/datasets/lfw-devtrain).
evaluate-lfw: setup
	$(BIN)/flask faces evaluate --images $(LFW)/images --pairs $(LFW)/pairsDevTrain.txt \
		--json reports/lfw-devtrain.json

clean:
	rm -rf $(VENV) instance/models instance/samples
