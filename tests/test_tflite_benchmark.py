"""Host benchmark: JSON schema of tflite/benchmark.py and the parser of TFLite's benchmark_model output."""
import json
import subprocess
import sys
from pathlib import Path

import graphsh_tf  # noqa: F401
from graphsh_tf.lite import benchmark_log, export
from graphsh_tf.models import build_model

import pytest
import tf_keras as keras

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "tflite" / "benchmark.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def tflite_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    keras.utils.set_random_seed(0)
    export.export_variants(build_model(gcn="semantic", hid_dim=16, num_stacks=1), out, ["fp32", "drq"])
    return out


def test_benchmark_json_keys(tflite_dir, tmp_path):
    out = tmp_path / "b.json"
    res = _cli(tflite_dir, "--threads", "1,2", "--runs", 30, "--warmup", 3, "--json", out, "--md", tmp_path / "b.md")
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(out.read_text())
    assert {"cpu", "litert_version"} <= set(data["host"])
    assert set(data["variants"]) == {"fp32", "drq"}
    for v in data["variants"].values():
        assert v["size_bytes"] > 0 and set(v["threads"]) == {"1", "2"}
        for r in v["threads"].values():
            assert {"p50_us", "p90_us", "p99_us", "throughput_per_s", "peak_rss_mb"} <= set(r)
            assert 0 < r["p50_us"] <= r["p90_us"] <= r["p99_us"]
            assert 0 < r["peak_rss_mb"] < 400          # LiteRT alone in a fresh process, not TensorFlow's footprint
    assert data["variants"]["fp32"]["threads"]["1"]["ratio_vs_fp32"] == 1.0
    assert "| drq | 2 |" in (tmp_path / "b.md").read_text()


def test_benchmark_rejects_truncated_file(tflite_dir, tmp_path):
    bad = tmp_path / "graphsh_fp32.tflite"
    bad.write_bytes((tflite_dir / "graphsh_fp32.tflite").read_bytes()[:3000])
    res = _cli(tmp_path, "--threads", "1", "--runs", 5, "--warmup", 1)
    assert res.returncode != 0
    err = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and "graphsh_fp32.tflite" in err[0] and "Traceback" not in res.stderr


def test_parse_litert_log_with_median():
    parsed = benchmark_log.parse_benchmark_model_log((FIXTURES / "benchmark_model_litert_median.log").read_text())
    t = parsed["timings"]
    assert parsed["graph"].endswith("graphsh_int8.tflite") and parsed["threads"] == 1
    assert t["p50_us"] == 116 and t["mean_us"] == 117.9 and t["runs"] == 8436       # the timed run, not the warm-up
    assert t["init_us"] == 21407 and t["first_us"] == 402 and t["warmup_avg_us"] == 118.6
    assert t["min_us"] == 108 and t["max_us"] == 611 and t["p95_us"] == 129 and not t["p50_is_mean"]
    assert t["peak_rss_mb"] == pytest.approx(13.4648)
    assert parsed["size_bytes"] == 3761980


def test_parse_legacy_log_and_cli(tmp_path):
    out = tmp_path / "p.json"
    logs = sorted(FIXTURES.glob("benchmark_model_*.log"))
    res = _cli("--parse-benchmark-model", *logs, "--json", out)
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(out.read_text())
    fp32 = data["variants"]["fp32"]["threads"]["2"]
    assert fp32["p50_us"] == 409.7 and fp32["p50_is_mean"] and fp32["peak_rss_mb"] == pytest.approx(18.6914)
    assert data["variants"]["int8"]["threads"]["1"]["p50_us"] == 116
    assert "| fp32 | 2 | 409.7 |" in res.stdout


def test_parse_rejects_unrelated_text(tmp_path):
    with pytest.raises(benchmark_log.BenchmarkLogError, match="Inference timings"):
        benchmark_log.parse_benchmark_model_log("hello\nworld\n")
    bad = tmp_path / "x.log"
    bad.write_text("not a benchmark log\n")
    res = _cli("--parse-benchmark-model", bad, "--json", tmp_path / "o.json")
    assert res.returncode != 0 and res.stderr.strip().startswith("error:") and "Traceback" not in res.stderr


# --- configurations: CPU+XNNPACK, CPU without XNNPACK, GPU, NNAPI, failed delegates ------------------------------

