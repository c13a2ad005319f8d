#!/usr/bin/env python
"""Train a GraphSH (or SeqRes) lifter: a thin door over :func:`graphsh_tf.train.loop.train`.

    python training/fit.py                                   # synthetic data, short recipe (~10 min on 2 CPU cores)
    python training/fit.py --data h36m:/data/h36m --keypoints cpn_ft_h36m_dbb --out runs/graphsh_cpn
    python training/fit.py --out runs/graphsh_cpn --resume   # continue a run killed mid-way (same flags)

Defaults are the paper's recipe (GraphSH, dc_preagg = the paper's PreAggr, hid 64, 4 stacks, batch 256, Adam lr 1e-4
decayed x0.92 every 20000 steps, dropout 0.25, grad-norm clip 1.0, MSE on metres, 50 epochs), except on the
synthetic default data set, where the ``synthetic`` recipe finishes in about ten minutes on two CPU cores.
``--recipe best`` is the one we recommend for real motion capture and detector input (today robust's values);
``--recipe fast`` is the most accurate on clean mocap at the same budget (benchmarks/README.md); ``--recipe robust``
adds the per-joint confidence as input channel and detector-like training corruption. Every value is logged
and stored in RUN_DIR/config.json.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import graphsh_tf  # noqa: E402,F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from graphsh_tf import cli  # noqa: E402  (no TensorFlow import until a command runs)
from graphsh_tf.config import (  # noqa: E402
    ARCHS,
    CONFIDENCE_INPUTS,
    GCN_TYPES,
    LR_SCHEDULES,
    RECIPES,
    STRATEGIES,  # (no TensorFlow)
)
from graphsh_tf.contract import NORMALIZATIONS  # noqa: E402  (numpy only)
from graphsh_tf.data.dataset import option_choices, spec_help  # noqa: E402  (numpy only)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    d = p.add_argument_group("data")
    d.add_argument("--data", default="synthetic", help=f"data spec: {spec_help()}")
    d.add_argument("--keypoints", default="gt", help="gt or a VideoPose3D 2D detection suffix (cpn_ft_h36m_dbb, ...)")
    d.add_argument("--downsample", type=int, default=1, help="keep every k-th frame")
    d.add_argument("--cameras", default=None, choices=option_choices("cameras"),
                   help="the source's 'cameras' option (bvh, synthetic, shards): the Human3.6M cameras (default), "
                   "random virtual ones, or random handheld phone cameras (FOV 55-80 deg; 2D normalized through their "
                   "intrinsics, as Lifter(intrinsics=...)); shards:DIR draws one per sample, and takes mix")
    d.add_argument("--test-styles", default=None,
                   help="the source's 'test_styles' option (bvh): comma-separated Bandai-Namco styles held out as "
                   "test clips (default: 10%% by name hash)")
    m = p.add_argument_group("model")
    m.add_argument("--arch", default="graphsh", choices=list(ARCHS))
    m.add_argument("--gcn", default="dc_preagg",
                   choices=list(GCN_TYPES),
                   help="graph conv; the paper's PreAggr is dc_preagg (preagg = the non-decoupled reference variant)")
    m.add_argument("--hid-dim", type=int, default=None, help="channels (default 64; 128 for seqres)")
    m.add_argument("--stacks", type=int, default=4, help="hourglasses (graphsh) or residual blocks (seqres)")
    m.add_argument("--dropout", type=float, default=None, help="dropout rate (default: the recipe's; paper 0.25)")
    m.add_argument("--input-norm", default=None, choices=list(NORMALIZATIONS),
                   help="pose: the network sees hip-centred, scale-normalized 2D (int8-friendly; default: the "
                        "recipe's, else screen)")
    m.add_argument("--confidence-input", default=None, choices=list(CONFIDENCE_INPUTS),
                   help="where the model takes the per-joint confidence: none = the paper's (x, y) input, channel = "
                   "(x, y, confidence) into the first graph conv (default: the recipe's, else none)")
    m.add_argument("--temporal-window", type=int, default=1,
                   help="frames the model sees: 1 = the single-frame lifter; a power of 3 (9, 27, 81) = the causal "
                   "temporal lifter, trained on windows of that many consecutive frames of each sequence and "
                   "evaluated on whole sequences")
    m.add_argument("--no-pooling", action="store_true", help="ablation: no skeletal pooling in the hourglass")
    m.add_argument("--no-multi-level", action="store_true", help="ablation: only the last stack feeds the head")
    m.add_argument("--no-se", action="store_true", help="ablation: no squeeze-and-excitation")
    t = p.add_argument_group("training")
    t.add_argument("--recipe", default=None, choices=sorted(RECIPES),
                   help="named recipe (graphsh_tf.config.RECIPES): best = the one we recommend for real mocap and "
                   "detector input (robust's values); paper = the paper's/reference's; fast = the most accurate on "
                   "clean mocap at the same epoch budget; robust = confidence channel + detector-like corruption; "
                   "synthetic = the short run for the embedded data (default "
                   "there; elsewhere paper). Any flag below overrides the recipe's value")
    t.add_argument("--epochs", type=int, default=None, help="epochs (default: the recipe's)")
    t.add_argument("--steps", type=int, default=0, help="steps per epoch (0 = one full pass over the training set)")
    t.add_argument("--batch-size", type=int, default=256, help="GLOBAL batch size (split over replicas)")
    t.add_argument("--lr", type=float, default=None, help="initial LR (paper 1e-4)")
    t.add_argument("--lr-decay-steps", type=int, default=None, help="LR x gamma every this many steps (paper 20000)")
    t.add_argument("--lr-gamma", type=float, default=None, help="staircase decay factor (paper 0.92)")
    t.add_argument("--lr-schedule", default=None, choices=list(LR_SCHEDULES),
                   help="staircase (paper) or cosine to 0 over the run")
    t.add_argument("--warmup-steps", type=int, default=None, help="linear LR warm-up steps")
    t.add_argument("--weight-decay", type=float, default=None, help="decoupled weight decay (AdamW); 0 = Adam")
    t.add_argument("--max-grad-norm", type=float, default=1.0, help="global-norm gradient clip (0 = off)")
    t.add_argument("--seed", type=int, default=0, help="seed of the weights, the shuffling and the data (synthetic "
                   "poses, BVH cameras); stored in config.json so evaluate/convert/validate rebuild the same split")
    t.add_argument("--flip-augment", action="store_true", default=None,
                   help="mirror training samples with probability 0.5")
    t.add_argument("--no-flip-augment", dest="flip_augment", action="store_false")
    t.add_argument("--noise-px", dest="noise_augment_px", type=float, default=None,
                   help="training-time Gaussian 2D noise, pixels per joint (plus rare gross errors)")
    t.add_argument("--occlusion", type=float, default=None,
                   help="probability that a training sample loses a limb end / limb, filled as the keypoint "
                   "adapters fill missing joints")
    t.add_argument("--corruption", default=None,
                   help="detector-like corruption of the training 2D, per batch: a preset of "
                   "graphsh_tf.data.corrupt (detector, jitter, none), optionally ':key=value,...' (e.g. "
                   "detector:miss=8,swap_rate=0.1); 'none' turns the recipe's off")
    t.add_argument("--clean-fraction", type=float, default=None,
                   help="fraction of training samples the corruption leaves clean (confidence 1; default the "
                   "recipe's, else 0.5)")
    t.add_argument("--flip-test", action="store_true", help="flip test-time augmentation in the final evaluation")
    t.add_argument("--val-every", type=int, default=1, help="validate every N epochs")
    t.add_argument("--xla", dest="xla", action="store_true", default=True,
                   help="compile train steps with XLA (jit_compile=True; default: measured 1.3-2.0x faster for "
                   "dc_preagg-64 on CPU, benchmarks/train_throughput.py)")
    t.add_argument("--no-xla", dest="xla", action="store_false", help="plain tf.function train steps")
    t.add_argument("--strategy", default="auto", choices=list(STRATEGIES))
    t.add_argument("--deterministic", action="store_true", help="tf.config.experimental.enable_op_determinism()")
    o = p.add_argument_group("output")
    o.add_argument("--out", default=None, help="run directory (default runs/<arch>_<gcn>_<timestamp>)")
    o.add_argument("--resume", action="store_true", help="continue the run in --out from its last finished epoch")
    o.add_argument("--quiet", action="store_true",
                   help="no progress (the whole run's bar on a terminal, a line every ~10%% or 30 s otherwise)")
    cli.add_verbose(o)
    return p.parse_args(argv)


def configs(args: argparse.Namespace):
    """(ModelConfig, TrainConfig, DataConfig, notes) from the flags; ConfigError on bad values."""
    from graphsh_tf.config import DataConfig, ModelConfig, TrainConfig
    from graphsh_tf.data.dataset import resolve

    options = {}
    if args.cameras:
        options["cameras"] = args.cameras
    if args.test_styles:
        options["test_styles"] = [t.strip() for t in args.test_styles.split(",") if t.strip()]
    data = DataConfig(spec=args.data, keypoints=args.keypoints, downsample=args.downsample, seed=args.seed,
                      options=options).validate()   # the source refuses options it does not take
    source_recipe = resolve(data.spec, data.keypoints, data.options)[0].recipe
    recipe_name = args.recipe or source_recipe
    recipe = dict(RECIPES[recipe_name])
    notes = [f"recipe {recipe_name}"] if args.recipe is None and source_recipe != "paper" else []
    for key in ("epochs", "lr", "lr_decay_steps", "lr_gamma", "lr_schedule", "warmup_steps", "weight_decay",
                "flip_augment", "noise_augment_px", "occlusion", "dropout", "corruption", "clean_fraction"):
        if getattr(args, key) is not None:
            recipe[key] = getattr(args, key)
    if recipe.get("corruption") == "none":
        recipe["corruption"] = ""
    dropout = recipe.pop("dropout", 0.25)
    recipe_norm = recipe.pop("input_norm", "screen")      # a ModelConfig field, like dropout
    input_norm = args.input_norm or recipe_norm
    confidence_input = args.confidence_input or recipe.pop("confidence_input", "none")
    recipe.pop("confidence_input", None)
    hid = args.hid_dim if args.hid_dim is not None else (128 if args.arch == "seqres" else 64)
    model = ModelConfig(arch=args.arch, gcn=args.gcn, hid_dim=hid, num_stacks=args.stacks, dropout=dropout,
                        input_norm=input_norm, confidence_input=confidence_input, pooling=not args.no_pooling,
                        multi_level=not args.no_multi_level, se=not args.no_se,
                        temporal_window=args.temporal_window).validate()
    train = TrainConfig(**recipe, steps_per_epoch=args.steps, batch_size=args.batch_size,
                        max_grad_norm=args.max_grad_norm, seed=args.seed, flip_test=args.flip_test,
                        strategy=args.strategy, jit_compile=args.xla, val_every=args.val_every).validate()
    return model, train, data, notes


def main(argv=None) -> int:
    args = parse_args(argv)

    def body():
        model_cfg, train_cfg, data_cfg, notes = configs(args)   # cheap checks before TensorFlow loads
        out = args.out or os.path.join("runs", f"{model_cfg.arch}_{model_cfg.gcn}_{time.strftime('%Y%m%d-%H%M%S')}")
        if args.resume and not args.out:
            raise ValueError("--resume needs --out RUN_DIR (the run to continue)")
        if notes:
            print(f"data {data_cfg.spec}: " + ", ".join(notes) + " (the data source's default); pass --recipe or "
                  "the flags to override", flush=True)
        cli.import_tensorflow(force_verbose=args.verbose)
        from graphsh_tf.train.loop import train

        train(model_cfg, train_cfg, data_cfg, out, resume=args.resume, deterministic=args.deterministic,
              verbose=0 if args.quiet else None, log=lambda s: print(s, flush=True))

    return cli.run("fit.py", body, verbose=args.verbose, tensorflow=False)


if __name__ == "__main__":
    sys.exit(main())
