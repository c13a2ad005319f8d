"""Export a training run to TFLite: graphsh_<variant>.tflite + JSON sidecars, one per variant.

    python tflite/convert.py RUN_DIR [--variants fp32,int8] [--io float|int8] [--batch 1] [--qat-steps 300]

The variants are listed under --variants (graphsh_tf/lite/variants.py); the opt-in ones are exported only when
named, e.g. --variants fp32,drq,int8,int16x8.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import graphsh_tf  # noqa: E402,F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from graphsh_tf import cli  # noqa: E402
from graphsh_tf.lite.variants import default_names, describe, per_channel_option_names  # noqa: E402  (no TensorFlow import)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", help="training run directory (config.json + best.weights.h5)")
    ap.add_argument("--out", default=None, help="output folder (default RUN_DIR/tflite)")
    ap.add_argument("--variants", default=None,
                    help=f"comma-separated variants (default: {','.join(default_names())}). {describe()}")
    ap.add_argument("--io", choices=("float", "int8"), default="float", help="input/output type of int8 models")
    ap.add_argument("--batch", type=cli.positive_int, default=1, help="fixed batch size of the exported graph")
    ap.add_argument("--qat-steps", type=cli.positive_int, default=300, help="quantization-aware fine-tuning steps")
    ap.add_argument("--qat-method", choices=("folded", "tfmot"), default="folded",
                    help="folded: fake quantization on the exported int8 graph (default); tfmot: tfmot "
                         "QuantizeConfigs on the Keras layers")
    ap.add_argument("--calib-samples", type=cli.positive_int, default=500,
                    help="representative training poses for int8")
    ap.add_argument("--data", default=None, help="override the run's data spec (e.g. synthetic)")
    ap.add_argument("--formulation", default="conv", help="conv (default), bmm, split_fc or keras")
    ap.add_argument("--per-channel", action="store_true",
                    help=f"per-channel int8 weight scales for {', '.join(per_channel_option_names())} (smaller error, "
                         "~30%% larger files)")
    cli.add_verbose(ap)
    args = ap.parse_args(argv)

    def body():
        from graphsh_tf.lite.export import export_run
        from graphsh_tf.lite.variants import VARIANTS

        variants = [v.strip() for v in args.variants.split(",") if v.strip()] if args.variants is not None else None
        if variants is not None and not variants:
            raise ValueError(f"--variants {args.variants!r}: names no variant; pass e.g. --variants fp32,int8 "
                             f"(known: {', '.join(VARIANTS)}) or leave it out for the defaults")
        export_run(args.run_dir, args.out, variants, io=args.io, batch=args.batch, qat_steps=args.qat_steps,
                   calib_samples=args.calib_samples, data_spec=args.data, formulation=args.formulation,
                   log=lambda s: print(s, flush=True), qat_method=args.qat_method, per_channel=args.per_channel)

    return cli.run("", body, verbose=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
