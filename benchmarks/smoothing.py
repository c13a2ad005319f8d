#!/usr/bin/env python
"""Temporal smoothing of per-frame lifting (graphsh_tf.smoothing, One Euro): jitter and MPJPE, raw vs filtered.

    python benchmarks/smoothing.py runs/mocap_cos_d10 [--noise-px 5] [--min-cutoff 1.0 --beta 0.01]

Every test sequence of the real-mocap benchmark (runs/mocap_vp3d: held-out clips through the four Human3.6M
cameras, 15 frames per second) is lifted frame by frame from its 2D with detector-like Gaussian noise, then filtered
along time. Prints MPJPE and the mean per-joint acceleration error (|a_pred - a_true|, a = x[t+1] - 2 x[t] + x[t-1],
mm/frame^2: the jitter), raw and filtered.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import graphsh_tf  # noqa: E402,F401

import numpy as np  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run")
    p.add_argument("--noise-px", type=float, default=5.0)
    p.add_argument("--fps", type=float, default=15.0, help="frame rate of the test sequences (BVH 30 fps, every 2nd)")
    p.add_argument("--min-cutoff", type=float, default=None)
    p.add_argument("--beta", type=float, default=None)
    args = p.parse_args(argv)
    from graphsh_tf.config import DataConfig
    from graphsh_tf.evaluate import corrupt_inputs, keras_predictor
    from graphsh_tf.model_io import load_model
    from graphsh_tf.smoothing import smooth_sequence

    kw = {k: v for k, v in (("min_cutoff", args.min_cutoff), ("beta", args.beta)) if v is not None}
    test = DataConfig(spec=f"h36m:{ROOT / 'runs' / 'mocap_vp3d'}").load().test
    predict = keras_predictor(load_model(args.run))
    x = corrupt_inputs(test.poses_2d, test.image_size[:, 0], args.noise_px, 0, seed=0)
    pred = predict(x)
    pred = pred - pred[:, :1]
    raw_err, filt_err, raw_acc, filt_acc = [], [], [], []
    for seq in sorted(set(test.sequences.tolist())):
        rows = np.nonzero(test.sequences == seq)[0]
        if len(rows) < 3:
            continue
        true, raw = test.poses_3d[rows].astype(np.float64), pred[rows].astype(np.float64)
        filt = smooth_sequence(raw, args.fps, **kw)
        acc = lambda a: a[2:] - 2 * a[1:-1] + a[:-2]  # noqa: E731
        raw_err.append(np.linalg.norm(raw - true, axis=-1).ravel())
        filt_err.append(np.linalg.norm(filt - true, axis=-1).ravel())
        raw_acc.append(np.linalg.norm(acc(raw) - acc(true), axis=-1).ravel())
        filt_acc.append(np.linalg.norm(acc(filt) - acc(true), axis=-1).ravel())
    out = {"noise_px": args.noise_px, "fps": args.fps, **kw,
           "raw_mpjpe_mm": round(float(np.concatenate(raw_err).mean()), 2),
           "filtered_mpjpe_mm": round(float(np.concatenate(filt_err).mean()), 2),
           "raw_accel_error_mm": round(float(np.concatenate(raw_acc).mean()), 2),
           "filtered_accel_error_mm": round(float(np.concatenate(filt_acc).mean()), 2)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    from graphsh_tf.quiet import quiet_start

    quiet_start()   # TensorFlow's C++ start-up lines hidden, as in the CLIs (--verbose or GRAPHSH_VERBOSE=1 keeps them)
    sys.exit(main())
