"""Batch-1 TFLite latency against the weight-streaming floor, measured in one process.

    python benchmarks/latency_floor.py [--tflite-dir DIR] [--variants fp32,fp16,drq,int8]
        [--formulations bmm,split_fc] [--rounds 12] [--runs 200] [--json FILE]

For each ``.tflite`` variant (default: exported fresh from ``build_model(gcn="dc_preagg", hid_dim=64, num_stacks=4)``
with seeded random weights and 300 synthetic representative poses; or every ``*.tflite`` of ``--tflite-dir``), all in
this one process, timed in interleaved rounds so load from other processes hits every column alike:

* **p50** of ``invoke()``: LiteRT ``Interpreter``, batch 1, 1 thread, XNNPACK (the default delegate);
* **floor**: one float32 numpy matrix-vector product (OpenBLAS pinned to 1 thread) over a matrix of the variant's
  weight bytes, i.e. the time to stream those bytes once through one core; weight bytes = the constant tensors as
  XNNPACK holds them at run time (fp32: 4 B/param, fp16: unpacked to fp32 at load, so 4 B/param; drq and int8:
  1 B/param plus int32 biases); ``ratio`` = p50 / floor against :data:`TARGETS` (int8 <= 2x, fp32 <= 1.5x);
* **1-FC**: one LiteRT FULLY_CONNECTED of the same variant and parameter count (1024 x params/1024): what XNNPACK's
  best kernel does with the same bytes in one op;
* **grouped convs only**: a chain of grouped 1x1 CONV_2D with the model's weight count (the per-joint transforms and
  nothing else) against its own floor;
* **activation path**: per graph conv, TRANSPOSE → joint-mixing FULLY_CONNECTED → TRANSPOSE at the model's width;
* **shared-weight twin**: the same architecture with shared weights (dc_preagg → dc_vanilla: the same ops and
  multiply-adds, ~1/8 of the weight bytes);
* **per-op overhead**, two ways: (1) chains of N tiny FULLY_CONNECTED ops (16 -> 16, ReLU) for several N, fp32 and
  int8, slope of p50 over N = the fixed cost of one op; times the variant's op count; (2) the same architecture at
  ``--tiny-hid`` (same op list, ~1/64 of the weights): its p50 is the graph's fixed cost directly. "share of gap" =
  that overhead / (p50 - floor);
* **op-type attribution** (a poor man's op profile): CONV_2D = the grouped-conv probe, FULLY_CONNECTED and ADD =
  count x the slope of chains of that op at the model's width, TRANSPOSE from the activation path, other ops x the
  tiny-FC cost; their sum against p50.

LiteRT's Python interpreter has no op profiler, and the pip packages ship no ``benchmark_model`` binary
(``ai_edge_litert/tools/benchmark_litert_model.py`` only times whole invokes); hence the fits. Prints a markdown
table and the command line; ``--json`` keeps everything. Never passes or fails on time.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGETS = {"int8": 2.0, "fp32": 1.5}
DEFAULT_MODEL = dict(gcn="dc_preagg", hid_dim=64, num_stacks=4)
#: bytes per stored element as XNNPACK holds constants at run time (fp16 weights are unpacked to fp32 at load)
_RUNTIME_BYTES = {"FLOAT32": 4, "FLOAT16": 4, "INT8": 1, "UINT8": 1, "INT32": 4, "INT64": 8, "INT16": 2}
_WEIGHT_TYPES = ("FLOAT32", "FLOAT16", "INT8", "UINT8")
#: the same architecture with shared (not per-joint) weights: everything but the per-joint weight streaming
SHARED_TWIN = {"dc_preagg": "dc_vanilla", "preagg": "vanilla"}


# --- threads ---------------------------------------------------------------------------------------------------------

def pin_blas_threads(n: int = 1) -> bool:
    """Set OpenBLAS (numpy's BLAS) to ``n`` threads through the loaded library; True if it worked."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return False
    libs = sorted({line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower() and ".so" in line})
    for lib in libs:
        try:
            handle = ctypes.CDLL(lib)
        except OSError:
            continue
        for sym in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads",
                    "scipy_openblas_set_num_threads"):
            fn = getattr(handle, sym, None)
            if fn is not None:
                fn(ctypes.c_int(n))
                return True
    return False


# --- flatbuffer facts ------------------------------------------------------------------------------------------------

