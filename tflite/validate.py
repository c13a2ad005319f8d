"""Validate exported .tflite files against the float Keras model on the run's test split.

    python tflite/validate.py RUN_DIR [--tflite-dir DIR] [--limit 2000] [--json FILE] [--md FILE]

Writes a markdown table (stdout and RUN_DIR/validate.md) and stable JSON (RUN_DIR/validate.json):
{"float": {"mpjpe_mm"}, "variants": {name: {"file", "size_bytes", "mpjpe_mm", "delta_mpjpe_mm", "p_mpjpe_mm",
"max_abs_diff_mm", "ops"}}}; qat_int8 also gets "own_float_mpjpe_mm" and "delta_vs_own_float_mm" (against the
QAT-fine-tuned float weights, tflite/qat_float.weights.h5), since fine-tuning itself moves the float MPJPE.

Tails: per variant "pose_delta_mm": {"p50", "p99", "p99_9", "max"} of the per-pose |Δ| against the float model
(per pose: the mean over the 16 joints of the distance in mm between the variant's and the float model's predicted
joint), in the JSON and as columns of the table; a variant whose p99.9 exceeds --tail-threshold (default 10 mm) is
flagged ("tail_flagged", "tail": {"flagged": [...]}, "FLAG" in the table). With --fail-on-tail the exit status is 1
when any variant is flagged (the reports are still written); 2 stays for errors (a bad file, a missing run).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import graphsh_tf  # noqa: E402,F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from graphsh_tf import cli  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--tflite-dir", default=None, help="folder of .tflite files (default RUN_DIR/tflite)")
    ap.add_argument("--files", default="", help="comma-separated variants or file names (default: all)")
    ap.add_argument("--limit", type=cli.non_negative_int, default=0,
                    help="validate on the first N test poses (0 = all)")
    ap.add_argument("--data", default=None, help="override the run's data spec")
    ap.add_argument("--json", default=None, help="JSON output (default RUN_DIR/validate.json)")
    ap.add_argument("--md", default=None, help="markdown output (default RUN_DIR/validate.md)")
    ap.add_argument("--tail-threshold", type=_positive_mm, default=10.0, metavar="MM",
                    help="flag a variant whose p99.9 per-pose |Δ| vs the float model exceeds MM (default 10)")
    ap.add_argument("--fail-on-tail", action="store_true",
                    help="exit 1 when any variant is flagged (reports are still written)")
    ap.add_argument("--quiet", action="store_true", help="no progress (a bar on a terminal, lines otherwise)")
    cli.add_verbose(ap)
    args = ap.parse_args(argv)
    return cli.run("", lambda: _validate(args), verbose=args.verbose)


def _positive_mm(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of millimetres") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a finite number > 0 (mm)")
    return value


def _validate(args) -> int:
    from graphsh_tf.lite.metadata import find_tflite, write_report
    from graphsh_tf.lite.variants import VARIANTS
    from graphsh_tf.model_io import load_model
    from graphsh_tf.run import Run
    from graphsh_tf.validate import load_qat_float, validate_files, validate_markdown

    run = Run(args.run_dir)
    folder = Path(args.tflite_dir) if args.tflite_dir else run.tflite_dir
    names = [s.strip() for s in args.files.split(",") if s.strip()]
    if args.files.strip() and not names:
        raise ValueError(f"--files {args.files!r}: names no variant or file; leave it out to validate them all")
    files = find_tflite(folder, names)
    test = run.load_data(args.data).test
    x, y, seqs = test.poses_2d, test.poses_3d, test.sequences
    if args.limit > 0:
        x, y, seqs = x[:args.limit], y[:args.limit], seqs[:args.limit]
    model = load_model(run)
    qat = load_qat_float(folder, model.graphsh_config)
    own = {v.name: qat for v in VARIANTS.values() if v.qat} if qat is not None else {}    # the QAT weights' variants
    from graphsh_tf.progress import Progress

    with Progress(len(files) * len(x), "poses", "validate", quiet=args.quiet) as bar:     # on stderr
        result = validate_files(files, model, x, y, own_float=own, tail_threshold_mm=args.tail_threshold,
                                progress=bar, sequences=seqs)
    md = validate_markdown(result)
    print(md, end="")
    json_path, md_path = run.report_paths("validate")
    write_report(result, md, Path(args.json) if args.json else json_path, Path(args.md) if args.md else md_path)
    flagged = result["tail"]["flagged"]
    if flagged:
        print(f"tail: {', '.join(flagged)}: p99.9 per-pose |Δ| > {args.tail_threshold:g} mm vs the float model",
              file=sys.stderr)
        if args.fail_on_tail:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
