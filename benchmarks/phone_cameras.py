#!/usr/bin/env python
"""A model trained through the Human3.6M cameras, fed poses seen by phone cameras: image normalization vs the
camera's intrinsics (graphsh_tf.frame.normalize_with_intrinsics, what Lifter(intrinsics=...) does).

    python benchmarks/phone_cameras.py runs/mocap_fast           # a run of benchmarks/accuracy_mocap.py

The real-mocap test clips (runs/mocap_vp3d, held-out styles) are rendered through random handheld phone cameras:
horizontal field of view 55-80 degrees, portrait 1080x1920 or landscape 1920x1080, 1.0-1.7 m high, 2.0-4.5 m from
the person, any azimuth, roll within 5 degrees, no lens distortion; frames with a joint outside the image are
dropped. Prints the root-relative MPJPE with each normalization and, for reference, on the Human3.6M cameras.
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
    p.add_argument("--vp3d-dir", default=str(ROOT / "runs" / "mocap_vp3d"))
    p.add_argument("--cameras", type=int, default=4, help="phone cameras per clip")
    p.add_argument("--every", type=int, default=2, help="every k-th frame")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    from graphsh_tf import metrics
    from graphsh_tf import skeleton as sk
    from graphsh_tf.data import cameras as cam
    from graphsh_tf.data.videopose3d import TEST_SUBJECTS
    from graphsh_tf.evaluate import keras_predictor
    from graphsh_tf.frame import normalize_screen_coordinates, normalize_with_intrinsics
    from graphsh_tf.model_io import load_model
    from graphsh_tf.safe_pickle import load_npz_safe

    rng = np.random.default_rng(args.seed)
    positions = load_npz_safe(Path(args.vp3d_dir) / "data_3d_h36m.npz")["positions_3d"].item()
    predict = keras_predictor(load_model(args.run))
    x_img, x_k, y, hfovs = [], [], [], []
    for subject in TEST_SUBJECTS:
        for _, world32 in sorted(positions.get(subject, {}).items()):
            world = world32[::args.every][:, list(sk.H36M32_TO_17)][:, list(sk.H36M17_TO_16)] * 1000.0
            centre = world[:, 0].mean(axis=0)
            for _ in range(args.cameras):
                hfov = rng.uniform(55.0, 80.0)
                w, h = (1080, 1920) if rng.uniform() < 0.5 else (1920, 1080)
                az, dist = rng.uniform(0, 2 * np.pi), rng.uniform(2000.0, 4500.0)
                pos = np.array([centre[0] + dist * np.cos(az), centre[1] + dist * np.sin(az), rng.uniform(1000, 1700)])
                target = np.array([centre[0], centre[1], centre[2]])
                c = cam.phone_camera(pos, target, hfov, w, h, rng.uniform(-5, 5))
                xcam = cam.world_to_camera(world, c)
                px = cam.project(xcam, c)
                keep = cam.in_image(px, c).all(axis=1) & (xcam[..., 2] > 100).all(axis=1)
                if not keep.any():
                    continue
                k = (c.focal[0], c.focal[1], c.center[0], c.center[1])
                x_img.append(normalize_screen_coordinates(px[keep], w, h))
                x_k.append(normalize_with_intrinsics(px[keep], k))
                y.append((xcam - xcam[:, :1])[keep])
                hfovs.append(np.full(int(keep.sum()), hfov))
    y = np.concatenate(y).astype(np.float32)

    def mpjpe(x):
        pred = predict(np.concatenate(x))
        return round(metrics.mpjpe(pred - pred[:, :1], y), 2)

    out = {"poses": int(len(y)), "phone_image_normalization_mpjpe_mm": mpjpe(x_img),
           "phone_intrinsics_normalization_mpjpe_mm": mpjpe(x_k)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    from graphsh_tf.quiet import quiet_start

    quiet_start()   # TensorFlow's C++ start-up lines hidden, as in the CLIs (--verbose or GRAPHSH_VERBOSE=1 keeps them)
    sys.exit(main())
