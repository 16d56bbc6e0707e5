# fxbot container: `docker build -t fxbot .`, then see compose.yaml and the README's "Deploy" section.
# Everything that must outlive the container (database, master key file, config) lives in the /data volume.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY fxbot ./fxbot
COPY adapters ./adapters
COPY alerts ./alerts
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FXBOT_DATABASE__PATH=/data/fxbot.db \
    FXBOT_OPS__ENABLED=true \
    FXBOT_OPS__HOST=0.0.0.0 \
    FXBOT_OPS__PORT=9464
RUN groupadd --system --gid 10001 fxbot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin fxbot \
    && mkdir /data && chown 10001:10001 /data && chmod 0700 /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/fxbot-*.whl && rm -rf /wheels
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/healthz', timeout=4)"]
CMD ["fxbot", "run", "--config", "/data/config.yaml"]
