"""The causal temporal lifter: config, model, windows, corruption over time, motion metrics, the stream (state,
gaps), the fit door and the TFLite export."""
import json
import os
import subprocess
import sys
from pathlib import Path

import graphsh_tf  # noqa: F401
from graphsh_tf.config import ConfigError, ModelConfig

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
T = 9
TINY = dict(hid_dim=8, num_stacks=2, dropout=0.0)


def _walk(n, seed=0):
    """A smooth random 2D motion ``(n, 16, 2)`` in normalized screen units."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(-0.4, 0.4, (16, 2))
    steps = np.cumsum(rng.normal(0, 0.01, (n, 16, 2)), axis=0)
    return (base + steps).astype(np.float32)


@pytest.fixture(scope="module")
def model():
    """A tiny temporal lifter whose temporal part is not zero (its output layer randomized), so every frame of the
    window counts."""
    from graphsh_tf.models import build_model

    m = build_model(ModelConfig(temporal_window=T, **TINY))
    layer = m.get_layer("temporal_output")
    rng = np.random.default_rng(1)
    layer.set_weights([rng.normal(0, 0.05, w.shape).astype(np.float32) for w in layer.get_weights()])
    return m


# --- config ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [0, 2, 5, 10, 28, True, "27"])
def test_temporal_window_validated(bad):
    with pytest.raises(ConfigError, match="temporal_window"):
        ModelConfig(temporal_window=bad).validate()


def test_temporal_window_config():
    assert ModelConfig().temporal_window == 1
    cfg = ModelConfig(temporal_window=27).validate()
    assert ModelConfig.from_json(cfg.to_json()).temporal_window == 27
    with pytest.raises(ConfigError, match="temporal_window.*arch"):
        ModelConfig(arch="seqres", hid_dim=128, temporal_window=9).validate()


# --- the model ------------------------------------------------------------------------------------------------------

def test_shapes_and_dilations():
    from graphsh_tf.layers.temporal import dilations
    from graphsh_tf.models import build_model

    assert dilations(3) == [1] and dilations(27) == [1, 3, 9] and dilations(81) == [1, 3, 9, 27]
    with pytest.raises(ValueError, match="power of 3"):
        dilations(10)
    m = build_model(ModelConfig(temporal_window=27, **TINY))
    assert m.input_shape == (None, 27, 16, 2) and m.output_shape == (None, 16, 3)
    c = build_model(ModelConfig(temporal_window=T, confidence_input="channel", **TINY))
    assert c.input_shape == (None, T, 16, 3) and c.output_shape == (None, 16, 3)
    assert not any(type(layer).__name__ == "Lambda" for layer in m.layers)


def test_untrained_temporal_part_is_the_single_frame_model():
    """The temporal output starts at zero: with the single-frame weights, the model is the single-frame model on
    the newest frame."""
    from graphsh_tf.models import build_model

    single = build_model(ModelConfig(**TINY))
    temporal = build_model(ModelConfig(temporal_window=T, **TINY))
    by_name = {w.name: w for w in single.weights}
    copied = 0
    for w in temporal.weights:
        if w.name in by_name:
            w.assign(by_name[w.name])
            copied += 1
    assert copied == len(single.weights)
    x = np.stack([_walk(T, s) for s in range(4)])
    np.testing.assert_allclose(temporal(x, training=False).numpy(), single(x[:, -1], training=False).numpy(),
                               atol=1e-6)


def test_causal_on_a_sequence(model):
    """Changing a frame changes the predictions of that frame and the next T-1, never an earlier one's."""
    from graphsh_tf.evaluate import keras_predictor, sequence_predictor

    x = _walk(40)
    labels = np.array(["a"] * 40)
    predict = sequence_predictor(keras_predictor(model), labels)
    base = predict(x)
    x2 = x.copy()
    x2[20] += 0.05
    moved = np.abs(predict(x2) - base).max(axis=(1, 2))
    assert moved[:20].max() == 0.0
    assert (moved[20:20 + T] > 1e-3).all()          # the frame is in these windows, oldest to newest
    assert moved[20 + T:].max() == 0.0


def test_parts_equal_the_model(model):
    from graphsh_tf.models import temporal_parts

    frame, window = temporal_parts(model)
    x = np.stack([_walk(T, s) for s in range(3)])
    feats = frame(x.reshape(-1, 16, 2), training=False).numpy()
    np.testing.assert_allclose(window(feats.reshape(3, T, 16, -1), training=False).numpy(),
                               model(x, training=False).numpy(), atol=1e-6)


