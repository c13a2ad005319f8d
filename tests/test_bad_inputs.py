"""Bad inputs across the command-line tools: each ends in ONE clear line on stderr that names the path or field,
exit code 2, no traceback, and nothing half-written in the output folder.

The cases are generated here on the fly (tiny files, tiny models). Each CLI is started as a user would start it.
"""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY_FIT = ["--downsample", "40", "--hid-dim", "8", "--stacks", "1", "--batch-size", "64", "--steps", "2",
            "--epochs", "1", "--quiet", "--no-xla"]


def _cli(script, *args, timeout=240):
    env = dict(os.environ, PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="")
    env.pop("TF_CONFIG", None)
    env.pop("GRAPHSH_VERBOSE", None)
    cmd = [sys.executable, *(["-m", script] if not script.endswith(".py") else [str(ROOT / script)]), *map(str, args)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def _one_clear_line(r, *needles):
    """The run failed with exit code 2 and exactly one non-empty stderr line, naming every needle."""
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert len(lines) == 1, r.stderr[-3000:]
    for needle in needles:
        assert str(needle) in lines[0], (needle, lines[0])
    return lines[0]


def _no_partial_files(folder: Path):
    left = [p for p in Path(folder).rglob("*") if p.name.startswith(".") and "tmp" in p.name]
    assert not left, left


# --- corrupt VideoPose3D files ------------------------------------------------------------------------------

def _good_3d(folder: Path):
    rng = np.random.default_rng(0)
    pos = {s: {"Walking": (rng.normal(0, 0.3, size=(6, 32, 3)) + [0.2, -0.1, 1.0]).astype(np.float32)}
           for s in ("S1", "S9")}
    np.savez_compressed(folder / "data_3d_h36m.npz", positions_3d=pos)


CORRUPT = {
    "zero_bytes": lambda p: p.write_bytes(b""),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "random_bytes": lambda p: p.write_bytes(np.random.default_rng(1).bytes(4096)),
    "text": lambda p: p.write_text("subject,action\nS1,Walking\n"),
}


@pytest.mark.parametrize("kind", sorted(CORRUPT))
def test_corrupt_3d_file(tmp_path, kind):
    _good_3d(tmp_path)
    CORRUPT[kind](tmp_path / "data_3d_h36m.npz")
    r = _cli("graphsh_tf.data.inspect", "--data", f"h36m:{tmp_path}")
    _one_clear_line(r, "data_3d_h36m.npz")


def test_pickle_payload_in_3d_file_is_refused_and_does_not_run(tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    np.savez(tmp_path / "data_3d_h36m.npz", positions_3d=np.array({"S1": Payload()}, dtype=object))
    r = _cli("graphsh_tf.data.inspect", "--data", f"h36m:{tmp_path}")
    _one_clear_line(r, "data_3d_h36m.npz")
    assert not marker.exists()


def test_3d_in_millimetres_names_the_unit(tmp_path):
    _good_3d(tmp_path)
    with np.load(tmp_path / "data_3d_h36m.npz", allow_pickle=True) as f:  # our own file
        pos = f["positions_3d"].item()
    np.savez_compressed(tmp_path / "data_3d_h36m.npz",
                        positions_3d={s: {a: v * 1000 for a, v in acts.items()} for s, acts in pos.items()})
    r = _cli("training/fit.py", "--data", f"h36m:{tmp_path}", "--out", tmp_path / "run", *TINY_FIT)
    _one_clear_line(r, "millimetres")
    assert not (tmp_path / "run").exists()


# --- output places --------------------------------------------------------------------------------------------

def test_fit_out_under_a_regular_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = _cli("training/fit.py", "--out", blocker / "run", *TINY_FIT)
    _one_clear_line(r, str(blocker))


@pytest.mark.parametrize("flags", [["--epochs", "0"], ["--batch-size", "0"], ["--lr", "-1"], ["--occlusion", "2"]])
def test_fit_bad_numbers(tmp_path, flags):
    r = _cli("training/fit.py", "--out", tmp_path / "run", *TINY_FIT, *flags)
    _one_clear_line(r, flags[0].lstrip("-").replace("-", "_").split("_")[0])
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_diverged_training_stops_with_the_step_and_leaves_no_nan_weights(tmp_path):
    out = tmp_path / "run"
    r = _cli("training/fit.py", "--out", out, *TINY_FIT, "--lr", "inf")
    line = _one_clear_line(r, "non-finite", "--lr")
    assert "step" in line
    for weights in out.glob("*.weights.h5") if out.exists() else []:
        import h5py

        with h5py.File(weights, "r") as f:
            arrays = []
            f.visititems(lambda n, o: arrays.append(o[()]) if isinstance(o, h5py.Dataset) else None)  # noqa: B023
        assert all(np.isfinite(a).all() for a in arrays if np.issubdtype(np.asarray(a).dtype, np.floating))
    _no_partial_files(tmp_path)


# --- evaluate / convert / validate / benchmark / import -----------------------------------------------------

@pytest.mark.parametrize("content", [b"", b"TFL3" + b"\0" * 60, b"not a model at all\n"])
def test_evaluate_corrupt_tflite(tmp_path, content):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(content)
    r = _cli("training/evaluate.py", bad, "--data", "synthetic", "--downsample", "40")
    _one_clear_line(r, "bad.tflite")


def test_evaluate_missing_model(tmp_path):
    r = _cli("training/evaluate.py", tmp_path / "nope", "--data", "synthetic")
    _one_clear_line(r, "nope")


def test_convert_missing_run(tmp_path):
    r = _cli("tflite/convert.py", tmp_path / "norun")
    _one_clear_line(r, "norun")


@pytest.mark.parametrize("flag", [["--runs", "0"], ["--runs", "-3"], ["--threads", "0"]])
def test_benchmark_bad_counts_rejected_before_work(tmp_path, flag):
    r = _cli("tflite/benchmark.py", tmp_path, *flag, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert flag[0] in r.stderr


def test_torch_import_nan_weights(tmp_path):
    src = ROOT / "tests" / "fixtures" / "graphsh_vanilla_h16_l2_s0.npz"
    with np.load(src) as f:
        d = dict(f)
    key = next(k for k in d if k.startswith("state_dict/") and k.endswith(".W")) if any(
        k.startswith("state_dict/") for k in d) else next(k for k in d if k.endswith(".W"))
    d[key] = np.full_like(d[key], np.nan)
    bad = tmp_path / "nan.npz"
    np.savez(bad, **d)
    r = _cli("graphsh_tf.torch_import", bad, tmp_path / "out.h5")
    _one_clear_line(r, "NaN")
    assert not (tmp_path / "out.h5").exists()


def test_torch_import_out_under_a_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    src = ROOT / "tests" / "fixtures" / "graphsh_vanilla_h16_l2_s0.npz"
    r = _cli("graphsh_tf.torch_import", src, blocker / "out.h5")
    _one_clear_line(r, str(blocker))


def test_config_json_field_error_names_the_file(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"model": {"gcn": "nope"}, "train": {}, "data": {"spec": "synthetic"}}))
    r = _cli("training/evaluate.py", run)
    _one_clear_line(r, "config.json", "gcn")


def test_not_an_npz_file_is_not_called_a_pickle_problem(tmp_path):
    (tmp_path / "data_3d_h36m.npz").write_text("hello")
    r = _cli("graphsh_tf.data.inspect", "--data", f"h36m:{tmp_path}")
    line = _one_clear_line(r, "data_3d_h36m.npz")
    assert "pickle" not in line.lower()


def test_zip_with_wrong_member_names_the_key(tmp_path):
    with zipfile.ZipFile(tmp_path / "data_3d_h36m.npz", "w") as z:
        z.writestr("other.npy", b"")
    r = _cli("graphsh_tf.data.inspect", "--data", f"h36m:{tmp_path}")
    _one_clear_line(r, "data_3d_h36m.npz")


def test_foreign_tflite_is_not_scored_without_the_flag(tmp_path):
    """A .tflite of the right shapes but without our metadata is refused (its inputs/units are unknown)."""
    import graphsh_tf  # noqa: F401

    import tensorflow as tf

    class Foreign(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 16, 2], tf.float32, name="keypoints_2d")])
        def lift(self, x):
            return {"joints_3d": tf.concat([x, x[..., :1]], axis=-1) * 100.0}

    m = Foreign()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([m.lift.get_concrete_function()], m)
    (tmp_path / "foreign.tflite").write_bytes(conv.convert())
    r = _cli("training/evaluate.py", tmp_path / "foreign.tflite", "--data", "synthetic", "--downsample", "40")
    _one_clear_line(r, "foreign.tflite", "--allow-foreign")


