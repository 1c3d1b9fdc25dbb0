# The app as a container: `docker compose up` (see compose.yaml and the README).
# tests/test_containers.py runs this file's install and start steps in a fresh venv.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The project itself: its metadata and every package pyproject.toml installs.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY slack_standin ./slack_standin
COPY demo ./demo
COPY bench ./bench
RUN pip install .

# A user of its own, owning only the data directory (the SQLite file, when no DATABASE_URL is set).
RUN useradd --system --uid 10001 --home-dir /data --create-home peer
USER peer
WORKDIR /data

ENV PORT=3000 \
    DATABASE_URL=sqlite:////data/peer-support.db \
    LOG_FORMAT=json
EXPOSE 3000
VOLUME ["/data"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]

# SIGTERM (docker stop) lets the app finish the work in hand; compose.yaml allows it 30 s.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
