"""The parser of TFLite's ``benchmark_model`` output (the phone logs of ``android_demo/benchmark/run_benchmark.sh``):
what each log ran (variant, configuration, threads, delegation), its timings and memory, and the report of
:func:`graphsh_tf.lite.bench.run_benchmarks` rebuilt from a folder of logs (:func:`parse_logs`)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from graphsh_tf.lite.metadata import variant_from_filename


class BenchmarkLogError(ValueError):
    """A ``benchmark_model`` log lacks the lines this parser needs, or records a failed run (``reason``)."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


#: Configuration names: what ran the model. ``cpu`` = CPU with XNNPACK neither requested nor reported.
CPU_XNNPACK, CPU_NOXNNPACK, CPU_UNKNOWN, GPU, NNAPI = "cpu_xnnpack", "cpu_noxnnpack", "cpu", "gpu", "nnapi"
CONFIG_ORDER = (CPU_XNNPACK, CPU_NOXNNPACK, CPU_UNKNOWN, GPU, NNAPI)
#: Thread key when neither the log nor its name gives a thread count (the tool's own default, which differs between
#: versions: 1 in older builds, -1 = "let the runtime choose" in newer ones).
THREADS_UNSET = "default"
_NUM = r"([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
#: Log names written by android_demo/benchmark/run_benchmark.sh: ``<model>_<config>.log`` with config
#: ``cpu_t<N>_xnnpack``, ``cpu_t<N>_noxnnpack``, ``gpu`` or ``nnapi``.
_NAME_CONFIG = r"_(cpu_t(-?\d+)_(no)?xnnpack|gpu|nnapi)$"


def _flag(text: str, *names: str):
    """Value of a ``Name: [v]`` parameter line (any of ``names``, case-insensitive, ``Use nnapi : [1]`` too)."""
    for name in names:
        m = re.search(r"^(?:.*?\s)?" + re.escape(name) + r"\s*:\s*\[([^\]]*)\]", text, re.MULTILINE | re.IGNORECASE)
        if m:
            return m.group(1).strip()
    return None


def _truthy(value) -> Optional[bool]:
    if value is None:
        return None
    return value.lower() in ("1", "true", "yes")


def benchmark_model_settings(text: str, name: str = "") -> dict:
    """What a ``benchmark_model`` log ran: ``{"graph", "variant", "config", "threads", "delegation"}``.

    Read from the log's parameter lines: ``Use gpu: [1]`` → ``gpu``; ``Use NNAPI: [1]`` (``Use nnapi``) → ``nnapi``;
    otherwise CPU, ``Use xnnpack: [1|0]`` → ``cpu_xnnpack`` / ``cpu_noxnnpack`` (not logged: XNNPACK if the log
    reports creating or applying the XNNPACK delegate). ``threads`` from ``Num threads: [N]`` or ``#threads used for
    CPU inference: [N]`` (``-1`` kept: the runtime's choice). Whatever the log does not say comes from the file
    ``name`` as written by ``run_benchmark.sh`` (``graphsh_int8_cpu_t2_xnnpack.log``), else ``config`` ``cpu`` and
    ``threads`` None. ``delegation``: ``full``, ``partial`` or ``none`` when the log says how much of the graph a
    requested delegate took (``none``: the timings are the CPU fallback's), else None.
    """
    stem = Path(name).stem if name else ""
    by_name = re.search(_NAME_CONFIG, stem)
    name_config = name_threads = None
    if by_name:
        if by_name.group(1) in (GPU, NNAPI):
            name_config = by_name.group(1)
        else:
            name_config = CPU_NOXNNPACK if by_name.group(3) else CPU_XNNPACK
            name_threads = int(by_name.group(2))
    if _truthy(_flag(text, "Use gpu")):
        config = GPU
    elif _truthy(_flag(text, "Use NNAPI", "Use nnapi")):
        config = NNAPI
    else:
        xnn = _truthy(_flag(text, "Use xnnpack"))
        if xnn is None and name_config in (GPU, NNAPI):
            config = name_config     # a log cut before its parameter lines: trust the name
        elif xnn is None:
            reported = re.search(r"(Created TensorFlow Lite XNNPACK delegate|applied XNNPACK delegate)", text)
            config = CPU_XNNPACK if reported else (name_config or CPU_UNKNOWN)
        else:
            config = CPU_XNNPACK if xnn else CPU_NOXNNPACK
    threads = re.search(r"Num threads:\s*\[(-?\d+)\]", text) or \
        re.search(r"#threads used for CPU inference:\s*\[(-?\d+)\]", text)
    threads = int(threads.group(1)) if threads else name_threads
    graph = re.search(r"Graph:\s*\[([^\]]+)\]", text)
    graph = graph.group(1) if graph else None
    if graph:
        variant = variant_from_filename(graph)
    else:
        model = re.sub(_NAME_CONFIG, "", stem) if by_name else stem
        variant = variant_from_filename(model + ".tflite") if model else "?"
    delegation = None
    if config != CPU_NOXNNPACK:
        m = re.search(r"the model graph will (be completely|be partially|not be) executed by the delegate", text)
        if m:
            delegation = {"be completely": "full", "be partially": "partial", "not be": "none"}[m.group(1)]
    return {"graph": graph, "variant": variant, "config": config, "threads": threads, "delegation": delegation}


