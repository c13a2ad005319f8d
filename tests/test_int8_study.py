"""benchmarks/int8_study.py runs on a tiny run (structure and sanity; the figures themselves live in the README)."""
import importlib.util
import json
from pathlib import Path

import graphsh_tf  # noqa: F401
from graphsh_tf.models import build_model

import numpy as np
import pytest
import tf_keras as keras

ROOT = Path(__file__).resolve().parents[1]


def _study():
    spec = importlib.util.spec_from_file_location("int8_study", ROOT / "benchmarks" / "int8_study.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    run = tmp_path_factory.mktemp("run")
    keras.utils.set_random_seed(0)
    model = build_model(gcn="dc_preagg", hid_dim=16, num_stacks=1, input_norm="pose")
    model.save_weights(str(run / "best.weights.h5"))
    (run / "config.json").write_text(json.dumps({"model": model.graphsh_config.to_dict(), "train": {},
                                                 "data": {"spec": "synthetic", "keypoints": "gt"}}))
    return run


def test_budget_rows(run_dir):
    res = _study().budget(str(run_dir), poses=300)
    rows = {name: (n, mean, p999) for name, n, mean, p999 in res["rows"]}
    everything = rows["everything (weights + activations)"]
    assert "the input tensor" in rows and "weights alone" in rows and "gconv_output" in rows
    for name, (_n, mean, p999) in rows.items():
        assert np.isfinite(mean) and np.isfinite(p999) and 0 <= mean <= p999 + 1e-9, name
    assert everything[1] > 0 and everything[1] >= max(m for _, m, _ in rows.values()) * 0.5
    assert rows["the input tensor"][0] == 1 and rows["the transform outputs"][0] == 6     # input + 5 per hourglass
    assert -1.0 <= res["size_corr"] <= 1.0


def test_qat_vs_ptq_structure(run_dir):
    res = _study().qat_vs_ptq(str(run_dir), steps=2)
    for name in ("ptq", "qat"):
        r = res[name]
        assert np.isfinite([r["own_float_mm"], r["int8_mm"], r["delta_mm"]]).all()
        assert abs(r["delta_mm"] - (r["int8_mm"] - r["own_float_mm"])) < 1e-9
        assert set(r["tail"]) == {"p50", "p99", "p99_9", "max"} and r["tail"]["max"] >= r["tail"]["p50"] >= 0


def test_missing_run_is_one_line_exit_2(tmp_path):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "int8_study.py"), "budget", str(tmp_path / "no")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert str(tmp_path / "no") in res.stderr.strip().splitlines()[-1]
