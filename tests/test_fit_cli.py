"""training/fit.py end to end (tiny model, tiny data, a few steps) and its one-line errors."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIT = [sys.executable, str(ROOT / "training" / "fit.py")]
TINY = ["--downsample", "20", "--hid-dim", "8", "--stacks", "2", "--batch-size", "64", "--steps", "8",
        "--epochs", "3", "--lr", "3e-3", "--quiet"]


def _run(args, env_extra=None, timeout=240):
    env = dict(os.environ, PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)
    env.update(env_extra or {})
    return subprocess.run(FIT + args, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def _one_error(r):
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    errors = [line for line in r.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, r.stderr[-2000:]
    return errors[0]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fit") / "run"
    r = _run(TINY + ["--out", str(out), "--flip-augment", "--flip-test"])
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return out, r.stdout


def test_run_dir_contents(tiny_run):
    out, stdout = tiny_run
    for name in ("config.json", "best.weights.h5", "last.weights.h5", "history.csv", "eval.json", "eval.md",
                 "curves.png", "skeletons.png"):
        assert (out / name).stat().st_size > 0, name
    assert list((out / "ckpt").glob("ckpt-3.index"))
    assert list((out / "tb" / "train").glob("events.out.tfevents.*"))
    assert not list(out.glob(".*tmp*")), "temp files left behind"
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model"]["hid_dim"] == 8 and cfg["model"]["gcn"] == "dc_preagg" and cfg["model"]["num_stacks"] == 2
    assert cfg["train"]["batch_size"] == 64 and cfg["train"]["lr"] == 3e-3 and cfg["train"]["flip_augment"] is True
    assert cfg["data"]["spec"] == "synthetic" and cfg["data"]["downsample"] == 20 and "train=" in cfg["data"]["summary"]
    rows = (out / "history.csv").read_text().splitlines()
    assert rows[0] == "epoch,loss,val_mpjpe_mm,lr" and len(rows) == 4
    losses = [float(r.split(",")[1]) for r in rows[1:]]
    assert losses[-1] < losses[0]
    doc = json.loads((out / "eval.json").read_text())
    for key in ("mpjpe_mm", "p_mpjpe_mm", "mean_pose_mpjpe_mm", "n_poses", "per_action", "model"):
        assert key in doc
    assert doc["flip_test"] is True and doc["model"]["hid_dim"] == 8
    assert all({"mpjpe_mm", "p_mpjpe_mm"} <= set(v) for v in doc["per_action"].values()) and doc["per_action"]
    assert doc["p_mpjpe_mm"] < doc["mpjpe_mm"]
    assert f"run dir {out}" in stdout and "mean-pose baseline" in stdout


def test_run_dir_loads_as_model(tiny_run):
    from graphsh_tf.model_io import load_model

    import numpy as np

    out, _ = tiny_run
    model = load_model(out)
    y = model.predict(np.zeros((2, 16, 2), np.float32), verbose=0)
    assert y.shape == (2, 16, 3) and np.isfinite(y).all()


def test_existing_run_without_resume_is_refused(tiny_run):
    out, _ = tiny_run
    assert "--resume" in _one_error(_run(TINY + ["--out", str(out)]))


@pytest.mark.parametrize("args, needle", [
    (["--gcn", "bogus"], "--gcn"),
    (["--hid-dim", "7"], "hid_dim"),
    (["--lr-gamma", "0"], "lr_gamma"),
    (["--batch-size", "0"], "batch_size"),
    (["--resume"], "--out"),
    (["--data", "shards:/nonexistent/shards"], "/nonexistent/shards: no index.json; this is not a shard folder"),
    (["--data", "synthetic:frame=10"], "synthetic has no option 'frame'; it takes: cameras, fps, frames"),
    (["--data", "h36m:/x", "--cameras", "phone"], "h36m has no option 'cameras'; it takes: actions"),
    (["--data", "synthetic", "--cameras", "virtual"], "option cameras='virtual' must be one of h36m, phone"),
    (["--data", "synthetic", "--test-styles", "tired"], "synthetic has no option 'test_styles'"),
    (["--data", "kinect:/x"], "unknown data spec 'kinect:/x'; use synthetic"),
])
def test_bad_flags_fast(args, needle):
    assert needle in _one_error(_run(args, timeout=60))


def test_data_help_lists_the_registered_sources():
    r = _run(["--help"], timeout=60)
    assert r.returncode == 0
    for example in ("synthetic[:key=value,...]", "h36m:DIR", "bvh:DIR", "mpi_inf_3dhp:DIR"):
        assert example in " ".join(r.stdout.split()), example


def test_data_error_is_one_line(tmp_path):
    err = _one_error(_run(TINY + ["--data", f"h36m:{tmp_path}/missing", "--out", str(tmp_path / "r")]))
    assert "missing" in err


def test_unparsable_tf_config(tmp_path):
    err = _one_error(_run(TINY + ["--strategy", "multiworker", "--out", str(tmp_path / "r")],
                          env_extra={"TF_CONFIG": "{not json"}))
    assert "TF_CONFIG" in err
