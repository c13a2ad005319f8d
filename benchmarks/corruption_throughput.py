#!/usr/bin/env python
"""Training samples/s with the detector-like corruption on vs off, in one process.

    python benchmarks/corruption_throughput.py                     # default model, batch 256, detector mix
    python benchmarks/corruption_throughput.py --impl ops --steps 60 --repeats 5 --hid-dim 32 --stacks 2

Each mode is the training pipeline of ``training/fit.py`` (``graphsh_tf.data.pipeline.make_dataset``: shuffle,
flip, the corruption on all but half of the samples, the confidence channel) feeding the exact Keras train step of
a model with a confidence input (``ModelConfig(confidence_input="channel")``, otherwise the defaults): ``off``
without corruption, ``ops`` with the pure-TensorFlow corruption (:func:`graphsh_tf.data.corrupt_ops.corrupt_ops`,
what training runs), ``numpy`` with the numpy reference through ``tf.numpy_function``
(:func:`graphsh_tf.data.corrupt.corrupt_tf`, what training ran before). One model, one iterator per mode, warmed
up; the modes run in alternating blocks of ``--steps`` steps, ``--repeats`` rounds, and the median block of each
is kept (the CPU is shared). Prints samples/s per mode and each mode's ratio to ``off``, then the input pipeline
alone (ms per batch drawn from a fresh iterator without a train step, best block: the corruption's own CPU cost).
Never fails on speed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import graphsh_tf  # noqa: E402,F401


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--impl", choices=["both", "ops", "numpy"], default="both",
                   help="corruption implementations timed against off")
    p.add_argument("--corruption", default="detector", help="CorruptionParams spec (default: detector)")
    p.add_argument("--hid-dim", type=int, default=64)
    p.add_argument("--stacks", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--steps", type=int, default=40, help="train steps per block")
    p.add_argument("--repeats", type=int, default=3, help="blocks per mode, alternating")
    p.add_argument("--poses", type=int, default=20000, help="training poses in the pipeline")
    return p.parse_args(argv)


def _dataset(mode: str, data, args):
    from graphsh_tf.data import corrupt as cr
    from graphsh_tf.data import corrupt_ops as cops
    from graphsh_tf.data.pipeline import make_dataset

    x2d, y3d, size = data
    kw = dict(training=True, seed=0, flip=True, drop_remainder=True, image_size=size, confidence=True,
              clean_fraction=0.5, corruption="" if mode == "off" else args.corruption)
    if mode == "numpy":   # the pipeline as it was: the numpy model through tf.numpy_function
        with mock.patch.object(cops, "corrupt_ops", cr.corrupt_tf):
            ds = make_dataset(x2d, y3d, args.batch_size, **kw)
    else:
        ds = make_dataset(x2d, y3d, args.batch_size, **kw)
    import tensorflow as tf

    return iter(ds.repeat().prefetch(tf.data.AUTOTUNE))


def main(argv=None) -> int:
    args = parse_args(argv)
    from graphsh_tf.config import ModelConfig, TrainConfig
    from graphsh_tf.data.dataset import load_data
    from graphsh_tf.models import build_model
    from graphsh_tf.train.optim import compile_model

    import tensorflow as tf
    import tf_keras as keras

    train = load_data("synthetic").to_16_joints().train
    n = min(args.poses, len(train.poses_2d))
    data = (train.poses_2d[:n], train.poses_3d[:n], train.image_size[:n])
    keras.utils.set_random_seed(0)
    model = build_model(ModelConfig(confidence_input="channel", hid_dim=args.hid_dim, num_stacks=args.stacks))
    compile_model(model, TrainConfig(batch_size=args.batch_size))
    step = model.make_train_function()
    modes = ["off"] + (["numpy", "ops"] if args.impl == "both" else [args.impl])
    iters = {m: _dataset(m, data, args) for m in modes}
    for m in modes:                                   # trace, and fill each pipeline's prefetch buffer
        for _ in range(5):
            step(iters[m])
    print(f"tensorflow {tf.__version__}, cpus {os.cpu_count()}, load {os.getloadavg()[0]:.1f}; GraphSH hid "
          f"{args.hid_dim} x {args.stacks} stacks with a confidence channel, batch {args.batch_size}, {n} poses, "
          f"corruption {args.corruption!r} on half the samples; {args.repeats} x {args.steps} steps per mode, "
          "alternating", flush=True)
    blocks = {m: [] for m in modes}
    for _ in range(args.repeats):
        for m in modes:
            t = time.perf_counter()
            for _ in range(args.steps):
                logs = step(iters[m])
            float(logs["loss"])                       # the last step has finished
            blocks[m].append(args.steps * args.batch_size / (time.perf_counter() - t))
    off = statistics.median(blocks["off"])
    for m in modes:
        rate = statistics.median(blocks[m])
        print(f"{m:>6}: {rate:8.1f} samples/s (median; blocks {', '.join(f'{b:.0f}' for b in blocks[m])})"
              + ("" if m == "off" else f"; {rate / off:.3f} x off"), flush=True)
    # the input pipeline alone (no train step; fresh iterators, best block): the corruption's own CPU cost
    del iters
    blocks = {m: [] for m in modes}
    for _ in range(args.repeats):
        for m in modes:
            it = _dataset(m, data, args)
            for _ in range(5):
                next(it)
            t = time.perf_counter()
            for _ in range(5 * args.steps):
                next(it)
            blocks[m].append((time.perf_counter() - t) / (5 * args.steps) * 1e3)
    off = min(blocks["off"])
    for m in modes:
        ms = min(blocks[m])
        print(f"pipeline alone {m:>6}: {ms:5.2f} ms per batch (best of {args.repeats})"
              + ("" if m == "off" else f"; the corruption {ms - off:.2f} ms"), flush=True)
    print(f"load after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    from graphsh_tf.quiet import quiet_start

    quiet_start()
    sys.exit(main())
