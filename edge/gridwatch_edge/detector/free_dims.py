"""Loading a fully convolutional ONNX export with free input height and width.

Exports such as YOLOX's fix the input at [1, 3, 416, 416] in the graph's declared shapes only;
the operators themselves work at any size that is a multiple of the largest stride. Declaring
the spatial input axes (and the outputs' anchor axis, which follows them) symbolic lets ONNX
Runtime run other sizes without warnings about outputs that differ from the declared shape.
The recorded intermediate shapes (``value_info``) describe the old size only, so they are
dropped; ONNX Runtime infers shapes itself. The weights file on disk is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import onnx

from gridwatch_edge.errors import ModelError

HEIGHT_AXIS, WIDTH_AXIS = 2, 3


@dataclass(frozen=True, slots=True)
class FreedModel:
    serialized: bytes  # for onnxruntime.InferenceSession
    declared_input_shape: list[int | str]  # as the file declares it, checked against the manifest


def with_free_spatial_dims(path: Path, *, anchor_axis: int) -> FreedModel:
    """The model at ``path`` with symbolic input height/width and output ``anchor_axis``."""
    try:
        model = onnx.load(str(path))
    except Exception as error:  # protobuf raises its own DecodeError classes
        raise ModelError(f"model file {path} is not a loadable ONNX model ({error})") from None
    graph = model.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ModelError(
            f"model file {path}: a rectangular input needs one input and one output,"
            f" it has {len(graph.input)} and {len(graph.output)}"
        )
    input_dims = graph.input[0].type.tensor_type.shape.dim
    output_dims = graph.output[0].type.tensor_type.shape.dim
    if len(input_dims) != 4 or len(output_dims) <= anchor_axis:
        raise ModelError(f"model file {path}: unexpected input or output rank for its format")
    declared: list[int | str] = [dim.dim_param or dim.dim_value for dim in input_dims]
    input_dims[HEIGHT_AXIS].dim_param = "height"
    input_dims[WIDTH_AXIS].dim_param = "width"
    output_dims[anchor_axis].dim_param = "anchors"
    del graph.value_info[:]
    return FreedModel(bytes(model.SerializeToString()), declared)
