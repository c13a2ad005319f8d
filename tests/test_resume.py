"""Crash-safe resume: a run SIGKILLed mid-epoch continues with --resume and ends with the same weights as an
uninterrupted run.

Exact equality holds because (a) --deterministic enables op determinism, (b) the model, optimizer moments, the
step counter (hence the LR schedule) and the epoch live in the tf.train.Checkpoint, (c) the training stream is one
seeded sequence that a resumed run skips forward to the first batch of the resumed epoch, and (d) dropout is 0:
Keras's dropout RNG state is not checkpointed, so with dropout > 0 the resumed masks differ and only the
statistical behaviour, not the weights, would match.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIT = [sys.executable, str(ROOT / "training" / "fit.py")]
TINY = ["--downsample", "20", "--hid-dim", "8", "--stacks", "1", "--dropout", "0", "--batch-size", "64",
        "--steps", "4", "--epochs", "4", "--lr", "1e-3", "--deterministic", "--quiet", "--seed", "3"]


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    env.update(extra)
    return env


def _weights(path: Path) -> dict:
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, np.array(obj)) if isinstance(obj, h5py.Dataset) else None)
    return out


def _run(args, **env):
    return subprocess.run(FIT + args, env=_env(**env), capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    full, cut = tmp_path / "full", tmp_path / "cut"
    r = _run(TINY + ["--out", str(full)])
    assert r.returncode == 0, r.stderr[-2000:]

    # the interrupted run: slowed to 0.4 s per batch, killed during epoch 3 (after checkpoint 2 exists)
    proc = subprocess.Popen(FIT + TINY + ["--out", str(cut)], env=_env(GRAPHSH_TEST_BATCH_SLEEP="0.4"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while not (cut / "ckpt" / "ckpt-2.index").exists() or "ckpt-2" not in (cut / "ckpt" / "checkpoint").read_text():
        assert proc.poll() is None, "training ended before it could be killed"
        assert time.time() < deadline, "no checkpoint of epoch 2 within 240 s"
        time.sleep(0.05)
    time.sleep(0.6)  # one or two batches into epoch 3
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not (cut / "eval.json").exists()
    assert not (cut / "ckpt" / "ckpt-3.index").exists(), "the kill came after epoch 3 ended; not mid-epoch"

    r = _run(TINY + ["--out", str(cut), "--resume"])
    assert r.returncode == 0, r.stderr[-2000:]
    assert "resumed" in r.stdout and "at epoch 2, step 8" in r.stdout, r.stdout[-2000:]

    a, b = _weights(full / "last.weights.h5"), _weights(cut / "last.weights.h5")
    assert a.keys() == b.keys() and len(a) > 5
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    hist_full = (full / "history.csv").read_text().splitlines()
    hist_cut = (cut / "history.csv").read_text().splitlines()
    assert len(hist_cut) == 5  # header + 4 epochs, no duplicated epoch rows
    assert hist_full == hist_cut  # same losses, val MPJPE and LR per epoch
    assert (cut / "eval.json").exists()


@pytest.mark.slow
def test_resume_with_other_config_names_fields(tmp_path):
    run = tmp_path / "run"
    r = _run(["--downsample", "40", "--hid-dim", "8", "--stacks", "1", "--batch-size", "64", "--steps", "2",
              "--epochs", "1", "--quiet", "--out", str(run)])
    assert r.returncode == 0, r.stderr[-2000:]
    r = _run(["--downsample", "40", "--hid-dim", "16", "--stacks", "1", "--batch-size", "64", "--steps", "2",
              "--epochs", "2", "--quiet", "--lr", "0.5", "--out", str(run), "--resume"])
    assert r.returncode != 0
    err = [line for line in r.stderr.splitlines() if line.startswith("fit.py: error:")]  # TF logs its own lines
    assert len(err) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "model.hid_dim: 8 -> 16" in err[0] and "train.lr" in err[0] and "config.json" in err[0]
    assert "epochs" not in err[0]  # more epochs on resume is allowed
