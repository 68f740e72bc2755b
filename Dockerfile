# Build stage: install the package (with its SQL files) into a virtualenv.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY queries ./queries
COPY migrations ./migrations
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir .

# Runtime stage: the virtualenv only, run as an unprivileged user.
FROM python:3.11-slim
RUN groupadd --gid 10001 dashboard \
    && useradd --create-home --uid 10001 --gid 10001 dashboard
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000
USER 10001:10001
EXPOSE 8000
# Migrations are a separate step: docker run --rm -e DATABASE_URL=... IMAGE usage-dashboard migrate
CMD ["granian", "--interface", "asgi", "--loop", "uvloop", "--factory", "--host", "0.0.0.0", "--port", "8000", "app.api.app:create_app"]
