"""Initialization and optimizer parity with the reference (tamasino52/GraphSH), and a short training run that the
old initialization (per-matrix Xavier, Keras glorot/zero-bias Dense) fails.

The reference's rules, written out here independently of graphsh_tf.layers:

* graph-conv ``W``: ``nn.init.xavier_uniform_(W, gain=1.414)`` on the whole stacked tensor, so with torch's fans
  ``fan_in = size(1) * prod(size(2:))``, ``fan_out = size(0) * prod(size(2:))``;
* graph-conv ``bias``: ``U(±1/sqrt(W.size(2)))`` (``out`` for (n, in, out) weights, ``in`` for (n, J, in, out));
* SemGConv ``e`` = 1; modulated ``M`` = 1, ``adj2`` = 1e-6;
* ``nn.Conv1d``/``nn.Linear`` (per-stack 1x1 convs, SE fc1/fc2, output): weight and bias ``U(±1/sqrt(fan_in))``;
* BatchNorm: gamma 1, beta 0, running mean 0, running var 1; momentum 0.1 (torch) = 0.9 (Keras), eps 1e-5.
"""
import math

import graphsh_tf  # noqa: F401
from graphsh_tf.config import GCN_TYPES, ModelConfig, TrainConfig

import numpy as np
import pytest


def _reference_w_bound(shape):
    shape = list(shape)
    rf = int(np.prod(shape[2:]))
    fan_in, fan_out = shape[1] * rf, shape[0] * rf
    return 1.414 * math.sqrt(6.0 / (fan_in + fan_out))


def _check_uniform(values, bound, what):
    values = np.asarray(values).ravel()
    assert np.all(np.abs(values) <= bound * (1 + 1e-6)), f"{what}: values outside ±{bound:.3g}"
    if values.size >= 200:  # a uniform on ±b has std b/sqrt(3); per-matrix Xavier would be 6-24x wider
        std = float(values.std())
        assert std == pytest.approx(bound / math.sqrt(3), rel=0.15), f"{what}: std {std:.3g} vs bound {bound:.3g}"
    else:
        assert np.abs(values).max() > 0.3 * bound, f"{what}: values far inside ±{bound:.3g} (not this rule)"


@pytest.mark.parametrize("gcn", GCN_TYPES)
def test_every_layer_starts_as_the_reference_does(gcn):
    from graphsh_tf.layers import GraphConv
    from graphsh_tf.models import build_model

    import tf_keras as keras

    keras.utils.set_random_seed(0)   # the small-tensor check below fails for 0.3**n of draws (n=4: 0.8 %): no luck
    model = build_model(ModelConfig(gcn=gcn, hid_dim=32, num_stacks=2))
    seen = {"W": 0, "dense": 0, "bn": 0}
    for layer in model.layers:
        weights = {w.name.split("/")[-1].split(":")[0]: w.numpy() for w in layer.weights}
        if isinstance(layer, GraphConv):
            w = weights["W"]
            _check_uniform(w, _reference_w_bound(w.shape), f"{layer.name}.W {w.shape}")
            _check_uniform(weights["bias"], 1 / math.sqrt(w.shape[2]), f"{layer.name}.bias")
            if gcn == "semantic":
                np.testing.assert_array_equal(weights["e"], 1.0)
            if gcn == "modulated":
                np.testing.assert_array_equal(weights["M"], 1.0)
                np.testing.assert_allclose(weights["adj2"], 1e-6)
            seen["W"] += 1
        elif isinstance(layer, keras.layers.Dense):
            fan_in = weights["kernel"].shape[0]
            _check_uniform(weights["kernel"], 1 / math.sqrt(fan_in), f"{layer.name}.kernel")
            _check_uniform(weights["bias"], 1 / math.sqrt(fan_in), f"{layer.name}.bias")
            seen["dense"] += 1
        elif isinstance(layer, keras.layers.BatchNormalization):
            assert layer.momentum == pytest.approx(0.9) and layer.epsilon == pytest.approx(1e-5)
            np.testing.assert_array_equal(weights["gamma"], 1.0)
            np.testing.assert_array_equal(weights["beta"], 0.0)
            np.testing.assert_array_equal(weights["moving_mean"], 0.0)
            np.testing.assert_array_equal(weights["moving_variance"], 1.0)
            seen["bn"] += 1
    # input conv + 5 per hourglass; 2 per-stack 1x1 convs + SE fc1, fc2 + output; one BN per graph conv
    assert seen == {"W": 1 + 5 * 2, "dense": 2 + 2 + 1, "bn": 1 + 5 * 2}


