"""Compare TFLite op formulations of the graph convolutions by measured batch-1 latency (LiteRT, XNNPACK).

    python benchmarks/tflite_formulations.py [--models preagg64,semgconv64] [--rounds 10] [--runs 300] [--json F]

Formulations (graphsh_tf.lite.folded): ``conv`` (per-joint weights as one grouped 1x1 CONV_2D, joint mixing as
FULLY_CONNECTED over channel-major tensors, BN/bias/ReLU folded — the export default), ``bmm`` (per-joint
BATCH_MATMUL), ``split_fc`` (one FULLY_CONNECTED per joint), ``keras`` (the Keras graph converted as is: BN not
folded by us, BATCH_MATMUL with transposes, constant-LHS matmuls for mixing/pooling). For shared-weight convolutions
(semantic) conv/bmm/split_fc are the same graph, so only ``conv`` and ``keras`` are timed.

All interpreters live in this one process and are timed round-robin (``--rounds`` x ``--runs`` invocations each),
so load from other processes on the shared CPU hits every formulation alike; ratios are vs ``keras`` fp32.
Random weights: latency does not depend on their values. Prints a markdown table; never passes/fails on time.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import graphsh_tf  # noqa: E402,F401

MODELS = {"preagg64": dict(gcn="dc_preagg", hid_dim=64, num_stacks=4),
          "semgconv64": dict(gcn="semantic", hid_dim=64, num_stacks=4)}


def build_variants(name: str, formulations, variants) -> dict:
    from graphsh_tf.layers.graph_conv import CONV_TYPES
    from graphsh_tf.lite.convert import convert
    from graphsh_tf.models import build_model

    model = build_model(**MODELS[name])
    rep = np.random.default_rng(0).uniform(-0.8, 0.8, (64, 16, 2)).astype(np.float32)
    per_joint = CONV_TYPES[MODELS[name]["gcn"]].per_joint
    out = {}
    for f in formulations:
        if not per_joint and f in ("bmm", "split_fc"):
            continue
        for v in variants:
            try:
                out[(f, v)] = convert(model, v, representative=rep, formulation=f)
            except Exception as e:  # noqa: BLE001 - a formulation the converter rejects is a result too
                print(f"{name} {f} {v}: conversion failed ({type(e).__name__}: {str(e)[:120]})", file=sys.stderr)
    return out


def time_round_robin(blobs: dict, rounds: int, runs: int) -> dict:
    from ai_edge_litert.interpreter import Interpreter

    interps = {}
    for key, data in blobs.items():
        it = Interpreter(model_content=data, num_threads=1)
        it.allocate_tensors()
        inp = it.get_input_details()[0]
        it.set_tensor(inp["index"], np.random.default_rng(0).uniform(-0.8, 0.8, inp["shape"]).astype(inp["dtype"]))
        for _ in range(50):
            it.invoke()
        interps[key] = it
    times = {k: [] for k in interps}
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for key, it in interps.items():
            for _ in range(runs):
                t0 = clock()
                it.invoke()
                times[key].append((clock() - t0) / 1000.0)
    return {k: float(np.median(v)) for k, v in times.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="preagg64,semgconv64")
    ap.add_argument("--formulations", default="conv,bmm,split_fc,keras")
    ap.add_argument("--variants", default="fp32,int8")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    from graphsh_tf.lite.bench import host_info
    from graphsh_tf.lite.flatbuffer import model_ops

    result = {"host": host_info(), "settings": vars(args), "models": {}}
    for name in args.models.split(","):
        blobs = build_variants(name, args.formulations.split(","), args.variants.split(","))
        p50 = time_round_robin(blobs, args.rounds, args.runs)
        base = p50.get(("keras", "fp32"))
        rows = {}
        print(f"\n### {name} ({MODELS[name]}) batch 1, 1 thread, p50 over {args.rounds}x{args.runs} runs\n")
        print("| formulation | variant | p50 (µs) | vs keras fp32 | ops | size (bytes) |")
        print("|---|---|---:|---:|---:|---:|")
        for (f, v), t in sorted(p50.items(), key=lambda kv: kv[1]):
            ops = model_ops(blobs[(f, v)])
            ratio = t / base if base else float("nan")
            rows[f"{f}/{v}"] = {"p50_us": t, "ratio_vs_keras_fp32": ratio, "ops": len(ops),
                                "size_bytes": len(blobs[(f, v)])}
            print(f"| {f} | {v} | {t:.1f} | {ratio:.2f} | {len(ops)} | {len(blobs[(f, v)])} |")
        result["models"][name] = rows
    if args.json:
        from graphsh_tf.io import write_json

        write_json(args.json, result)
    return 0


if __name__ == "__main__":
    from graphsh_tf.quiet import quiet_start

    quiet_start()   # TensorFlow's C++ start-up lines hidden, as in the CLIs (--verbose or GRAPHSH_VERBOSE=1 keeps them)
    sys.exit(main())
