"""The TFLite variants: ONE table of what each ``graphsh_<variant>.tflite`` is and how the converter makes it.

Everything that names a variant reads :data:`VARIANTS`: the converter (:mod:`graphsh_tf.lite.convert`) its converter
settings, the exporter (:mod:`graphsh_tf.lite.export`) the per-channel rule and the file name, the metadata reader
the report order, ``tflite/convert.py`` its ``--variants`` help. Adding a variant is one :class:`Variant` row here
(plus, for a new kind of converter setting, its line in :func:`graphsh_tf.lite.convert.convert`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

FILE_PREFIX = "graphsh_"


class ExportError(ValueError):
    """A model cannot be exported (unknown variant, layer, activation or formulation); the message names it and
    the fix."""


@dataclass(frozen=True)
class Variant:
    """One TFLite variant.

    ``default``: exported when no ``--variants`` are given (else only on request). Converter settings:
    ``optimize`` (``tf.lite.Optimize.DEFAULT``), ``supported_types`` (``target_spec.supported_types`` by dtype name),
    ``calibrated`` (needs representative inputs; full-integer or 16x8), ``full_integer`` (int8 activations and
    weights, ``TFLITE_BUILTINS_INT8``), ``int16x8`` (int16 activations, int8 weights), ``qat`` (converted from the
    quantization-aware fine-tuned model with its fixed ranges). ``io_types``: the input/output tensor types it can
    have: ``"float"`` (float32 keypoints in, float32 mm out: the contract of every variant; an int8 variant quantizes
    inside), and ``"int8"`` for full-integer variants, the int8 tensors of files exported before that contract (kept
    so their readers stay tested). ``per_channel``: per-channel int8 weight scales ``"always"``, ``"never"`` or
    ``"option"`` (the caller's choice; off by default). ``float_parts``: the parts of the graph a full-integer variant
    keeps in float32 (:data:`graphsh_tf.lite.folded.FLOAT_PARTS`: the first graph conv and the head; measured in
    benchmarks/README.md, "Mixed precision").
    """

    name: str
    description: str
    default: bool = True
    optimize: bool = False
    supported_types: Tuple[str, ...] = ()
    calibrated: bool = False
    full_integer: bool = False
    int16x8: bool = False
    qat: bool = False
    io_types: Tuple[str, ...] = ("float",)
    per_channel: str = "never"
    float_parts: Tuple[str, ...] = ()

    def filename(self, batch: int = 1) -> str:
        """``graphsh_<variant>.tflite`` (``_b<batch>`` added for a batch other than 1)."""
        return f"{FILE_PREFIX}{self.name}.tflite" if batch == 1 else f"{FILE_PREFIX}{self.name}_b{batch}.tflite"

    def per_channel_weights(self, requested: Optional[bool] = None) -> bool:
        """Whether the int8 weights get per-channel scales, given the caller's ``requested`` choice (None: the
        default). ``"always"``: int16x8, whose error the int8 weights set (p99.9 per-pose 11.1 → 5.5 mm on the mocap
        run for a 41 % larger file); ``"option"``: off unless requested (the grouped per-joint convolutions have
        ``joints x units`` output channels: their scales, zero points and int32 biases grow the int8 file ~30 %)."""
        if self.per_channel == "always":
            return True
        return bool(requested) if self.per_channel == "option" else False


#: Every variant, in report order.
VARIANTS: Dict[str, Variant] = {v.name: v for v in (
    Variant("fp32", "float32"),
    Variant("fp16", "float16 weights", optimize=True, supported_types=("float16",)),
    Variant("drq", "dynamic-range int8 weights", optimize=True),
    Variant("int8", "post-training int8, first graph conv and head in float32", optimize=True, calibrated=True,
            full_integer=True, io_types=("float", "int8"), per_channel="option", float_parts=("input", "head")),
    Variant("qat_int8", "int8 after quantization-aware fine-tuning, first graph conv and head in float32",
            optimize=True, calibrated=True, full_integer=True, qat=True, io_types=("float", "int8"),
            per_channel="option", float_parts=("input", "head")),
    Variant("int16x8", "int16 activations, per-channel int8 weights (calibrated like int8; float32 input/output)",
            default=False, optimize=True, calibrated=True, int16x8=True, per_channel="always"),
)}


def variant(name: str) -> Variant:
    """The :class:`Variant` called ``name``; an unknown name is an :class:`ExportError` listing the known ones."""
    try:
        return VARIANTS[name]
    except KeyError:
        raise ExportError(f"unknown variant {name!r}; choose from {', '.join(all_names())}") from None


def default_names() -> Tuple[str, ...]:
    """The variants exported when none are named, in report order."""
    return tuple(v.name for v in VARIANTS.values() if v.default)


def optional_names() -> Tuple[str, ...]:
    """The variants exported only on request."""
    return tuple(v.name for v in VARIANTS.values() if not v.default)


def all_names() -> Tuple[str, ...]:
    """Every variant, in report order."""
    return tuple(VARIANTS)


def per_channel_option_names() -> Tuple[str, ...]:
    """The variants whose per-channel int8 weights are the caller's choice (``--per-channel``)."""
    return tuple(v.name for v in VARIANTS.values() if v.per_channel == "option")


def report_order(name: str) -> int:
    """Position of ``name`` in report order (unknown names after the known ones)."""
    names = all_names()
    return names.index(name) if name in names else len(names)


def describe() -> str:
    """One line per variant (``name: description``, the optional ones marked), for help texts."""
    return "; ".join(f"{v.name}: {v.description}" + ("" if v.default else " (on request)")
                     for v in VARIANTS.values())
