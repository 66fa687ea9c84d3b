"""Export an Ultralytics checkpoint to the ONNX layout gridwatch's ``ultralytics`` format reads.

Needs ``pip install ultralytics`` in a separate environment (AGPL-3.0; never a runtime
dependency of gridwatch). Equivalent CLI: ``yolo export model=yolov8n.pt format=onnx imgsz=640``.
Optionally quantise the result to int8 with ``--int8`` (onnxruntime's dynamic quantisation).
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

# 640 is the training resolution of the COCO checkpoints; opset 12 loads on every onnxruntime.
IMAGE_SIZE = 640
OPSET = 12


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("checkpoint", help="e.g. yolov8n.pt (downloaded by ultralytics)")
    parser.add_argument("--int8", action="store_true", help="also write a dynamic int8 copy")
    args = parser.parse_args(argv)
    try:
        ultralytics: Any = importlib.import_module("ultralytics")
    except ImportError:
        parser.error("ultralytics is not installed: pip install ultralytics (separate venv)")
    exported = Path(
        ultralytics.YOLO(args.checkpoint).export(format="onnx", imgsz=IMAGE_SIZE, opset=OPSET)
    )
    print(f"wrote {exported}")
    if args.int8:
        quantization: Any = importlib.import_module("onnxruntime.quantization")
        target = exported.with_name(f"{exported.stem}_int8.onnx")
        quantization.quantize_dynamic(str(exported), str(target))
        print(f"wrote {target}; record its sha256 in the manifest")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
