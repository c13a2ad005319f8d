"""TFLite export of the temporal lifter (``ModelConfig.temporal_window`` T > 1): the Keras graph as it is.

The folded graph of :mod:`graphsh_tf.lite.folded` has emitters for the single-frame layers only, so the temporal
model is converted through ``tf.lite.TFLiteConverter`` from its Keras graph (time folded into the batch by a
reshape, the per-frame GraphSH, the causal convolutions over time as ``CONV_2D``, a strided slice for the newest
frame; every shape static), the metres → millimetres factor multiplied onto the output. Signature ``lift``: input
``keypoints_2d`` ``[batch, T, 16, C]`` float32 (the last T frames, oldest first), output ``joints_3d``
``[batch, 16, 3]`` mm, the newest frame's. The same file holds the stream's two halves (:data:`STREAM_FRAME`,
:data:`STREAM_WINDOW`), so a stream runs the per-frame GraphSH once per frame and keeps its features. The float
variants without calibration are exported (fp32, fp16, drq); full-integer variants and ``input_norm="pose"``
models (whose folded graphs take pre-normalized input) are refused with an
:class:`~graphsh_tf.lite.variants.ExportError`.
"""
from __future__ import annotations

import shutil
import tempfile

from graphsh_tf.contract import MM_PER_MODEL_UNIT, InputContract, Int8Codec, LifterContract, OutputContract
from graphsh_tf.lite.folded import INPUT_NAME, OUTPUT_NAME, SIGNATURE
from graphsh_tf.lite.variants import VARIANTS, ExportError
from graphsh_tf.lite.variants import variant as lookup

import numpy as np
import tensorflow as tf
import tf_keras as keras

#: The variants a temporal lifter exports (the float-activation ones, no calibration).
TEMPORAL_VARIANTS = tuple(v.name for v in VARIANTS.values() if not v.calibrated)


def window_of(model: keras.Model) -> int:
    """Frames per input of a Keras lifter: T for a temporal lifter, 1 for the single-frame model."""
    return int(model.input_shape[1]) if len(model.input_shape) == 4 else 1


def check_exportable(model: keras.Model, variant: str) -> None:
    """ExportError naming the fix when the temporal ``model`` cannot be exported as ``variant``."""
    v = lookup(variant)
    if v.calibrated:
        raise ExportError(f"variant {variant}: the temporal lifter (temporal_window {window_of(model)}) exports the "
                          f"float variants only ({', '.join(TEMPORAL_VARIANTS)}); pass --variants "
                          f"{','.join(TEMPORAL_VARIANTS)}")
    cfg = getattr(model, "graphsh_config", None)
    if cfg is not None and cfg.input_norm != "screen":
        raise ExportError(f"ModelConfig.input_norm={cfg.input_norm!r}: the temporal lifter exports with "
                          "input_norm='screen' only; retrain with --input-norm screen")


#: The two signatures a stream calls (:class:`graphsh_tf.temporal.TemporalStream`): one frame's keypoints
#: ``[1, 16, C]`` → its per-frame feature ``[1, 16, F]``, and the features of a window ``[1, T, 16, F]`` → the newest
#: frame's ``joints_3d`` mm; together they compute what ``lift`` computes, with one per-frame pass per frame.
STREAM_FRAME, STREAM_WINDOW, FEATURES_NAME = "stream_frame", "stream_window", "features"


