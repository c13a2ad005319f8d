"""What a ``.tflite`` file says about itself: its variant (from the metadata or the file name), and the
``graphsh-tflite/1`` metadata — built from the converted model, embedded in the flatbuffer and written as a JSON
sidecar (``graphsh_fp32.tflite`` → ``graphsh_fp32.json``), read back by ONE reader (:func:`read_metadata`).

The sidecar's ``layout`` / ``input`` / ``output`` fields are the model's input/output contract, written and read
back (validated) by :class:`graphsh_tf.contract.LifterContract`; the same JSON is stored
in the flatbuffer's ``metadata`` list under the name ``graphsh`` so a lone ``.tflite`` still describes itself.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional, Union

from graphsh_tf import __version__
from graphsh_tf.contract import ContractError, InputContract, Int8Codec, LifterContract, OutputContract
from graphsh_tf.io import atomic_write_bytes, atomic_write_text, loads_finite, read_json, require_file, write_json
from graphsh_tf.lite.variants import FILE_PREFIX, report_order

import numpy as np

FORMAT = "graphsh-tflite/1"
METADATA_NAME = "graphsh"
#: The QAT-fine-tuned float weights, saved beside graphsh_qat_int8.tflite (validation measures against them).
QAT_WEIGHTS = "qat_float.weights.h5"

PathLike = Union[str, Path]


class MetadataError(ContractError):
    """A ``.tflite`` file or its sidecar lacks valid GraphSH metadata; the message names the file and the fix."""


class SidecarMismatch(MetadataError):
    """A sidecar that does not describe the model beside it (:func:`check_sidecar`)."""


# --- names ----------------------------------------------------------------------------------------------------------

def variant_from_filename(path: PathLike) -> str:
    """``graphsh_int8.tflite`` → ``int8`` (other names: the stem; the inverse of
    :meth:`graphsh_tf.lite.variants.Variant.filename` for batch 1)."""
    stem = Path(path).stem
    return stem[len(FILE_PREFIX):] if stem.startswith(FILE_PREFIX) else stem


def variant_of(path: PathLike) -> str:
    """Variant name from the metadata (``variant``), else from the file name."""
    try:
        return str(read_metadata(path)["variant"])
    except (MetadataError, KeyError):
        return variant_from_filename(path)


def variant_order(path: PathLike) -> tuple:
    """Sort key: known variants in report order (:func:`graphsh_tf.lite.variants.report_order`), then the others by
    name."""
    return (report_order(variant_from_filename(path)), Path(path).name)


def find_tflite(folder: PathLike, names=(), what: str = "validate") -> list:
    """The ``.tflite`` files of ``folder`` in variant order, restricted to ``names`` (variants or file names)."""
    folder = Path(folder)
    files = sorted(folder.glob("*.tflite"), key=variant_order)
    if names:
        files = [f for f in files if variant_from_filename(f) in names or f.name in names]
    if not files:
        raise MetadataError(f"{folder}: no .tflite files to {what}; run tflite/convert.py first")
    return files


def sidecar_path(tflite_path: PathLike) -> Path:
    return Path(tflite_path).with_suffix(".json")


# --- build, embed, write --------------------------------------------------------------------------------------------

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


def precision(model_bytes: bytes, float_parts=()) -> dict:
    """The sidecar's ``quantization``: the type of the graph's activations and of its transform weights, read from
    the model (``float32``, ``float16``, ``int8``, ``int16``), and the ``float_parts`` kept in float32 around an
    int8 body (:data:`graphsh_tf.lite.folded.FLOAT_PARTS`)."""
    from graphsh_tf.lite.flatbuffer import op_tensor_types

    rows = op_tensor_types(model_bytes)
    outs = {t for op, _, o in rows if op not in ("QUANTIZE", "DEQUANTIZE") for t in o}
    acts = "int16" if "INT16" in outs else "int8" if "INT8" in outs else "float32"
    weights = next((ins[1] for op, ins, _ in rows if op == "CONV_2D" and len(ins) > 1 and ins[1] != "FLOAT32"),
                   next((ins[1] for op, ins, _ in rows if op == "CONV_2D" and len(ins) > 1), "FLOAT32"))
    return {"activations": acts, "weights": weights.lower(), "float_parts": list(float_parts)}


def build_metadata(model_bytes: bytes, variant: str, model_config: dict, float_parts=()) -> dict:
    """The sidecar dict for a converted model: its input/output contract (:class:`graphsh_tf.contract.LifterContract`,
    names, batch and int8 codecs read from the model itself), its :func:`precision` (``float_parts``: the parts of
    an int8 graph kept in float32) and ``model_config``."""
    (in_name, ind), (out_name, outd) = _io_details(model_bytes)
    contract = LifterContract(InputContract.for_model(model_config, Int8Codec.from_tensor(ind), in_name),
                              OutputContract(Int8Codec.from_tensor(outd), out_name))
    side = contract.to_sidecar(batch=int(ind["shape"][0]))
    for key, detail in (("input", ind), ("output", outd)):
        shape, dtype = [int(d) for d in detail["shape"]], np.dtype(detail["dtype"]).name
        if [shape, dtype] != [side[key]["shape"], side[key]["dtype"]]:
            raise MetadataError(f"the converted model's {key} is {dtype} {shape}, its contract says "
                                f"{side[key]['dtype']} {side[key]['shape']}; re-export the model")
    return {"format": FORMAT, "version": __version__, "variant": variant, **side,
            "quantization": precision(model_bytes, float_parts), "model": dict(model_config)}


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


def write_model(path: PathLike, model_bytes: bytes, meta: dict) -> Path:
    """``path`` ← the flatbuffer with ``meta`` embedded, and its sidecar beside it; both atomically, the sidecar
    first, so a process killed in between never leaves a model without its sidecar."""
    data = embed_metadata(model_bytes, meta)
    write_json(sidecar_path(path), meta)
    return atomic_write_bytes(path, data)


def write_sidecar(tflite_path: PathLike, meta: dict) -> Path:
    return write_json(sidecar_path(tflite_path), meta)


def write_report(result: dict, markdown: str, json_path: PathLike, md_path: Optional[PathLike]) -> None:
    """Write a report as JSON (sorted keys) and, when ``md_path`` is given, as markdown; both atomically."""
    write_json(json_path, result)
    if md_path is not None:
        atomic_write_text(md_path, markdown)


# --- the one reader -------------------------------------------------------------------------------------------------

def read_embedded(path: PathLike) -> Optional[dict]:
    """The JSON stored in the ``.tflite`` flatbuffer's metadata ``graphsh``, or None when absent."""
    try:   # LiteRT's copy of the schema: reading needs no TensorFlow
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:
        from tensorflow.lite.python import schema_py_generated as schema

    data = require_file(path, MetadataError, "pass the .tflite file written by tflite/convert.py").read_bytes()
    try:
        if len(data) < 8 or data[4:8] != b"TFL3":
            raise ValueError("no 'TFL3' file identifier")
        model = schema.Model.GetRootAsModel(data, 0)
        for i in range(model.MetadataLength()):
            m = model.Metadata(i)
            if m.Name() and m.Name().decode() == METADATA_NAME:
                raw = model.Buffers(m.Buffer()).DataAsNumpy()
                return loads_finite(bytes(raw).decode(), f"{path} (embedded metadata)", MetadataError,
                                    "re-export the model with tflite/convert.py")
    except MetadataError:
        raise
    except Exception as e:  # noqa: BLE001 - any parse failure means a corrupt file
        raise MetadataError(f"{path}: cannot read the flatbuffer metadata ({type(e).__name__}: {e}); "
                            "the file is corrupt or not a .tflite model — re-export it with tflite/convert.py"
                            ) from None
    return None


