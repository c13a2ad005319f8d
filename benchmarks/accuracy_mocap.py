#!/usr/bin/env python
"""Real-motion-capture accuracy benchmark: train GraphSH on a fixed clip split of the Bandai-Namco dataset-1
rendered through the four Human3.6M cameras, and print what users ask for.

    python benchmarks/accuracy_mocap.py                          # paper recipe, 15 epochs, dc_preagg-64 x 4
    python benchmarks/accuracy_mocap.py --recipe fast            # the best measured recipe (see README)
    python benchmarks/accuracy_mocap.py --lr 1e-3 --flip-augment # any override of the recipe
    python benchmarks/accuracy_mocap.py --model RUN_DIR          # only score an existing run on the benchmark

Split (fixed): the styles childish, giant, proud and tired are test clips (44 of 174), all others train; every
2nd frame (15 fps). The clips are first written as VideoPose3D files (``graphsh_tf.data.videopose3d``) into
``--vp3d-dir``, so the reference PyTorch code can train on the very same files (see benchmarks/README.md).

Prints, for the final (last-epoch) weights: MPJPE and P-MPJPE (root-relative, mm), the mean-pose baseline,
MPJPE with 5 px Gaussian 2D noise and with one limb end (wrist or ankle) missing, filled as the keypoint
adapters fill it (with its parent joint), the per-epoch validation curve, seconds and training samples/s (wall time
of the whole fit, per-epoch validation included; for the train step alone see train_throughput.py).
Exits 0 with a "skipped" line when ../shared/datasets/bandai-namco-motion-1 is not there.
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

DATASET = ROOT.parent / "shared" / "datasets" / "bandai-namco-motion-1" / "data"
TEST_STYLES = ("childish", "giant", "proud", "tired")
LIMB_ENDS = (3, 6, 12, 15)   # RFoot, LFoot, LWrist, RWrist in H36M-16; each is filled with its parent


def robustness(predict_mm, test, skeleton, noise_px: float = 5.0, seed: int = 0) -> dict:
    """MPJPE (root-relative) on clean 2D, with Gaussian pixel noise, and with one limb joint missing (filled as the
    keypoint adapters fill it), through :func:`graphsh_tf.evaluate.corrupt_inputs`."""
    from graphsh_tf import metrics
    from graphsh_tf.evaluate import corrupt_inputs

    def score(x2d, confidence=None):
        pred = predict_mm(x2d, confidence) if getattr(predict_mm, "takes_confidence", False) else predict_mm(x2d)
        return metrics.mpjpe(pred - pred[:, :1], test.poses_3d)

    width = test.image_size[:, 0]
    return {"clean": score(test.poses_2d),
            f"noise_{noise_px:g}px": score(corrupt_inputs(test.poses_2d, width, noise_px, 0, skeleton, seed)),
            "limb_end_missing": score(*_limb_end_missing(test.poses_2d, skeleton, seed))}


def _limb_end_missing(x2d, skeleton, seed):
    """One limb END per pose (wrist or ankle) missing, filled with its parent: the adapters' policy. Returns the
    inputs and the adapters' confidences (0 for the filled joint)."""
    rng = np.random.default_rng(seed)
    x = np.array(x2d)
    ends = rng.choice(LIMB_ENDS, size=len(x))
    x[np.arange(len(x)), ends] = x[np.arange(len(x)), np.asarray(skeleton.parents)[ends]]
    conf = np.ones(x.shape[:2], np.float32)
    conf[np.arange(len(x)), ends] = 0.0
    return x, conf