def test_benchmark_worker_death_is_reported_at_once(tmp_path):
    """A worker that dies (here: killed by a signal) is reported with its exit status, not after a timeout."""
    import time

    from graphsh_tf.lite import bench
    from graphsh_tf.lite.runtime import TFLiteModelError

    t0 = time.time()
    with pytest.raises(TFLiteModelError, match="exit status"):
        _dying_worker(bench, tmp_path)
    assert time.time() - t0 < 60


def _dying_worker(bench, tmp_path):
    import multiprocessing as mp

    orig = mp.get_context

    class Ctx:
        def __init__(self, real):
            self.real = real

        def Queue(self):
            return self.real.Queue()

        def Process(self, target, args):
            return self.real.Process(target=os._exit, args=(7,))

    mp.get_context = lambda kind: Ctx(orig(kind))
    try:
        return bench.benchmark_file(tmp_path / "x.tflite", runs=1, warmup=0, isolate=True)
    finally:
        mp.get_context = orig


@pytest.mark.slow
def test_kill_9_during_convert_leaves_only_complete_files_and_a_rerun_finishes(tmp_path):
    """kill -9 in the middle of an export with QAT: every visible .tflite (and sidecar) left behind is complete
    (writes go to a temp name, then rename); running again produces all variants."""
    import signal
    import time

    import graphsh_tf  # noqa: F401
    from graphsh_tf.lite.runtime import load_interpreter
    from graphsh_tf.models import build_model

    import tf_keras as keras

    run = tmp_path / "run"
    run.mkdir()
    keras.utils.set_random_seed(0)
    model = build_model(gcn="vanilla", hid_dim=16, num_stacks=1)
    model.save_weights(str(run / "best.weights.h5"))
    (run / "config.json").write_text(json.dumps({"model": model.graphsh_config.to_dict(), "train": {},
                                                 "data": {"spec": "synthetic", "keypoints": "gt", "downsample": 40}}))
    env = dict(os.environ, PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="")
    args = [sys.executable, str(ROOT / "tflite" / "convert.py"), str(run), "--qat-steps", "400",
            "--calib-samples", "64"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:   # kill once at least one variant is written
        if list((run / "tflite").glob("*.tflite")) if (run / "tflite").exists() else []:
            break
        time.sleep(0.2)
    time.sleep(1.0)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    for f in (run / "tflite").glob("*.tflite") if (run / "tflite").exists() else []:
        load_interpreter(f, 1)                                   # raises on a truncated file
        assert f.with_suffix(".json").is_file(), f               # the sidecar is written first
    r = subprocess.run(args[:-4] + ["--qat-steps", "3", "--calib-samples", "64"], env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    names = sorted(p.name for p in (run / "tflite").glob("graphsh_*.tflite"))
    assert len(names) >= 5 and all(p.with_suffix(".json").is_file() for p in (run / "tflite").glob("graphsh_*.tflite"))
