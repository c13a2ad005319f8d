"""Host latency of ``.tflite`` files with LiteRT (XNNPACK), each in a fresh process, and the markdown table of a
latency report (host or phone: :mod:`graphsh_tf.lite.benchmark_log` reads ``benchmark_model`` logs)."""
from __future__ import annotations

from pathlib import Path
from typing import Union

from graphsh_tf.lite.benchmark_log import CONFIG_ORDER, CPU_XNNPACK
from graphsh_tf.lite.metadata import variant_from_filename
from graphsh_tf.lite.runtime import TFLiteModelError, check_lifter, load_interpreter

import numpy as np


def time_interpreter(interp, runs: int = 1000, warmup: int = 100) -> dict:
    """Latency of ``invoke()`` on a fixed random input: p50/p90/p99/mean/min in µs and throughput (inferences/s)."""
    import time

    inp = interp.get_input_details()[0]
    rng = np.random.default_rng(0)
    if np.dtype(inp["dtype"]) == np.float32:
        x = rng.uniform(-1, 1, inp["shape"]).astype(np.float32)
    else:
        x = rng.integers(-100, 100, inp["shape"]).astype(inp["dtype"])
    interp.set_tensor(inp["index"], x)
    for _ in range(int(warmup)):
        interp.invoke()
    times = np.empty(int(runs), np.float64)
    clock = time.perf_counter_ns
    for i in range(int(runs)):
        t0 = clock()
        interp.invoke()
        times[i] = (clock() - t0) / 1000.0
    p50, p90, p99 = np.percentile(times, [50, 90, 99])
    batch = int(inp["shape"][0])
    return {"p50_us": float(p50), "p90_us": float(p90), "p99_us": float(p99), "mean_us": float(times.mean()),
            "min_us": float(times.min()), "runs": int(runs), "batch": batch,
            "throughput_per_s": float(batch * 1e6 / p50)}


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (``VmHWM``; unlike ``ru_maxrss`` it is not inherited from the
    parent across fork + exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _bench_worker(path: str, threads: int, runs: int, warmup: int, queue) -> None:
    """Child process: load with LiteRT only (no TensorFlow), time, report peak RSS (MiB)."""
    try:
        interp = load_interpreter(path, threads)
        check_lifter(interp, path)
        res = time_interpreter(interp, runs, warmup)
        res["peak_rss_mb"] = peak_rss_mb()
        queue.put(("ok", res))
    except (TFLiteModelError, ValueError) as e:
        queue.put(("error", str(e)))
    except Exception as e:  # noqa: BLE001 - any failure of the worker reaches the parent at once, as one line
        queue.put(("error", f"{path}: benchmark worker failed: {type(e).__name__}: {e}"))


def benchmark_file(path: Union[str, Path], threads: int = 1, runs: int = 1000, warmup: int = 100,
                   isolate: bool = True) -> dict:
    """Latency of one ``.tflite`` with ``threads`` threads (XNNPACK default delegate). ``isolate``: run in a fresh
    process so ``peak_rss_mb`` is the LiteRT process's own peak."""
    if not isolate:
        interp = load_interpreter(path, threads)
        check_lifter(interp, path)
        res = time_interpreter(interp, runs, warmup)
        res["peak_rss_mb"] = peak_rss_mb()
        return res
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_bench_worker, args=(str(path), int(threads), int(runs), int(warmup), queue))
    proc.start()
    import queue as queue_mod

    try:
        while True:   # poll, so a worker that dies (a crash in the interpreter, a kill) is reported at once
            try:
                status, res = queue.get(timeout=1.0)
                break
            except queue_mod.Empty:
                if not proc.is_alive():
                    raise TFLiteModelError(f"{path}: the benchmark worker died with exit status {proc.exitcode} "
                                           f"before reporting ({threads} threads); run the file alone with "
                                           "--threads 1 to see its own error") from None
    finally:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()
    if status != "ok":
        raise TFLiteModelError(res)
    return res


def host_info() -> dict:
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import ai_edge_litert

        litert = getattr(ai_edge_litert, "__version__", "unknown")
    except ImportError:
        litert = "missing"
    return {"cpu": cpu, "logical_cpus": os.cpu_count(), "machine": platform.machine(),
            "system": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "litert_version": litert, "delegate": "XNNPACK (LiteRT default)"}


def _threads_order(t: str) -> tuple:
    return (0, int(t)) if t.lstrip("-").isdigit() else (1, 0)


def benchmark_markdown(result: dict) -> str:
    """One row per variant, configuration and thread count (``configuration``: ``cpu_xnnpack``,
    ``cpu_noxnnpack``, ``gpu``, ``nnapi``, ...; the host benchmark is ``cpu_xnnpack``), then the logs that failed."""
    rows = ["| variant | threads | p50 (µs) | p90 (µs) | p99 (µs) | throughput (/s) | peak RSS (MiB) | size (bytes) | "
            "configuration |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, v in result["variants"].items():
        configs = v.get("configs") or {CPU_XNNPACK: {"threads": v["threads"]}}
        for config in sorted(configs, key=lambda c: (CONFIG_ORDER.index(c) if c in CONFIG_ORDER else 9, c)):
            for t, r in sorted(configs[config]["threads"].items(), key=lambda kv: _threads_order(kv[0])):
                label = config + (f" (delegated: {r['delegation']})" if r.get("delegation") else "")
                def f(key, fmt="{:.1f}"):
                    val = r.get(key)  # noqa: B023
                    return fmt.format(val) if isinstance(val, (int, float)) else "–"
                rows.append(f"| {name} | {t} | {f('p50_us')} | {f('p90_us')} | {f('p99_us')} | "
                            f"{f('throughput_per_s', '{:.0f}')} | {f('peak_rss_mb')} | {v.get('size_bytes') or '–'} | "
                            f"{label} |")
    failed = result.get("failed") or []
    if failed:
        rows.append("")
        rows.append(f"failed ({len(failed)}):")
        rows.extend(f"- {Path(e['log']).name} ({e['variant']}, {e['config']}, threads {e['threads']}): {e['reason']}"
                    for e in failed)
    return "\n".join(rows) + "\n"


def run_benchmarks(files, threads, runs: int, warmup: int, log=print, progress=None) -> dict:
    """Latency of each file at each thread count (fresh process each); ``ratio_vs_fp32`` = p50 / fp32's p50.
    ``progress``: a :class:`graphsh_tf.progress.Progress` of ``len(files) * len(threads)`` timings (each result is
    then its status instead of a ``log`` line)."""
    result = {"host": host_info(), "settings": {"runs": runs, "warmup": warmup}, "variants": {}}
    for f in files:
        entry = {"file": str(f), "size_bytes": f.stat().st_size, "threads": {}}
        for t in threads:
            entry["threads"][str(t)] = benchmark_file(f, t, runs, warmup)
            line = f"{variant_from_filename(f)} threads={t}: p50 {entry['threads'][str(t)]['p50_us']:.1f} us"
            if progress is not None:
                progress.update(1)
                progress.info(line)
            else:
                log(line)
        result["variants"][variant_from_filename(f)] = entry
    base = result["variants"].get("fp32")
    if base:
        for v in result["variants"].values():
            for t, r in v["threads"].items():
                if t in base["threads"]:
                    r["ratio_vs_fp32"] = r["p50_us"] / base["threads"][t]["p50_us"]
    return result
