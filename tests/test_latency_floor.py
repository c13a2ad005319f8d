"""benchmarks/latency_floor.py: structure of its result on a tiny model (no timing thresholds)."""
import importlib.util
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def latency_floor():
    spec = importlib.util.spec_from_file_location("latency_floor", ROOT / "benchmarks" / "latency_floor.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _finite_positive(x):
    return isinstance(x, float) and math.isfinite(x) and x > 0


def test_run_on_a_tiny_model(latency_floor):
    result = latency_floor.run(dict(gcn="dc_preagg", hid_dim=16, num_stacks=1), variants=("fp32", "int8"),
                               formulations=("bmm",), formulation_variants=("fp32",), tiny_hid=16, rounds=2,
                               runs=5, floor_reps=5, chain_lengths=(1, 4))
    assert set(result["variants"]) == {"fp32", "int8", "fp32/bmm"}
    assert _finite_positive(result["dram_read_gbs"])
    assert len(result["loadavg_start"]) == 3
    for name, row in result["variants"].items():
        assert row["kind"] == name.split("/")[0]
        assert row["ops"] > 10 and row["params"] > 0 and row["weight_bytes"] > 0
        for key in ("p50_us", "floor_us", "ratio", "floor_gbs", "op_overhead_us"):
            assert _finite_positive(row[key]), (name, key, row[key])
        assert row["target"] == {"fp32": 1.5, "int8": 2.0}[row["kind"]]
        assert isinstance(row["meets_target"], bool)
        assert math.isclose(row["ratio"], row["p50_us"] / row["floor_us"])
    # fp32 keeps 4 bytes per weight, int8 one (plus int32 biases, large in so small a model)
    fp32, int8 = result["variants"]["fp32"], result["variants"]["int8"]
    assert fp32["weight_bytes"] >= 4 * fp32["params"] * 0.99
    assert int8["weight_bytes"] < 1.5 * int8["params"] < fp32["weight_bytes"] / 2
    for name in ("fp32", "int8"):
        assert _finite_positive(result["variants"][name]["one_fc_p50_us"])
        assert _finite_positive(result["variants"][name]["grouped_ratio"])
        assert _finite_positive(result["variants"][name]["twin_p50_us"])     # dc_vanilla: shared weights
        assert result["variants"][name]["twin_params"] < result["variants"][name]["params"]
        parts = result["variants"][name]["op_attribution_us"]
        assert set(parts) >= {"CONV_2D (grouped probe)", "FULLY_CONNECTED", "ADD+SUB", "TRANSPOSE"}
        assert all(math.isfinite(v) for v in parts.values())
    for v in ("fp32", "int8"):
        assert math.isfinite(result["per_op"][v]["us_per_op"])
        assert len(result["per_op"][v]["points"]) == 2
    md = latency_floor.markdown(result, "python3 benchmarks/latency_floor.py --x")
    assert "`python3 benchmarks/latency_floor.py --x`" in md
    assert md.count("\n| ") >= 4 and "p50 / floor" in md and "µs/op" in md and "sum of op-type probes" in md


def test_model_facts_count_weight_bytes(latency_floor):
    blob = latency_floor.fc_chain(3, "fp32", width=8)
    facts = latency_floor.model_facts(blob)
    assert facts["ops"] == 3
    assert facts["params"] == 3 * (8 * 8 + 8)
    assert facts["weight_bytes"] == 4 * facts["params"]
