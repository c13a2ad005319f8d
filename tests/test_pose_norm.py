"""input_norm="pose": hip-centred, scale-normalized 2D, in Keras, the folded graph, every .tflite and the Lifter."""
import json

import graphsh_tf  # noqa: F401
from graphsh_tf.config import ConfigError, ModelConfig
from graphsh_tf.contract import (
    POSE_NORMALIZATION,
    ContractError,
    InputContract,
    LifterContract,
    normalize_screen_coordinates,
    pose_normalize,
)
from graphsh_tf.evaluate import keras_predictor
from graphsh_tf.lite import export as lite_export
from graphsh_tf.lite.folded import build_forward, graph_input, pose_normalized
from graphsh_tf.lite.lifter import Lifter
from graphsh_tf.lite.runtime import TFLitePredictor
from graphsh_tf.model_io import load_model, save_model
from graphsh_tf.models import build_model

import numpy as np
import pytest
import tf_keras as keras


def _poses(n=96, seed=3):
    """Poses of many sizes and places: a random skeleton shape, scaled 0.05-0.8 and moved anywhere in [-0.9, 0.9]."""
    rng = np.random.default_rng(seed)
    shape = rng.uniform(-1, 1, (n, 16, 2))
    shape -= shape[:, :1]
    return (shape * rng.uniform(0.05, 0.4, (n, 1, 1)) + rng.uniform(-0.5, 0.5, (n, 1, 2))).astype(np.float32)


@pytest.fixture(scope="module")
def pose_model():
    keras.utils.set_random_seed(0)
    return build_model(gcn="dc_preagg", hid_dim=16, num_stacks=1, input_norm="pose")


def test_pose_normalize_properties():
    x = _poses()
    u = pose_normalize(x)
    assert u.dtype == np.float32 and u.shape == x.shape
    np.testing.assert_array_equal(u[:, 0], 0.0)                              # the hip at the origin
    np.testing.assert_allclose(np.abs(u).max(axis=(1, 2)), 1.0, rtol=1e-6)  # every pose spans exactly [-1, 1]
    moved = x * 3.7 + np.float32([0.2, -0.4])                                 # translation and scale invariant
    np.testing.assert_allclose(pose_normalize(moved), u, atol=1e-5)
    np.testing.assert_array_equal(pose_normalize(np.zeros((2, 16, 2))), 0.0)  # degenerate pose: zeros, not NaN
    with pytest.raises(ValueError, match="pose_normalize"):
        pose_normalize(np.zeros((16, 3)))


def test_keras_layer_equals_numpy(pose_model):
    x = _poses()
    layer = pose_model.get_layer("pose_normalize")
    np.testing.assert_allclose(layer(x).numpy(), pose_normalize(x), atol=1e-6)
    assert pose_normalized(pose_model) and not pose_normalized(build_model(hid_dim=16, num_stacks=1))
    # the network only sees the normalized pose: moving and scaling the input changes nothing
    np.testing.assert_allclose(pose_model(x * 2 + 0.1).numpy(), pose_model(x).numpy(), atol=1e-5)


def test_config_field_validated_and_round_trips(tmp_path, pose_model):
    with pytest.raises(ConfigError, match="input_norm"):
        ModelConfig(input_norm="image").validate()
    assert ModelConfig.from_dict({}).input_norm == "screen"     # configs written before the field still load
    path = save_model(pose_model, tmp_path / "m.h5")
    loaded = load_model(path)
    x = _poses(8)
    np.testing.assert_allclose(loaded(x).numpy(), pose_model(x).numpy(), atol=1e-6)


def test_folded_graph_normalizes_or_takes_normalized(pose_model):
    import tensorflow as tf

    x = _poses()
    ref = pose_model(x).numpy() * 1000
    raw = build_forward(pose_model)(tf.constant(x)).numpy()
    pre = build_forward(pose_model, prenormalized=True)(tf.constant(graph_input(pose_model, x))).numpy()
    np.testing.assert_allclose(raw, ref, atol=1e-3)
    np.testing.assert_allclose(pre, ref, atol=1e-3)


