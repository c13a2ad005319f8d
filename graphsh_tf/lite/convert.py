"""The converter: a Keras GraphSH model → the flatbuffer bytes of one TFLite variant (no metadata yet).

The folded graph (:mod:`graphsh_tf.lite.folded`) is saved as a SavedModel with the ``lift`` signature and converted
with ``tf.lite.TFLiteConverter``. Full-integer variants calibrate on representative poses
(:mod:`graphsh_tf.lite.calibrate`) after equalizing the multi-level head's channel ranges, unless fixed ranges from
quantization-aware training come as ``hooks``.
"""
from __future__ import annotations

import shutil
import tempfile
from typing import Optional

import numpy as np
import tensorflow as tf
import tf_keras as keras

from graphsh_tf.lite.calibrate import degenerate_ranges, head_scale, representative_dataset
from graphsh_tf.lite.folded import SIGNATURE, ExportError, Hooks, LiftModule, RangeHooks, graph_input
from graphsh_tf.lite.metadata import ALL_VARIANTS

#: Full-integer int8 variants (int8 activations and weights).
FULL_INTEGER = ("int8", "qat_int8")
#: Variants calibrated on representative inputs: full int8 and 16x8 (int16 activations, int8 weights).
CALIBRATED = FULL_INTEGER + ("int16x8",)


def convert(model: keras.Model, variant: str, representative: Optional[np.ndarray] = None, io: str = "float",
            batch: int = 1, formulation: str = "conv", per_channel: Optional[bool] = None, hooks: Optional[Hooks] = None,
            head: Optional[bool] = None) -> bytes:
    """Convert ``model`` to one TFLite variant; returns the flatbuffer bytes (no metadata yet).

    ``variant``: fp32, fp16, drq (dynamic-range int8 weights), int8 / qat_int8 (full integer; needs
    ``representative`` ``(M, 16, 2)`` float32 inputs, a few hundred), int16x8 (int16 activations and int8 weights,
    ``tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8``, calibrated on the same
    ``representative`` inputs with the same graph and head equalization as int8; float32 input/output only).
    ``io``: "float" or "int8" input/output of the full-integer variants. ``per_channel``: per-channel int8 weight
    scales (default on for int16x8 only: there the int8 weights, not the int16 activations, set the error — on the
    mocap run per-tensor weights gave p99.9 per-pose |Δ| 11.1 mm, per-channel 5.5 mm, for a 41 % larger file;
    otherwise default off: the grouped per-joint convolutions have ``joints x units`` output channels, and 28 bytes
    of scales/zero points/int32 bias per channel would grow the int8 file ~30 % over one byte per parameter;
    per-tensor scales keep it at ~1.0x). ``hooks``: fixed int8 ranges from quantization-aware training
    (:class:`graphsh_tf.lite.folded.RangeHooks`). ``head``: equalize the multi-level head's channel ranges (default:
    for full-integer variants calibrated here; :func:`graphsh_tf.lite.calibrate.head_scale`).
    """
    full_int = variant in FULL_INTEGER
    calibrated = variant in CALIBRATED
    if per_channel is None:
        per_channel = variant == "int16x8"
    if variant not in ALL_VARIANTS:
        raise ExportError(f"unknown variant {variant!r}; choose from {', '.join(ALL_VARIANTS)}")
    if io not in ("float", "int8"):
        raise ExportError(f"io={io!r}: use 'float' or 'int8'")
    if variant == "int16x8" and io != "float":
        raise ExportError("variant int16x8 has float32 input/output only (its activations are int16); "
                          "export it with --io float, or choose int8 for int8 input/output")
    if hooks is not None and (not full_int or formulation != "conv"):
        raise ExportError("hooks (fixed int8 ranges from quantization-aware training) apply to the int8 variants of "
                          "the default graph only (formulation conv)")
    if hooks is not None:
        per_channel = bool(getattr(hooks, "per_channel", False))     # as the weights were fake-quantized
    if calibrated and (representative is None or len(representative) < batch):
        raise ExportError(f"variant {variant}: full-integer quantization needs representative inputs "
                          "(a few hundred training poses)")
    if head is None:
        head = calibrated and hooks is None
    head_r = head_scale(model, representative) if head else None
    bias_in_transform = True     # int8 too: measured (mocap, pose input) +1.72 vs +2.28 mm and 63 vs 80 us when
    #                              the bias followed the joint mixing (21 ADDs and quantized tensors fewer)
    if full_int and hooks is None and formulation == "conv":
        tiny = degenerate_ranges(model, representative, bias_in_transform, head_r)
        if tiny:      # fixed ranges for those tensors only (the converter calibrates the rest). The weights get
            # their FakeQuant too, as TFLite quantizes them: with FakeQuant ops in the graph the converter would
            # otherwise quantize every weight per channel
            hooks = RangeHooks(tiny, per_channel=per_channel)
    module = LiftModule(model, batch=batch, formulation=formulation, bias_in_transform=bias_in_transform,
                        hooks=hooks, head=head_r)
    tmp = tempfile.mkdtemp(prefix="graphsh_sm_")
    try:
        concrete = module.lift.get_concrete_function()
        tf.saved_model.save(module, tmp, signatures={SIGNATURE: concrete})
        conv = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=[SIGNATURE])
        if variant == "fp16":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.target_spec.supported_types = [tf.float16]
        elif variant == "drq":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
        elif full_int:
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.representative_dataset = representative_dataset(graph_input(model, representative), batch)
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            conv._experimental_disable_per_channel = not per_channel
            if io == "int8":
                conv.inference_input_type = tf.int8
                conv.inference_output_type = tf.int8
        elif variant == "int16x8":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.representative_dataset = representative_dataset(graph_input(model, representative), batch)
            conv.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
            conv._experimental_disable_per_channel = not per_channel
        return bytes(conv.convert())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
