"""Metadata of exported ``.tflite`` files: built from the model, embedded in the flatbuffer and in a JSON sidecar.

The sidecar (``graphsh_fp32.tflite`` → ``graphsh_fp32.json``) has the fixed schema ``graphsh-tflite/1`` that the
Android/keypoint code reads (see :mod:`graphsh_tf.keypoints`). The same JSON is stored in the flatbuffer's
``metadata`` list under the name ``graphsh`` so a lone ``.tflite`` still describes itself.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Union

import numpy as np

from graphsh_tf import __version__, skeleton
from graphsh_tf.io import atomic_write_bytes as write_atomic  # noqa: F401  (re-exported)

FORMAT = "graphsh-tflite/1"
METADATA_NAME = "graphsh"
NORMALIZATION = "u = 2*x/w - 1, v = 2*y/w - h/w"


class MetadataError(ValueError):
    """A ``.tflite`` file or its sidecar lacks valid GraphSH metadata; the message names the file and the fix."""


def sidecar_path(tflite_path: Union[str, Path]) -> Path:
    return Path(tflite_path).with_suffix(".json")


def _quant(detail: dict) -> Optional[dict]:
    scale, zero = detail.get("quantization", (0.0, 0))
    if np.dtype(detail["dtype"]) == np.float32 or not scale:
        return None
    return {"scale": float(scale), "zero_point": int(zero)}


def _io_details(model_bytes: bytes) -> tuple:
    """(input detail, output detail) of the ``lift`` signature (or the first input/output)."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=model_bytes)
    try:
        runner = interp.get_signature_runner("lift")
        ins, outs = runner.get_input_details(), runner.get_output_details()
        return next(iter(ins.items())), next(iter(outs.items()))
    except ValueError:
        i, o = interp.get_input_details()[0], interp.get_output_details()[0]
        return (i["name"], i), (o["name"], o)


def build_metadata(model_bytes: bytes, variant: str, model_config: dict) -> dict:
    """The sidecar dict for a converted model (shapes/dtypes/quantization read from the model itself)."""
    (in_name, ind), (out_name, outd) = _io_details(model_bytes)
    return {
        "format": FORMAT,
        "version": __version__,
        "variant": variant,
        "layout": skeleton.H36M16.name,
        "joint_names": list(skeleton.H36M16.joint_names),
        "input": {"name": in_name, "shape": [int(d) for d in ind["shape"]], "dtype": np.dtype(ind["dtype"]).name,
                  "quantization": _quant(ind), "normalization": NORMALIZATION},
        "output": {"name": out_name, "shape": [int(d) for d in outd["shape"]], "dtype": np.dtype(outd["dtype"]).name,
                   "quantization": _quant(outd), "unit": "mm", "root_relative": True,
                   "root_joint": skeleton.H36M16.joint_names[0]},
        "model": dict(model_config),
    }


def embed_metadata(model_bytes: bytes, meta: dict) -> bytes:
    """Flatbuffer bytes with ``meta`` (JSON) stored as metadata entry ``graphsh`` (replacing an older one)."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    buf = schema.BufferT()
    buf.data = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    model.buffers.append(buf)
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata = [m for m in (model.metadata or []) if _name(m) != METADATA_NAME] + [entry]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _name(m) -> str:
    return m.name.decode() if isinstance(m.name, bytes) else str(m.name)


def read_embedded(path: Union[str, Path]) -> Optional[dict]:
    """The JSON stored in the ``.tflite`` flatbuffer's metadata ``graphsh``, or None when absent."""
    from tensorflow.lite.python import schema_py_generated as schema

    data = Path(path).read_bytes()
    try:
        model = schema.Model.GetRootAsModel(data, 0)
        for i in range(model.MetadataLength()):
            m = model.Metadata(i)
            if m.Name() and m.Name().decode() == METADATA_NAME:
                raw = model.Buffers(m.Buffer()).DataAsNumpy()
                return json.loads(bytes(raw).decode())
    except Exception as e:  # noqa: BLE001 - any parse failure means a corrupt file
        raise MetadataError(f"{path}: cannot read the flatbuffer metadata ({type(e).__name__}: {e}); "
                            "the file is corrupt or not a .tflite model — re-export it with tflite/convert.py") from None
    return None


def write_sidecar(tflite_path: Union[str, Path], meta: dict) -> Path:
    return write_atomic(sidecar_path(tflite_path), (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode())


def read_metadata(path: Union[str, Path]) -> dict:
    """Metadata of a ``.tflite``: the sidecar JSON when present, else the embedded copy. Raises MetadataError."""
    path = Path(path)
    side = sidecar_path(path)
    if side.is_file():
        try:
            meta = json.loads(side.read_text())
        except json.JSONDecodeError as e:
            raise MetadataError(f"{side}: not valid JSON ({e}); re-export with tflite/convert.py") from None
    else:
        meta = read_embedded(path)
        if meta is None:
            raise MetadataError(f"{path}: no sidecar {side.name} and no embedded 'graphsh' metadata; "
                                "re-export with tflite/convert.py")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise MetadataError(f"{side}: field 'format' is {meta.get('format') if isinstance(meta, dict) else None!r}, "
                            f"expected {FORMAT!r}; re-export with tflite/convert.py")
    return meta


def write_report(result: dict, markdown: str, json_path: Union[str, Path],
                 md_path: Union[str, Path, None]) -> None:
    """Write a report as JSON (sorted keys) and, when ``md_path`` is given, as markdown; both atomically."""
    write_atomic(json_path, (json.dumps(result, indent=2, sort_keys=True) + "\n").encode())
    if md_path is not None:
        write_atomic(md_path, markdown.encode())
