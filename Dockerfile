# Slim, non-root image running the bot (`python -m bot` = `wbrep run`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY services ./services
COPY db ./db
COPY migrations ./migrations
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 wbrep \
    && mkdir -p /data && chown wbrep:wbrep /data

USER wbrep
VOLUME ["/data"]
CMD ["python", "-m", "bot"]
