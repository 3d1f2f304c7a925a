# brandbot in a container: `docker build -t brandbot .`, then see README "Deploying".
# The store lives in the /data volume; secrets come from the environment (an env file).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The package first (its dependencies change less often than the knowledge base).
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
RUN pip install . && rm -rf build *.egg-info

COPY config.toml ./
COPY knowledge_base ./knowledge_base
COPY samples ./samples

# Never root: a user of its own, owning only the data folder.
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin brandbot \
    && mkdir -p /data && chown brandbot:brandbot /data
USER brandbot
VOLUME ["/data"]

ENV BRANDBOT_CONFIG=/app/config.toml \
    BRANDBOT_DB=/data/brandbot.db \
    BRANDBOT_PORT=8080
EXPOSE 8080

# Liveness: the process answers and its store does (GET /healthz). /readyz also checks the
# platforms, which is for alerts, not for restarting a container while Telegram is down.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/healthz' % os.environ.get('BRANDBOT_PORT', '8080'); sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]

# Exec form: brandbot is PID 1 and gets docker stop's SIGTERM (a clean stop).
CMD ["brandbot", "serve", "--host", "0.0.0.0"]
