"""The confidence-aware lifter: ModelConfig.confidence_input, the (x, y, confidence) model, the training pipeline's
detector-like corruption with confidences, and the confidence channel through evaluation, export and the runtimes;
2-channel models unchanged beside it."""
import json

from graphsh_tf.config import CONFIDENCE_INPUTS, RECIPES, ConfigError, ModelConfig, TrainConfig
from graphsh_tf.contract import CHANNELS, ContractError, InputContract

import numpy as np
import pytest

TINY = dict(hid_dim=8, num_stacks=1)


@pytest.fixture(scope="module")
def data():
    from graphsh_tf.data.dataset import load_data

    return load_data("synthetic", frames=2000, downsample=4).to_16_joints()


def _jiggle(model, seed=0):
    """Random non-zero weights (a fresh model's biases are 0), so outputs depend on every input channel."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if "moving_variance" not in w.name:
            w.assign(w.numpy() + rng.normal(0, 0.1, w.shape).astype(np.float32))
    return model


@pytest.fixture(scope="module")
def conf_model():
    from graphsh_tf.models import build_model

    return _jiggle(build_model(confidence_input="channel", **TINY))


def test_config_names_equal_the_entries_and_in_dim_follows():
    from graphsh_tf.layers.confidence import CONFIDENCE_ENTRIES

    assert CONFIDENCE_INPUTS == ("none", *CONFIDENCE_ENTRIES)
    cfg = ModelConfig(confidence_input="channel").validate()
    assert cfg.in_dim == 3 and InputContract.for_model(cfg).channels == CHANNELS
    assert ModelConfig.from_dict({"in_dim": 3}).confidence_input == "channel"   # a 3-channel input shape alone
    old = {k: v for k, v in ModelConfig().to_dict().items() if k != "confidence_input"}   # a run before the field
    assert ModelConfig.from_dict(old).confidence_input == "none" and ModelConfig.from_dict(old).in_dim == 2
    with pytest.raises(ConfigError, match="confidence_input='gate'"):
        ModelConfig(confidence_input="gate").validate()
    with pytest.raises(ConfigError, match="in_dim=4"):
        ModelConfig(in_dim=4).validate()
    with pytest.raises(ConfigError, match="TrainConfig.corruption.*unknown preset"):
        TrainConfig(corruption="detectr").validate()
    with pytest.raises(ConfigError, match="clean_fraction"):
        TrainConfig(clean_fraction=1.5).validate()
    robust = dict(RECIPES["robust"])
    assert robust.pop("confidence_input") == "channel"
    robust.pop("dropout")
    TrainConfig(**robust).validate()


def test_model_takes_three_channels_and_uses_the_confidence(conf_model):
    from graphsh_tf.models import build_model

    assert conf_model.input_shape == (None, 16, 3)
    assert tuple(conf_model.get_layer("gconv_input_gconv").W.shape)[-2] == 3
    plain = build_model(**TINY)
    assert plain.input_shape == (None, 16, 2) and plain.graphsh_config.in_dim == 2
    x = np.random.default_rng(1).uniform(-0.5, 0.5, (4, 16, 2)).astype(np.float32)
    ones = np.concatenate([x, np.ones((4, 16, 1), np.float32)], -1)
    low = ones.copy()
    low[:, 3, 2] = 0.0
    a, b = conf_model(ones, training=False).numpy(), conf_model(low, training=False).numpy()
    assert np.abs(a - b).max() > 1e-4


def test_pose_normalization_leaves_the_confidence_alone():
    u = np.random.default_rng(2).uniform(-1, 1, (3, 16, 2)).astype(np.float32)
    c = np.random.default_rng(3).uniform(0, 1, (3, 16)).astype(np.float32)
    contract = InputContract("pose", CHANNELS)
    x = contract.encode_normalized(u, c)
    np.testing.assert_array_equal(x[..., 2], c)
    np.testing.assert_array_equal(x[..., :2], InputContract("pose").encode_normalized(u))
    np.testing.assert_allclose(contract.model_step_tf(np.concatenate([u, c[..., None]], -1)).numpy(), x, atol=1e-7)
    with pytest.raises(ContractError, match="confidence"):
        contract.encode_normalized(u)


def test_pipeline_corrupts_seeded_with_a_clean_fraction(data):
    from graphsh_tf.data.pipeline import make_dataset

    tr = data.train
    kw = dict(training=True, seed=3, image_size=tr.image_size, confidence=True, corruption="detector:miss=5")

    def first(**more):
        return next(iter(make_dataset(tr.poses_2d, tr.poses_3d, 256, **{**kw, **more})))[0].numpy()

    x = first(clean_fraction=0.0)
    assert x.shape == (256, 16, 3) and np.array_equal(x, first(clean_fraction=0.0))      # seeded
    assert (x[..., 2] == 0).any() and (x[..., 2] < 1).mean() > 0.5
    clean = first(clean_fraction=1.0)
    assert (clean[..., 2] == 1).all()
    plain = first(clean_fraction=1.0, corruption="", confidence=False)
    np.testing.assert_array_equal(clean[..., :2], plain)          # the clean fraction is the input itself
    half = first(clean_fraction=0.5)
    untouched = (half[..., 2] == 1).all(axis=1)
    assert 0.3 < untouched.mean() < 0.8
    # the old occlusion flag marks the joints it fills with confidence 0
    occl = first(corruption="", occlusion=1.0)
    assert ((occl[..., 2] == 0).sum(axis=1) >= 1).all()
    with pytest.raises(Exception, match="unknown preset"):
        first(corruption="detectr")


def test_predictors_and_robustness_table_pass_confidences(conf_model, data):
    from graphsh_tf.evaluate import evaluate, flip_averaged, keras_predictor, scoring_predictor
    from graphsh_tf.models import build_model
    from graphsh_tf.robustness import robustness_table

    fn = keras_predictor(conf_model)
    assert fn.takes_confidence and not keras_predictor(build_model(**TINY)).takes_confidence
    x = data.test.poses_2d[:64]
    c = np.ones(x.shape[:2], np.float32)
    np.testing.assert_array_equal(fn(x), fn(x, c))
    c[:, 5] = 0.0
    assert np.abs(fn(x) - fn(x, c)).max() > 1e-3
    flipped = flip_averaged(fn)
    assert flipped.takes_confidence and np.abs(flipped(x) - flipped(x, c)).max() > 1e-3
    calls = []

    def spy(x2d, confidence=None):
        calls.append(confidence)
        return fn(x2d, confidence)

    spy.takes_confidence = True
    robustness_table(spy, data.test, seed=0)
    assert (calls[0] == 1).all() and (calls[2] == 0).sum(axis=1).min() == 1     # clean; 1 missing joint
    table = robustness_table(scoring_predictor(conf_model, flip_test=True), data.test, seed=0)
    assert len(table["rows"]) == 6
    assert evaluate(conf_model, data, drop_joints=1).metrics["mpjpe_mm"] > 0


def test_export_lifter_and_predictor_take_three_channels(conf_model, data, tmp_path):
    from graphsh_tf.data.corrupt import model_inputs
    from graphsh_tf.evaluate import keras_predictor
    from graphsh_tf.lite.export import export_variants
    from graphsh_tf.lite.lifter import Lifter
    from graphsh_tf.lite.runtime import TFLitePredictor

    rep = model_inputs(data.train.poses_2d[:200], data.train.image_size[:200], "detector", 0.5, 0)
    assert rep.shape == (200, 16, 3) and (rep[..., 2] < 1).any() and (rep[..., 2] == 1).all(axis=1).any()
    paths = export_variants(conf_model, tmp_path, ["fp32", "int8"], representative=rep)
    side = json.loads(paths["fp32"].with_suffix(".json").read_text())
    assert side["input"]["channels"] == list(CHANNELS) and side["input"]["shape"] == [1, 16, 3]
    x, c = data.test.poses_2d[:32], rep[:32, :, 2]
    ref = keras_predictor(conf_model)(x, c)
    for name, tol in (("fp32", 1e-2), ("int8", 0.1 * np.abs(ref).mean())):
        tp = TFLitePredictor(paths[name])
        assert tp.takes_confidence
        assert np.abs(tp.predict_mm(x, c) - ref).mean() < tol, name
    from graphsh_tf.evaluate import as_predictor

    by_path = as_predictor(paths["int8"])        # what training/evaluate.py FILE.tflite --robustness scores
    assert by_path.takes_confidence
    np.testing.assert_array_equal(by_path(x, c), TFLitePredictor(paths["int8"]).predict_mm(x, c))
    lifter = Lifter(paths["fp32"], layout="h36m16")
    px = np.random.default_rng(0).uniform(100, 500, (16, 2))
    full = lifter(px, (640, 480), scores=np.ones(16))
    low = lifter(px, (640, 480), scores=np.where(np.arange(16) == 3, 0.2, 1.0))
    assert np.abs(full.joints_mm - low.joints_mm).max() > 1e-3
    assert full.joints_mm.shape == (16, 3) and np.isfinite(full.joints_mm).all()
    # the same channels reach the model the contract describes
    enc = InputContract.from_sidecar(side, "sidecar").encode(px, np.ones(16), (640, 480))
    assert enc.shape == (1, 16, 3) and (enc[..., 2] == 1).all()


def test_reference_weights_go_into_the_two_channel_model_only(conf_model):
    from graphsh_tf.torch_import import StateDictError, load_state_dict

    with pytest.raises(StateDictError, match="3 channels.*confidence_input='none'"):
        load_state_dict(conf_model, {"gconv_input.gconv.W": np.zeros((2, 16, 2, 8), np.float32)}, "ref.npz")


def test_saved_three_channel_model_loads_back(conf_model, tmp_path):
    from graphsh_tf.model_io import load_model, save_model

    save_model(conf_model, tmp_path / "m.h5")
    back = load_model(tmp_path / "m.h5")
    assert back.graphsh_config.confidence_input == "channel" and back.input_shape == (None, 16, 3)
    x = np.random.default_rng(0).uniform(0, 1, (2, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(back(x).numpy(), conf_model(x).numpy(), atol=1e-6)


def test_fit_robust_recipe_end_to_end_and_flags(tmp_path):
    """fit.py --recipe robust writes a 3-channel model trained on the corruption (config.json says so, eval.json has
    the robustness table); --corruption none / --confidence-input none give back the plain recipe; a bad spec is one
    error line naming the flag's field."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    tiny = ["--downsample", "20", "--hid-dim", "8", "--stacks", "1", "--batch-size", "64", "--steps", "3",
            "--epochs", "1", "--quiet"]

    def fit(*args):
        return subprocess.run([sys.executable, str(root / "training" / "fit.py"), *tiny, *args], env=env, cwd=root,
                              capture_output=True, text=True, timeout=300)

    r = fit("--recipe", "robust", "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr[-2000:]
    cfg = json.loads((tmp_path / "a" / "config.json").read_text())
    assert cfg["model"]["confidence_input"] == "channel" and cfg["model"]["in_dim"] == 3
    assert cfg["train"]["corruption"] == RECIPES["robust"]["corruption"] and cfg["train"]["clean_fraction"] == 0.5
    rows = json.loads((tmp_path / "a" / "eval.json").read_text())["robustness"]["rows"]
    assert [row["key"] for row in rows][-1] == "detector"
    assert TrainConfig.from_dict(cfg["train"]).corruption            # config.json reads back
    sys.path.insert(0, str(root / "training"))
    try:
        import fit as fit_cli
    finally:
        sys.path.remove(str(root / "training"))
    model, train, _, _ = fit_cli.configs(fit_cli.parse_args(["--recipe", "robust", "--corruption", "none",
                                                             "--confidence-input", "none"]))
    assert train.corruption == "" and model.confidence_input == "none" and model.in_dim == 2
    # the recommended recipe: detector corruption on and the confidence channel, whatever the data
    model, train, _, _ = fit_cli.configs(fit_cli.parse_args(["--recipe", "best"]))
    assert train.corruption and 0 < train.clean_fraction < 1 and model.confidence_input == "channel"
    bad = fit("--recipe", "robust", "--corruption", "detector:swap=1", "--out", str(tmp_path / "b"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "TrainConfig.corruption" in bad.stderr and "swap_rate" in bad.stderr
    assert not (tmp_path / "b").exists()
