"""The robustness table (graphsh_tf.robustness): rows, ratios, seeding and the markdown, on a tiny lifter."""
from graphsh_tf import robustness as rb
from graphsh_tf.evaluate import corrupt_inputs

import numpy as np
import pytest


@pytest.fixture(scope="module")
def data():
    from graphsh_tf.data.dataset import load_data

    return load_data("synthetic", downsample=8).to_16_joints()


@pytest.fixture(scope="module")
def linear_lifter(data):
    """A least-squares linear lifter fitted on the training split: tiny, deterministic, sensitive to its inputs."""
    x = data.train.poses_2d.reshape(len(data.train), -1).astype(np.float64)
    x1 = np.concatenate([x, np.ones((len(x), 1))], 1)
    w, *_ = np.linalg.lstsq(x1, data.train.poses_3d.reshape(len(x), -1), rcond=None)

    def predict_mm(x2d):
        flat = np.asarray(x2d, np.float64).reshape(len(x2d), -1)
        return (np.concatenate([flat, np.ones((len(flat), 1))], 1) @ w).reshape(len(x2d), 16, 3).astype(np.float32)

    return predict_mm


def test_table_rows_and_ratios(data, linear_lifter):
    table = rb.robustness_table(linear_lifter, data.test, seed=0)
    rows = {r["key"]: r for r in table["rows"]}
    assert list(rows) == ["clean", "noise_5px", "missing_1", "missing_3", "swap_1", "detector"]
    assert rows["clean"]["ratio"] == 1.0 and table["n_poses"] == len(data.test)
    for key in ("noise_5px", "missing_1", "missing_3", "swap_1", "detector"):
        assert rows[key]["ratio"] > 1.0, key   # every corruption hurts a linear lifter
        assert rows[key]["ratio"] == pytest.approx(rows[key]["mpjpe_mm"] / rows["clean"]["mpjpe_mm"])
    assert rows["missing_3"]["mpjpe_mm"] > rows["missing_1"]["mpjpe_mm"]
    assert table["detector_params"]["swap_rate"] == pytest.approx(0.02)
    # seeded: the same table twice, another seed another one
    assert rb.robustness_table(linear_lifter, data, seed=0) == table      # a PoseData is taken by its test split
    other = rb.robustness_table(linear_lifter, data.test, seed=1)
    assert other["rows"][0] == table["rows"][0] and other["rows"][1]["mpjpe_mm"] != rows["noise_5px"]["mpjpe_mm"]
    md = rb.robustness_markdown(table)
    assert md.count("\n|") == 2 + len(rb.ROWS) and "detector-like mix" in md and "x |" in md


def test_noise_and_drop_rows_draw_as_corrupt_inputs_always_did(data):
    test = data.test
    for noise, drop in ((5.0, 0), (0.0, 3), (4.0, 2)):
        got, conf = rb.corrupt_test_inputs(test.poses_2d, test.image_size, noise_px=noise, drop_joints=drop, seed=7)
        want = corrupt_inputs(test.poses_2d, test.image_size[:, 0], noise, drop, seed=7)
        np.testing.assert_allclose(got, want, atol=1e-6)
        assert ((conf == 0).sum(axis=1) == drop).all()


def test_confidence_taking_predictor_sees_the_rows_confidences(data, linear_lifter):
    seen = []

    def predict(x2d, conf):
        seen.append(np.asarray(conf))
        return linear_lifter(x2d)

    predict.takes_confidence = True
    rb.robustness_table(predict, data.test)
    clean, noise, miss1, miss3, swap, detector = seen
    assert (clean == 1).all() and (noise == 1).all() and (swap == 1).all()
    assert ((miss1 == 0).sum(axis=1) == 1).all() and ((miss3 == 0).sum(axis=1) == 3).all()
    assert 0 < detector.mean() < 1 and (detector == 0).any()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A tiny run directory written by graphsh_tf.train.loop.train (2 epochs x 3 steps)."""
    from graphsh_tf.config import DataConfig, ModelConfig, TrainConfig
    from graphsh_tf.train.loop import train

    out = tmp_path_factory.mktemp("robust") / "run"
    result = train(ModelConfig(hid_dim=8, num_stacks=1), TrainConfig(epochs=2, steps_per_epoch=3, batch_size=64,
                                                                     lr=3e-3, strategy="default", seed=3),
                   DataConfig(downsample=40), out, verbose=0, log=lambda s: None)
    return out, result


def test_fit_writes_the_table_into_eval_json_and_md(tiny_run):
    import json

    out, result = tiny_run
    doc = json.loads((out / "eval.json").read_text())
    table = doc["robustness"]
    assert [r["key"] for r in table["rows"]] == [r.key for r in rb.ROWS] and table["seed"] == 3
    assert table["rows"][0]["mpjpe_mm"] == pytest.approx(doc["mpjpe_mm"], rel=1e-4)   # clean row = the eval
    assert table == result["robustness"]
    md = (out / "eval.md").read_text()
    assert "### Robustness" in md and "| 1 left/right limb pair swapped |" in md


def test_evaluate_cli_swaps_corrupts_and_recomputes_the_table(tiny_run, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out, _ = tiny_run
    env = dict(os.environ, PYTHONPATH=str(root), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")

    def cli(*args):
        return subprocess.run([sys.executable, str(root / "training" / "evaluate.py"), str(out), *args], env=env,
                              capture_output=True, text=True, timeout=300, cwd=root)

    j = tmp_path / "e.json"
    r = cli("--swap-limbs", "1", "--corrupt", "detector:jitter=2", "--robustness", "--json", str(j))
    assert r.returncode == 0, r.stderr[-2000:]
    doc = json.loads(j.read_text())
    run_doc = json.loads((out / "eval.json").read_text())
    assert doc["swap_limbs"] == 1 and doc["corruption"] == "detector:jitter=2"
    assert doc["mpjpe_mm"] != run_doc["mpjpe_mm"]   # other inputs (an untrained model barely reacts to them)
    assert doc["robustness"]["rows"] == run_doc["robustness"]["rows"]   # the run's seed: fit's table again
    r = cli("--corrupt", "detector:swap=1")
    assert r.returncode == 2 and "swap_rate" in r.stderr and "Traceback" not in r.stderr
