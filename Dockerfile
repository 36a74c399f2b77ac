# syntax=docker/dockerfile:1
# accessbot's image: one image, three commands (docs/deploy.md):
#   accessbot db upgrade            apply migrations (compose's "migrate" service, the Helm hook Job)
#   accessbot serve --role web      Slack events, admin API, HR hook, SCIM, /healthz, /metrics on :3000
#   accessbot serve --role worker   connector calls, timers, Slack notifications; /healthz on :9101
# tests/deploy/test_image_commands.py runs exactly these commands against PostgreSQL.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: wheels for accessbot and every dependency (compilers live only here) -----------------
FROM ${PYTHON_IMAGE} AS build
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY connectors ./connectors
COPY policies ./policies
COPY tests/__init__.py ./tests/__init__.py
COPY tests/support ./tests/support
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# ---- runtime: Python, the wheels, nothing else ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ACCESSBOT_HOST=0.0.0.0 \
    ACCESSBOT_PORT=3000 \
    ACCESSBOT_WORKER_METRICS_PORT=9101 \
    ACCESSBOT_LOG_FORMAT=json
# The versions are pinned by pyproject.toml and the wheels built from it; --no-index: nothing else comes in.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels accessbot \
 && groupadd --system --gid 10001 accessbot \
 && useradd --system --uid 10001 --gid accessbot --home-dir /srv/accessbot --create-home accessbot
WORKDIR /srv/accessbot
USER 10001:10001
EXPOSE 3000 9101
# The web role answers on 3000, the worker role on 9101: ask whichever this container runs.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-m", "bot.healthcheck"]
ENTRYPOINT ["accessbot"]
CMD ["serve", "--role", "web"]
