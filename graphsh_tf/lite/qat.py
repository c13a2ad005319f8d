"""Quantization-aware training (QAT) for GraphSH: fine-tune a float model so its int8 export loses less.

:func:`qat_finetune` returns a :class:`QATResult`: the fine-tuned float model and, for the folded method, the fixed
int8 ranges the converter uses instead of calibrating.

``method="folded"`` (default): QAT on the exported int8 graph itself. The folded inference graph of
:mod:`graphsh_tf.lite.folded` (BN folded into each graph conv, grouped 1x1 conv transform, FULLY_CONNECTED joint
mixing, x1000 in the output) is built with :class:`FoldedQATHooks`, which turn its weights into variables and
fake-quantize every tensor TFLite quantizes (symmetric weights; activations with calibrated then moving-average
ranges, including the per-joint transform outputs that are internal to the Keras GraphConv). The learned ranges go
to the converter as FakeQuant ops (:class:`graphsh_tf.lite.hooks.RangeHooks`); the fine-tuned weights come back as a
plain float model (:func:`folded_to_keras`; BN layers become identities). Measured against post-training int8 in
``benchmarks/README.md`` (int8), with ``benchmarks/int8_study.py``.

``method="tfmot"``: tfmot wrappers on the Keras layers, the converter then calibrates:

* :class:`GraphConvQuantizeConfig`: the weights ``W`` (8-bit symmetric, narrow range — TFLite's weight scheme);
  the bias stays float (it becomes int32 in TFLite); the constant adjacency is not a weight. The output is not
  quantized: BatchNorm and ReLU are folded into the graph conv at export, so the quantized tensor is the ReLU's.
* :class:`NoQuantizeConfig`: BatchNorm (folded into the graph conv).
* :class:`OutputQuantizeConfig`: output activation only (skeletal pool/unpool, multiply): a moving-average
  8-bit range, as the converter's calibration computes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence

from graphsh_tf.contract import MM_PER_MODEL_UNIT, mm_to_model
from graphsh_tf.layers import CUSTOM_OBJECTS, GraphConv, SkeletalPool, SkeletalUnpool
from graphsh_tf.lite.calibrate import head_scale, representative_poses, widen_degenerate
from graphsh_tf.lite.folded import build_forward
from graphsh_tf.lite.hooks import RangeHooks, fake_quant_weight
from graphsh_tf.models import build_model

import numpy as np
import tensorflow as tf
import tensorflow_model_optimization as tfmot
import tf_keras as keras

_quantizers = tfmot.quantization.keras.quantizers
QuantizeConfig = tfmot.quantization.keras.QuantizeConfig


class NoQuantizeConfig(QuantizeConfig):
    """Leave the layer float (BatchNorm after a graph conv: folded into it at export)."""

    def get_weights_and_quantizers(self, layer):
        return []

    def get_activations_and_quantizers(self, layer):
        return []

    def set_quantize_weights(self, layer, quantize_weights):
        pass

    def set_quantize_activations(self, layer, quantize_activations):
        pass

    def get_output_quantizers(self, layer):
        return []

    def get_config(self):
        return {}


class GraphConvQuantizeConfig(NoQuantizeConfig):
    """Fake-quantize ``W``; no activation or output quantizer (BN + ReLU follow and are fused at export)."""

    def get_weights_and_quantizers(self, layer):
        return [(layer.W, _quantizers.LastValueQuantizer(num_bits=8, symmetric=True, narrow_range=True,
                                                         per_axis=False))]

    def set_quantize_weights(self, layer, quantize_weights):
        layer.W = quantize_weights[0]


class OutputQuantizeConfig(NoQuantizeConfig):
    """Quantize the output activation only (constant-matrix layers: pool, unpool; multiply)."""

    def get_output_quantizers(self, layer):
        return [_quantizers.MovingAverageQuantizer(num_bits=8, per_axis=False, symmetric=False, narrow_range=False)]


def quantize_scope():
    """``tfmot.quantization.keras.quantize_scope`` with the custom layers and configs registered."""
    return tfmot.quantization.keras.quantize_scope({
        **CUSTOM_OBJECTS, "GraphConvQuantizeConfig": GraphConvQuantizeConfig,
        "NoQuantizeConfig": NoQuantizeConfig, "OutputQuantizeConfig": OutputQuantizeConfig})


def quantize_config_for(layer) -> Optional[QuantizeConfig]:
    if isinstance(layer, GraphConv):
        return GraphConvQuantizeConfig()
    if isinstance(layer, keras.layers.BatchNormalization):
        return NoQuantizeConfig()
    if isinstance(layer, (SkeletalPool, SkeletalUnpool, keras.layers.Multiply)):
        return OutputQuantizeConfig()
    return None                                         # tfmot's default 8-bit registry


def quantize_aware_model(model: keras.Model) -> keras.Model:
    """The QAT model (fake-quant wrappers) of a float GraphSH model, starting from its weights."""
    annotate = tfmot.quantization.keras.quantize_annotate_layer

    def clone(layer):
        cfg = quantize_config_for(layer)
        copy = layer.__class__.from_config(layer.get_config())
        return annotate(copy, quantize_config=cfg) if cfg is not None else annotate(copy)

    annotated = keras.models.clone_model(model, clone_function=clone)
    annotated.set_weights(model.get_weights())
    with quantize_scope():
        return tfmot.quantization.keras.quantize_apply(annotated)


def copy_back(qat_model: keras.Model, float_model: keras.Model) -> keras.Model:
    """Copy the (fine-tuned) weights of ``qat_model`` into ``float_model``, matched by variable name
    (``gconv_input_gconv/W:0``; the wrappers' quantizer ranges are skipped)."""
    by_name = {w.name: w for w in qat_model.weights}
    for w in float_model.weights:
        src = by_name.get(w.name)
        if src is None:
            raise ValueError(f"QAT model has no variable {w.name!r}; cannot copy the fine-tuned weights back")
        w.assign(src.numpy())
    return float_model


class FoldedQATHooks(RangeHooks):
    """Hooks that make the folded int8 graph (:func:`graphsh_tf.lite.folded.build_forward`) trainable with fake
    quantization at exactly the tensors TFLite quantizes.

    Weights (kind ``"w"``) and biases become ``tf.Variable`` s initialised from the folded constants (BN folded,
    x1000 in the output layer); weights and fixed matrices are fake-quantized per tensor, symmetric, narrow range.
    Activations: ``mode="calibrate"`` records min/max (as the converter's calibration), ``"train"`` updates an
    exponential moving average ``ema`` of the batch min/max and fake-quantizes with it, ``"quant"`` fake-quantizes
    with the current ranges, ``"float"`` is the float graph. :meth:`fixed` freezes the ranges into
    :class:`RangeHooks` for the converter.
    """

    def __init__(self, ema: float = 0.99, per_channel: bool = False):
        super().__init__({}, per_channel=per_channel)
        self.ema = float(ema)
        self.mode = "calibrate"
        self.vars: Dict[str, tf.Variable] = {}
        self.lo: Dict[str, tf.Variable] = {}
        self.hi: Dict[str, tf.Variable] = {}

    def weight(self, key: str, arr: np.ndarray, kind: str = "w"):
        if kind == "const":
            t = tf.constant(np.asarray(arr, np.float32))
            return t if self.mode == "float" else fake_quant_weight(t, per_channel=self.per_channel)
        if key not in self.vars:
            self.vars[key] = tf.Variable(np.asarray(arr, np.float32), name=key.replace("/", "__"))
        v = self.vars[key]
        return v if kind == "b" or self.mode == "float" else fake_quant_weight(v, per_channel=self.per_channel)

    def float_weight(self, key: str, arr: np.ndarray, kind: str = "w"):
        """The weight as a variable without fake quantization (it is trained; the float region of a
        mixed-precision graph)."""
        if kind == "const":
            return tf.constant(np.asarray(arr, np.float32))
        if key not in self.vars:
            self.vars[key] = tf.Variable(np.asarray(arr, np.float32), name=key.replace("/", "__"))
        return self.vars[key]

    def act(self, key: str, x):
        if self.mode == "float":
            return x
        lo_b, hi_b = tf.reduce_min(x), tf.reduce_max(x)
        if key not in self.lo:
            self.lo[key] = tf.Variable(np.float32(np.inf), trainable=False)
            self.hi[key] = tf.Variable(np.float32(-np.inf), trainable=False)
        lo, hi = self.lo[key], self.hi[key]
        if self.mode == "calibrate":
            lo.assign(tf.minimum(lo, lo_b))
            hi.assign(tf.maximum(hi, hi_b))
            return x
        if self.mode == "train":
            lo.assign(self.ema * lo + (1.0 - self.ema) * lo_b)
            hi.assign(self.ema * hi + (1.0 - self.ema) * hi_b)
        lo_q = tf.minimum(tf.stop_gradient(lo.read_value()), 0.0)
        hi_q = tf.maximum(tf.stop_gradient(hi.read_value()), lo_q + 1e-6)
        hi_q = tf.maximum(hi_q, 0.0)
        return tf.quantization.fake_quant_with_min_max_vars(x, lo_q, hi_q, num_bits=8, narrow_range=False)

    def fixed(self) -> RangeHooks:
        ranges = {k: (float(self.lo[k].numpy()), float(self.hi[k].numpy())) for k in self.lo}
        return RangeHooks(widen_degenerate(ranges), per_channel=self.per_channel)


def folded_to_keras(model: keras.Model, values: Dict[str, np.ndarray]) -> keras.Model:
    """A plain float model equal to the folded graph with weights ``values`` (keys of :class:`FoldedQATHooks`):
    graph-conv ``W``/``bias`` hold the BN-folded weights, each folded BatchNorm becomes the identity, the output
    layer's x1000 is divided out. Layers without values keep ``model`` 's weights."""
    cfg = getattr(model, "graphsh_config", None)
    out = build_model(cfg) if cfg is not None else keras.models.clone_model(model)
    out.set_weights(model.get_weights())
    last = out.layers[-1].name
    for layer in out.layers:
        scale = 1.0 / MM_PER_MODEL_UNIT if layer.name == last else 1.0
        if isinstance(layer, GraphConv) and f"{layer.name}/transform/w" in values:
            f = values[f"{layer.name}/transform/w"]
            k, cout, cin = layer.W.shape[0], layer.units, layer.in_dim
            if layer.W.shape.rank == 4:      # per-joint: filter (1, 1, Cin, J*K*Cout), group j owns K*Cout channels
                w = f[0, 0].reshape(cin, layer.num_joints, k, cout).transpose(2, 1, 0, 3)
            else:                            # shared: (Cin, K*Cout)
                w = f.reshape(cin, k, cout).transpose(1, 0, 2)
            layer.W.assign(w * scale)
            if layer.use_bias:
                layer.bias.assign(values[f"{layer.name}/bias"].reshape(-1) * scale)
        elif isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(np.zeros(layer.moving_mean.shape, np.float32))
            layer.moving_variance.assign(np.full(layer.moving_variance.shape, 1.0 - layer.epsilon, np.float32))
            if layer.scale:
                layer.gamma.assign(np.ones(layer.gamma.shape, np.float32))
            if layer.center:
                layer.beta.assign(np.zeros(layer.beta.shape, np.float32))
        elif isinstance(layer, keras.layers.Dense) and f"{layer.name}/w" in values:
            layer.kernel.assign(values[f"{layer.name}/w"] * scale)
            if layer.use_bias:
                layer.bias.assign(values[f"{layer.name}/b"] * scale)
    out.graphsh_config = cfg
    return out


@dataclass(frozen=True)
class QATResult:
    """What quantization-aware fine-tuning gives the exporter: ``model``, a plain float model holding the fine-tuned
    weights, and ``hooks``, the learned fixed int8 ranges (:class:`graphsh_tf.lite.hooks.RangeHooks`, pass them to
    :func:`graphsh_tf.lite.convert.convert`) or None when the converter should calibrate (``method="tfmot"``)."""

    model: keras.Model
    hooks: Optional[RangeHooks] = None


def qat_finetune(model: keras.Model, x2d: np.ndarray, y3d_mm: np.ndarray, steps: int = 300, batch_size: int = 64,
                 lr: float = 1e-4, seed: int = 0, log: Callable[[str], None] = lambda s: None,
                 method: str = "folded", ema: float = 0.99, calib_samples: int = 500,
                 equalize_head: bool = True, per_channel: bool = False, float_parts: Sequence[str] = (),
                 progress=None) -> QATResult:
    """Fine-tune ``model`` with fake quantization for ``steps`` steps on ``(x2d (N,16,2), y3d_mm (N,16,3))`` (MSE
    in metres, Adam ``lr``); returns a :class:`QATResult` whose model is a new float model holding the fine-tuned
    weights (``model`` is unchanged).

    ``method="folded"`` (default): QAT on the exported int8 graph itself (:class:`FoldedQATHooks`: BN folded, the
    transform/mixing/bias outputs fake-quantized as TFLite quantizes them, activation ranges calibrated on
    ``calib_samples`` poses then moving averages with decay ``ema``); the result's ``hooks`` are the learned
    ranges the converter then uses instead of calibrating. ``equalize_head``: start from the head-equalized weights
    (:func:`graphsh_tf.lite.calibrate.head_scale`; the same float function). ``method="tfmot"``: tfmot wrappers on
    the Keras layers (weights only; the converter calibrates). ``float_parts``: the parts the int8 export keeps in
    float (:data:`graphsh_tf.lite.folded.FLOAT_PARTS`; folded method): trained without fake quantization there.
    ``progress``: a :class:`graphsh_tf.progress.Progress` counting the steps (instead of a loss line every 100).
    """
    if method == "folded":
        return _qat_folded(model, x2d, y3d_mm, steps, batch_size, lr, seed, log, ema, calib_samples,
                           equalize_head, per_channel, float_parts, progress)
    if method != "tfmot":
        raise ValueError(f"qat_finetune: method {method!r}; use 'folded' or 'tfmot'")
    cfg = getattr(model, "graphsh_config", None)
    qat = quantize_aware_model(model)
    qat.compile(optimizer=keras.optimizers.Adam(lr), loss="mse")
    x = np.asarray(x2d, np.float32)
    y = mm_to_model(y3d_mm)
    rng = np.random.default_rng(seed)
    losses = []
    for step in range(int(steps)):
        idx = rng.integers(0, len(x), size=min(batch_size, len(x)))
        losses.append(float(qat.train_on_batch(x[idx], y[idx])))
        if progress is not None:
            progress.update(1)
        elif (step + 1) % 100 == 0:
            log(f"qat step {step + 1}/{steps}: loss {np.mean(losses[-100:]):.6f}")
    out = build_model(cfg) if cfg is not None else keras.models.clone_model(model)
    out = copy_back(qat, out)
    out.graphsh_config = cfg
    return QATResult(out)


def _qat_folded(model, x2d, y3d_mm, steps, batch_size, lr, seed, log, ema, calib_samples,
                equalize_head, per_channel=False, float_parts=(), progress=None) -> QATResult:
    x = np.asarray(x2d, np.float32)
    y = np.asarray(y3d_mm, np.float32)
    rng = np.random.default_rng(seed)
    hooks = FoldedQATHooks(ema=ema, per_channel=per_channel)
    calib = representative_poses(x, calib_samples, rng)     # draws from rng: the step batches follow on it
    head = head_scale(model, calib) if equalize_head else None
    forward = build_forward(model, "conv", bias_in_transform=True, hooks=hooks, head_scale=head,
                            float_parts=tuple(float_parts))
    forward(tf.constant(calib))                          # creates the variables, records the calibration ranges
    hooks.mode = "train"
    train_vars = list(hooks.vars.values())
    opt = keras.optimizers.Adam(lr)
    bs = min(batch_size, len(x))

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square((forward(xb) - yb) / MM_PER_MODEL_UNIT))
        opt.apply_gradients(zip(tape.gradient(loss, train_vars), train_vars))
        return loss

    losses = []
    for i in range(int(steps)):
        idx = rng.integers(0, len(x), size=bs)
        losses.append(float(step(tf.constant(x[idx]), tf.constant(y[idx]))))
        if progress is not None:
            progress.update(1)
        elif (i + 1) % 100 == 0:
            log(f"qat step {i + 1}/{steps}: loss {np.mean(losses[-100:]):.6f}")
    return QATResult(folded_to_keras(model, {k: v.numpy() for k, v in hooks.vars.items()}), hooks.fixed())
