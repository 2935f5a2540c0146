# The two commands: `make run` (set up, then serve on http://127.0.0.1:5000) and
# `make test` (set up, then run the whole test suite). Everything else is a step of theirs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: setup venv weights db run serve soak kill-test test docs bench bench-vs-face-recognition bench-api bench-live bench-scale bench-cluster bench-conditions bench-lowlight bench-tracks open-set library-lfw library-rules evaluate-lfw clean

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
	FACES_CAMERAS_AUTOSTART=1 $(BIN)/flask run --host 127.0.0.1 --port 5000

# As in production: 2 processes with 8 threads each (a slow client holds a thread, not a
# process); put a reverse proxy in front for anything beyond localhost (docs/DEPLOY.md).
# MALLOC_ARENA_MAX=2: glibc gives each thread its own malloc arena (up to 8 per core), and
# memory freed in one is not reused by the others: a worker grew from 176 to 475 MB in a
# 10-minute soak, 347 MB with 2 arenas (docs/WEBAPP.md, "Soak").
GUNICORN_FLAGS ?= -w 2 -k wsgi_worker.BufferingThreadWorker --threads 8 --timeout 120 -b 127.0.0.1:8000
MALLOC_ARENA_MAX ?= 2
# One CPU thread per network, as the Dockerfile and bench-api run: 2 busy workers already
# fill the 2 cores, and a photo took 0.90-0.93x the CPU with 1 thread than with 2 (two
# processes at once, three runs; the same embeddings; docs/BENCHMARKS.md, issue 25).
FACES_THREADS ?= 1
serve: setup
	MALLOC_ARENA_MAX=$(MALLOC_ARENA_MAX) FACES_THREADS=$(FACES_THREADS) FACES_WARM_UP=1 FACES_CAMERAS_AUTOSTART=1 \
		$(BIN)/gunicorn $(GUNICORN_FLAGS) wsgi:app

# 24 SIGKILLs of workers and of the master while 6 clients enrol against `make serve`'s
# gunicorn; then PRAGMA integrity_check, no half-saved person, every 201 there (scripts/kill_test.py).
kill-test: setup
	$(BIN)/python scripts/kill_test.py --kills 24

# Two pytest-xdist workers: one pytest process keeps one core busy 0.8 of the time at best
# (13 min 48 s for 12 min 21 s of CPU); each module runs whole on one worker, the tests that
# measure seconds or memory one after another (tests/conftest.py). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

# docs/CONFIGURATION.md from the settings declared in app/config.py (a test checks it is current).
docs: venv
	$(BIN)/python scripts/gen_config_docs.py

# 8 clients, 10 minutes, identify/enrol/add/rename/delete mixed against gunicorn (scripts/soak.py).
soak: setup
	$(BIN)/python scripts/soak.py --clients 8 --seconds 600

bench: setup
	$(BIN)/python scripts/bench.py

# Side by side with face_recognition (dlib) on the same 30 photos at 640 px, alternating
# runs, ratio of medians. face_recognition is not a dependency: install it in a scratch
# virtual environment first (scripts/bench_vs_face_recognition.py says how; dlib-bin is a wheel).
FR_PYTHON ?= /tmp/fr/bin/python
bench-vs-face-recognition: setup
	$(BIN)/python scripts/bench_vs_face_recognition.py --fr-python $(FR_PYTHON)

# api_identify_ms and api_identify_rps: the REST API under gunicorn on loopback.
bench-api: setup
	$(BIN)/python scripts/bench_api.py

# 1, 2 and 4 demo cameras under gunicorn -w 4: stream_fps and label_latency_ms per camera, the
# server's CPU in cores, the cost of a viewer, opened per source, webhook and MQTT latency.
bench-live: setup
	$(BIN)/python scripts/bench_live.py

