"""tf.distribute: MirroredStrategy over 2 logical CPU devices, and MultiWorkerMirroredStrategy with 2 worker
processes on 127.0.0.1 (TF_CONFIG). Both train a tiny model a few steps; the loss falls; the workers end with
bitwise-identical weights and only the chief writes the run directory."""
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--downsample", "20", "--hid-dim", "8", "--stacks", "1", "--batch-size", "64", "--steps", "6",
        "--epochs", "3", "--lr", "3e-3", "--quiet"]

#: The two-worker run: as small as still shows lockstep training (2 epochs of 4 global steps; no warm-up, so the
#: loss falls within them; plain tf.function steps, as XLA compiling in two processes at once only adds to a loaded
#: machine's wait; every step waits for the slower worker).
MW_EPOCHS, MW_STEPS = 2, 4
MW_TINY = ["--downsample", "40", "--hid-dim", "8", "--stacks", "1", "--batch-size", "64", "--steps", str(MW_STEPS),
           "--epochs", str(MW_EPOCHS), "--lr", "3e-3", "--warmup-steps", "0", "--no-xla", "--quiet"]

MIRRORED_SCRIPT = r"""
import sys, json
import graphsh_tf, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
sys.argv = ["fit.py"] + json.loads(sys.argv[1])
sys.path.insert(0, "training")
import fit
sys.exit(fit.main())
"""


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _timeout_s(idle_s: float) -> float:
    """``idle_s`` (what the run needs on an idle machine, with margin) stretched by how busy the machine is: x(1 +
    load average per core), at most x5. Two worker processes that wait for each other at every step slow down with
    every other job on the cores; the test checks their lockstep, not their speed."""
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except (AttributeError, OSError):
        load = 1.0
    return idle_s * min(5.0, 1.0 + max(0.0, load))


def _losses(run_dir: Path):
    rows = (run_dir / "history.csv").read_text().splitlines()[1:]
    return [float(r.split(",")[1]) for r in rows]


@pytest.mark.slow
def test_mirrored_two_logical_cpus(tmp_path):
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT, json.dumps(TINY + ["--strategy", "mirrored",
                                                                               "--out", str(out)])],
                       cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-1500:] + r.stderr[-1500:]
    assert "strategy=MirroredStrategy replicas=2" in r.stdout
    losses = _losses(out)
    assert len(losses) == 3 and losses[-1] < losses[0]
    doc = json.loads((out / "eval.json").read_text())
    assert doc["n_poses"] > 0 and doc["mpjpe_mm"] > 0


@pytest.mark.slow
def test_multiworker_two_processes(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    out = tmp_path / "run"
    procs = []
    for i in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
        procs.append(subprocess.Popen(
            [sys.executable, str(ROOT / "training" / "fit.py")] + MW_TINY + ["--strategy", "multiworker",
                                                                            "--out", str(out)],
            cwd=ROOT, env=_env(TF_CONFIG=tf_config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = []
    deadline = time.monotonic() + _timeout_s(180.0)   # both workers share one deadline
    try:
        for p in procs:
            stdout, stderr = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
            outs.append((p.returncode, stdout, stderr))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for code, stdout, stderr in outs:
        assert code == 0, stdout[-1500:] + stderr[-1500:]
    assert "replicas=2 chief=True" in outs[0][1] and "replicas=2 chief=False" in outs[1][1]
    digests = [re.search(r"final weights sha1=(\w+) step=(\d+)", o[1]).groups() for o in outs]
    assert digests[0] == digests[1], digests  # identical weights and step counter on both workers
    # epochs x global steps: each global batch of 64 is split between the workers, not duplicated
    assert digests[0][1] == str(MW_EPOCHS * MW_STEPS)
    losses = _losses(out)
    assert len(losses) == MW_EPOCHS and losses[-1] < losses[0]
    assert (out / "eval.json").exists() and (out / "best.weights.h5").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # the worker wrote nothing beside the chief
