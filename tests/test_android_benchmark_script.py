"""Control flow of android_demo/benchmark/run_benchmark.sh with a fake ``adb`` and a fake ``benchmark_model``.

The fake ``adb`` (a small shell script first on PATH) records every call and runs ``adb shell <dir>/benchmark_model
ARGS`` as the fake ``benchmark_model`` on PATH, which records its arguments and prints a log like the real tool's
(or one without the "Inference (avg)" line, or fails for the GPU delegate), chosen by FAKE_BM_MODE.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "android_demo" / "benchmark" / "run_benchmark.sh"
CONFIGS = ["cpu_t1_xnnpack", "cpu_t2_xnnpack", "cpu_t4_xnnpack", "cpu_t1_noxnnpack", "gpu", "nnapi"]

FAKE_ADB = r"""#!/usr/bin/env bash
echo "adb $*" >> "$FAKE_CALLS"
case "$1" in
  get-state) [ "${FAKE_NO_DEVICE:-}" = 1 ] && exit 1; echo device ;;
  push) ;;
  shell)
    shift
    case "$1" in
      */benchmark_model) shift; exec benchmark_model "$@" ;;
      getprop) echo "fake-$2" ;;
      *) ;;
    esac ;;
  *) echo "fake adb: unexpected $*" >&2; exit 64 ;;
esac
"""

FAKE_BENCHMARK_MODEL = r"""#!/usr/bin/env bash
echo "benchmark_model $*" >> "$FAKE_CALLS"
echo "STARTING!"
echo "Log parameter values verbosely: [0]"
for a in "$@"; do echo "  arg $a"; done
case "$FAKE_BM_MODE" in
  gpu_fails)
    case " $* " in *" --use_gpu=true "*)
      echo "ERROR: Failed to apply GPU delegate."; echo "Benchmarking failed."; exit 1 ;; esac ;;
  no_avg)
    echo "The input model file size (MB): 0.5"; echo "Initialized session in 5.2ms."; exit 0 ;;
esac
threads=1
for a in "$@"; do case "$a" in --num_threads=*) threads="${a#*=}" ;; esac; done
echo "Inference timings in us: Init: 5685, First inference: 1853, Warmup (avg): 250.5, Inference (avg): ${threads}23.5"
echo "Memory footprint delta from the start of the tool (MB): init=2.1 overall=3.4"
"""


def _write_exe(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def bench(tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("bash not available")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    _write_exe(bindir / "adb", FAKE_ADB)
    _write_exe(bindir / "benchmark_model", FAKE_BENCHMARK_MODEL)
    run_dir = tmp_path / "runs" / "a" / "tflite"
    run_dir.mkdir(parents=True)
    for name in ("graphsh_fp32", "graphsh_int8"):
        (run_dir / f"{name}.tflite").write_bytes(b"TFL3")
        (run_dir / f"{name}.json").write_text("{}")
    binary = tmp_path / "android_aarch64_benchmark_model"
    binary.write_bytes(b"\x7fELF")
    calls = tmp_path / "calls.txt"
    logs = tmp_path / "logs"

    def run(mode="ok", args=None, **env_extra):
        env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", FAKE_CALLS=str(calls),
                   FAKE_BM_MODE=mode, GRAPHSH_BENCH_LOG_DIR=str(logs))
        env.pop("BENCHMARK_MODEL", None)
        env.update(env_extra)
        r = subprocess.run(["bash", str(SCRIPT)] + (args if args is not None else [str(run_dir), str(binary)]),
                           capture_output=True, text=True, env=env, timeout=60)
        summary = logs / "summary.tsv"
        rows = [line.split("\t") for line in summary.read_text().splitlines()[1:]] if summary.is_file() else None
        recorded = calls.read_text().splitlines() if calls.is_file() else []
        return r, rows, recorded

    run.run_dir, run.logs, run.bindir = run_dir, logs, bindir
    return run


def _table(rows):
    return {(m, c): v for m, c, v in rows}


def test_normal_logs_give_the_average_of_every_model_and_config(bench):
    r, rows, calls = bench("ok")
    assert r.returncode == 0, r.stdout + r.stderr
    table = _table(rows)
    assert sorted(table) == sorted((m, c) for m in ("graphsh_fp32", "graphsh_int8") for c in CONFIGS)
    assert table[("graphsh_fp32", "cpu_t1_xnnpack")] == "123.5"
    assert table[("graphsh_int8", "cpu_t4_xnnpack")] == "423.5"
    # the table is printed, and every configuration has its own log
    assert "graphsh_int8" in r.stdout and "423.5" in r.stdout and "logs:" in r.stdout
    assert len(list(bench.logs.glob("graphsh_*_*.log"))) == 2 * len(CONFIGS)
    runs = [c for c in calls if c.startswith("benchmark_model ")]
    assert len(runs) == 2 * len(CONFIGS)
    for c in runs:  # exact counts: minimum times off
        args = c.split()[1:]
        for flag in ("--warmup_runs=50", "--warmup_min_secs=0", "--num_runs=500", "--min_secs=0"):
            assert flag in args, c
    assert any("--use_gpu=true" in c for c in runs) and any("--use_nnapi=true" in c for c in runs)
    assert any("--num_threads=1" in c and "--use_xnnpack=false" in c for c in runs)


def test_run_counts_can_be_set(bench):
    r, rows, calls = bench("ok", NUM_RUNS="20", WARMUP_RUNS="3")
    assert r.returncode == 0, r.stderr
    runs = [c.split()[1:] for c in calls if c.startswith("benchmark_model ")]
    assert runs and all("--num_runs=20" in a and "--warmup_runs=3" in a for a in runs)


def test_log_without_inference_avg_gives_question_mark_not_an_abort(bench):
    r, rows, _ = bench("no_avg")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(rows) == 2 * len(CONFIGS)
    assert {v for _, _, v in rows} == {"?"}
    assert "logs:" in r.stdout


def test_failing_delegate_is_logged_and_the_rest_still_runs(bench):
    r, rows, _ = bench("gpu_fails")
    assert r.returncode == 0, r.stdout + r.stderr
    table = _table(rows)
    assert table[("graphsh_fp32", "gpu")] == "failed" and table[("graphsh_int8", "gpu")] == "failed"
    assert table[("graphsh_fp32", "nnapi")] == "123.5"  # the configuration after the failure ran
    assert table[("graphsh_int8", "cpu_t2_xnnpack")] == "223.5"
    assert "Failed to apply GPU delegate" in (bench.logs / "graphsh_fp32_gpu.log").read_text()


def test_usage_errors_exit_2_with_a_message(bench, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r, _, _ = bench("ok", args=[str(empty), str(tmp_path / "android_aarch64_benchmark_model")])
    assert r.returncode == 2 and "no graphsh_*.tflite" in r.stderr
    r, _, _ = bench("ok", args=[str(bench.run_dir), str(tmp_path / "missing_binary")])
    assert r.returncode == 2 and "not found" in r.stderr
    r, _, _ = bench("ok", FAKE_NO_DEVICE="1")
    assert r.returncode == 2 and "no device" in r.stderr
    r, _, _ = bench("ok", args=[])
    assert r.returncode != 0 and "usage" in r.stderr
