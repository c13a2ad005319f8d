"""Quantization-aware training: QuantizeConfigs for the custom layers, fine-tuning, weights copied back."""
import graphsh_tf  # noqa: F401
from graphsh_tf.lite.qat import (
    GraphConvQuantizeConfig,
    OutputQuantizeConfig,
    copy_back,
    qat_finetune,
    quantize_aware_model,
    quantize_config_for,
)
from graphsh_tf.models import build_model

import numpy as np
import pytest
import tf_keras as keras


@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(0)
    return build_model(gcn="dc_preagg", hid_dim=16, num_stacks=1, dropout=0.0)


def _data(n=128, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.8, 0.8, (n, 16, 2)).astype("f"), rng.normal(0, 200, (n, 16, 3)).astype("f")


def test_configs_for_custom_layers():
    from graphsh_tf.layers import SkeletalPool, SkeletalUnpool, graph_conv

    assert isinstance(quantize_config_for(graph_conv(8, "dc_preagg", 16)), GraphConvQuantizeConfig)
    assert isinstance(quantize_config_for(SkeletalPool(16)), OutputQuantizeConfig)
    assert isinstance(quantize_config_for(SkeletalUnpool(16)), OutputQuantizeConfig)


def test_qat_model_fake_quantizes_graph_conv_weights(tiny):
    qat = quantize_aware_model(tiny)
    names = [w.name for w in qat.weights]
    assert "quant_gconv_input_gconv/W_min:0" in names and "quant_gconv_input_gconv/W_max:0" in names
    assert any(n.startswith("quant_gconv_layers_0_pool1/") for n in names)       # output quantizer of the pool
    x, _ = _data(16)
    a, b = tiny.predict(x, verbose=0), qat.predict(x, verbose=0)
    diff = np.abs(a - b)
    assert np.all(np.isfinite(b)) and diff.max() > 0       # fake quantization changes the outputs


def test_copy_back_roundtrip(tiny):
    qat = quantize_aware_model(tiny)
    fresh = build_model(tiny.graphsh_config)
    copy_back(qat, fresh)
    for w0, w1 in zip(tiny.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(w0, w1)


def test_finetune_moves_weights_and_returns_float_model(tiny):
    x, y = _data()
    before = [w.copy() for w in tiny.get_weights()]
    result = qat_finetune(tiny, x, y, steps=3, batch_size=32)
    assert result.hooks is not None                     # the folded method's fixed ranges, a value of the result
    tuned = result.model
    assert [type(layer).__name__ for layer in tuned.layers] == [type(layer).__name__ for layer in tiny.layers]
    assert not any("Quantize" in type(layer).__name__ for layer in tuned.layers)
    changed = [not np.array_equal(a, b) for a, b in zip(before, tuned.get_weights())]
    assert any(changed)
    for a, b in zip(before, tiny.get_weights()):       # the input model is left untouched
        np.testing.assert_array_equal(a, b)
    assert tuned.graphsh_config == tiny.graphsh_config


def test_folded_qat_roundtrip_is_the_same_float_function(tiny):
    """0 steps: the float model rebuilt from the folded (BN-folded, head-equalized) weights equals the input."""
    x, y = _data(64)
    result = qat_finetune(tiny, x, y, steps=0, calib_samples=64)
    tuned = result.model
    a, b = tiny.predict(x, verbose=0), tuned.predict(x, verbose=0)
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
    bn = [layer for layer in tuned.layers if type(layer).__name__ == "BatchNormalization"]
    assert bn and all(np.allclose(layer.gamma.numpy(), 1.0) for layer in bn)      # folded into the graph convs
    keys = set(result.hooks.ranges)
    assert {"input", "gconv_input_gconv/transform", "gconv_input_gconv/mix"} <= keys
    assert "gconv_input_gconv/out" not in keys          # the bias is added in the transform: no tensor after the mix
    lo, hi = result.hooks.ranges["gconv_input_gconv/mix"]
    assert lo == 0.0 and hi > 0.0                                                   # a ReLU output (fused)


def test_folded_qat_ranges_reach_the_tflite_file(tiny):
    from graphsh_tf.lite.convert import convert
    from graphsh_tf.lite.flatbuffer import op_tensor_types

    x, y = _data(64)
    result = qat_finetune(tiny, x, y, steps=2, batch_size=16, calib_samples=64)
    tuned, hooks = result.model, result.hooks
    hooks.ranges["gconv_input_gconv/mix"] = (0.0, 0.51)                          # a range calibration cannot give
    data = convert(tuned, "qat_int8", representative=x, hooks=hooks, float_parts=())      # the all-int8 graph
    ops = op_tensor_types(data)
    assert all("FLOAT32" not in i + o for name, i, o in ops if name not in ("QUANTIZE", "DEQUANTIZE"))
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=data)
    scales = [d["quantization"][0] for d in it.get_tensor_details()]
    assert any(abs(s - 0.51 / 255) < 1e-7 for s in scales)
    with pytest.raises(ValueError):
        convert(tuned, "fp32", hooks=hooks)