@pytest.fixture(scope="module")
def exported(pose_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("pose_tflite")
    paths = lite_export.export_variants(pose_model, out, ["fp32", "int8"], representative=_poses(256, seed=9))
    return paths


def test_tflite_takes_the_normalized_pose_and_says_so(pose_model, exported):
    meta = json.loads(exported["fp32"].with_suffix(".json").read_text())
    assert meta["input"]["normalization"] == POSE_NORMALIZATION and meta["model"]["input_norm"] == "pose"
    assert LifterContract.from_sidecar(meta, "x").input == InputContract("pose")
    x = _poses()
    ref = keras_predictor(pose_model)(x)
    pred = TFLitePredictor(exported["fp32"])
    assert pred.input.normalization == "pose"                          # read from the sidecar
    np.testing.assert_allclose(pred.predict_mm(x), ref, atol=1e-3)
    # without the normalization the same file gives a different answer: the contract matters
    wrong = TFLitePredictor(exported["fp32"], input_norm="screen").predict_mm(x)
    assert np.abs(wrong - ref).mean() > 1.0


def test_int8_input_range_is_the_unit_square(pose_model, tmp_path):
    """The all-int8 graph (int8 input tensor) of a pose-input model spends its input levels on the person."""
    path = lite_export.export_variants(pose_model, tmp_path, ["int8"], representative=_poses(256, seed=9),
                                       io="int8")["int8"]
    meta = json.loads(path.with_suffix(".json").read_text())
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path))
    q = [d for d in interp.get_tensor_details() if d["dtype"] == np.int8 and tuple(d["shape"]) == (1, 16, 2)][0]
    scale, zero = q["quantization"]
    lo, hi = (-128 - zero) * scale, (127 - zero) * scale
    assert -1.05 < lo <= -0.95 and 0.95 <= hi < 1.05, (lo, hi)   # 256 levels over the person, whatever its size
    assert meta["input"]["normalization"] == POSE_NORMALIZATION


def test_unknown_normalization_is_refused():
    meta = {"layout": "h36m16", "input": {"shape": [1, 16, 2], "dtype": "float32", "normalization": "u = x / w"},
            "output": {"shape": [1, 16, 3], "dtype": "float32", "unit": "mm"}}
    with pytest.raises(ContractError, match="input.normalization"):
        LifterContract.from_sidecar(meta, "side.json")


def test_lifter_applies_the_pose_normalization(pose_model, exported):
    rng = np.random.default_rng(4)
    w, h = 640.0, 480.0
    px = np.column_stack([rng.uniform(200, 440, 16), rng.uniform(100, 380, 16)])
    lifter = Lifter(str(exported["fp32"]), layout="h36m16")
    got = lifter(px, (w, h)).joints_mm
    ref = pose_model(normalize_screen_coordinates(px, w, h)[None]).numpy()[0] * 1000
    np.testing.assert_allclose(got, ref, atol=1e-3)


def test_per_channel_qat_int8_converts_with_per_channel_conv_weights(pose_model):
    """qat_int8 with per-channel weights: the fine-tuning fake-quantizes the grouped conv filters per channel and
    the converter keeps those scales (one per output channel)."""
    from graphsh_tf.lite.convert import convert
    from graphsh_tf.lite.qat import qat_finetune

    from ai_edge_litert.interpreter import Interpreter

    rng = np.random.default_rng(0)
    x = _poses(256, seed=5)
    y = rng.normal(0, 200, (256, 16, 3)).astype(np.float32)
    q = qat_finetune(pose_model, x, y, steps=3, batch_size=32, calib_samples=64, per_channel=True)
    assert q.hooks.per_channel
    data = convert(q.model, "qat_int8", x[:64], hooks=q.hooks)
    interp = Interpreter(model_content=data)
    scales = [len(d["quantization_parameters"]["scales"]) for d in interp.get_tensor_details()
              if d["dtype"] == np.int8 and len(d["shape"]) == 4]
    assert scales and max(scales) > 1, "no per-channel int8 conv filter in the model"
    interp.allocate_tensors()
    ref = build_forward(q.model, prenormalized=True)
    xin = graph_input(q.model, x[:8])
    got = np.concatenate([_run(interp, xin[i:i + 1]) for i in range(8)])
    want = ref(__import__("tensorflow").constant(xin)).numpy()
    assert np.abs(got - want).mean() < 0.1 * np.abs(want).mean()


def _run(interp, x):
    runner = interp.get_signature_runner("lift")
    return runner(keypoints_2d=x.astype(np.float32))["joints_3d"]
