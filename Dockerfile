# 社区吧: slim image, non-root, `forum serve` (migrates on start). Data (SQLite, uploads, generated
# secret key) lives in the /data volume; set FORUM_DATABASE_URL for PostgreSQL.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FORUM_DATA_DIR=/data \
    FORUM_HOST=0.0.0.0 \
    FORUM_PORT=8000

RUN useradd --create-home --uid 10001 forum && mkdir /data && chown forum:forum /data
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY migrations ./migrations
COPY src ./src
# Editable, so the app finds migrations/ beside src/ as it does in a checkout.
RUN pip install -e . && python -c "import forum.app"

USER forum
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"FORUM_PORT\"]}/api/v1/boards', timeout=2)"
CMD ["forum", "serve"]
