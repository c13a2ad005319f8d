"""Validate exported .tflite files against the float Keras model on the run's test split.

    python tflite/validate.py RUN_DIR [--tflite-dir DIR] [--limit 2000] [--json FILE] [--md FILE]

Writes a markdown table (stdout and RUN_DIR/validate.md) and stable JSON (RUN_DIR/validate.json):
{"float": {"mpjpe_mm"}, "variants": {name: {"file", "size_bytes", "mpjpe_mm", "delta_mpjpe_mm", "p_mpjpe_mm",
"max_abs_diff_mm", "ops"}}}; qat_int8 also gets "own_float_mpjpe_mm" and "delta_vs_own_float_mm" (against the
QAT-fine-tuned float weights, tflite/qat_float.weights.h5), since fine-tuning itself moves the float MPJPE.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import graphsh_tf  # noqa: E402,F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)

ORDER = ("fp32", "fp16", "drq", "int8", "qat_int8")


def _files(folder: Path, names):
    files = sorted(folder.glob("*.tflite"), key=lambda p: (p.stem.replace("graphsh_", "") not in ORDER,
                                                        ORDER.index(p.stem.replace("graphsh_", ""))
                                                        if p.stem.replace("graphsh_", "") in ORDER else 0, p.name))
    if names:
        files = [f for f in files if f.stem.replace("graphsh_", "") in names or f.name in names]
    if not files:
        raise ValueError(f"{folder}: no .tflite files to validate; run tflite/convert.py first")
    return files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--tflite-dir", default=None, help="folder of .tflite files (default RUN_DIR/tflite)")
    ap.add_argument("--files", default="", help="comma-separated variants or file names (default: all)")
    ap.add_argument("--limit", type=int, default=0, help="validate on the first N test poses (0 = all)")
    ap.add_argument("--data", default=None, help="override the run's data spec")
    ap.add_argument("--json", default=None, help="JSON output (default RUN_DIR/validate.json)")
    ap.add_argument("--md", default=None, help="markdown output (default RUN_DIR/validate.md)")
    args = ap.parse_args(argv)
    from graphsh_tf.export import QAT_WEIGHTS, run_config, run_data
    from graphsh_tf.tflite_meta import write_report
    from graphsh_tf.models import load_model
    from graphsh_tf.tflite_run import validate_files, validate_markdown

    run = Path(args.run_dir)
    try:
        files = _files(Path(args.tflite_dir) if args.tflite_dir else run / "tflite",
                       [s.strip() for s in args.files.split(",") if s.strip()])
        cfg = run_config(run)
        if args.data:
            cfg["data"] = {**(cfg.get("data") or {}), "spec": args.data}
        test = run_data(cfg, str(run / "config.json")).test
        x, y = test.poses_2d, test.poses_3d
        if args.limit > 0:
            x, y = x[:args.limit], y[:args.limit]
        folder = Path(args.tflite_dir) if args.tflite_dir else run / "tflite"
        own = {}
        if (folder / QAT_WEIGHTS).exists():
            from graphsh_tf.models import build_model

            model = load_model(run)
            qat = build_model(model.graphsh_config)
            try:
                qat.load_weights(str(folder / QAT_WEIGHTS))
            except Exception as e:  # noqa: BLE001 - an unreadable file is a user-facing error
                raise ValueError(f"{folder / QAT_WEIGHTS}: cannot load the QAT float weights ({type(e).__name__}); "
                                 "delete it or re-run tflite/convert.py --variants qat_int8") from None
            own["qat_int8"] = qat
        result = validate_files(files, load_model(run), x, y, own_float=own)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    md = validate_markdown(result)
    print(md, end="")
    write_report(result, md, Path(args.json) if args.json else run / "validate.json",
                 Path(args.md) if args.md else run / "validate.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
