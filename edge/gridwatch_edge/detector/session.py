"""Opening an ONNX Runtime session and checking the model is what its manifest says."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import onnxruntime as ort

from gridwatch_edge.detector.free_dims import with_free_spatial_dims
from gridwatch_edge.detector.manifest import (
    ModelManifest,
    file_sha256,
    missing_model_message,
)
from gridwatch_edge.errors import ModelError

logger = logging.getLogger(__name__)

# Parallelism across graph branches buys nothing for these single-branch detectors and would
# compete with the camera threads for the two cores.
INTER_OP_THREADS = 1
# ONNX Runtime's worker threads spin for a while after each parallel section, waiting for
# more work. On a box where camera decoders need the same cores that spinning is stolen time,
# so the one shared session sleeps instead (measured in benchmarks/edge.py).
ALLOW_SPINNING = "0"


def check_providers(requested: list[str]) -> list[str]:
    """``requested`` if ONNX Runtime on this box offers every one, else ``ModelError``."""
    available = ort.get_available_providers()
    missing = [provider for provider in requested if provider not in available]
    if missing:
        raise ModelError(
            f"detector.providers: {missing} not available in this onnxruntime build"
            f" (available: {available}); install onnxruntime-gpu or onnxruntime-openvino"
        )
    return requested


def open_session(
    manifest: ModelManifest,
    models_dir: Path,
    *,
    intra_op_threads: int,
    providers: list[str] | None = None,
    free_anchor_axis: int | None = None,
) -> Any:
    """An ``onnxruntime.InferenceSession`` (CPU unless told) whose input matches the manifest.

    With ``free_anchor_axis`` the graph is loaded with free input height and width and that
    output axis symbolic (``free_dims``), for rectangular inputs."""
    path = manifest.path_in(models_dir).absolute()
    if not path.is_file():
        raise ModelError(missing_model_message(manifest, path))
    chosen = check_providers(providers or ["CPUExecutionProvider"])
    _warn_on_checksum(manifest, path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = INTER_OP_THREADS
    options.add_session_config_entry("session.intra_op.allow_spinning", ALLOW_SPINNING)
    model: str | bytes = str(path)
    declared_input_shape = None
    if free_anchor_axis is not None:
        freed = with_free_spatial_dims(path, anchor_axis=free_anchor_axis)
        model, declared_input_shape = freed.serialized, freed.declared_input_shape
    try:
        session = ort.InferenceSession(model, sess_options=options, providers=chosen)
    except Exception as error:  # onnxruntime raises its own untyped exception classes
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ModelError(
            f"model file {path} is not a loadable ONNX model ({first_line[:200]})"
        ) from None
    check_input(session, manifest, path, declared_shape=declared_input_shape)
    return session


def check_input(
    session: Any,
    manifest: ModelManifest,
    path: Path,
    *,
    declared_shape: list[int | str] | None = None,
) -> None:
    """``declared_shape``: the file's own input shape when the session runs a rewritten graph
    (``free_dims``), so that the file is still held to the manifest's size."""
    inputs = session.get_inputs()
    spec = manifest.input
    expected = [3, spec.height, spec.width]
    actual = [(i.name, list(i.shape), i.type) for i in inputs]
    if len(actual) == 1 and declared_shape is not None:
        actual = [(actual[0][0], declared_shape, actual[0][2])]
    if len(inputs) == 1:
        name, shape, element_type = actual[0]
        batch_ok = bool(shape) and (shape[0] == 1 or not isinstance(shape[0], int))
        if (
            name == spec.name
            and batch_ok
            and shape[1:] == expected
            and element_type == "tensor(float)"
        ):
            return
    described = ", ".join(f"{name!r} {kind} {shape}" for name, shape, kind in actual)
    raise ModelError(
        f"model file {path} does not match manifest {manifest.name!r}: it has input {described},"
        f" expected input {spec.describe()}"
    )


def accepts_batches(session: Any) -> bool:
    """True when the input's batch axis is symbolic (``'N'``, ``None``), not fixed at 1."""
    return not isinstance(session.get_inputs()[0].shape[0], int)


def check_output(session: Any, expected: list[int | None], path: Path, manifest_name: str) -> None:
    """Each ``None`` in ``expected`` accepts any size on that axis."""
    outputs = session.get_outputs()
    shape = list(outputs[0].shape) if len(outputs) == 1 else None
    if (
        shape is not None
        and len(shape) == len(expected)
        and all(
            want is None or want == have or (axis == 0 and not isinstance(have, int))
            for axis, (want, have) in enumerate(zip(expected, shape, strict=True))
        )
    ):
        return
    actual = [list(output.shape) for output in outputs]
    wanted = ["N" if size is None else size for size in expected]
    raise ModelError(
        f"model file {path} does not match manifest {manifest_name!r}: it has output(s) {actual},"
        f" expected one output {wanted}"
    )


def _warn_on_checksum(manifest: ModelManifest, path: Path) -> None:
    # Not fatal: a user may re-export the same architecture; the shape checks catch real misfits.
    actual = file_sha256(path)
    if actual != manifest.sha256:
        logger.warning(
            "model file %s has sha256 %s, manifest %r expects %s",
            path,
            actual,
            manifest.name,
            manifest.sha256,
        )