def main(argv=None) -> int:
    from graphsh_tf.config import RECIPES

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--recipe", default="paper", choices=sorted(RECIPES))
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--gcn", default="dc_preagg")
    p.add_argument("--hid-dim", type=int, default=64)
    p.add_argument("--stacks", type=int, default=4)
    p.add_argument("--lr", type=float)
    p.add_argument("--lr-decay-steps", type=int)
    p.add_argument("--lr-gamma", type=float)
    p.add_argument("--lr-schedule", choices=["staircase", "cosine"])
    p.add_argument("--warmup-steps", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--dropout", type=float)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--noise-augment-px", type=float)
    p.add_argument("--occlusion", type=float)
    p.add_argument("--flip-augment", action="store_true", default=None)
    p.add_argument("--corruption", help="detector-like training corruption spec (graphsh_tf.data.corrupt); 'none' "
                   "turns the recipe's off")
    p.add_argument("--clean-fraction", type=float)
    p.add_argument("--confidence-input", choices=["none", "channel"],
                   help="the model's confidence input (default: the recipe's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--frame-step", type=int, default=2)
    p.add_argument("--vp3d-dir", default=str(ROOT / "runs" / "mocap_vp3d"))
    p.add_argument("--out", default=None, help="run directory (default runs/mocap_<recipe>_<time>)")
    p.add_argument("--model", default=None, help="score this run directory instead of training")
    p.add_argument("--flip-test", action="store_true", help="score with test-time flip averaging")
    p.add_argument("--json", default=None, help="also write the figures as JSON here")
    args = p.parse_args(argv)
    if not DATASET.is_dir():
        print(f"accuracy_mocap: skipped: {DATASET} not found (the benchmark needs ../shared beside the checkout)")
        return 0

    from graphsh_tf.config import DataConfig, ModelConfig, TrainConfig
    from graphsh_tf.data.videopose3d import convert

    vp3d = Path(args.vp3d_dir)
    stamp = vp3d / "split.json"
    split = {"test_styles": list(TEST_STYLES), "frame_step": args.frame_step}
    if not stamp.is_file() or json.loads(stamp.read_text()) != split:
        stats = convert(f"bvh:{DATASET}", vp3d, test_styles=TEST_STYLES, frame_step=args.frame_step)
        from graphsh_tf.io import write_json

        write_json(stamp, split)
        print(f"wrote VideoPose3D files to {vp3d}: {stats}", flush=True)
    data_cfg = DataConfig(spec=f"h36m:{vp3d}")
    data = data_cfg.load()

    from graphsh_tf.evaluate import keras_predictor
    from graphsh_tf.model_io import load_model

    result = {"recipe": args.recipe}
    if args.model:
        run_dir = Path(args.model)
    else:
        from graphsh_tf.train.loop import train

        over = {k: getattr(args, k) for k in ("lr", "lr_decay_steps", "lr_gamma", "lr_schedule", "warmup_steps",
                                              "batch_size", "weight_decay", "noise_augment_px", "occlusion",
                                              "flip_augment", "corruption", "clean_fraction")
                if getattr(args, k) is not None}
        if over.get("corruption") == "none":
            over["corruption"] = ""
        recipe = dict(RECIPES[args.recipe])
        dropout = recipe.pop("dropout", 0.25) if args.dropout is None else args.dropout
        confidence_input = args.confidence_input or recipe.pop("confidence_input", "none")
        recipe.pop("confidence_input", None)
        train_cfg = TrainConfig(**{**recipe, **over, "epochs": args.epochs, "seed": args.seed,
                                   "jit_compile": True})   # as fit.py
        model_cfg = ModelConfig(gcn=args.gcn, hid_dim=args.hid_dim, num_stacks=args.stacks, dropout=dropout,
                                confidence_input=confidence_input)
        run_dir = Path(args.out or ROOT / "runs" / f"mocap_{args.recipe}_{time.strftime('%Y%m%d-%H%M%S')}")
        t0 = time.time()
        train(model_cfg, train_cfg, data_cfg, run_dir, log=lambda s: print(s, flush=True), data=data)   # with progress
        result["seconds"] = round(time.time() - t0, 1)
        spe = max(1, len(data.train) // train_cfg.batch_size)
        result["train_samples_per_s"] = round(spe * train_cfg.batch_size * train_cfg.epochs / result["seconds"], 1)
        result["train"] = {k: v for k, v in train_cfg.to_dict().items() if k not in ("strategy",)}
    from graphsh_tf import metrics
    from graphsh_tf.run import Run

    run = Run(run_dir)
    model = load_model(run.weights_path("last"), run.read_model_config())
    predict = keras_predictor(model)
    if args.flip_test:
        from graphsh_tf.evaluate import flip_averaged

        predict = flip_averaged(predict, data.skeleton)
        result["flip_test"] = True
    pred = predict(data.test.poses_2d)
    pred = pred - pred[:, :1]
    result["mpjpe_mm"] = round(metrics.mpjpe(pred, data.test.poses_3d), 2)
    result["p_mpjpe_mm"] = round(metrics.p_mpjpe(pred, data.test.poses_3d), 2)
    result["mean_pose_mpjpe_mm"] = round(metrics.mean_pose_mpjpe(data.train.poses_3d, data.test.poses_3d), 2)
    result["robustness_mpjpe_mm"] = {k: round(v, 2) for k, v in robustness(predict, data.test, data.skeleton).items()}
    from graphsh_tf.robustness import robustness_table

    table = robustness_table(predict, data.test, seed=0, flip_test=bool(args.flip_test))
    result["robustness_table"] = {r["key"]: {"mpjpe_mm": round(r["mpjpe_mm"], 2), "ratio": round(r["ratio"], 3)}
                                  for r in table["rows"]}
    result["curve_val_mpjpe_mm"] = [round(r["val_mpjpe_mm"], 1) for r in run.read_history()
                                    if r.get("val_mpjpe_mm") is not None]
    result["run_dir"] = str(run_dir)
    result["n_train"], result["n_test"] = len(data.train), len(data.test)
    print(json.dumps(result, indent=1), flush=True)
    if args.json:
        from graphsh_tf.io import write_json

        write_json(args.json, result)
    return 0


if __name__ == "__main__":
    from graphsh_tf.quiet import quiet_start

    quiet_start()   # TensorFlow's C++ start-up lines hidden, as in the CLIs (--verbose or GRAPHSH_VERBOSE=1 keeps them)
    sys.exit(main())