# --- windows and corruption over time ----------------------------------------------------------------------------

def test_window_index_pads_at_the_start_of_each_sequence():
    from graphsh_tf.data.temporal import padded_frames, window_index

    labels = np.array(["a", "a", "a", "a", "b", "b", "a"])
    idx = window_index(labels, 3)
    assert idx.tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 2], [1, 2, 3], [4, 4, 4], [4, 4, 5], [6, 6, 6]]
    assert padded_frames(idx)[:3].tolist() == [[True, True, False], [True, False, False], [False, False, False]]


def test_temporal_corruption_persists_and_pads():
    from graphsh_tf.data import corrupt as cr
    from graphsh_tf.data.temporal import TemporalCorruption

    rng = np.random.default_rng(0)
    clean = np.repeat(rng.uniform(300, 700, (1, 1, 16, 2)), 64, 0).repeat(12, 1)     # (64, 12, 16, 2) px
    pad = np.zeros((64, 12), bool)
    pad[:, :3] = True
    tc = TemporalCorruption("detector:miss=20", miss_frames=6)
    xy, conf = tc.apply(clean, 0, (1000, 1000), pad)
    assert xy.shape == clean.shape and conf.shape == (64, 12, 16)
    np.testing.assert_array_equal(xy[:, :3], np.repeat(xy[:, 3:4], 3, 1))   # padding = the first real frame
    again, _ = tc.apply(clean, 0, (1000, 1000), pad)
    np.testing.assert_array_equal(xy, again)                                 # seeded
    det = list(cr.DETECTOR_JOINTS)
    missed = conf[:, 3:, det] == 0
    still = (missed[:, 1:] & missed[:, :-1]).sum() / max(1, missed[:, :-1].sum())
    assert missed.mean() > 0.05 and still > 0.6      # a missed joint stays missed (independent draws: ~ the rate)
    # jitter: correlated between neighbouring frames
    smooth, _ = TemporalCorruption("jitter", correlation=0.9).apply(clean, 1)
    rough, _ = TemporalCorruption("jitter", correlation=0.0).apply(clean, 1)
    step = lambda a: np.abs(np.diff(a - clean, axis=1)).mean()  # noqa: E731
    assert step(smooth) < 0.6 * step(rough)
    with pytest.raises(cr.CorruptionError, match="correlation"):
        TemporalCorruption(correlation=1.0)


def test_window_dataset_batches():
    from graphsh_tf.data.pipeline import make_window_dataset

    n = 50
    x = np.concatenate([_walk(25, 0), _walk(25, 1)])
    y = np.random.default_rng(0).normal(0, 300, (n, 16, 3)).astype(np.float32)
    labels = np.array(["a"] * 25 + ["b"] * 25)
    ds = make_window_dataset(x, y, labels, T, 16, training=True, flip=True, corruption="detector", occlusion=0.5,
                             noise_px=2.0, confidence=True, image_size=np.full((n, 2), 1000.0))
    xb, yb = next(iter(ds))
    assert xb.shape == (16, T, 16, 3) and yb.shape == (16, 16, 3)
    assert np.isfinite(xb.numpy()).all() and (xb.numpy()[..., 2] <= 1).all()
    plain = make_window_dataset(x, y, labels, T, 64, training=False)
    xb, yb = next(iter(plain))
    np.testing.assert_array_equal(xb.numpy()[26, -1], x[26])
    np.testing.assert_array_equal(xb.numpy()[26, :-2], np.repeat(x[25:26], T - 2, 0))   # b's start padded
    np.testing.assert_allclose(yb.numpy()[26] * 1000, y[26], rtol=1e-6)


# --- motion metrics ----------------------------------------------------------------------------------------------

