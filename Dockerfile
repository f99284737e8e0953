# One image for all four Slipstream services; the command picks the service:
#   docker run slipstream python -m services.ingest     (or scheduler, feedback, notifier)
#
# Every dependency ships a manylinux wheel for glibc <= 2.28 (checked with
# `pip install --dry-run --only-binary=:all:`), so the slim image needs no compiler.
# bookworm is pinned so that check stays true when the slim tag moves on.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
# hatchling refuses to build without the README that pyproject.toml names.
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
# A plain (non-editable) install of the project and its runtime dependencies only: the
# `test` extra (pytest, testcontainers, ruff, mypy ...) stays out of the image.
RUN /opt/venv/bin/pip install .

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# The settings default to 127.0.0.1, which nothing outside a container can reach.
ENV INGEST_HOST=0.0.0.0 \
    SCHEDULER_HOST=0.0.0.0 \
    FEEDBACK_HOST=0.0.0.0 \
    NOTIFIER_HOST=0.0.0.0
RUN groupadd --system --gid 10001 slipstream \
    && useradd --system --uid 10001 --gid slipstream --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin slipstream
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Numeric so Kubernetes' runAsNonRoot can verify it without resolving the name.
USER 10001:10001

EXPOSE 8080 8081 8082 8083

# The image does not know which service it runs, so probe the port of whichever service's
# <NAME>_PORT is set. urlopen raises on a refused connection or a non-2xx answer, which
# exits non-zero and marks the container unhealthy. Compose and Kubernetes set their own
# per-service checks; this one is for a bare `docker run`.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = next((os.environ[k] for k in ('INGEST_PORT', 'SCHEDULER_PORT', 'FEEDBACK_PORT', 'NOTIFIER_PORT') if os.environ.get(k)), '8080'); urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2)"]

CMD ["python", "-m", "services.ingest"]
