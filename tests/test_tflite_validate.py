"""Validation of .tflite files against Keras; bad files fail with one clear line."""
import json
import subprocess
import sys
from pathlib import Path

import graphsh_tf  # noqa: F401
from graphsh_tf import validate
from graphsh_tf.evaluate import keras_predictor
from graphsh_tf.lite import export, runtime
from graphsh_tf.models import build_model

import numpy as np
import pytest
import tf_keras as keras

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A tiny trained run: config.json (synthetic data) + best.weights.h5 (256 Adam steps on 4,096 synthetic training
    poses, ~5 s: MPJPE ~180 mm against ~240 mm for the mean pose), exported to fp32/fp16/int8/qat_int8."""
    from graphsh_tf.config import TrainConfig
    from graphsh_tf.contract import MM_PER_MODEL_UNIT
    from graphsh_tf.data.dataset import load_data
    from graphsh_tf.train.optim import compile_model

    run = tmp_path_factory.mktemp("run")
    keras.utils.set_random_seed(0)
    model = build_model(gcn="dc_preagg", hid_dim=16, num_stacks=1)
    train = load_data("synthetic").train
    compile_model(model, TrainConfig(lr=3e-3))
    model.fit(train.poses_2d[:4096], train.poses_3d[:4096] / MM_PER_MODEL_UNIT, batch_size=128, epochs=8, verbose=0)
    model.save_weights(str(run / "best.weights.h5"))
    (run / "config.json").write_text(json.dumps({"model": model.graphsh_config.to_dict(), "train": {},
                                                 "data": {"spec": "synthetic", "keypoints": "gt"}}))
    export.export_run(run, variants=["fp32", "fp16", "int8", "qat_int8"], calib_samples=64, qat_steps=3)
    return run


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "tflite" / "validate.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def _why(res) -> str:
    lines = [ln for ln in res.stderr.splitlines() if not ln.startswith(("I0000", "W0000", "E0000", "WARNING", "INFO"))]
    return f"exit {res.returncode}: " + "\n".join(lines[-25:])


def test_validate_cli_json(run_dir, tmp_path):
    out = tmp_path / "v.json"
    res = _cli(run_dir, "--limit", 300, "--json", out)
    assert res.returncode == 0, _why(res)
    data = json.loads(out.read_text())
    assert set(data["variants"]) == {"fp32", "fp16", "int8", "qat_int8"}
    qat = data["variants"]["qat_int8"]                 # also measured against its own (QAT-tuned) float weights
    assert qat["delta_vs_own_float_mm"] == pytest.approx(qat["mpjpe_mm"] - qat["own_float_mpjpe_mm"])
    assert data["float"]["mpjpe_mm"] > 0
    for v in data["variants"].values():
        assert set(v) >= {"file", "size_bytes", "mpjpe_mm", "delta_mpjpe_mm", "p_mpjpe_mm", "max_abs_diff_mm", "ops"}
        assert v["size_bytes"] == Path(v["file"]).stat().st_size and v["ops"]
    assert abs(data["variants"]["fp32"]["delta_mpjpe_mm"]) <= 0.01
    assert abs(data["variants"]["fp16"]["delta_mpjpe_mm"]) <= 0.1
    assert "| fp32 |" in res.stdout and (run_dir / "validate.md").exists()


def test_validate_files_on_same_inputs(run_dir):
    from graphsh_tf.model_io import load_model

    rng = np.random.default_rng(0)
    x = rng.uniform(-0.8, 0.8, (50, 16, 2)).astype("f")
    y = rng.normal(0, 200, (50, 16, 3)).astype("f")
    res = validate.validate_files([run_dir / "tflite" / "graphsh_fp32.tflite"], load_model(run_dir), x, y)
    v = res["variants"]["fp32"]
    assert v["max_abs_diff_mm"] < 0.01 and abs(v["delta_mpjpe_mm"]) < 1e-3


def _wrong_layout_tflite(path: Path):
    import tensorflow as tf

    fn = tf.function(lambda x: {"joints_3d": tf.concat([x, x[..., :1]], axis=-1) * 2.0},
                     input_signature=[tf.TensorSpec([1, 17, 2], tf.float32, name="keypoints_2d")])
    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()])
    path.write_bytes(conv.convert())


@pytest.mark.parametrize("kind", ["corrupt", "truncated", "wrong_layout"])
def test_bad_files_fail_with_one_line(run_dir, tmp_path, kind):
    folder = tmp_path / kind
    folder.mkdir()
    good = (run_dir / "tflite" / "graphsh_fp32.tflite").read_bytes()
    bad = folder / "graphsh_fp32.tflite"
    if kind == "corrupt":
        bad.write_bytes(b"\x00" * 4 + b"TFL3" + bytes(np.random.default_rng(0).integers(0, 255, 4000, dtype=np.uint8)))
    elif kind == "truncated":
        bad.write_bytes(good[: len(good) // 2])
    else:
        _wrong_layout_tflite(bad)
    with pytest.raises(runtime.TFLiteModelError):
        runtime.TFLitePredictor(bad)
    res = _cli(run_dir, "--tflite-dir", folder, "--limit", 10, "--json", tmp_path / "x.json")
    assert res.returncode != 0
    err = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and str(bad) in err[0] and "Traceback" not in res.stderr
    if kind == "wrong_layout":
        assert "[1, 17, 2]" in err[0]
    assert not (tmp_path / "x.json").exists()


def test_missing_run_config_is_clear(tmp_path):
    res = _cli(tmp_path)
    assert res.returncode != 0 and "error:" in res.stderr and "Traceback" not in res.stderr


# --- tails: per-pose |Δ| against the float model, the flag and --fail-on-tail ---------------------------------------

@pytest.fixture(scope="module")
def broken_dir(run_dir, tmp_path_factory):
    """A .tflite converted from the run's model with the output layer's weights perturbed (x1.3): a variant whose
    every pose is off by tens of mm while its file is perfectly valid."""
    from graphsh_tf.model_io import load_model

    model = load_model(run_dir)
    last = [layer for layer in model.layers if layer.weights][-1]
    last.set_weights([w * 1.3 for w in last.get_weights()])
    out = tmp_path_factory.mktemp("broken")
    export.export_variants(model, out, ["fp32"])
    return out


def test_tail_metrics_per_variant(run_dir, tmp_path):
    out = tmp_path / "v.json"
    res = _cli(run_dir, "--limit", 300, "--json", out, "--md", tmp_path / "v.md", "--fail-on-tail")
    data = json.loads(out.read_text())
    flagged = [n for n, v in data["variants"].items() if v["pose_delta_mm"]["p99_9"] > 10]
    assert data["tail"]["threshold_mm"] == 10 and data["tail"]["flagged"] == flagged
    assert res.returncode == (1 if flagged else 0), _why(res)                # --fail-on-tail follows the flag
    assert set(data["variants"]) == {"fp32", "fp16", "int8", "qat_int8"}
    for name, v in data["variants"].items():
        t = v["pose_delta_mm"]
        assert 0 <= t["p50"] <= t["p99"] <= t["p99_9"] <= t["max"], name
        assert t["max"] <= 3 ** 0.5 * v["max_abs_diff_mm"] + 1e-6        # a mean joint distance <= the worst one
        assert v["tail_flagged"] == (name in flagged)
    own = data["variants"]["qat_int8"]["own_float_pose_delta_mm"]          # QAT also against its own float weights
    assert 0 <= own["p50"] <= own["max"]
    assert data["variants"]["fp32"]["pose_delta_mm"]["max"] < 0.01 and "fp32" not in flagged and "fp16" not in flagged
    assert data["variants"]["int8"]["pose_delta_mm"]["p99_9"] > data["variants"]["fp16"]["pose_delta_mm"]["p99_9"]
    md = (tmp_path / "v.md").read_text()
    assert "p99.9" in md and "| fp32 |" in md and "| ok |" in md
    assert ("FLAG p99.9 > 10 mm" in md) == bool(flagged)


def test_tail_stats_match_a_direct_computation(run_dir):
    from graphsh_tf.model_io import load_model
    from graphsh_tf.validate import pose_delta_mm, validate_files

    model = load_model(run_dir)
    rng = np.random.default_rng(1)
    x = rng.uniform(-0.8, 0.8, (40, 16, 2)).astype("f")
    path = run_dir / "tflite" / "graphsh_int8.tflite"
    res = validate_files([path], model, x, np.zeros((40, 16, 3), "f"), tail_threshold_mm=1e-6)
    pred = runtime.TFLitePredictor(path).predict_mm(x)
    ref = keras_predictor(model)(x)
    direct = np.linalg.norm(pred.astype(np.float64) - ref, axis=-1).mean(axis=-1)
    np.testing.assert_allclose(pose_delta_mm(pred, ref), direct)
    t = res["variants"]["int8"]["pose_delta_mm"]
    assert t["max"] == pytest.approx(direct.max(), rel=1e-4) and t["p50"] == pytest.approx(np.median(direct), rel=1e-3)
    assert res["variants"]["int8"]["tail_flagged"] and res["tail"]["flagged"] == ["int8"]     # threshold honoured


def test_fail_on_tail_exits_1_for_a_broken_model(run_dir, broken_dir, tmp_path):
    out = tmp_path / "b.json"
    res = _cli(run_dir, "--tflite-dir", broken_dir, "--limit", 200, "--json", out, "--md", tmp_path / "b.md",
               "--fail-on-tail")
    assert res.returncode == 1, _why(res)
    data = json.loads(out.read_text())                                        # the reports are still written
    assert data["variants"]["fp32"]["tail_flagged"] and data["tail"]["flagged"] == ["fp32"]
    assert data["variants"]["fp32"]["pose_delta_mm"]["p99_9"] > 10
    assert "FLAG p99.9 > 10 mm" in res.stdout and "tail: fp32" in res.stderr and "Traceback" not in res.stderr
    res = _cli(run_dir, "--tflite-dir", broken_dir, "--limit", 200, "--json", out, "--md", tmp_path / "b.md",
               "--tail-threshold", 1e6)
    assert res.returncode == 0, _why(res)                                     # flagged only past the threshold
    assert not json.loads(out.read_text())["variants"]["fp32"]["tail_flagged"]


def test_convert_validation_gate_lines(run_dir):
    """tflite/convert.py's closing validation: one line per exported variant with ΔMPJPE, p99.9 and max; the int8
    variants say whether their target is met; no colour codes when the stream is not a terminal."""
    import importlib.util
    import io

    spec = importlib.util.spec_from_file_location("convert_door", ROOT / "tflite" / "convert.py")
    door = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(door)
    from graphsh_tf.lite.metadata import find_tflite

    files = find_tflite(run_dir / "tflite")
    out = io.StringIO()
    rows = door.validate_export(run_dir, files, stream=out)
    text = out.getvalue()
    assert [r[0] for r in rows] == ["fp32", "fp16", "int8", "qat_int8"]
    assert "\033[" not in text and "12124" not in text
    for name, line, missed in rows:
        assert line in text and "mm MPJPE" in line and "1 pose in 1000 moves" in line and "the worst" in line
        if name in ("int8", "qat_int8"):
            assert ("more than an int8 file usually costs" in line) == bool(missed)
            assert line.endswith("usually costs") or missed
        else:
            assert "target" not in line
