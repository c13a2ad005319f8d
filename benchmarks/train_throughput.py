#!/usr/bin/env python
"""Training throughput (samples/s) of GraphSH for each graph-conv type at batch 256, with and without XLA.

    python benchmarks/train_throughput.py                        # all conv types, hid 64, 4 stacks
    python benchmarks/train_throughput.py --gcn dc_preagg --steps 40 --json out.json
    python benchmarks/train_throughput.py --gcn dc_preagg --xla on --reference /tmp/GraphSH   # vs the PyTorch code

Measures ``model.fit`` steps (the exact train step of training/fit.py: MSE, Adam with the LR schedule and global-norm
clipping, BatchNorm/dropout in training mode) on an in-memory stream of random batches, after a warm-up that
absorbs tracing/XLA compilation. Both modes are timed in the same process, interleaved, and the better of
``--repeats`` rounds is kept, because the CPU is shared. Prints TF version, thread settings and XLA state;
``--json`` writes ``{"<gcn>": {"samples_per_s": float (the faster mode), "samples_per_s_xla": ..,
"samples_per_s_no_xla": .., "xla_speedup": ..}}``. ``--reference DIR`` (a checkout of tamasino52/GraphSH and an
installed torch) also times the reference's own model and training step (MSE, Adam, clip_grad_norm_ 1.0, as its
main_gcn.py) in the same process, interleaved with ours, and prints our speed as a ratio of it. Never fails on
speed.
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
from graphsh_tf.config import GCN_TYPES as GCNS  # noqa: E402  (no TensorFlow import)


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
    p.add_argument("--reference", default=None, metavar="DIR",
                   help="checkout of tamasino52/GraphSH: time its PyTorch training step too (needs torch)")
    p.add_argument("--json", default=None)
    return p.parse_args(argv)


def _trainer(gcn: str, args, jit: bool):
    from graphsh_tf.config import ModelConfig, TrainConfig
    from graphsh_tf.models import build_model
    from graphsh_tf.train.optim import compile_model

    import numpy as np
    import tensorflow as tf
    import tf_keras as keras

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


def _torch_trainer(gcn: str, args):
    """The reference's train step (its models/graph_sh.py, run from ``args.reference``, never copied)."""
    import numpy as np
    import torch

    sys.path.insert(0, str(Path(args.reference).resolve()))
    from graphsh_tf import skeleton as sk

    from common.graph_utils import adj_mx_from_edges  # noqa: E402 (the reference's own modules)
    from models.graph_sh import GraphSH

    torch.manual_seed(0)
    adj = adj_mx_from_edges(16, [list(e) for e in sk.H36M16.edges], sparse=False)
    groups = [[2, 3], [5, 6], [1, 4], [0, 7], [8, 9], [14, 15], [11, 12], [10, 13]]
    model = GraphSH(adj, args.hid_dim, groups, num_layers=args.stacks, p_dropout=0.25, gcn_type=gcn)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = torch.nn.MSELoss()
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(args.batch_size, 16, 2)).astype(np.float32))
    y = torch.from_numpy(rng.normal(scale=0.2, size=(args.batch_size, 16, 3)).astype(np.float32))
    model.train()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1)
        opt.step()

    for _ in range(3):
        step()

    def timed() -> float:
        t = time.perf_counter()
        for _ in range(args.steps):
            step()
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
        if args.reference:
            trainers["reference"] = _torch_trainer(gcn, args)
        best = {jit: 0.0 for jit in trainers}
        for _ in range(args.repeats):
            for jit in trainers:  # interleaved: every mode sees the same CPU contention
                best[jit] = max(best[jit], trainers[jit]())
        ref = best.pop("reference", None)
        row = {"samples_per_s": round(max(best.values()), 1)}
        if ref:
            row["reference_samples_per_s"] = round(ref, 1)
            row["speed_vs_reference"] = round(max(best.values()) / ref, 3)
        if True in best:
            row["samples_per_s_xla"] = round(best[True], 1)
        if False in best:
            row["samples_per_s_no_xla"] = round(best[False], 1)
        if len(best) == 2:
            row["xla_speedup"] = round(best[True] / best[False], 3)
        results[gcn] = row
        print(f"{gcn:>11}: " + ", ".join(f"{k} {v}" for k, v in row.items()), flush=True)
    if args.json:
        from graphsh_tf.io import atomic_write_text

        atomic_write_text(args.json, json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    from graphsh_tf.quiet import quiet_start

    quiet_start()   # TensorFlow's C++ start-up lines hidden, as in the CLIs (--verbose or GRAPHSH_VERBOSE=1 keeps them)
    sys.exit(main())
