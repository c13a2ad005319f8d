"""The converter: a Keras GraphSH model → the flatbuffer bytes of one TFLite variant (no metadata yet).

The folded graph (:mod:`graphsh_tf.lite.folded`) is saved as a SavedModel with the ``lift`` signature and converted
with ``tf.lite.TFLiteConverter``. Full-integer variants calibrate on representative poses
(:mod:`graphsh_tf.lite.calibrate`) after equalizing the multi-level head's channel ranges, unless fixed ranges from
quantization-aware training come as ``hooks``.
"""
from __future__ import annotations

import shutil
import tempfile
from typing import Callable, Iterable, Optional, Sequence

from graphsh_tf.lite.calibrate import degenerate_ranges, head_scale, representative_dataset
from graphsh_tf.lite.folded import FLOAT_SCOPE, SIGNATURE, LiftModule, float_layers, graph_input
from graphsh_tf.lite.hooks import Hooks, RangeHooks
from graphsh_tf.lite.variants import VARIANTS, ExportError, Variant
from graphsh_tf.lite.variants import variant as lookup

import numpy as np
import tensorflow as tf
import tf_keras as keras


def configure(conv: tf.lite.TFLiteConverter, v: Variant, representative: Optional[Callable[[], Iterable]],
              per_channel: bool, io: str = "float") -> None:
    """Set ``conv`` up for variant ``v`` (its row of :data:`graphsh_tf.lite.variants.VARIANTS`):
    ``representative`` is the converter's ``representative_dataset`` for calibrated variants."""
    if v.optimize:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if v.supported_types:
        conv.target_spec.supported_types = [tf.as_dtype(t) for t in v.supported_types]
    if v.calibrated:
        conv.representative_dataset = representative
        conv._experimental_disable_per_channel = not per_channel
    if v.full_integer:
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if io == "int8":
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
    if v.int16x8:
        conv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]


def float_region_nodes(calibrated: bytes, float_output: bool = False) -> list:
    """The output tensor names of the ops of a calibrated model emitted in :data:`graphsh_tf.lite.folded.FLOAT_SCOPE`
    (the converter's ``denylisted_nodes``: they stay float), and with ``float_output`` the op writing the model's
    output (its tensor carries the signature's name, not the scope)."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=calibrated)
    details = {d["index"]: d["name"] for d in interp.get_tensor_details()}
    outputs = {d["index"] for d in interp.get_output_details()} if float_output else set()
    return sorted({details[t] for op in interp._get_ops_details() for t in op["outputs"]
                   if FLOAT_SCOPE in details.get(t, "") or t in outputs})


def _quantize_mixed(conv: tf.lite.TFLiteConverter, per_channel: bool, float_output: bool) -> bytes:
    """Calibrate, then quantize everything but the float region (ops named in ``FLOAT_SCOPE``): those stay float32,
    with a DEQUANTIZE in front and a QUANTIZE behind."""
    from tensorflow.lite.python import convert as tfl_convert

    conv._experimental_calibrate_only = True
    calibrated = conv.convert()
    nodes = float_region_nodes(calibrated, float_output)
    return tfl_convert.mlir_quantize(calibrated, disable_per_channel=not per_channel, fully_quantize=False,
                                     denylisted_nodes=nodes)


def convert(model: keras.Model, variant: str, representative: Optional[np.ndarray] = None, io: str = "float",
            batch: int = 1, formulation: str = "conv", per_channel: Optional[bool] = None,
            hooks: Optional[Hooks] = None, head: Optional[bool] = None,
            float_parts: Optional[Sequence[str]] = None) -> bytes:
    """Convert ``model`` to one TFLite variant; returns the flatbuffer bytes (no metadata yet).

    ``variant``: a name of :data:`graphsh_tf.lite.variants.VARIANTS`, whose row sets the converter. Calibrated
    variants (int8, qat_int8, int16x8) need ``representative`` ``(M, 16, 2)`` float32 inputs, a few hundred; they
    share the graph and the head equalization. ``io``: "float" or "int8" input/output of the variants whose
    ``io_types`` allow int8 (float-activation variants keep float I/O). ``per_channel``: per-channel int8 weight
    scales (None: the variant's default, :meth:`graphsh_tf.lite.variants.Variant.per_channel_weights`; an explicit
    value overrides it). ``hooks``: fixed int8 ranges from quantization-aware training
    (:class:`graphsh_tf.lite.hooks.RangeHooks`). ``head``: equalize the multi-level head's channel ranges (default:
    for calibrated variants without ``hooks``; :func:`graphsh_tf.lite.calibrate.head_scale`). ``float_parts``: the
    parts of the graph a full-integer variant keeps in float (:data:`graphsh_tf.lite.folded.FLOAT_PARTS`; None: the
    variant's ``float_parts``).
    """
    v = lookup(variant)
    if float_parts is None:
        float_parts = v.float_parts
    float_parts = tuple(float_parts) if v.full_integer and io == "float" and formulation != "keras" else ()
    if per_channel is None:
        per_channel = v.per_channel_weights()
    if io not in ("float", "int8"):
        raise ExportError(f"io={io!r}: use 'float' or 'int8'")
    if io not in v.io_types and v.calibrated:      # quantized activations but float I/O: int8 I/O would surprise
        with_int8 = ", ".join(n for n, o in VARIANTS.items() if io in o.io_types)
        raise ExportError(f"variant {variant} has float32 input/output only ({v.description}); "
                          f"export it with --io float, or choose {with_int8} for {io} input/output")
    if hooks is not None and (not v.full_integer or formulation != "conv"):
        raise ExportError("hooks (fixed int8 ranges from quantization-aware training) apply to the int8 variants of "
                          "the default graph only (formulation conv)")
    if hooks is not None:
        per_channel = hooks.per_channel                 # as the weights were fake-quantized
    if v.calibrated and (representative is None or len(representative) < batch):
        raise ExportError(f"variant {variant}: full-integer quantization needs representative inputs "
                          "(a few hundred training poses)")
    if head is None:
        head = v.calibrated and hooks is None
    head_r = head_scale(model, representative) if head else None
    # the bias is added in the feature transform in every variant: for int8 that is 21 ADDs and quantized
    # tensors fewer than adding it after the joint mixing (mocap, pose input: +1.72 vs +2.28 mm, 63 vs 80 us)
    bias_in_transform = True
    if v.full_integer and hooks is None and formulation == "conv":
        tiny = degenerate_ranges(model, representative, bias_in_transform, head_r, float_parts)
        if tiny:      # fixed ranges for those tensors only (the converter calibrates the rest). The weights get
            # their FakeQuant too, as TFLite quantizes them: with FakeQuant ops in the graph the converter would
            # otherwise quantize every weight per channel
            hooks = RangeHooks(tiny, per_channel=per_channel)
    module = LiftModule(model, batch=batch, formulation=formulation, bias_in_transform=bias_in_transform,
                        hooks=hooks, head=head_r, float_parts=float_parts)
    tmp = tempfile.mkdtemp(prefix="graphsh_sm_")
    try:
        concrete = module.lift.get_concrete_function()
        tf.saved_model.save(module, tmp, signatures={SIGNATURE: concrete})
        conv = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=[SIGNATURE])
        rep = representative_dataset(graph_input(model, representative), batch) if v.calibrated else None
        configure(conv, v, rep, per_channel, io)
        if not float_parts:
            return bytes(conv.convert())
        return bytes(_quantize_mixed(conv, per_channel, model.layers[-1].name in float_layers(model, float_parts)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
