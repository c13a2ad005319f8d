#!/usr/bin/env python
"""The temporal lifter against the single-frame model: accuracy and smoothness on whole test sequences, and the
cost of one streamed frame.

    python training/fit.py --data bvh:DIR --test-styles childish,giant,proud,tired --downsample 2 \\
        --recipe fast --epochs 4 --temporal-window 27 --out runs/t27          # and the same without the window:
    python training/fit.py ... --out runs/t1
    python benchmarks/temporal_lifter.py runs/t27 runs/t1 [--calls 300]

Prints, per run, MPJPE / P-MPJPE / MPJVE / acceleration error of its eval.json (fit's final evaluation: every test
frame predicted, the temporal lifter from its sequence's window) and the detector-like-mix row of its robustness
table; then the fp32 ``.tflite`` latency per frame (exported into RUN/tflite when missing; batch 1, one thread,
p50 over ``--calls`` calls): the single-frame ``lift``, the temporal ``lift`` on a whole window, and
:class:`graphsh_tf.temporal.TemporalStream` (one per-frame pass and the temporal part per call).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import graphsh_tf  # noqa: E402,F401

import numpy as np  # noqa: E402


def _fp32(run: Path) -> Path:
    path = run / "tflite" / "graphsh_fp32.tflite"
    if not path.exists():
        from graphsh_tf.lite.export import export_run

        export_run(run, variants=["fp32"])
    return path


def _p50_us(fn, calls: int) -> float:
    for _ in range(10):
        fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e6)


def _latency(run: Path, rng: np.random.Generator, calls: int) -> str:
    """One line: the fp32 latency per frame of ``run``'s model (and of its stream, for a temporal one)."""
    from graphsh_tf.lite.runtime import TFLitePredictor
    from graphsh_tf.temporal import TemporalStream

    lite = TFLitePredictor(_fp32(run))
    if lite.window == 1:
        x = rng.uniform(-0.5, 0.5, (1, 16, 2)).astype(np.float32)
        return f"{run.name}: single-frame lift {_p50_us(lambda: lite.predict_mm(x), calls):.0f} us per frame"
    w = rng.uniform(-0.5, 0.5, (1, lite.window, 16, 2)).astype(np.float32)
    stream = TemporalStream(lite)
    whole, streamed = _p50_us(lambda: lite.predict_mm(w), calls), _p50_us(lambda: stream(w[0, 0]), calls)
    return (f"{run.name}: temporal lift on a {lite.window}-frame window {whole:.0f} us per frame; TemporalStream "
            f"{streamed:.0f} us per frame (features cached)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", help="run directories (a temporal one and a single-frame one)")
    ap.add_argument("--calls", type=int, default=300, help="timed calls per latency figure")
    args = ap.parse_args(argv)
    from graphsh_tf.quiet import quiet_start

    quiet_start()   # TensorFlow's C++ start-up lines hidden, as in the CLIs (GRAPHSH_VERBOSE=1 keeps them)
    print("| run | window | MPJPE | P-MPJPE | MPJVE (mm/frame) | accel (mm/frame²) | detector mix | train s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for run in map(Path, args.runs):
        doc = json.loads((run / "eval.json").read_text())
        window = int(doc.get("model", {}).get("temporal_window", 1))
        rows = {r["key"]: r for r in (doc.get("robustness") or {}).get("rows", [])}
        det = rows.get("detector", {}).get("mpjpe_mm")
        print(f"| {run.name} | {window} | {doc['mpjpe_mm']:.2f} | {doc['p_mpjpe_mm']:.2f} | {doc['mpjve_mm']:.2f} | "
              f"{doc['accel_mm']:.2f} | {det if det is None else f'{det:.2f}'} | {doc.get('train_seconds')} |")
    print()
    rng = np.random.default_rng(0)
    for run in map(Path, args.runs):
        print(_latency(run, rng, args.calls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