def test_velocity_and_acceleration_errors_on_known_sequences():
    from graphsh_tf import metrics

    rng = np.random.default_rng(0)
    true = rng.normal(0, 200, (10, 16, 3))
    assert metrics.mpjve(true + 5.0, true) == pytest.approx(0.0, abs=1e-9)
    drift = true + np.arange(10)[:, None, None] * np.array([3.0, 4.0, 0.0])       # 5 mm per frame
    assert metrics.mpjve(drift, true) == pytest.approx(5.0)
    assert metrics.acceleration_error(drift, true) == pytest.approx(0.0, abs=1e-9)
    wobble = true + ((-1.0) ** np.arange(10))[:, None, None] * np.array([2.0, 0.0, 0.0])   # +-2 mm
    assert metrics.mpjve(wobble, true) == pytest.approx(4.0)
    assert metrics.acceleration_error(wobble, true) == pytest.approx(8.0)
    # a jump between two sequences is not a velocity
    jump = true.copy()
    jump[5:] += 100.0
    labels = ["a"] * 5 + ["b"] * 5
    assert metrics.mpjve(jump, true, labels) == pytest.approx(0.0, abs=1e-9)
    assert metrics.mpjve(jump, true) > 5.0
    assert metrics.mpjve(true[:1], true[:1]) is None
    with pytest.raises(metrics.MetricsInputError, match="sequences"):
        metrics.mpjve(true, true, ["a"] * 3)
    doc = metrics.evaluate_predictions(wobble, true, sequences=["a"] * 10)
    assert doc["mpjve_mm"] == pytest.approx(4.0) and doc["accel_mm"] == pytest.approx(8.0)


# --- the stream ------------------------------------------------------------------------------------------------------

def test_stream_equals_keras_on_a_sequence(model):
    from graphsh_tf.evaluate import keras_predictor, sequence_predictor
    from graphsh_tf.temporal import TemporalStream, stream_sequence

    x = _walk(30, 3)
    ref = sequence_predictor(keras_predictor(model), np.array(["s"] * 30))(x)
    stream = TemporalStream(model)
    assert stream.caches_features and stream.window == T
    out = stream_sequence(stream, x, t=np.arange(30) / 25.0)
    assert np.abs(out - ref).max() < 1e-4          # mm


def test_stream_with_confidence_equals_keras():
    from graphsh_tf.evaluate import keras_predictor, sequence_predictor
    from graphsh_tf.models import build_model
    from graphsh_tf.temporal import TemporalStream, stream_sequence

    m = build_model(ModelConfig(temporal_window=3, confidence_input="channel", **TINY))
    layer = m.get_layer("temporal_output")
    layer.set_weights([np.full(w.shape, 0.01, np.float32) for w in layer.get_weights()])
    x = _walk(12, 7)
    conf = np.random.default_rng(0).uniform(0, 1, (12, 16)).astype(np.float32)
    ref = sequence_predictor(keras_predictor(m), np.array(["s"] * 12))(x, conf)
    stream = TemporalStream(m)
    assert stream.takes_confidence
    assert np.abs(stream_sequence(stream, x, conf) - ref).max() < 1e-4
    assert np.abs(ref - sequence_predictor(keras_predictor(m), np.array(["s"] * 12))(x)).max() > 1e-3


def test_stream_gaps(model):
    """Dropped frames are filled by repeating the last frame; a gap of T frame periods restarts the stream; a late
    frame changes nothing."""
    from graphsh_tf.evaluate import keras_predictor
    from graphsh_tf.temporal import TemporalStream

    x = _walk(12, 4)
    predict = keras_predictor(model)
    stream = TemporalStream(model, fps=25.0)
    for i in range(5):
        stream(x[i], t=i / 25.0)
    out = stream(x[5], t=7 / 25.0)                    # frames at 5/25 and 6/25 dropped: 3 periods since frame 4
    frames = [x[0]] * (T - 8) + [x[0], x[1], x[2], x[3], x[4], x[4], x[4], x[5]]
    np.testing.assert_allclose(out, predict(np.stack(frames)[None])[0], atol=1e-4)
    assert stream.filled == 2
    late = stream(x[6], t=6 / 25.0)                   # older than the last frame: ignored
    np.testing.assert_array_equal(late, out)
    again = stream(x[6], t=8 / 25.0)
    np.testing.assert_allclose(again, predict(np.stack(frames[1:] + [x[6]])[None])[0], atol=1e-4)
    fresh = stream(x[7], t=(8 + T) / 25.0)            # T periods: the stream starts again at this frame
    np.testing.assert_allclose(fresh, predict(np.repeat(x[7:8], T, 0)[None])[0], atol=1e-4)
    assert stream.resets == 1 and stream.frames == 1


def test_stream_from_detector_pixels(model):
    """Detector pixels go through the adapters and the screen frame, as Lifter prepares them."""
    from graphsh_tf.frame import normalize_screen_coordinates
    from graphsh_tf.temporal import TemporalStream

    px = (_walk(3, 8) + 1.0) * 500.0                  # H36M-16 pixels in a 1000 x 1000 image
    a, b = TemporalStream(model), TemporalStream(model)
    for k in range(3):
        got = a.lift_pixels(px[k], (1000, 1000), layout="h36m16", scores=np.ones(16))
        want = b(normalize_screen_coordinates(px[k], 1000, 1000))
        np.testing.assert_allclose(got, want, atol=1e-4)


