"""Running GraphSH models for evaluation: one ``predict_mm`` interface for Keras and ``.tflite`` models alike.

``predict_mm(x2d)``: ``(N, 16, 2)`` normalized float32 keypoints → ``(N, 16, 3)`` root-relative joints in mm.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Union

import numpy as np

NUM_JOINTS = 16
SIGNATURE = "lift"


class TFLiteModelError(ValueError):
    """A ``.tflite`` file is missing, corrupt, truncated or not a 16-joint GraphSH lifter."""


class KerasPredictor:
    """``predict_mm`` of a tf_keras model whose output is in metres."""

    def __init__(self, model, batch_size: int = 256):
        self.model = model
        self.batch_size = int(batch_size)

    def predict_mm(self, x2d: np.ndarray) -> np.ndarray:
        x = _check_input(x2d)
        out = self.model.predict(x, batch_size=self.batch_size, verbose=0)
        return (np.asarray(out, dtype=np.float64) * 1000.0).astype(np.float32)


def _check_input(x2d) -> np.ndarray:
    x = np.asarray(x2d, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (NUM_JOINTS, 2):
        raise ValueError(f"predict_mm: keypoints must have shape (N, {NUM_JOINTS}, 2), got {x.shape}")
    return x


def load_interpreter(path: Union[str, Path], num_threads: int = 1):
    """A LiteRT interpreter (XNNPACK by default) with tensors allocated; raises TFLiteModelError for bad files."""
    from ai_edge_litert.interpreter import Interpreter

    path = Path(path)
    if not path.is_file():
        raise TFLiteModelError(f"{path}: .tflite file not found")
    data = path.read_bytes()
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise TFLiteModelError(f"{path}: not a TFLite flatbuffer (missing 'TFL3' identifier); the file is corrupt "
                               "or truncated — re-export it with tflite/convert.py")
    try:
        interp = Interpreter(model_content=data, num_threads=int(num_threads))
        interp.allocate_tensors()
    except Exception as e:  # noqa: BLE001 - the runtime raises RuntimeError/ValueError for corrupt files
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise TFLiteModelError(f"{path}: LiteRT cannot load the model ({msg}); the file is corrupt or truncated — "
                               "re-export it with tflite/convert.py") from None
    return interp


def check_lifter(interp, path: Union[str, Path]) -> tuple:
    """(input detail, output detail) after checking the model maps ``[B, 16, 2]`` → ``[B, 16, 3]``."""
    ins, outs = interp.get_input_details(), interp.get_output_details()
    if len(ins) != 1 or len(outs) != 1:
        raise TFLiteModelError(f"{path}: expected 1 input and 1 output, got {len(ins)} and {len(outs)}; "
                               "not a GraphSH lifter")
    i, o = ins[0], outs[0]
    ishape, oshape = [int(d) for d in i["shape"]], [int(d) for d in o["shape"]]
    if len(ishape) != 3 or ishape[1:] != [NUM_JOINTS, 2]:
        raise TFLiteModelError(f"{path}: input shape {ishape} is not [batch, {NUM_JOINTS}, 2] (H36M-16 layout); "
                               "export a 16-joint GraphSH model")
    if len(oshape) != 3 or oshape[1:] != [NUM_JOINTS, 3] or oshape[0] != ishape[0]:
        raise TFLiteModelError(f"{path}: output shape {oshape} is not [{ishape[0]}, {NUM_JOINTS}, 3]; "
                               "export a 16-joint GraphSH model")
    return i, o


def op_names(interp) -> List[str]:
    """Names of the operators of the primary subgraph, in execution order (e.g. ``FULLY_CONNECTED``)."""
    return [d["op_name"] for d in interp._get_ops_details()]


def tensor_dtypes_of_ops(interp) -> List[tuple]:
    """``(op_name, [input dtypes], [output dtypes])`` for every op (constant and variable tensors alike)."""
    details = {d["index"]: d for d in interp.get_tensor_details()}
    rows = []
    for op in interp._get_ops_details():
        ins = [np.dtype(details[t]["dtype"]).name for t in op["inputs"] if t >= 0 and t in details]
        outs = [np.dtype(details[t]["dtype"]).name for t in op["outputs"] if t in details]
        rows.append((op["op_name"], ins, outs))
    return rows


class TFLitePredictor:
    """``predict_mm`` through a ``.tflite`` file (batch fixed by the model; the last partial batch is padded)."""

    def __init__(self, path: Union[str, Path], num_threads: int = 1):
        self.path = Path(path)
        self.interp = load_interpreter(path, num_threads)
        self._in, self._out = check_lifter(self.interp, path)
        self.batch = int(self._in["shape"][0])

    @property
    def ops(self) -> List[str]:
        return op_names(self.interp)

    def _encode(self, x: np.ndarray) -> np.ndarray:
        if np.dtype(self._in["dtype"]) == np.float32:
            return x
        scale, zero = self._in["quantization"]
        q = np.round(x.astype(np.float64) / scale) + zero
        return np.clip(q, -128, 127).astype(self._in["dtype"])

    def _decode(self, y: np.ndarray) -> np.ndarray:
        if np.dtype(self._out["dtype"]) == np.float32:
            return y.astype(np.float32)
        scale, zero = self._out["quantization"]
        return ((y.astype(np.float64) - zero) * scale).astype(np.float32)

    def predict_mm(self, x2d: np.ndarray) -> np.ndarray:
        x = _check_input(x2d)
        n, b = len(x), self.batch
        out = np.empty((n, NUM_JOINTS, 3), np.float32)
        for s in range(0, n, b):
            chunk = x[s:s + b]
            m = len(chunk)
            if m < b:
                chunk = np.concatenate([chunk, np.zeros((b - m, NUM_JOINTS, 2), np.float32)])
            self.interp.set_tensor(self._in["index"], self._encode(chunk))
            self.interp.invoke()
            out[s:s + m] = self._decode(self.interp.get_tensor(self._out["index"]))[:m]
        return out


def predictor(model_or_path, num_threads: int = 1):
    """A predictor for a ``.tflite`` path or a tf_keras model."""
    if isinstance(model_or_path, (str, Path)):
        return TFLitePredictor(model_or_path, num_threads)
    return KerasPredictor(model_or_path)


def model_ops(data: bytes) -> List[str]:
    """Builtin operator names of every op of the flatbuffer's first subgraph, read from the file itself (before any
    delegate rewrites the graph)."""
    from tensorflow.lite.python import schema_py_generated as schema

    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    model = schema.Model.GetRootAsModel(data, 0)
    codes = []
    for i in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(i)
        code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
        codes.append(names.get(code, f"CUSTOM:{oc.CustomCode()}") if code != 32 else f"CUSTOM:{oc.CustomCode()}")
    sub = model.Subgraphs(0)
    return [codes[sub.Operators(k).OpcodeIndex()] for k in range(sub.OperatorsLength())]


def op_tensor_types(data: bytes) -> List[tuple]:
    """``(op_name, [input tensor types], [output tensor types])`` per op of subgraph 0, types like ``"INT8"``."""
    from tensorflow.lite.python import schema_py_generated as schema

    tnames = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    model = schema.Model.GetRootAsModel(data, 0)
    sub = model.Subgraphs(0)
    ops = model_ops(data)
    rows = []
    for k in range(sub.OperatorsLength()):
        op = sub.Operators(k)
        ins = [tnames[sub.Tensors(t).Type()] for t in op.InputsAsNumpy() if t >= 0]
        outs = [tnames[sub.Tensors(t).Type()] for t in op.OutputsAsNumpy()]
        rows.append((ops[k], ins, outs))
    return rows


# --- validation: every .tflite against the float Keras model on the same inputs ---------------------------------

def variant_of(path: Union[str, Path]) -> str:
    """Variant name from the sidecar (``variant``) or the file name (``graphsh_int8.tflite`` → ``int8``)."""
    from graphsh_tf.tflite_meta import MetadataError, read_metadata

    try:
        return str(read_metadata(path)["variant"])
    except (MetadataError, KeyError):
        stem = Path(path).stem
        return stem[len("graphsh_"):] if stem.startswith("graphsh_") else stem


def validate_files(paths, keras_model, x2d: np.ndarray, y3d_mm: np.ndarray, own_float: dict = None) -> dict:
    """Accuracy of each ``.tflite`` vs the float Keras model on ``x2d (N,16,2)`` / ``y3d_mm (N,16,3)``.

    Returns ``{"float": {"mpjpe_mm"}, "variants": {name: {"file", "size_bytes", "mpjpe_mm", "delta_mpjpe_mm",
    "p_mpjpe_mm", "max_abs_diff_mm", "ops"}}}`` (delta = variant − float; max |Δ| of outputs vs Keras, in mm).
    ``own_float``: ``{variant: keras model}`` for variants made from other float weights (``qat_int8``: the
    QAT-fine-tuned weights); they get ``own_float_mpjpe_mm`` and ``delta_vs_own_float_mm`` as well.
    Raises :class:`TFLiteModelError` for a corrupt, truncated or wrong-layout file.
    """
    from graphsh_tf.metrics import mpjpe, p_mpjpe

    y = np.asarray(y3d_mm, np.float32)
    ref = KerasPredictor(keras_model).predict_mm(x2d)
    float_mpjpe = float(mpjpe(ref, y))
    out = {"float": {"mpjpe_mm": float_mpjpe, "p_mpjpe_mm": float(p_mpjpe(ref, y)), "num_poses": int(len(y))},
           "variants": {}}
    for path in paths:
        pred_runner = TFLitePredictor(path)
        pred = pred_runner.predict_mm(x2d)
        err = float(mpjpe(pred, y))
        out["variants"][variant_of(path)] = {
            "file": str(path), "size_bytes": int(Path(path).stat().st_size), "mpjpe_mm": err,
            "delta_mpjpe_mm": err - float_mpjpe, "p_mpjpe_mm": float(p_mpjpe(pred, y)),
            "max_abs_diff_mm": float(np.max(np.abs(pred.astype(np.float64) - ref))),
            "ops": model_ops(Path(path).read_bytes())}
    for name, model in (own_float or {}).items():
        if name in out["variants"]:
            own = float(mpjpe(KerasPredictor(model).predict_mm(x2d), y))
            out["variants"][name]["own_float_mpjpe_mm"] = own
            out["variants"][name]["delta_vs_own_float_mm"] = out["variants"][name]["mpjpe_mm"] - own
    return out


def validate_markdown(result: dict) -> str:
    rows = ["| variant | MPJPE (mm) | ΔMPJPE (mm) | P-MPJPE (mm) | max abs Δ (mm) | size (bytes) | ops |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| float Keras | {result['float']['mpjpe_mm']:.3f} | 0 | {result['float'].get('p_mpjpe_mm', float('nan')):.3f}"
            " | 0 | | |"]
    for name, v in result["variants"].items():
        if "own_float_mpjpe_mm" in v:
            rows.append(f"| {name} float weights | {v['own_float_mpjpe_mm']:.3f} | "
                        f"{v['own_float_mpjpe_mm'] - result['float']['mpjpe_mm']:+.4f} | | | | |")
        rows.append(f"| {name} | {v['mpjpe_mm']:.3f} | {v['delta_mpjpe_mm']:+.4f} | {v['p_mpjpe_mm']:.3f} | "
                    f"{v['max_abs_diff_mm']:.4f} | {v['size_bytes']} | {len(v['ops'])} |")
    return "\n".join(rows) + "\n"


# --- latency -----------------------------------------------------------------------------------------------------

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
    except TFLiteModelError as e:
        queue.put(("error", str(e)))


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
    try:
        status, res = queue.get(timeout=600)
    finally:
        proc.join(timeout=30)
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


def benchmark_markdown(result: dict) -> str:
    rows = ["| variant | threads | p50 (µs) | p90 (µs) | p99 (µs) | throughput (/s) | peak RSS (MiB) | size (bytes) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, v in result["variants"].items():
        for t, r in v["threads"].items():
            def f(key, fmt="{:.1f}"):
                val = r.get(key)
                return fmt.format(val) if isinstance(val, (int, float)) else "–"
            rows.append(f"| {name} | {t} | {f('p50_us')} | {f('p90_us')} | {f('p99_us')} | "
                        f"{f('throughput_per_s', '{:.0f}')} | {f('peak_rss_mb')} | {v.get('size_bytes', '–')} |")
    return "\n".join(rows) + "\n"


# --- TFLite's benchmark_model tool output ------------------------------------------------------------------------

class BenchmarkLogError(ValueError):
    """A ``benchmark_model`` log lacks the lines this parser needs."""


def parse_benchmark_model_log(text: str, source: str = "log") -> dict:
    """Parse the output of TFLite's ``benchmark_model`` into ``{"graph", "threads", "size_bytes"?, "timings"}``.

    Reads ``Num threads: [N]``, ``Graph: [file]``, ``The input model file size (MB): x``, the two
    ``count=... first=... curr=... min=... max=... avg=... std=...`` lines (warm-up, then timed runs; newer builds add
    ``p5=... median=... p95=...``), ``Inference timings in us: Init: ..., First inference: ..., Warmup (avg): ...,
    Inference (avg): ...`` and the memory lines (``Peak memory footprint (MB): init=... overall=...``,
    ``Memory footprint delta from the start of the tool (MB): ...``, ``Overall peak memory footprint (MB) via periodic
    monitoring: x``). Timings in µs.
    """
    import re

    num = r"([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    stats = []
    for line in text.splitlines():
        if "count=" in line and "avg=" in line:
            stats.append({k: float(v) for k, v in re.findall(r"(\w+)=" + num, line)})
    m = re.search(r"Inference timings in us: Init: " + num + r", First inference: " + num +
                  r", Warmup \(avg\): " + num + r", Inference \(avg\): " + num, text)
    if not m or not stats:
        raise BenchmarkLogError(f"{source}: no 'Inference timings in us: ...' summary or 'count=... avg=...' line; "
                                "pass the complete stdout/stderr of benchmark_model")
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
    threads = re.search(r"Num threads: \[(\d+)\]", text) or re.search(r"#threads used for CPU inference: \[(\d+)\]",
                                                                      text)
    graph = re.search(r"Graph: \[([^\]]+)\]", text)
    size = re.search(r"The input model file size \(MB\): " + num, text)
    return {"graph": graph.group(1) if graph else None, "threads": int(threads.group(1)) if threads else 1,
            "size_bytes": int(round(float(size.group(1)) * 1e6)) if size else None, "timings": res}
