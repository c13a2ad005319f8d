"""training/evaluate.py: a run directory and its .tflite export are scored by the same metric code."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EVAL = [sys.executable, str(ROOT / "training" / "evaluate.py")]


@pytest.fixture(scope="module")
def run_and_tflite(tmp_path_factory):
    """A tiny run directory written by graphsh_tf.train.loop.train (2 epochs x 4 steps) and its fp32 .tflite."""
    from graphsh_tf.config import DataConfig, ModelConfig, TrainConfig
    from graphsh_tf.train.loop import train

    out = tmp_path_factory.mktemp("eval") / "run"
    result = train(ModelConfig(hid_dim=8, num_stacks=1), TrainConfig(epochs=2, steps_per_epoch=4, batch_size=64,
                                                                     lr=3e-3, strategy="default"),
                   DataConfig(downsample=40), out, verbose=0, log=lambda s: None)
    from graphsh_tf.lite.convert import convert
    from graphsh_tf.model_io import load_model

    tfl = out.parent / "model.tflite"
    tfl.write_bytes(convert(load_model(out), "fp32"))
    return out, tfl, result


def _eval(args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(EVAL + args, env=env, capture_output=True, text=True, timeout=180, cwd=ROOT)


def test_train_returns_eval_document(run_and_tflite):
    out, _, result = run_and_tflite
    on_disk = json.loads((out / "eval.json").read_text())
    assert on_disk["mpjpe_mm"] == pytest.approx(result["mpjpe_mm"])
    assert on_disk["n_poses"] == result["n_poses"] > 0


def test_run_dir_and_tflite_agree(run_and_tflite, tmp_path):
    out, tfl, _ = run_and_tflite
    docs = []
    for i, model in enumerate((out, tfl)):
        j, md = tmp_path / f"e{i}.json", tmp_path / f"e{i}.md"
        extra = ["--allow-foreign"] if model == tfl else []   # the fixture's .tflite is bare converter output
        r = _eval([str(model), "--data", "synthetic", "--downsample", "40", "--json", str(j), "--md", str(md)] + extra)
        assert r.returncode == 0, r.stderr[-2000:]
        assert "MPJPE" in r.stdout and "Protocol #2 (P-MPJPE)" in md.read_text()
        docs.append(json.loads(j.read_text()))
    a, b = docs
    assert a["n_poses"] == b["n_poses"] > 0
    assert a["mpjpe_mm"] == pytest.approx(b["mpjpe_mm"], abs=0.05)  # fp32 tflite == keras within rounding
    assert a["p_mpjpe_mm"] == pytest.approx(b["p_mpjpe_mm"], abs=0.05)
    assert set(a["per_action"]) == set(b["per_action"])
    for key in ("pck150", "auc", "mean_pose_mpjpe_mm"):
        assert 0 <= a[key] and np.isfinite(a[key])
    assert a["model"]["hid_dim"] == 8 and "tflite" in b["model"]


def test_flip_test_changes_predictions(run_and_tflite, tmp_path):
    out, _, _ = run_and_tflite
    j = tmp_path / "flip.json"
    r = _eval([str(out), "--flip-test", "--json", str(j)])  # data taken from the run's config.json
    assert r.returncode == 0, r.stderr[-2000:]
    flipped = json.loads(j.read_text())
    plain = json.loads((out / "eval.json").read_text())
    assert flipped["flip_test"] is True and flipped["n_poses"] == plain["n_poses"]
    assert flipped["mpjpe_mm"] != plain["mpjpe_mm"]


def test_bad_model_path_one_line(tmp_path):
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(b"not a flatbuffer")
    for model in (tmp_path / "missing_dir", bad):
        r = _eval([str(model)])
        assert r.returncode != 0 and "Traceback" not in r.stderr
        errors = [line for line in r.stderr.splitlines() if line.startswith("evaluate.py: error:")]
        assert len(errors) == 1 and str(model.name) in errors[0], r.stderr[-1500:]