#: The fields of a sidecar checked first against the metadata embedded in its ``.tflite`` (``a.b``: field b of
#: section a), so a mismatch names the field that matters; every other field must agree too.
AGREED_FIELDS = ("format", "variant", "layout", "joint_names", "input.name", "input.shape", "input.dtype",
                 "input.quantization", "input.normalization", "input.channels", "output.name", "output.shape",
                 "output.dtype", "output.quantization", "output.unit", "output.root_joint", "model")
_ABSENT = "(absent)"


def _get(meta, dotted: str):
    for key in dotted.split("."):
        meta = meta.get(key, _ABSENT) if isinstance(meta, dict) else _ABSENT
    return meta


def _first_difference(a, b, where: str):
    """``(dotted field, a's value, b's value)`` of the first place two JSON values differ, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            d = _first_difference(a.get(key, _ABSENT), b.get(key, _ABSENT), f"{where}.{key}" if where else str(key))
            if d:
                return d
        return None
    return None if a == b and type(a) is type(b) or (a == b and {type(a), type(b)} <= {int, float}) \
        else (where, a, b)


def check_sidecar(side: dict, embedded: dict, side_path: PathLike, model_path: PathLike) -> None:
    """THE check of a sidecar against the model it describes: the sidecar ``side`` must equal the metadata
    ``embedded`` in the model (the fields of :data:`AGREED_FIELDS` first, then all others);
    :class:`SidecarMismatch` naming both files and the first field that differs otherwise. The Lifter, evaluation,
    validation and the web door all load through :func:`read_metadata`, which calls this."""
    diff = None
    for field in AGREED_FIELDS:
        diff = _first_difference(_get(side, field), _get(embedded, field), field)
        if diff:
            break
    diff = diff or _first_difference(side, embedded, "")
    if diff:
        field, a, b = diff
        raise SidecarMismatch(f"{side_path} does not describe {model_path}: field '{field}' is {a!r} in the "
                              f"sidecar but {b!r} in the model's embedded metadata; copy the sidecar exported with "
                              "this model, or re-export it with tflite/convert.py")


def read_metadata(path: PathLike, embedded: bool = True) -> dict:
    """Metadata of a ``.tflite``: the sidecar JSON when present (checked against the metadata embedded in the model:
    :func:`check_sidecar`; a model without embedded metadata does not get a sidecar's word), else (``embedded``) the
    copy in the flatbuffer. Raises :class:`MetadataError` naming the file and field."""
    path = Path(path)
    side = sidecar_path(path)
    if os.path.lexists(side):   # a folder or a looping link there is named as such by read_json
        meta = read_json(side, MetadataError, "re-export the model with tflite/convert.py")
        inside = read_embedded(path)
        if inside is None:
            raise SidecarMismatch(f"{path}: no embedded 'graphsh' metadata to check its sidecar {side.name} against "
                                "(a model from elsewhere beside a copied sidecar?); re-export it with "
                                "tflite/convert.py")
        check_sidecar(meta, inside, side, path)
    elif not embedded:
        raise MetadataError(f"{side}: sidecar JSON not found next to {path}; export writes it (copy it along)")
    else:
        meta = read_embedded(path)
        if meta is None:
            raise MetadataError(f"{path}: no sidecar {side.name} and no embedded 'graphsh' metadata; "
                                "re-export with tflite/convert.py")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise MetadataError(f"{side}: field 'format' is {meta.get('format') if isinstance(meta, dict) else None!r}, "
                            f"expected {FORMAT!r}; re-export with tflite/convert.py")
    return meta
