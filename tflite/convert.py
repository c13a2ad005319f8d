"""Export a training run to TFLite: graphsh_<variant>.tflite + JSON sidecars, one per variant.

    python tflite/convert.py RUN_DIR [--variants fp32,int8] [--batch 1] [--qat-steps 300] [--no-validate]

The variants are listed under --variants (graphsh_tf/lite/variants.py); the opt-in ones are exported only when
named, e.g. --variants fp32,drq,int8,int16x8. Every variant takes float32 keypoints and returns float32 mm; the
int8 variants quantize inside, with the first graph conv and the head in float32. A temporal lifter (fit.py
--temporal-window T) exports fp32, fp16 and drq, input [1, T, 16, C] (graphsh_tf/lite/temporal.py), validated on
whole test sequences.

The export ends by validating what it wrote on the run's test split against the float model (as tflite/validate.py
does; the run's validate.json/.md are rewritten) and prints one line per variant: what the file costs (ΔMPJPE, how
far 1 pose in 1000 moves and the worst), and for the int8 variants whether that is within what an int8 file usually
costs (int8 within 1.5 % of the float model, qat_int8 within max(1 %, 0.5 mm) of its own float weights, p99.9 <=
8 mm, max <= 20 mm: graphsh_tf.validate.TARGETS) or, in red on a terminal, what to ship instead. --no-validate
skips it.
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
    ap.add_argument("--io", choices=("float", "int8"), default="float",
                    help="float (the contract of every variant). int8: int8 input/output tensors and an all-int8 "
                         "graph, as full-int8 files were exported before; only for runtimes built against those")
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
    ap.add_argument("--no-validate", action="store_true",
                    help="skip the validation of the exported files on the run's test split")
    ap.add_argument("--quiet", action="store_true", help="no progress (a bar on a terminal, lines otherwise)")
    cli.add_verbose(ap)
    args = ap.parse_args(argv)

    def body():
        from graphsh_tf.lite.export import export_run
        from graphsh_tf.lite.variants import VARIANTS

        variants = [v.strip() for v in args.variants.split(",") if v.strip()] if args.variants is not None else None
        if variants is not None and not variants:
            raise ValueError(f"--variants {args.variants!r}: names no variant; pass e.g. --variants fp32,int8 "
                             f"(known: {', '.join(VARIANTS)}) or leave it out for the defaults")
        from graphsh_tf.progress import Progress
        from graphsh_tf.quiet import native_stderr_hidden

        def progress(total, unit, label):     # on stdout: the converter's own stderr lines are held back
            return Progress(total, unit, label, stream=sys.stdout, quiet=args.quiet)

        with native_stderr_hidden():          # the converter's C++ lines; shown when the export fails
            written = export_run(args.run_dir, args.out, variants, io=args.io, batch=args.batch,
                                 qat_steps=args.qat_steps, calib_samples=args.calib_samples, data_spec=args.data,
                                 formulation=args.formulation, log=lambda s: print(s, flush=True),
                                 qat_method=args.qat_method, per_channel=args.per_channel, progress=progress)
            if not args.no_validate and written:
                validate_export(args.run_dir, list(written.values()), args.data, quiet=args.quiet)

    return cli.run("", body, verbose=args.verbose)


def validate_export(run_dir, files, data_spec=None, stream=None, quiet: bool = False) -> list:
    """Validate ``files`` on the run's test split against its float model, write the run's validate report, print
    one gate line per variant (:func:`graphsh_tf.validate.gate`; a missed target in red on a terminal); returns
    the gate rows."""
    from graphsh_tf.lite.metadata import write_report
    from graphsh_tf.lite.variants import VARIANTS
    from graphsh_tf.model_io import load_model
    from graphsh_tf.progress import Progress
    from graphsh_tf.run import Run
    from graphsh_tf.validate import gate, load_qat_float, validate_files, validate_markdown

    stream = stream or sys.stdout
    run = Run(run_dir)
    test = run.load_data(data_spec).test
    model = load_model(run)
    qat = load_qat_float(Path(files[0]).parent, model.graphsh_config)
    own = {v.name: qat for v in VARIANTS.values() if v.qat} if qat is not None else {}
    with Progress(len(files) * len(test), "poses", "validate", stream=stream, quiet=quiet) as bar:
        result = validate_files(files, model, test.poses_2d, test.poses_3d, own_float=own, progress=bar,
                                sequences=test.sequences)
    write_report(result, validate_markdown(result), *run.report_paths("validate"))
    color = stream.isatty()
    print(f"validation on the run's test split ({result['float']['num_poses']} poses, float model "
          f"{result['float']['mpjpe_mm']:.3f} mm):", file=stream)
    rows = gate(result)
    for _, line, missed in rows:
        print(f"\033[31m{line}\033[0m" if missed and color else line, file=stream, flush=True)
    return rows


if __name__ == "__main__":
    sys.exit(main())
