#!/usr/bin/env python
"""Evaluate a lifter on a test set: MPJPE (Protocol #1), P-MPJPE (Protocol #2), per-action table (paper Tables 4-5
layout), PCK@150mm and AUC (MPI-INF-3DHP style), and the mean-pose baseline.

    python training/evaluate.py runs/graphsh_dc_preagg_... --data synthetic
    python training/evaluate.py model_int8.tflite --data h36m:/data/h36m --keypoints cpn_ft_h36m_dbb --flip-test
    python training/evaluate.py runs/x --data mpi_inf_3dhp:/data/3dhp --json 3dhp.json --md 3dhp.md

MODEL is a training run directory, a Keras ``.h5`` model or a ``.tflite`` file; all go through the same metric code
(graphsh_tf.evaluate.evaluate). Prints the summary line first, then the per-action table sized for a terminal
(grouped by name, or cut to the worst and best actions, when there are many); --md/--json files keep it all.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import graphsh_tf  # noqa: E402,F401
from graphsh_tf import cli  # noqa: E402


def _corruption(text: str) -> str:
    from graphsh_tf.data.corrupt import CorruptionError, CorruptionParams

    try:
        CorruptionParams.parse(text)
    except CorruptionError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def _pixels(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of pixels") from None
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"{text}: must be a finite number of pixels >= 0 (e.g. 5)")
    return value


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", help="run directory, Keras .h5 or .tflite")
    from graphsh_tf.data.dataset import spec_help  # numpy only

    p.add_argument("--data", default=None, help=f"data spec: {spec_help()} "
                   "(default: the data of the run directory's config.json, else synthetic)")
    p.add_argument("--keypoints", default=None, help="gt or a VideoPose3D detection suffix (default: the run's)")
    p.add_argument("--downsample", type=cli.positive_int, default=None,
                   help="keep every k-th frame (default: the run's, else 1)")
    p.add_argument("--seed", type=int, default=None,
                   help="data seed (synthetic poses, BVH cameras; default: the run's own, else 0)")
    p.add_argument("--flip-test", action="store_true", help="flip test-time augmentation")
    p.add_argument("--noise-px", type=_pixels, default=0.0,
                   help="score on 2D inputs with this much Gaussian pixel noise (detector-like; seeded)")
    p.add_argument("--drop-joints", type=int, default=0, choices=range(0, 9), metavar="N",
                   help="score with N limb joints per pose missing, filled as the keypoint adapters fill them")
    p.add_argument("--swap-limbs", type=int, default=0, choices=range(0, 5), metavar="N",
                   help="score with N left/right limb pairs (knees, ankles, elbows, wrists) per pose swapped")
    p.add_argument("--corrupt", default=None, type=_corruption, metavar="SPEC",
                   help="score on inputs through the detector-like corruption model: a preset (detector, jitter, "
                   "none) optionally with overrides, e.g. detector:swap_rate=0.05 (graphsh_tf/data/corrupt.py)")
    p.add_argument("--robustness", action="store_true",
                   help="also compute the robustness table (clean / 5 px / 1 and 3 missing / 1 swap / detector mix), "
                   "as fit writes it into every run's eval.json")
    p.add_argument("--json", default=None, help="write the eval.json document here")
    p.add_argument("--md", default=None, help="write the markdown tables here")
    p.add_argument("--allow-foreign", action="store_true",
                   help="score a .tflite without graphsh-tf metadata (its inputs/units are then assumed to be ours)")
    cli.add_verbose(p)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    return cli.run("evaluate.py", lambda: _evaluate(args), verbose=args.verbose)


def _evaluate(args) -> int:
    from graphsh_tf.data.dataset import load_data
    from graphsh_tf.evaluate import eval_markdown, evaluate, load_predictor, write_eval
    from graphsh_tf.io import atomic_write_text
    from graphsh_tf.metrics import per_action_terminal
    from graphsh_tf.run import Run

    model = Path(args.model)
    predict_mm, model_cfg = load_predictor(model, allow_foreign=args.allow_foreign)
    if model.is_dir() and Run(model).is_run() and not args.data:
        # the run's own split: seed and loader options from its config
        data = Run(model).load_data(keypoints=args.keypoints, downsample=args.downsample, seed=args.seed)
    else:
        data = load_data(args.data or "synthetic", keypoints=args.keypoints or "gt",
                         downsample=args.downsample or 1, seed=0 if args.seed is None else args.seed)
    if not args.noise_px >= 0:
        raise ValueError(f"--noise-px {args.noise_px}: must be >= 0 pixels")
    result = evaluate(predict_mm, data, flip_test=args.flip_test, model_config=model_cfg, noise_px=args.noise_px,
                      drop_joints=args.drop_joints, swap_limbs=args.swap_limbs, corruption=args.corrupt).metrics
    if args.robustness:
        from graphsh_tf.evaluate import scoring_predictor
        from graphsh_tf.robustness import robustness_table

        run_seed = Run(model).read_config().train.seed if model.is_dir() and Run(model).is_run() else 0
        # a run's own seed: fit's table again
        result["robustness"] = robustness_table(scoring_predictor(predict_mm, args.flip_test), data,
                                                seed=run_seed, flip_test=args.flip_test)
    title = (f"{model.name} on {data.source}" + (" (flip test)" if args.flip_test else "")
             + (f" ({args.noise_px:g} px noise)" if args.noise_px else "")
             + (f" ({args.drop_joints} joints missing)" if args.drop_joints else "")
             + (f" ({args.swap_limbs} limb pairs swapped)" if args.swap_limbs else "")
             + (f" (corrupted: {args.corrupt})" if args.corrupt else ""))
    md_path = args.md or (str(Path(args.json).with_suffix(".md")) if args.json else None)
    if args.json:
        write_eval(result, args.json, md_path, title)
    elif md_path:
        atomic_write_text(md_path, eval_markdown(result, title))
    # the summary first, then tables a terminal shows; the markdown file keeps the full per-action table
    mp = result.get("mean_pose_mpjpe_mm")
    print(f"{model} on {data.source}: MPJPE {result['mpjpe_mm']:.1f} mm, P-MPJPE {result['p_mpjpe_mm']:.1f} mm")
    print(f"PCK150 {result['pck150']:.1f} %, AUC {result['auc']:.1f}"
          + (f", mean-pose baseline {mp:.1f} mm" if mp is not None else "")
          + f"; {result['n_poses']} test poses{', flip test' if args.flip_test else ''}")
    if result.get("mpjve_mm") is not None:
        print(f"MPJVE {result['mpjve_mm']:.2f} mm/frame"
              + (f", acceleration error {result['accel_mm']:.2f} mm/frame²" if result.get("accel_mm") is not None
                 else "") + " (consecutive frames of each test sequence)")
    table = per_action_terminal(result, full_table=md_path or "pass --md FILE for the full table")
    if table:
        print("\n" + table, end="")
    if result.get("robustness"):
        from graphsh_tf.robustness import robustness_markdown

        print("\n" + robustness_markdown(result["robustness"]), end="")
    if md_path:
        print(f"wrote {md_path}" + (f" and {args.json}" if args.json else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