# The gallery at 10,000 and 100,000 people on SQLite and PostgreSQL (needs the LFW embeddings
# that `make open-set` caches): search, enrolment seen by another worker, start-up, memory.
# A million (the graph built once, about half an hour here):
#   make bench-scale SCALE_SIZES=1000000 SCALE_ENGINES=sqlite
SCALE_SIZES ?= 10000 100000
SCALE_ENGINES ?= sqlite postgresql
bench-scale: setup
	$(BIN)/python scripts/bench_scale.py --sizes $(SCALE_SIZES) --engines $(SCALE_ENGINES)

# Open-set identification on LFW (needs ../shared/datasets/lfw-devtrain): named right and
# strangers accepted against the threshold; the default threshold; combining photos.
open-set: setup
	$(BIN)/python scripts/open_set.py --images $(LFW)/images

# The face library's targets through the REST API: unknown faces grouped, groups named, the
# last photos identified, the checks at the door (scripts/library_lfw.py; docs/LIBRARY.md).
# On SPLITS disjoint parts of the people (each measured alone; the spread in the JSON);
# library-rules simulates the same rules in memory on the cached embeddings, per split.
SPLITS ?= 2
SPLIT_SEED ?= 0
library-lfw: setup
	$(BIN)/python scripts/library_lfw.py --images $(LFW)/images --splits $(SPLITS) --split-seed $(SPLIT_SEED) --merge
library-rules: setup
	$(BIN)/python scripts/library_rules.py --cache .cache/lfw_devtrain_int8.npz --splits $(SPLITS) --split-seed $(SPLIT_SEED)

LFW ?= ../shared/datasets/lfw-devtrain
# Recognition where cameras are weak (issue 19; needs LFW): 1,000 dev pairs with the second
# photo made a camera frame (faces 16-64 px in 640x480, night/IR, motion blur, JPEG 25,
# combined), through the pipeline and /api/verify's path; identify against the dev gallery.
# Degraded frames' detections are cached in .cache/ (a first run ~45 min on 2 busy cores,
# a rerun seconds). reports/bench_conditions.{json,png}; docs/CAMERAS.md.
bench-conditions: setup
	$(BIN)/python scripts/bench_conditions.py --lfw $(LFW) --json reports/bench_conditions.json

# Dark scenes (issue 19; needs LFW): night faces with a lamp in view, a lit face in a dark
# room; faces found by the product's lift against the frame as it is (~5 min).
# reports/bench_lowlight.json; docs/CAMERAS.md.
bench-lowlight: setup
	$(BIN)/python scripts/bench_lowlight.py --lfw $(LFW) --json reports/bench_lowlight.json

# Live tracks named from all their faces (issue 19; needs LFW): dev people walking through a
# synthesised camera view (moving, walking away, IR night), replayed through the product's
# recognizer and tracker under its rule and the former majority vote, on 5 disjoint splits.
# The frames' faces are cached in .cache/ (a first run ~25 min on 2 busy cores, a rerun
# ~2 min). reports/bench_tracks.json; docs/CAMERAS.md.
bench-tracks: setup
	$(BIN)/python scripts/bench_tracks.py --lfw $(LFW) --json reports/bench_tracks.json

# Accuracy on LFW View 1 training pairs (needs ../shared/datasets/lfw-devtrain).
evaluate-lfw: setup
	$(BIN)/flask faces evaluate --images $(LFW)/images --pairs $(LFW)/pairsDevTrain.txt \
		--json reports/lfw-devtrain.json

clean:
	rm -rf $(VENV) instance/models instance/samples

# Cameras over three gunicorn hosts on one embedded PostgreSQL, nine demo cameras, a host
# killed with -9 and brought back: opens per camera, recovery and rebalance times, overlap,
# duplicate arrivals, fps and CPU per host (docs/CLUSTER.md).
# The issue's ten kills, about a minute each (make bench-cluster CLUSTER_KILLS=1: a quick look),
# then a host cut from the database for 30 s.
CLUSTER_KILLS ?= 10
CLUSTER_CUTS ?= 1
bench-cluster: setup
	$(BIN)/python scripts/bench_cluster.py --kills $(CLUSTER_KILLS) --cuts $(CLUSTER_CUTS)
