#!/usr/bin/env python
"""Root (pelvis) position in camera space from a lifter's output: error of graphsh_tf.root.solve_root.

    python benchmarks/root_position.py runs/mocap_fast      # a run of benchmarks/accuracy_mocap.py

For every test pose of the real-motion-capture benchmark (VideoPose3D files in runs/mocap_vp3d, the four Human3.6M
cameras): the 2D keypoints in pixels, the run's root-relative prediction, and the camera's pinhole intrinsics
(distortion ignored, as a phone app would) give the root; printed: median / mean root error (mm), median depth
error, and the absolute MPJPE (prediction + solved root vs the true camera-space joints), with the ground-truth
root-relative pose as a reference (what the solver alone contributes).
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
    p.add_argument("run", help="run directory (config.json + weights)")
    p.add_argument("--vp3d-dir", default=str(ROOT / "runs" / "mocap_vp3d"))
    p.add_argument("--every", type=int, default=4, help="score every k-th test frame")
    args = p.parse_args(argv)
    from graphsh_tf import skeleton as sk
    from graphsh_tf.data import cameras as cam
    from graphsh_tf.data.videopose3d import TEST_SUBJECTS
    from graphsh_tf.evaluate import keras_predictor
    from graphsh_tf.frame import normalize_screen_coordinates
    from graphsh_tf.model_io import load_model
    from graphsh_tf.root import solve_root
    from graphsh_tf.safe_pickle import load_npz_safe

    positions = load_npz_safe(Path(args.vp3d_dir) / "data_3d_h36m.npz")["positions_3d"].item()
    predict = keras_predictor(load_model(args.run))
    errs, depth, abs_pred, abs_gt = [], [], [], []
    for subject in TEST_SUBJECTS:
        for _action, world32 in sorted(positions.get(subject, {}).items()):
            world = world32[::args.every][:, list(sk.H36M32_TO_17)][:, list(sk.H36M17_TO_16)] * 1000.0
            for c in cam.h36m_cameras(subject):
                xcam = cam.world_to_camera(world, c)
                px = cam.project(xcam, c)
                rel_true = xcam - xcam[:, :1]
                pred = predict(normalize_screen_coordinates(px, c.res_w, c.res_h).astype(np.float32))
                pred = pred - pred[:, :1]
                k = (c.focal[0], c.focal[1], c.center[0], c.center[1])
                root = solve_root(px, pred, k)
                root_gt = solve_root(px, rel_true, k)
                errs.append(np.linalg.norm(root - xcam[:, 0], axis=-1))
                depth.append(np.abs(root[:, 2] - xcam[:, 0, 2]))
                abs_pred.append(np.linalg.norm(pred + root[:, None] - xcam, axis=-1).mean(axis=1))
                abs_gt.append(np.linalg.norm(rel_true + root_gt[:, None] - xcam, axis=-1).mean(axis=1))
    errs, depth = np.concatenate(errs), np.concatenate(depth)
    out = {"poses": int(len(errs)), "root_error_median_mm": round(float(np.median(errs)), 1),
           "root_error_mean_mm": round(float(errs.mean()), 1),
           "depth_error_median_mm": round(float(np.median(depth)), 1),
           "absolute_mpjpe_mm": round(float(np.concatenate(abs_pred).mean()), 1),
           "absolute_mpjpe_with_true_relative_pose_mm": round(float(np.concatenate(abs_gt).mean()), 1)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    from graphsh_tf.quiet import quiet_start

    quiet_start()   # TensorFlow's C++ start-up lines hidden, as in the CLIs (--verbose or GRAPHSH_VERBOSE=1 keeps them)
    sys.exit(main())