def test_stream_refuses_single_frame_models_and_bad_input(model):
    from graphsh_tf.models import build_model
    from graphsh_tf.temporal import StreamError, TemporalStream

    with pytest.raises(StreamError, match="temporal-window"):
        TemporalStream(build_model(ModelConfig(**TINY)))
    with pytest.raises(StreamError, match="fps"):
        TemporalStream(model, fps=0)
    with pytest.raises(StreamError, match=r"\(16, 2\)"):
        TemporalStream(model)(np.zeros((17, 2)))


# --- TFLite ----------------------------------------------------------------------------------------------------------

def test_tflite_fp32_equals_keras_on_sequences(model, tmp_path):
    from graphsh_tf.data.temporal import window_index
    from graphsh_tf.evaluate import keras_predictor, method_predictor, sequence_predictor
    from graphsh_tf.lite.export import export_variants
    from graphsh_tf.lite.metadata import read_metadata
    from graphsh_tf.lite.runtime import TFLitePredictor
    from graphsh_tf.lite.variants import ExportError
    from graphsh_tf.temporal import TemporalStream, stream_sequence

    written = export_variants(model, tmp_path, ["fp32"])
    path = written["fp32"]
    meta = read_metadata(path)
    assert meta["input"]["shape"] == [1, T, 16, 2] and meta["input"]["temporal_window"] == T
    assert meta["model"]["temporal_window"] == T
    x = np.concatenate([_walk(20, 5), _walk(15, 6)])
    labels = np.array(["a"] * 20 + ["b"] * 15)
    ref = sequence_predictor(keras_predictor(model), labels)(x)
    lite = TFLitePredictor(path)
    assert lite.window == T
    got = sequence_predictor(method_predictor(lite), labels)(x)
    index = window_index(labels, T)
    assert np.abs(got - ref).max() < 1e-3          # mm
    stream = TemporalStream(lite)
    assert stream.caches_features                  # through the file's stream signatures
    streamed = stream_sequence(stream, x[:20])
    np.testing.assert_array_equal(lite.predict_mm(x[index][:3]), got[:3])   # the predictor still runs beside it
    assert np.abs(streamed - ref[:20]).max() < 1e-3
    with pytest.raises(ExportError, match="float variants"):
        export_variants(model, tmp_path, ["int8"], representative=np.zeros((4, 16, 2), np.float32))


# --- the fit door ----------------------------------------------------------------------------------------------------

def test_fit_temporal_window_one_epoch(tmp_path):
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)
    args = ["--downsample", "20", "--hid-dim", "8", "--stacks", "2", "--batch-size", "32", "--steps", "4",
            "--epochs", "1", "--quiet", "--temporal-window", "9", "--corruption", "detector", "--flip-augment",
            "--out", str(out)]
    r = subprocess.run([sys.executable, str(ROOT / "training" / "fit.py")] + args, env=env, capture_output=True,
                       text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model"]["temporal_window"] == 9
    doc = json.loads((out / "eval.json").read_text())
    assert doc["n_poses"] > 0 and doc["mpjve_mm"] > 0 and doc["accel_mm"] > 0
    assert "MPJVE" in (out / "eval.md").read_text()
    assert len((out / "history.csv").read_text().splitlines()) == 2
    bad = subprocess.run([sys.executable, str(ROOT / "training" / "fit.py"), "--temporal-window", "10", "--out",
                          str(tmp_path / "bad")], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert bad.returncode == 2 and "temporal_window" in bad.stderr and "Traceback" not in bad.stderr
    streamed = subprocess.run([sys.executable, str(ROOT / "training" / "fit.py"), "--data",
                               "synthetic:stream=true,frames=4000", "--temporal-window", "9", "--hid-dim", "8",
                               "--stacks", "2", "--epochs", "1", "--steps", "2", "--quiet", "--out",
                               str(tmp_path / "streamed")], env=env, capture_output=True, text=True, timeout=300,
                              cwd=ROOT)
    assert streamed.returncode == 2 and "streamed" in streamed.stderr and "Traceback" not in streamed.stderr
    assert not (tmp_path / "streamed").exists()      # refused before the run directory is made
