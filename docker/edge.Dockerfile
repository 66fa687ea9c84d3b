# Edge worker. Models are mounted at /models (never baked into the image).
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contract contract
COPY central central
COPY edge edge
COPY gridwatch gridwatch
COPY models models
RUN pip install --no-cache-dir ".[edge]"
ENV GRIDWATCH_MODELS_DIR=/models
ENTRYPOINT ["gridwatch", "edge", "run"]
CMD ["--config", "/etc/gridwatch/edge.yaml"]
