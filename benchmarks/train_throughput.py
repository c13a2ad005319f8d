#!/usr/bin/env python
"""Training throughput (samples/s) of GraphSH for each graph-conv type at batch 256, with and without XLA.

    python benchmarks/train_throughput.py                        # all conv types, hid 64, 4 stacks
    python benchmarks/train_throughput.py --gcn dc_preagg --steps 40 --json out.json

Measures ``model.fit`` steps (the exact train step of training/fit.py: MSE, Adam with the LR schedule and global-norm
clipping, BatchNorm/dropout in training mode) on an in-memory stream of random batches, after a warm-up that
absorbs tracing/XLA compilation. Both modes are timed in the same process, interleaved, and the better of
``--repeats`` rounds is kept, because the CPU is shared. Prints TF version, thread settings and XLA state;
``--json`` writes ``{"<gcn>": {"samples_per_s": float (the faster mode), "samples_per_s_xla": ..,
"samples_per_s_no_xla": .., "xla_speedup": ..}}``. Never fails on speed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import graphsh_tf  # noqa: E402,F401

GCNS = ("vanilla", "dc_vanilla", "preagg", "dc_preagg", "semantic", "modulated")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--gcn", nargs="+", default=list(GCNS), choices=GCNS)
    p.add_argument("--arch", default="graphsh", choices=["graphsh", "seqres"])
    p.add_argument("--hid-dim", type=int, default=64)
    p.add_argument("--stacks", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--steps", type=int, default=30, help="timed steps per round")
    p.add_argument("--repeats", type=int, default=2, help="rounds per mode; the best is kept")
    p.add_argument("--xla", choices=["both", "on", "off"], default="both")
    p.add_argument("--json", default=None)
    return p.parse_args(argv)


def _trainer(gcn: str, args, jit: bool):
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras

    from graphsh_tf.config import ModelConfig, TrainConfig
    from graphsh_tf.models import build_model
    from graphsh_tf.training import compile_model

    keras.utils.set_random_seed(0)
    model = build_model(ModelConfig(arch=args.arch, gcn=gcn, hid_dim=args.hid_dim, num_stacks=args.stacks))
    compile_model(model, TrainConfig(batch_size=args.batch_size, jit_compile=jit))
    rng = np.random.default_rng(0)
    n = args.batch_size * 8
    x = rng.normal(size=(n, 16, 2)).astype(np.float32)
    y = rng.normal(scale=0.2, size=(n, 16, 3)).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(args.batch_size, drop_remainder=True).cache().repeat()
    ds = ds.prefetch(4)
    model.fit(ds, steps_per_epoch=3, epochs=1, verbose=0)  # trace + compile

    def timed() -> float:
        t = time.perf_counter()
        model.fit(ds, steps_per_epoch=args.steps, epochs=1, verbose=0)
        return args.steps * args.batch_size / (time.perf_counter() - t)

    return timed


def main(argv=None) -> int:
    args = parse_args(argv)
    import tensorflow as tf

    modes = {"both": (False, True), "on": (True,), "off": (False,)}[args.xla]
    print(f"tensorflow {tf.__version__}; intra_op_threads={tf.config.threading.get_intra_op_parallelism_threads()} "
          f"inter_op_threads={tf.config.threading.get_inter_op_parallelism_threads()} (0 = TF default), "
          f"cpus={os.cpu_count()}, TF_XLA_FLAGS={os.environ.get('TF_XLA_FLAGS', '')!r}; "
          f"{args.arch} hid {args.hid_dim} x {args.stacks} stacks, batch {args.batch_size}, {args.steps} steps "
          f"x best of {args.repeats}; XLA = model.compile(jit_compile=True)", flush=True)
    results = {}
    for gcn in args.gcn:
        trainers = {jit: _trainer(gcn, args, jit) for jit in modes}
        best = {jit: 0.0 for jit in modes}
        for _ in range(args.repeats):
            for jit in modes:  # interleaved: both modes see the same CPU contention
                best[jit] = max(best[jit], trainers[jit]())
        row = {"samples_per_s": round(max(best.values()), 1)}
        if True in best:
            row["samples_per_s_xla"] = round(best[True], 1)
        if False in best:
            row["samples_per_s_no_xla"] = round(best[False], 1)
        if len(best) == 2:
            row["xla_speedup"] = round(best[True] / best[False], 3)
        results[gcn] = row
        print(f"{gcn:>11}: " + ", ".join(f"{k} {v}" for k, v in row.items()), flush=True)
    if args.json:
        from graphsh_tf.training_rundir import atomic_write_text

        atomic_write_text(args.json, json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