class TemporalLiftModule(tf.Module):
    """``tf.Module`` with the ``lift`` function: ``keypoints_2d (batch, T, 16, C)`` → ``{"joints_3d": (batch, 16, 3)
    mm}``, and the stream's two halves (:data:`STREAM_FRAME`, :data:`STREAM_WINDOW`, batch 1)."""

    def __init__(self, model: keras.Model, batch: int = 1):
        from graphsh_tf.models import temporal_parts

        super().__init__(name="graphsh_temporal")
        self.model = model                                    # tracked: its variables are captured
        frame, window = temporal_parts(model)
        t, j, c = model.input_shape[1:]
        f = int(frame.output_shape[-1])

        @tf.autograph.experimental.do_not_convert
        def lift(keypoints_2d):
            return {OUTPUT_NAME: tf.identity(model(keypoints_2d, training=False) * MM_PER_MODEL_UNIT)}

        @tf.autograph.experimental.do_not_convert
        def stream_frame(keypoints_2d):
            return {FEATURES_NAME: tf.identity(frame(keypoints_2d, training=False))}

        @tf.autograph.experimental.do_not_convert
        def stream_window(features):
            return {OUTPUT_NAME: tf.identity(window(features, training=False) * MM_PER_MODEL_UNIT)}

        self.lift = tf.function(lift, input_signature=[tf.TensorSpec([batch, t, j, c], tf.float32, name=INPUT_NAME)])
        self.stream_frame = tf.function(stream_frame, input_signature=[tf.TensorSpec([1, j, c], tf.float32,
                                                                                     name=INPUT_NAME)])
        self.stream_window = tf.function(stream_window, input_signature=[tf.TensorSpec([1, t, j, f], tf.float32,
                                                                                       name=FEATURES_NAME)])

    def signatures(self) -> dict:
        """``lift`` first (the interpreter's primary subgraph, what single-signature readers see), then the
        stream's halves."""
        return {SIGNATURE: self.lift.get_concrete_function(),
                STREAM_FRAME: self.stream_frame.get_concrete_function(),
                STREAM_WINDOW: self.stream_window.get_concrete_function()}


def convert_temporal(model: keras.Model, variant: str = "fp32", batch: int = 1) -> bytes:
    """The flatbuffer bytes (no metadata yet) of the temporal ``model`` as ``variant`` (one of
    :data:`TEMPORAL_VARIANTS`)."""
    from graphsh_tf.lite.convert import configure

    check_exportable(model, variant)
    module = TemporalLiftModule(model, batch)
    tmp = tempfile.mkdtemp(prefix="graphsh_temporal_sm_")
    try:
        signatures = module.signatures()
        tf.saved_model.save(module, tmp, signatures=signatures)
        conv = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=list(signatures))
        configure(conv, lookup(variant), None, False)
        return bytes(conv.convert())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def temporal_metadata(model_bytes: bytes, variant: str, model_config: dict) -> dict:
    """The sidecar of a converted temporal lifter: the single-frame contract (:class:`LifterContract`: the
    per-frame normalization and channels, the output) with ``input.shape`` ``[batch, T, 16, C]`` and
    ``input.temporal_window`` T; single-frame runtimes (``Lifter``, lifter-core, the web page) refuse its shape."""
    from graphsh_tf import __version__
    from graphsh_tf.lite.metadata import FORMAT, MetadataError, precision

    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_content=model_bytes).get_signature_runner(SIGNATURE)
    (in_name, ind), (out_name, outd) = (next(iter(d.items())) for d in (runner.get_input_details(),
                                                                         runner.get_output_details()))
    contract = LifterContract(InputContract.for_model(model_config, Int8Codec.from_tensor(ind), in_name),
                              OutputContract(Int8Codec.from_tensor(outd), out_name))
    shape = [int(d) for d in ind["shape"]]
    side = contract.to_sidecar(batch=shape[0])
    window = int(model_config.get("temporal_window", 1))
    if len(shape) != 4 or shape[1] != window or shape[2:] != side["input"]["shape"][1:]:
        raise MetadataError(f"the converted model's input is {shape}, a temporal lifter of window {window} takes "
                            f"[{shape[0]}, {window}, {', '.join(map(str, side['input']['shape'][1:]))}]; re-export")
    side["input"]["shape"] = shape
    side["input"]["temporal_window"] = window
    side["stream"] = {"frame_signature": STREAM_FRAME, "window_signature": STREAM_WINDOW,
                      "features": FEATURES_NAME}
    return {"format": FORMAT, "version": __version__, "variant": variant, **side,
            "quantization": precision(model_bytes), "model": dict(model_config)}


def max_difference_mm(model: keras.Model, tflite_path, windows: np.ndarray) -> float:
    """The largest coordinate difference (mm) between the ``.tflite`` and the Keras ``model`` on ``windows``
    ``(N, T, 16, 2)``."""
    from graphsh_tf.contract import model_to_mm
    from graphsh_tf.lite.runtime import TFLitePredictor

    ref = model_to_mm(model.predict(np.asarray(windows, np.float32), verbose=0))
    return float(np.max(np.abs(TFLitePredictor(tflite_path).predict_mm(windows) - ref)))
