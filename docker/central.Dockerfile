# Central service: FastAPI + ingest. No OpenCV, no onnxruntime.
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY contract contract
COPY central central
COPY edge edge
COPY gridwatch gridwatch
COPY configs configs
RUN pip install --no-cache-dir ".[central]"
EXPOSE 8000
ENTRYPOINT ["gridwatch", "central", "serve"]
CMD ["--config", "/etc/gridwatch/central.yaml"]
