"""Quantization-aware training: QuantizeConfigs for the custom layers, fine-tuning, weights copied back."""
import numpy as np
import pytest

import graphsh_tf  # noqa: F401
import tf_keras as keras
from graphsh_tf import quantize
from graphsh_tf.models import build_model


@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(0)
    return build_model(gcn="dc_preagg", hid_dim=16, num_stacks=1, dropout=0.0)


def _data(n=128, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.8, 0.8, (n, 16, 2)).astype("f"), rng.normal(0, 200, (n, 16, 3)).astype("f")


def test_configs_for_custom_layers():
    from graphsh_tf.layers import GraphConv, SkeletalPool, SkeletalUnpool

    assert isinstance(quantize._config_for(GraphConv(8, num_joints=16)), quantize.GraphConvQuantizeConfig)
    assert isinstance(quantize._config_for(SkeletalPool(16)), quantize.OutputQuantizeConfig)
    assert isinstance(quantize._config_for(SkeletalUnpool(16)), quantize.OutputQuantizeConfig)


def test_qat_model_fake_quantizes_graph_conv_weights(tiny):
    qat = quantize.quantize_aware_model(tiny)
    names = [w.name for w in qat.weights]
    assert "quant_gconv_input_gconv/W_min:0" in names and "quant_gconv_input_gconv/W_max:0" in names
    assert any(n.startswith("quant_gconv_layers_0_pool1/") for n in names)       # output quantizer of the pool
    x, _ = _data(16)
    a, b = tiny.predict(x, verbose=0), qat.predict(x, verbose=0)
    diff = np.abs(a - b)
    assert np.all(np.isfinite(b)) and diff.max() > 0       # fake quantization changes the outputs


def test_copy_back_roundtrip(tiny):
    qat = quantize.quantize_aware_model(tiny)
    fresh = build_model(tiny.graphsh_config)
    quantize.copy_back(qat, fresh)
    for w0, w1 in zip(tiny.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(w0, w1)


def test_finetune_moves_weights_and_returns_float_model(tiny):
    x, y = _data()
    before = [w.copy() for w in tiny.get_weights()]
    tuned = quantize.qat_finetune(tiny, x, y, steps=3, batch_size=32)
    assert [type(layer).__name__ for layer in tuned.layers] == [type(layer).__name__ for layer in tiny.layers]
    assert not any("Quantize" in type(layer).__name__ for layer in tuned.layers)
    changed = [not np.array_equal(a, b) for a, b in zip(before, tuned.get_weights())]
    assert any(changed)
    for a, b in zip(before, tiny.get_weights()):       # the input model is left untouched
        np.testing.assert_array_equal(a, b)
    assert tuned.graphsh_config == tiny.graphsh_config