def _failure_reason(text: str) -> Optional[str]:
    """The line saying why ``benchmark_model`` failed (a delegate that could not be created or applied, an error),
    or None when the log records no failure."""
    patterns = (r"Failed to apply [\w-]+ delegate\.?", r"Failed to (?:create|initialize) [^\n]*",
                r"(?:^|\s)(?:E|ERROR)\s*(?:tflite\s*)?:\s*([^\n]+)",
                r"[^\n]*delegate[^\n]*(?:not supported|failed)[^\n]*",
                r"nnapi error:[^\n]*", r"Benchmarking failed\.?", r"Init failed\.?")
    for pat in patterns:
        m = re.search(pat, text, re.MULTILINE | re.IGNORECASE)
        if m:
            reason = (m.group(1) if m.groups() and m.group(1) else m.group(0)).strip()
            return reason.split("INFO:")[0].strip()
    return None


def parse_benchmark_model_log(text: str, source: str = "log") -> dict:
    """Parse the output of TFLite's ``benchmark_model`` into ``{"graph", "variant", "config", "threads",
    "delegation", "size_bytes", "timings"}`` (the first five from :func:`benchmark_model_settings`, ``source``
    being the log's file name).

    Reads ``Num threads: [N]``, ``Graph: [file]``, ``The input model file size (MB): x``, the two
    ``count=... first=... curr=... min=... max=... avg=... std=...`` lines (warm-up, then timed runs; newer builds add
    ``p5=... median=... p95=...``), ``Inference timings in us: Init: ..., First inference: ..., Warmup (avg): ...,
    Inference (avg): ...`` and the memory lines (``Peak memory footprint (MB): init=... overall=...``,
    ``Memory footprint delta from the start of the tool (MB): ...``, ``Overall peak memory footprint (MB) via periodic
    monitoring: x``). Timings in µs. A log without the timing summary raises :class:`BenchmarkLogError` whose
    ``reason`` is the log's own failure line (``Failed to apply GPU delegate.``) when it has one.
    """
    num = _NUM
    settings = benchmark_model_settings(text, source)
    stats = []
    for line in text.splitlines():
        if "count=" in line and "avg=" in line:
            stats.append({k: float(v) for k, v in re.findall(r"(\w+)=" + num, line)})
    m = re.search(r"Inference timings in us: Init: " + num + r", First inference: " + num +
                  r", Warmup \(avg\): " + num + r", Inference \(avg\): " + num, text)
    if not m or not stats:
        failure = _failure_reason(text)
        if failure:
            raise BenchmarkLogError(f"{source}: benchmark_model failed ({settings['config']}): {failure}", failure)
        raise BenchmarkLogError(f"{source}: no 'Inference timings in us: ...' summary or 'count=... avg=...' line; "
                                "pass the complete stdout/stderr of benchmark_model",
                                "no 'Inference timings in us' summary (a truncated log, or not benchmark_model's)")
    timed = stats[-1]
    res = {"init_us": float(m.group(1)), "first_us": float(m.group(2)), "warmup_avg_us": float(m.group(3)),
           "mean_us": float(m.group(4)), "runs": int(timed.get("count", 0)), "min_us": timed.get("min"),
           "max_us": timed.get("max"), "std_us": timed.get("std"),
           "p50_us": timed.get("median", timed.get("avg")), "p90_us": None, "p99_us": None,
           "p5_us": timed.get("p5"), "p95_us": timed.get("p95"), "p50_is_mean": "median" not in timed}
    res["throughput_per_s"] = 1e6 / res["p50_us"] if res["p50_us"] else None
    mem = re.search(r"Peak memory footprint \(MB\): init=" + num + r" overall=" + num, text)
    delta = re.search(r"Memory footprint delta from the start of the tool \(MB\): init=" + num + r" overall=" + num,
                      text)
    peak = re.search(r"Overall peak memory footprint \(MB\) via periodic monitoring: " + num, text)
    res["peak_rss_mb"] = (float(peak.group(1)) if peak else float(mem.group(2)) if mem
                          else float(delta.group(2)) if delta else None)
    size = re.search(r"The input model file size \(MB\): " + num, text)
    return {**settings, "size_bytes": int(round(float(size.group(1)) * 1e6)) if size else None, "timings": res}


