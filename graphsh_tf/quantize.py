"""Quantization-aware training (tfmot) for GraphSH: QuantizeConfigs for the custom layers and a fine-tune loop.

What is fake-quantized mirrors what the exported int8 graph computes (:mod:`graphsh_tf.export`):

* :class:`GraphConvQuantizeConfig`: the weights ``W`` (8-bit symmetric, narrow range — TFLite's weight scheme);
  the bias stays float (it becomes int32 in TFLite); the constant adjacency is not a weight. The output is not
  quantized: BatchNorm and ReLU are folded into the graph conv at export, so the quantized tensor is the ReLU's.
* :class:`BatchNormQuantizeConfig`: nothing (folded into the graph conv).
* :class:`OutputQuantizeConfig`: output activation only (skeletal pool/unpool, multiply): a moving-average
  8-bit range, as the converter's calibration computes.

The fine-tuned weights are copied back into a plain float model (:func:`qat_finetune` returns it), which the
exporter folds and converts with full-integer calibration like the PTQ model.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import tf_keras as keras
import tensorflow_model_optimization as tfmot

from graphsh_tf.layers import CUSTOM_OBJECTS, GraphConv, SkeletalPool, SkeletalUnpool

_quantizers = tfmot.quantization.keras.quantizers
QuantizeConfig = tfmot.quantization.keras.QuantizeConfig


class GraphConvQuantizeConfig(QuantizeConfig):
    """Fake-quantize ``W``; no activation or output quantizer (BN + ReLU follow and are fused at export)."""

    def get_weights_and_quantizers(self, layer):
        return [(layer.W, _quantizers.LastValueQuantizer(num_bits=8, symmetric=True, narrow_range=True,
                                                         per_axis=False))]

    def get_activations_and_quantizers(self, layer):
        return []

    def set_quantize_weights(self, layer, quantize_weights):
        layer.W = quantize_weights[0]

    def set_quantize_activations(self, layer, quantize_activations):
        pass

    def get_output_quantizers(self, layer):
        return []

    def get_config(self):
        return {}


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


class OutputQuantizeConfig(NoQuantizeConfig):
    """Quantize the output activation only (constant-matrix layers: pool, unpool; multiply)."""

    def get_output_quantizers(self, layer):
        return [_quantizers.MovingAverageQuantizer(num_bits=8, per_axis=False, symmetric=False, narrow_range=False)]


def quantize_scope():
    """``tfmot.quantization.keras.quantize_scope`` with the custom layers and configs registered."""
    return tfmot.quantization.keras.quantize_scope({
        **CUSTOM_OBJECTS, "GraphConvQuantizeConfig": GraphConvQuantizeConfig,
        "NoQuantizeConfig": NoQuantizeConfig, "OutputQuantizeConfig": OutputQuantizeConfig})


def _config_for(layer) -> Optional[QuantizeConfig]:
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
        cfg = _config_for(layer)
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


def qat_finetune(model: keras.Model, x2d: np.ndarray, y3d_mm: np.ndarray, steps: int = 300, batch_size: int = 64,
                 lr: float = 1e-4, seed: int = 0, log: Callable[[str], None] = lambda s: None) -> keras.Model:
    """Fine-tune ``model`` with fake quantization for ``steps`` steps on ``(x2d (N,16,2), y3d_mm (N,16,3))`` (MSE
    in metres, Adam ``lr``); returns a new float model holding the fine-tuned weights (``model`` is unchanged)."""
    from graphsh_tf.models import build_model

    cfg = getattr(model, "graphsh_config", None)
    qat = quantize_aware_model(model)
    qat.compile(optimizer=keras.optimizers.Adam(lr), loss="mse")
    x = np.asarray(x2d, np.float32)
    y = np.asarray(y3d_mm, np.float32) / 1000.0
    rng = np.random.default_rng(seed)
    losses = []
    for step in range(int(steps)):
        idx = rng.integers(0, len(x), size=min(batch_size, len(x)))
        losses.append(float(qat.train_on_batch(x[idx], y[idx])))
        if (step + 1) % 100 == 0:
            log(f"qat step {step + 1}/{steps}: loss {np.mean(losses[-100:]):.6f}")
    out = build_model(cfg) if cfg is not None else keras.models.clone_model(model)
    out = copy_back(qat, out)
    out.graphsh_config = cfg
    return out
