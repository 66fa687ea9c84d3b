# Central service: FastAPI + ingest + the operators' console. No OpenCV, no onnxruntime.

# The console's browser libraries, pinned by package-lock.json, installed with Debian's npm in a
# stage of their own: the final image serves the files and carries no Node.js.
FROM python:3.11-slim-bookworm AS console-assets
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /vendor
COPY central/gridwatch_central/web/vendor/package.json central/gridwatch_central/web/vendor/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contract contract
COPY central central
# Before the install, so that the package data carries the served files (see pyproject.toml).
COPY --from=console-assets /vendor/node_modules central/gridwatch_central/web/vendor/node_modules
COPY edge edge
COPY gridwatch gridwatch
COPY configs configs
RUN pip install --no-cache-dir ".[central]"
EXPOSE 8000
ENTRYPOINT ["gridwatch", "central", "serve"]
CMD ["--config", "/etc/gridwatch/central.yaml"]