def test_parse_keys_by_variant_configuration_and_threads():
    from graphsh_tf.lite.benchmark_log import parse_logs

    warnings = []
    data = parse_logs(sorted(FIXTURES.glob("benchmark_model_*.log")), log=warnings.append)
    fp32 = data["variants"]["fp32"]["configs"]
    assert set(fp32) == {"cpu_xnnpack", "cpu_noxnnpack", "gpu", "nnapi"}       # nothing overwrites anything
    assert set(fp32["cpu_xnnpack"]["threads"]) == {"2", "4"}
    assert fp32["cpu_xnnpack"]["threads"]["4"]["p50_us"] == 202
    assert fp32["cpu_noxnnpack"]["threads"]["1"]["p50_us"] == 1198
    assert fp32["gpu"]["threads"]["-1"]["p50_us"] == 693                          # '#threads ...: [-1]'
    assert fp32["nnapi"]["threads"]["-1"]["p50_us"] == 777                        # 'Num threads: [-1]', 'Use nnapi'
    assert fp32["gpu"]["threads"]["-1"]["delegation"] == "full"
    assert set(data["variants"]["fp32"]["threads"]) == {"2", "4"}                 # the cpu_xnnpack rows only
    assert data["variants"]["int8"]["configs"]["cpu_xnnpack"]["threads"]["1"]["p50_us"] == 116
    [failed] = data["failed"]                                                     # the failed delegate, recorded
    assert failed["variant"] == "int8" and failed["config"] == "gpu" and failed["threads"] == "-1"
    assert failed["reason"] == "Failed to apply GPU delegate."
    assert len(warnings) == 1 and "int8_gpu.log" in warnings[0]


def test_settings_from_the_log_name_when_the_log_does_not_say():
    from graphsh_tf.lite.benchmark_log import benchmark_model_settings

    text = (FIXTURES / "benchmark_model_graphsh_fp32_gpu.log").read_text()
    bare = "\n".join(line for line in text.splitlines() if "Use gpu" not in line and "GPU" not in line
                     and "#threads" not in line and "Graph:" not in line)
    s = benchmark_model_settings(bare, "graphsh_drq_cpu_t2_noxnnpack.log")
    assert (s["variant"], s["config"], s["threads"]) == ("drq", "cpu_noxnnpack", 2)
    s = benchmark_model_settings(bare, "graphsh_int8_nnapi.log")
    assert (s["variant"], s["config"], s["threads"]) == ("int8", "nnapi", None)
    s = benchmark_model_settings(text, "whatever.log")                              # the log wins over the name
    assert (s["variant"], s["config"], s["threads"]) == ("fp32", "gpu", -1)
    s = benchmark_model_settings("INFO: Use NNAPI: [1]\nINFO: Use xnnpack: [0]\n", "graphsh_fp32_cpu_t1_xnnpack.log")
    assert s["config"] == "nnapi" and s["threads"] == 1
    s = benchmark_model_settings("Use nnapi : [0]\nNum threads: [3]\n", "x.log")   # old spelling, CPU, nothing else
    assert (s["config"], s["threads"]) == ("cpu", 3)


def test_cli_lists_failed_logs_and_keeps_the_others(tmp_path):
    out = tmp_path / "p.json"
    logs = [FIXTURES / "benchmark_model_graphsh_int8_gpu.log", FIXTURES / "benchmark_model_graphsh_fp32_nnapi.log",
            FIXTURES / "benchmark_model_graphsh_fp32_gpu.log"]
    res = _cli("--parse-benchmark-model", *logs, "--json", out)
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads(out.read_text())
    assert set(data["variants"]["fp32"]["configs"]) == {"gpu", "nnapi"} and data["variants"]["fp32"]["threads"] == {}
    assert [f["log"] for f in data["failed"]] == [str(logs[0])]
    assert "int8_gpu.log" in res.stderr and "Failed to apply GPU delegate." in res.stderr
    assert "| configuration |" in res.stdout and "| fp32 | -1 | 777.0 |" in res.stdout
    assert "nnapi (delegated: full) |" in res.stdout and "failed (1):" in res.stdout


def test_cli_exits_2_with_one_line_when_no_log_parsed(tmp_path):
    res = _cli("--parse-benchmark-model", FIXTURES / "benchmark_model_graphsh_int8_gpu.log", tmp_path / "missing.log",
               "--json", tmp_path / "o.json")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    err = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and "none of the 2" in err[0] and "Failed to apply GPU delegate." in err[0]
    assert not (tmp_path / "o.json").exists()