def _threads_key(threads) -> str:
    return THREADS_UNSET if threads is None else str(threads)


def parse_logs(paths, log=lambda s: None) -> dict:
    """The report of :func:`run_benchmarks` from ``benchmark_model`` logs, keyed by variant, configuration and thread
    count: ``variants[name]["configs"][config]["threads"][t]`` (``t`` as logged, ``-1`` kept; ``default`` when
    unknown). ``variants[name]["threads"]`` holds the ``cpu_xnnpack`` rows, the configuration the host benchmark
    measures, so both reports read alike. A log that records a failure (a delegate the device lacks) or cannot be
    read or parsed goes to ``failed`` (``{"log", "variant", "config", "threads", "reason"}``) and the parse goes on;
    ``log`` is called with one line per failure and per duplicate (a later log of the same variant, configuration
    and thread count replaces the earlier one). Raises :class:`BenchmarkLogError` when no log parsed.
    """
    result = {"host": {"source": "benchmark_model"}, "variants": {}, "failed": []}
    seen = {}
    for p in paths:
        p = Path(p)
        try:
            text = p.read_text(errors="replace")
        except OSError as e:
            reason = f"cannot read the log ({e.strerror})"
            settings = benchmark_model_settings("", p.name)
            result["failed"].append({"log": str(p), "variant": settings["variant"], "config": settings["config"],
                                     "threads": _threads_key(settings["threads"]), "reason": reason})
            log(f"{p}: {reason}")
            continue
        try:
            parsed = parse_benchmark_model_log(text, p.name)
        except BenchmarkLogError as e:
            settings = benchmark_model_settings(text, p.name)
            result["failed"].append({"log": str(p), "variant": settings["variant"], "config": settings["config"],
                                     "threads": _threads_key(settings["threads"]), "reason": e.reason})
            log(f"{p}: failed ({settings['variant']}, {settings['config']}): {e.reason}")
            continue
        name, config, t = parsed["variant"], parsed["config"], _threads_key(parsed["threads"])
        entry = result["variants"].setdefault(name, {"size_bytes": parsed["size_bytes"], "threads": {}, "configs": {}})
        if entry.get("size_bytes") is None:
            entry["size_bytes"] = parsed["size_bytes"]
        cfg = entry["configs"].setdefault(config, {"threads": {}})
        if (name, config, t) in seen:
            log(f"{p}: same variant, configuration and threads as {seen[name, config, t]} ({name}, {config}, "
                f"{t}); keeping {p.name}")
        seen[name, config, t] = p.name
        cfg["threads"][t] = dict(parsed["timings"], log=str(p), delegation=parsed["delegation"])
        if config == CPU_XNNPACK:
            entry["threads"][t] = cfg["threads"][t]
    if not result["variants"]:
        first = result["failed"][0] if result["failed"] else None
        raise BenchmarkLogError(f"none of the {len(result['failed'])} benchmark_model log(s) parsed; "
                                + (f"{first['log']}: {first['reason']}" if first else "no logs given"))
    return result