def test_dc_preagg_bound_is_the_whole_tensor_rule():
    """The bug this guards against: per-matrix Xavier is ~24x wider for (2, 16, 64, 64)."""
    from graphsh_tf.layers.initializers import TorchXavierUniform

    init = TorchXavierUniform(1.414)
    per_matrix = 1.414 * math.sqrt(6.0 / (64 + 64))
    assert per_matrix / init.bound((2, 16, 64, 64)) == pytest.approx(math.sqrt((16 * 64 * 64 + 2 * 64 * 64) / 128))
    assert init.bound((2, 64, 96)) == pytest.approx(1.414 * math.sqrt(6.0 / (64 * 96 + 2 * 96)))


def test_optimizer_matches_torch_adam_defaults():
    from graphsh_tf.train.optim import make_optimizer

    opt = make_optimizer(TrainConfig())
    assert opt.epsilon == pytest.approx(1e-8)       # torch.optim.Adam's default (Keras' is 1e-7)
    assert opt.beta_1 == pytest.approx(0.9) and opt.beta_2 == pytest.approx(0.999)
    assert opt.global_clipnorm == 1.0               # the reference's clip_grad_norm_(max_norm=1)


def _short_run_mpjpe(old_init: bool) -> float:
    from graphsh_tf import metrics
    from graphsh_tf.data.synthetic import load_synthetic
    from graphsh_tf.layers import GraphConv
    from graphsh_tf.models import build_model
    from graphsh_tf.train.loop import train_stream
    from graphsh_tf.train.optim import compile_model

    import tf_keras as keras

    keras.utils.set_random_seed(0)
    data = load_synthetic(seed=0, train_poses_per_subject=500, test_poses_per_subject=200).to_16_joints()
    model = build_model(ModelConfig(gcn="dc_preagg", hid_dim=32, num_stacks=2))
    if old_init:  # what graphsh-tf did before: per-(in, out)-matrix Xavier, Keras glorot kernels and zero biases
        rng = np.random.default_rng(0)
        for layer in model.layers:
            for w in layer.weights:
                name, shape = w.name.split("/")[-1], tuple(w.shape)
                if isinstance(layer, GraphConv) and name.startswith("W"):
                    b = 1.414 * math.sqrt(6.0 / (shape[-2] + shape[-1]))
                elif isinstance(layer, keras.layers.Dense) and name.startswith("kernel"):
                    b = math.sqrt(6.0 / (shape[0] + shape[1]))
                elif isinstance(layer, keras.layers.Dense) and name.startswith("bias"):
                    b = 0.0
                else:
                    continue
                w.assign(rng.uniform(-b, b, shape).astype(np.float32))
    cfg = TrainConfig(lr=1e-4, lr_decay_steps=100000, batch_size=256, jit_compile=True)  # the paper's lr
    compile_model(model, cfg)
    model.fit(train_stream(data.train.poses_2d, data.train.poses_3d, cfg, 0, 300), steps_per_epoch=300,
              epochs=1, verbose=0)
    pred = model.predict(data.test.poses_2d, batch_size=2048, verbose=0) * 1000.0
    return metrics.mpjpe(pred, data.test.poses_3d)


@pytest.mark.slow
def test_short_training_reaches_a_bound_the_old_initialization_misses():
    """300 steps of dc_preagg-32x2 at the paper's lr 1e-4 on a small synthetic set. Measured (generator with
    per-sequence bodies): reference init 147.2 mm, old init 266.1 mm (mean-pose baseline ~240 mm); before that
    generator change 136.1 / 255.4 mm. The bound sits between them."""
    new = _short_run_mpjpe(old_init=False)
    assert new < 175.0, f"reference initialization reached only {new:.1f} mm after 300 steps"
    old = _short_run_mpjpe(old_init=True)
    assert old > 175.0 > new, (old, new)