def model_facts(data: bytes) -> dict:
    """Ops, constant weight elements and run-time constant bytes of subgraph 0 of a ``.tflite`` flatbuffer."""
    from ai_edge_litert import schema_py_generated as schema

    tnames = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    onames = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    model = schema.Model.GetRootAsModel(data, 0)
    codes = []
    for i in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(i)
        codes.append(onames.get(max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode())), "CUSTOM"))
    sub = model.Subgraphs(0)
    ops = [codes[sub.Operators(k).OpcodeIndex()] for k in range(sub.OperatorsLength())]
    params = stored = runtime = 0
    for t in range(sub.TensorsLength()):
        tensor = sub.Tensors(t)
        b = tensor.Buffer()
        if b <= 0:
            continue
        buf = model.Buffers(b)
        size = buf.DataLength() or int(buf.Size() or 0)
        if not size:
            continue
        tname = tnames.get(tensor.Type(), "?")
        n = int(np.prod(tensor.ShapeAsNumpy())) if tensor.ShapeLength() else 1
        stored += size
        runtime += n * _RUNTIME_BYTES.get(tname, size // max(n, 1))
        if tname in _WEIGHT_TYPES:
            params += n
    counts = {}
    for o in ops:
        counts[o] = counts.get(o, 0) + 1
    return {"ops": len(ops), "op_counts": dict(sorted(counts.items(), key=lambda kv: -kv[1])), "params": params,
            "const_bytes_stored": stored, "weight_bytes": runtime, "size_bytes": len(data)}


# --- graphs to convert ------------------------------------------------------------------------------------------------

def _convert_fn(fn, spec, variant: str, rep: np.ndarray) -> bytes:
    """Convert a ``tf.function`` of one float input to a TFLite ``variant`` with the exporter's converter settings
    (float I/O; per-channel int8 weights, the converter's own default, for these probe graphs)."""
    from graphsh_tf.lite.convert import configure
    from graphsh_tf.lite.variants import variant as lookup

    import tensorflow as tf

    v = lookup(variant)
    if v.qat:
        raise ValueError(f"synthetic graphs: variant {variant!r} needs a fine-tuned model; use int8")
    conc = tf.function(fn, input_signature=[spec]).get_concrete_function()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([conc])
    configure(conv, v, lambda: ([r[None]] for r in rep), per_channel=True)
    return conv.convert()


def fc_chain(n_ops: int, variant: str, width: int = 16, seed: int = 0) -> bytes:
    """``n_ops`` tiny FULLY_CONNECTED (width -> width, bias, ReLU) in a chain; distinct weights per op."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    ws = [tf.constant(rng.normal(0, 1 / np.sqrt(width), (width, width)).astype(np.float32)) for _ in range(n_ops)]
    bs = [tf.constant(rng.normal(0, 0.1, (width,)).astype(np.float32)) for _ in range(n_ops)]

    def f(x):
        for w, b in zip(ws, bs):
            x = tf.nn.relu(tf.matmul(x, w) + b)
        return x
    rep = rng.uniform(-1, 1, (32, width)).astype(np.float32)
    return _convert_fn(f, tf.TensorSpec([1, width], tf.float32), variant, rep)


def one_fc(params: int, variant: str, k: int = 1024, seed: int = 0) -> bytes:
    """One FULLY_CONNECTED ``[1, k] @ [k, ceil(params / k)]`` of ``variant``: the model's weight count in one op."""
    import tensorflow as tf

    m = max(1, -(-int(params) // k))
    rng = np.random.default_rng(seed)
    w = tf.constant(rng.normal(0, 1 / np.sqrt(k), (k, m)).astype(np.float32))

    def f(x):
        return tf.matmul(x, w)
    rep = rng.uniform(-1, 1, (32, k)).astype(np.float32)
    return _convert_fn(f, tf.TensorSpec([1, k], tf.float32), variant, rep)


def grouped_chain(params: int, variant: str, groups: int = 16, cin: int = 64, cout: int = 128, seed: int = 0) -> bytes:
    """The model's per-joint transforms alone: a chain of grouped 1x1 CONV_2D (``groups`` joints, ``cin -> cout`` then
    ``cout -> cin`` per joint, bias, ReLU; the shapes of a hid-64 ``dc_preagg`` layer: 2 weight sets x 64) with about
    ``params`` weights, no other op. Its p50 / floor is the grouped-conv kernel's own distance from the floor."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    per_pair = 2 * groups * cin * cout
    pairs = max(1, int(round(params / per_pair)))
    layers = []
    for _ in range(pairs):
        for a, b in ((cin, cout), (cout, cin)):
            w = rng.normal(0, 1 / np.sqrt(a), (1, 1, a, groups * b)).astype(np.float32)
            layers.append((tf.constant(w), tf.constant(rng.normal(0, 0.1, groups * b).astype(np.float32))))

    def f(x):
        for w, b in layers:
            x = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w, 1, "VALID"), b))
        return x
    rep = rng.uniform(-1, 1, (32, 1, 1, groups * cin)).astype(np.float32)
    return _convert_fn(f, tf.TensorSpec([1, 1, 1, groups * cin], tf.float32), variant, rep)


def activation_chain(layers: int, variant: str, joints: int = 16, channels: int = 64, sets: int = 2,
                     seed: int = 0) -> bytes:
    """The model's activation path around its per-joint transforms, without them: ``layers`` times (joint-major
    ``(1, J, K*C)`` → TRANSPOSE to channel-major ``(1, C, K*J)`` → joint-mixing FULLY_CONNECTED ``K*J -> K*J``
    (ReLU) → TRANSPOSE back, with the RESHAPEs between), i.e. what each graph conv does besides streaming its weights
    (the export mixes ``K*J -> J``; ``K*J -> K*J`` keeps the chain's shapes, so this slightly overstates it)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    kj = sets * joints
    mixes = [(tf.constant(rng.normal(0, 1 / np.sqrt(kj), (kj, kj)).astype(np.float32)),
              tf.constant(rng.normal(0, 0.1, kj).astype(np.float32))) for _ in range(layers)]

    def f(x):
        for w, b in mixes:
            y = tf.reshape(tf.transpose(tf.reshape(x, (1, joints, sets, channels)), [0, 3, 2, 1]), (channels, kj))
            y = tf.nn.relu(tf.matmul(y, w) + b)
            x = tf.reshape(tf.transpose(tf.reshape(y, (1, channels, sets, joints)), [0, 3, 2, 1]),
                           (1, joints, sets * channels))
        return x
    rep = rng.uniform(-1, 1, (32, joints, sets * channels)).astype(np.float32)
    return _convert_fn(f, tf.TensorSpec([1, joints, sets * channels], tf.float32), variant, rep)


#: op types timed one by one at the model's activation sizes (``op_chain``); the rest are bounded by the tiny graph
OP_TYPES = ("ADD", "FULLY_CONNECTED")


def op_chain(op: str, n_ops: int, variant: str, joints: int = 16, channels: int = 64, sets: int = 2,
             seed: int = 0) -> bytes:
    """``n_ops`` ops of one type at the sizes a graph conv of width ``channels`` works on, a poor man's op profile:
    ADD of two ``(1, C, J)`` activations (chains of constant ADDs fold); the joint-mixing FULLY_CONNECTED
    ``(C, K*J) @ (K*J, K*J)`` (ReLU). TRANSPOSE has no probe of its own (the converter folds or pushes transposes
    through anything but a FULLY_CONNECTED): it comes from :func:`activation_chain` (2 TRANSPOSE + 1 mixing FC per
    layer) less the FULLY_CONNECTED slope."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    kj = sets * joints
    shape = (1, channels, joints) if op == "ADD" else (1, joints, sets * channels)
    if op not in OP_TYPES:
        raise ValueError(f"op_chain: no probe for {op}; one of {OP_TYPES}")
    if op == "ADD":                             # residual-style ADD of two activations (constant ADDs fold)
        def f(x):
            y = x
            for _ in range(n_ops):
                y = y + x
            return y
    elif op == "FULLY_CONNECTED":
        ws = [tf.constant(rng.normal(0, 1 / np.sqrt(kj), (kj, kj)).astype(np.float32)) for _ in range(n_ops)]

        def f(x):
            y = tf.reshape(x, (channels, kj))
            for w in ws:
                y = tf.nn.relu(tf.matmul(y, w))
            return tf.reshape(y, shape)
    rep = rng.uniform(-1, 1, (32,) + shape[1:]).astype(np.float32)
    return _convert_fn(f, tf.TensorSpec(shape, tf.float32), variant, rep)


def representative(count: int = 300) -> np.ndarray:
    """``count`` plausible normalized 2D poses from the embedded synthetic generator (random if it fails)."""
    try:
        from graphsh_tf.data.synthetic import load_synthetic
        from graphsh_tf.lite.calibrate import representative_poses

        data = load_synthetic(train_poses_per_subject=max(20, count // 16), test_poses_per_subject=1)
        return representative_poses(data.train.poses_2d, count, seed=0)
    except Exception as e:  # noqa: BLE001 - calibration data is only for plausible int8 ranges here
        print(f"synthetic poses unavailable ({type(e).__name__}: {e}); random ones instead", file=sys.stderr)
        return np.random.default_rng(0).uniform(-0.8, 0.8, (count, 16, 2)).astype(np.float32)


def export_model(model_kw: dict, variants, formulations=("conv",), rep=None, seed: int = 0) -> dict:
    """``{(variant, formulation): bytes}`` of ``build_model(**model_kw)`` with seeded random weights."""
    import graphsh_tf  # noqa: F401  (legacy Keras before TensorFlow loads)
    from graphsh_tf.lite.convert import convert
    from graphsh_tf.models import build_model

    import tf_keras as keras

    keras.utils.set_random_seed(seed)
    model = build_model(**model_kw)
    rep = representative() if rep is None else rep
    out = {}
    for f in formulations:
        for v in variants:
            try:
                out[(v, f)] = convert(model, v, representative=rep, formulation=f)
            except Exception as e:  # noqa: BLE001 - a formulation the converter rejects is a result too
                print(f"{v}/{f}: conversion failed ({type(e).__name__}: {str(e)[:160]})", file=sys.stderr)
    return out


# --- timing --------------------------------------------------------------------------------------------------------

class _Invoker:
    def __init__(self, data: bytes, threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        self.it = Interpreter(model_content=data, num_threads=threads)
        self.it.allocate_tensors()
        inp = self.it.get_input_details()[0]
        rng = np.random.default_rng(0)
        if np.dtype(inp["dtype"]) == np.float32:
            x = rng.uniform(-0.8, 0.8, inp["shape"]).astype(np.float32)
        else:
            x = rng.integers(-100, 100, inp["shape"]).astype(inp["dtype"])
        self.it.set_tensor(inp["index"], x)
        self.call = self.it.invoke


class _Floor:
    """float32 ``A @ x`` with ``A`` of ``nbytes`` bytes (1024 columns): streams ``nbytes`` once per call."""

    def __init__(self, nbytes: int, cols: int = 1024):
        rows = max(1, int(round(nbytes / 4 / cols)))
        rng = np.random.default_rng(1)
        self.a = rng.standard_normal((rows, cols), dtype=np.float32)
        self.x = rng.standard_normal(cols, dtype=np.float32)
        self.y = np.empty(rows, np.float32)
        self.nbytes = self.a.nbytes

    def call(self):
        np.dot(self.a, self.x, out=self.y)


def _time_block(fn, n: int, out: list) -> None:
    clock = time.perf_counter_ns
    for _ in range(n):
        t0 = clock()
        fn()
        out.append((clock() - t0) / 1000.0)


def dram_bandwidth_gbs(mib: int = 256, reps: int = 5) -> float:
    """Single-core read bandwidth from DRAM: best of ``reps`` sums over a ``mib`` MiB float32 array (GB/s)."""
    a = np.ones(mib * 2 ** 20 // 4, np.float32)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        np.add.reduce(a)
        best = min(best, time.perf_counter() - t0)
    return a.nbytes / best / 1e9


def fit_line(xs, ys) -> tuple:
    """Least-squares ``y = a + b x`` → ``(a, b)``."""
    b, a = np.polyfit(np.asarray(xs, float), np.asarray(ys, float), 1)
    return float(a), float(b)


# --- the measurement -------------------------------------------------------------------------------------------------

def measure(models: dict, tiny: dict = None, chain_lengths=(1, 16, 64, 128), chain_variants=("fp32", "int8"),
            one_fc_check: bool = True, rounds: int = 12, runs: int = 200, floor_reps: int = 100, warmup: int = 50,
            act_channels: int = 64, twin: dict = None, op_lengths=(4, 32), log=lambda s: None) -> dict:
    """Time every model of ``models`` (``{name: bytes}``, name ``variant`` or ``variant/formulation``) against its
    floor, in interleaved rounds in this process. ``tiny``: ``{name: bytes}`` of the same graphs at a tiny width
    (per-op overhead, way 2), or None. Returns ``{"variants": {...}, "per_op": {...}, "host": {...}}``."""
    pinned = pin_blas_threads(1)
    load_start = os.getloadavg()
    facts = {name: model_facts(data) for name, data in models.items()}
    kinds = {name: name.split("/")[0] for name in models}
    items = {}                                    # label -> callable; timed in this order every round
    chain_facts = {}
    floor_of = {}                                 # variants of (nearly) equal weight bytes share one floor
    for name, data in models.items():
        items[("model", name)] = _Invoker(data).call
        group = int(round(facts[name]["weight_bytes"] / 2 ** 17))
        floor_of[name] = ("floor", f"{group * 128} KiB")
        if floor_of[name] not in items:
            items[floor_of[name]] = _Floor(facts[name]["weight_bytes"]).call
    errors = {}
    for name, data in (twin or {}).items():
        try:
            items[("twin", name)] = _Invoker(data).call
            chain_facts[("twin", name)] = model_facts(data)
        except (RuntimeError, ValueError) as e:
            errors[("twin", name)] = f"{type(e).__name__}: {str(e)[:160]}"
            log(f"shared-weight twin {name} not timed: {errors[('twin', name)]}")
    for name, data in (tiny or {}).items():
        try:
            items[("tiny", name)] = _Invoker(data).call
        except (RuntimeError, ValueError) as e:   # e.g. XNNPACK refusing a degenerate tiny int8 graph
            errors[("tiny", name)] = f"{type(e).__name__}: {str(e)[:160]}"
            log(f"tiny graph {name} not timed: {errors[('tiny', name)]}")
    for v in chain_variants:
        for n in chain_lengths:
            blob = fc_chain(n, v)
            chain_facts[(v, n)] = model_facts(blob)
            items[("chain", f"{v}:{n}")] = _Invoker(blob).call
    if one_fc_check:
        for name in models:
            if "/" in name or kinds[name] not in ("fp32", "fp16", "drq", "int8"):
                continue
            items[("one_fc", name)] = _Invoker(one_fc(facts[name]["params"], kinds[name])).call
            blob = grouped_chain(facts[name]["params"], kinds[name])
            chain_facts[("grouped", name)] = model_facts(blob)
            items[("grouped", name)] = _Invoker(blob).call
            items[("grouped_floor", name)] = _Floor(chain_facts[("grouped", name)]["weight_bytes"]).call
            probe_kind = _probe_kind(kinds[name])
            for op in OP_TYPES:
                for n in op_lengths:
                    key = ("op", f"{probe_kind}:{op}:{n}")
                    if key not in items:
                        items[key] = _Invoker(op_chain(op, n, probe_kind, channels=act_channels)).call
            n_conv = facts[name]["op_counts"].get("CONV_2D", 0)
            if n_conv:
                blob = activation_chain(n_conv, probe_kind, channels=act_channels)
                chain_facts[("act", name)] = model_facts(blob)
                items[("act", name)] = _Invoker(blob).call
    log(f"{len(items)} timed items, {rounds} rounds x {runs} invokes (floor: {floor_reps} products)")
    times = {k: [] for k in items}
    for fn in items.values():                     # warm-up: caches, XNNPACK's first-run setup
        for _ in range(warmup):
            fn()
    for r in range(rounds):
        for key, fn in items.items():
            _time_block(fn, floor_reps if key[0] in ("floor", "grouped_floor") else runs, times[key])
        log(f"round {r + 1}/{rounds}")
    p50 = {k: float(np.median(v)) for k, v in times.items()}
    # per-op overhead, way 1: slope of the tiny FC chains
    per_op = {}
    for v in chain_variants:
        ns = list(chain_lengths)
        ys = [p50[("chain", f"{v}:{n}")] for n in ns]
        ops = [chain_facts[(v, n)]["ops"] for n in ns]
        a, b = fit_line(ops, ys)
        per_op[v] = {"us_per_op": b, "intercept_us": a, "points": [{"ops": o, "p50_us": y} for o, y in zip(ops, ys)]}
    dram = dram_bandwidth_gbs()
    result = {"host": _host(), "blas_pinned_1_thread": pinned, "loadavg_start": load_start,
              "loadavg_end": os.getloadavg(), "dram_read_gbs": dram,
              "settings": {"rounds": rounds, "runs": runs, "floor_reps": floor_reps,
                           "chain_lengths": list(chain_lengths)},
              "per_op": per_op, "variants": {}}
    for name in models:
        f = facts[name]
        kind = kinds[name]
        lat, floor = p50[("model", name)], p50[floor_of[name]]
        slope = per_op.get(kind if kind in per_op else ("int8" if kind == "int8" else "fp32"), {}).get("us_per_op")
        gap = lat - floor
        row = {"kind": kind, "p50_us": lat, "p90_us": float(np.percentile(times[("model", name)], 90)),
               "floor_us": floor, "floor_bytes": int(items[floor_of[name]].__self__.nbytes),
               "floor_gbs": items[floor_of[name]].__self__.nbytes / floor / 1e3,
               "ratio": lat / floor, "target": TARGETS.get(kind), "gap_us": gap, **f}
        row["meets_target"] = None if row["target"] is None else bool(row["ratio"] <= row["target"])
        if slope is not None:
            row["op_overhead_us"] = slope * f["ops"]
            row["op_overhead_share_of_gap"] = row["op_overhead_us"] / gap if gap > 0 else None
        if ("twin", name) in p50:
            row["twin_p50_us"] = p50[("twin", name)]
            row["twin_params"] = chain_facts[("twin", name)]["params"]
            row["twin_ops"] = chain_facts[("twin", name)]["ops"]
            row["twin_weight_bytes"] = chain_facts[("twin", name)]["weight_bytes"]
            row["twin_floor_est_us"] = floor * row["twin_weight_bytes"] / max(f["weight_bytes"], 1)
        if ("tiny", name) in errors:
            row["tiny_error"] = errors[("tiny", name)]
        if ("tiny", name) in p50:
            row["tiny_p50_us"] = p50[("tiny", name)]
            row["tiny_share_of_gap"] = p50[("tiny", name)] / gap if gap > 0 else None
        if ("one_fc", name) in p50:
            row["one_fc_p50_us"] = p50[("one_fc", name)]
            row["one_fc_ratio"] = p50[("one_fc", name)] / floor
        if ("grouped", name) in p50:
            row["grouped_p50_us"] = p50[("grouped", name)]
            row["grouped_ops"] = chain_facts[("grouped", name)]["ops"]
            row["grouped_weight_bytes"] = chain_facts[("grouped", name)]["weight_bytes"]
            row["grouped_params"] = chain_facts[("grouped", name)]["params"]
            row["grouped_ratio"] = p50[("grouped", name)] / p50[("grouped_floor", name)]
        if ("act", name) in p50:
            row["act_p50_us"] = p50[("act", name)]
            row["act_ops"] = chain_facts[("act", name)]["ops"]
        if ("act", name) in p50 and ("grouped", name) in p50 and \
                ("op", f"{_probe_kind(kind)}:FULLY_CONNECTED:{op_lengths[0]}") in p50:
            row["op_attribution_us"] = _attribution(row, _probe_kind(kind), p50, op_lengths, slope)
            row["op_attribution_sum_us"] = float(sum(row["op_attribution_us"].values()))
        result["variants"][name] = row
    return result


def _probe_kind(kind: str) -> str:
    """Variant whose op probes stand for ``kind``'s small ops: drq and fp16 quantize only constants of >= 1024
    elements, so the joint mixing, pooling and residual ops of those graphs run in float, as in fp32."""
    return "fp32" if kind in ("drq", "fp16") else kind


def _attribution(row: dict, kind: str, p50: dict, lengths, tiny_fc_us: float) -> dict:
    """Estimated µs per op type of one invoke: CONV_2D = the grouped-conv probe (same weight bytes); FULLY_CONNECTED,
    ADD (+ SUB) = count x the slope of their probes at the model's width; TRANSPOSE = count x (activation-path
    layer - mixing FC) / 2; every other op (RESHAPE, QUANTIZE, MEAN, ...) = count x the tiny-FC per-op cost."""
    def slope(op):
        ys = [p50[("op", f"{kind}:{op}:{n}")] for n in lengths]
        return fit_line(lengths, ys)[1]
    counts = dict(row["op_counts"])
    fc, add = slope("FULLY_CONNECTED"), slope("ADD")
    layers = counts.get("CONV_2D", 1)
    per_layer = row["act_p50_us"] / layers
    transpose = max(0.0, (per_layer - fc) / 2)
    out = {"CONV_2D (grouped probe)": row["grouped_p50_us"] * row["params"] / max(row.get("grouped_params", 1), 1),
           "FULLY_CONNECTED": counts.pop("FULLY_CONNECTED", 0) * fc,
           "ADD+SUB": (counts.pop("ADD", 0) + counts.pop("SUB", 0)) * add,
           "TRANSPOSE": counts.pop("TRANSPOSE", 0) * transpose}
    counts.pop("CONV_2D", None)
    out["other ops"] = sum(counts.values()) * (tiny_fc_us or 0.0)
    row["op_probe_us_per_op"] = {"FULLY_CONNECTED": fc, "ADD": add, "TRANSPOSE": transpose, "other": tiny_fc_us}
    return {k: float(v) for k, v in out.items()}


def _host() -> dict:
    try:
        from graphsh_tf.lite.bench import host_info

        return host_info()
    except Exception:  # noqa: BLE001
        import platform

        return {"cpu": platform.processor(), "logical_cpus": os.cpu_count()}


# --- report ----------------------------------------------------------------------------------------------------------

def markdown(result: dict, command: str = "") -> str:
    la0, la1 = result["loadavg_start"], result["loadavg_end"]
    lines = []
    if command:
        lines += [f"`{command}`", ""]
    lines += [f"host: {result['host'].get('cpu')} ({result['host'].get('logical_cpus')} cores), LiteRT "
              f"{result['host'].get('litert_version', '?')}; load average {la0[0]:.2f} {la0[1]:.2f} {la0[2]:.2f} at "
              f"start, {la1[0]:.2f} {la1[1]:.2f} {la1[2]:.2f} at end; numpy BLAS pinned to 1 thread: "
              f"{result['blas_pinned_1_thread']}",
              f"single-core DRAM read bandwidth (sum over 256 MiB): {result['dram_read_gbs']:.1f} GB/s", ""]
    lines += ["| variant | ops | params | weight bytes | p50 (µs) | floor (µs) | floor GB/s | p50 / floor | target | "
              "1-FC (µs) | 1-FC / floor | grouped convs only (µs) | grouped / its floor | activation path (µs) | "
              "shared-weight twin (µs) | op overhead (µs) | tiny graph (µs) | share of gap: ops / tiny |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, r in result["variants"].items():
        met = "met" if r["meets_target"] else "**missed**"
        tgt = "–" if r["target"] is None else f"≤ {r['target']:.1f}x {met}"
        def f(key, fmt="{:.1f}"):
            v = r.get(key)  # noqa: B023
            return fmt.format(v) if isinstance(v, (int, float)) else "–"
        share = f"{f('op_overhead_share_of_gap', '{:.0%}')} / {f('tiny_share_of_gap', '{:.0%}')}"
        lines.append(f"| {name} | {r['ops']} | {r['params']:,} | {r['weight_bytes']:,} | {r['p50_us']:.1f} | "
                     f"{r['floor_us']:.1f} | {r['floor_gbs']:.0f} | **{r['ratio']:.2f}x** | {tgt} | "
                     f"{f('one_fc_p50_us')} | {f('one_fc_ratio', '{:.2f}x')} | {f('grouped_p50_us')} | "
                     f"{f('grouped_ratio', '{:.2f}x')} | {f('act_p50_us')} | {f('twin_p50_us')} | "
                     f"{f('op_overhead_us')} | {f('tiny_p50_us')} | {share} |")
    lines.append("")
    for name, r in result["variants"].items():
        a = r.get("op_attribution_us")
        if a:
            parts = ", ".join(f"{k} {v:.1f}" for k, v in a.items())
            per = ", ".join(f"{k} {v:.3f}" for k, v in r["op_probe_us_per_op"].items())
            lines.append(f"{name}: sum of op-type probes **{r['op_attribution_sum_us']:.1f} µs** vs p50 "
                         f"{r['p50_us']:.1f} µs ({parts}; µs per op: {per})")
    lines.append("")
    for v, p in result["per_op"].items():
        pts = ", ".join(f"{q['ops']} ops {q['p50_us']:.1f} µs" for q in p["points"])
        lines.append(f"per-op cost, {v} (chain of tiny FULLY_CONNECTED): **{p['us_per_op']:.3f} µs/op** "
                     f"(intercept {p['intercept_us']:.1f} µs; {pts})")
    return "\n".join(lines) + "\n"


def run(model_kw: dict = None, variants=("fp32", "fp16", "drq", "int8"), formulations=(),
        formulation_variants=("fp32", "int8"),
        tflite_dir=None, tiny_hid: int = 8, rounds: int = 12, runs: int = 200, floor_reps: int = 100,
        chain_lengths=(1, 16, 64, 128), one_fc_check: bool = True, twin_probe: bool = True,
        log=lambda s: None) -> dict:
    """The whole measurement: export (or read ``tflite_dir``), then :func:`measure`. ``formulations``: extra
    formulations of :func:`graphsh_tf.lite.convert.convert` besides ``conv`` (``bmm``, ``split_fc``), for
    ``formulation_variants``; named ``variant/formulation``."""
    model_kw = dict(DEFAULT_MODEL if model_kw is None else model_kw)
    tiny = twin = None
    if tflite_dir:
        from graphsh_tf.lite.metadata import variant_from_filename

        files = sorted(Path(tflite_dir).glob("*.tflite"))
        if not files:
            raise ValueError(f"{tflite_dir}: no .tflite files")
        models = {variant_from_filename(p): p.read_bytes() for p in files}
        models = {k: v for k, v in models.items() if not variants or k in variants} or models
        source = str(tflite_dir)
    else:
        rep = representative()
        log(f"exporting {model_kw} {list(variants)} (+ {list(formulations)} of {list(formulation_variants)})")
        blobs = export_model(model_kw, variants, ("conv",), rep)
        models = {v: blobs[(v, "conv")] for v in variants if (v, "conv") in blobs}
        for f in formulations:
            fb = export_model(model_kw, [v for v in formulation_variants if v in variants], (f,), rep)
            models.update({f"{v}/{f}": b for (v, _), b in fb.items()})
        if tiny_hid:
            log(f"exporting the same graph at hid {tiny_hid}")
            tb = export_model({**model_kw, "hid_dim": tiny_hid}, variants, ("conv",), rep)
            tiny = {v: tb[(v, "conv")] for v in variants if (v, "conv") in tb}
            for f in formulations:
                fb = export_model({**model_kw, "hid_dim": tiny_hid},
                                  [v for v in formulation_variants if v in variants], (f,), rep)
                tiny.update({f"{v}/{f}": b for (v, _), b in fb.items()})
        twin_gcn = SHARED_TWIN.get(model_kw.get("gcn"))
        if twin_probe and twin_gcn:
            log(f"exporting the shared-weight twin ({twin_gcn})")
            wb = export_model({**model_kw, "gcn": twin_gcn}, variants, ("conv",), rep)
            twin = {v: wb[(v, "conv")] for v in variants if (v, "conv") in wb}
        source = f"fresh export of build_model({', '.join(f'{k}={v!r}' for k, v in model_kw.items())}), random weights"
    result = measure(models, tiny, chain_lengths, ("fp32", "int8"), one_fc_check, rounds, runs, floor_reps,
                     act_channels=model_kw.get("hid_dim", 64), twin=twin, log=log)
    result["source"] = source
    result["model"] = model_kw
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tflite-dir", default=None, help="time the .tflite files of DIR instead of a fresh export")
    ap.add_argument("--variants", default="fp32,fp16,drq,int8")
    ap.add_argument("--formulations", default="", help="extra formulations to time, e.g. bmm,split_fc")
    ap.add_argument("--formulation-variants", default="fp32,int8")
    ap.add_argument("--gcn", default=DEFAULT_MODEL["gcn"])
    ap.add_argument("--hid-dim", type=int, default=DEFAULT_MODEL["hid_dim"],
                    help="hidden size of the fresh export, and the width of the op probes (set it for --tflite-dir)")
    ap.add_argument("--stacks", type=int, default=DEFAULT_MODEL["num_stacks"])
    ap.add_argument("--tiny-hid", type=int, default=8, help="hidden size of the same-graph overhead probe (0: none)")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--floor-reps", type=int, default=100)
    ap.add_argument("--chain-lengths", default="1,16,64,128")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    import graphsh_tf  # noqa: F401  (quiet TensorFlow start, legacy Keras)

    split = lambda s: tuple(t.strip() for t in s.split(",") if t.strip())  # noqa: E731
    result = run(dict(gcn=args.gcn, hid_dim=args.hid_dim, num_stacks=args.stacks), split(args.variants),
                 split(args.formulations), split(args.formulation_variants), args.tflite_dir, args.tiny_hid,
                 args.rounds, args.runs, args.floor_reps, tuple(int(n) for n in split(args.chain_lengths)),
                 log=lambda s: print(s, file=sys.stderr))
    command = "python3 benchmarks/latency_floor.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None
                                                                                        else sys.argv[1:]))
    result["command"] = command.strip()
    print(f"\n### Latency against the weight-streaming floor ({result['source']}; batch 1, 1 thread, XNNPACK)\n")
    print(markdown(result, result["command"]), end="")
    if args.json:
        from graphsh_tf.io import write_json

        write_json(args.json, result)
    return 0


if __name__ == "__main__":
    from graphsh_tf.quiet import quiet_start

    quiet_start()   # TensorFlow's C++ start-up lines hidden, as in the CLIs (--verbose or GRAPHSH_VERBOSE=1 keeps them)
    sys.exit(main())
