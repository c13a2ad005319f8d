"""Host latency of exported .tflite files with LiteRT (XNNPACK), or a parse of TFLite's benchmark_model output.

    python tflite/benchmark.py RUN_DIR [--threads 1,2,4] [--runs 2000] [--warmup 200] [--json FILE]
    python tflite/benchmark.py --parse-benchmark-model LOG [LOG ...] [--json FILE]

JSON: {"host": {"cpu", "litert_version", ...}, "variants": {name: {"threads": {"1": {"p50_us", "p90_us", "p99_us",
"mean_us", "min_us", "throughput_per_s", "peak_rss_mb", ...}}, "size_bytes": int}}}. Every file is timed in a fresh
process (peak RSS = LiteRT + the model only). "ratio_vs_fp32" is p50 / p50 of fp32 at the same thread count, measured
in the same session (the CPU is shared: compare ratios, not absolute numbers across sessions).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import graphsh_tf  # noqa: E402,F401

ORDER = ("fp32", "fp16", "drq", "int8", "qat_int8")


def _name(path: Path) -> str:
    return path.stem[len("graphsh_"):] if path.stem.startswith("graphsh_") else path.stem


def run_benchmarks(files, threads, runs: int, warmup: int, log=print) -> dict:
    from graphsh_tf.tflite_run import benchmark_file, host_info

    result = {"host": host_info(), "settings": {"runs": runs, "warmup": warmup}, "variants": {}}
    for f in files:
        entry = {"file": str(f), "size_bytes": f.stat().st_size, "threads": {}}
        for t in threads:
            entry["threads"][str(t)] = benchmark_file(f, t, runs, warmup)
            log(f"{_name(f)} threads={t}: p50 {entry['threads'][str(t)]['p50_us']:.1f} us")
        result["variants"][_name(f)] = entry
    base = result["variants"].get("fp32")
    if base:
        for v in result["variants"].values():
            for t, r in v["threads"].items():
                if t in base["threads"]:
                    r["ratio_vs_fp32"] = r["p50_us"] / base["threads"][t]["p50_us"]
    return result


def parse_logs(paths) -> dict:
    from graphsh_tf.tflite_run import parse_benchmark_model_log

    result = {"host": {"source": "benchmark_model"}, "variants": {}}
    for p in paths:
        p = Path(p)
        try:
            text = p.read_text(errors="replace")
        except OSError as e:
            raise ValueError(f"{p}: cannot read the benchmark_model log ({e.strerror})") from None
        parsed = parse_benchmark_model_log(text, str(p))
        name = _name(Path(parsed["graph"])) if parsed["graph"] else p.stem
        entry = result["variants"].setdefault(name, {"size_bytes": parsed["size_bytes"], "threads": {}})
        entry["threads"][str(parsed["threads"])] = parsed["timings"]
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", nargs="?", help="run directory (its tflite/ folder) or a folder of .tflite files")
    ap.add_argument("--tflite-dir", default=None)
    ap.add_argument("--files", default="", help="comma-separated variants or file names (default: all)")
    ap.add_argument("--threads", default="1,2,4")
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--parse-benchmark-model", nargs="+", metavar="LOG", default=None)
    ap.add_argument("--json", default=None, help="JSON output (default RUN_DIR/benchmark.json)")
    ap.add_argument("--md", default=None)
    args = ap.parse_args(argv)
    from graphsh_tf.tflite_meta import write_report
    from graphsh_tf.tflite_run import benchmark_markdown

    try:
        if args.parse_benchmark_model:
            result = parse_logs(args.parse_benchmark_model)
            out_dir = Path(args.parse_benchmark_model[0]).parent
        else:
            if not args.run_dir:
                raise ValueError("pass RUN_DIR (or --parse-benchmark-model LOG)")
            run = Path(args.run_dir)
            folder = Path(args.tflite_dir) if args.tflite_dir else (run / "tflite" if (run / "tflite").is_dir() else run)
            names = [s.strip() for s in args.files.split(",") if s.strip()]
            files = sorted(folder.glob("*.tflite"), key=lambda p: (ORDER.index(_name(p)) if _name(p) in ORDER
                                                                   else len(ORDER), p.name))
            if names:
                files = [f for f in files if _name(f) in names or f.name in names]
            if not files:
                raise ValueError(f"{folder}: no .tflite files; run tflite/convert.py first")
            threads = [int(t) for t in args.threads.split(",") if t.strip()]
            if not threads or min(threads) < 1:
                raise ValueError(f"--threads {args.threads!r}: give positive integers, e.g. 1,2,4")
            result = run_benchmarks(files, threads, args.runs, args.warmup, log=lambda s: print(s, file=sys.stderr))
            out_dir = run
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    md = benchmark_markdown(result)
    print(md, end="")
    md_path = (Path(args.md) if args.md else out_dir / "benchmark.md") \
        if args.md or not args.parse_benchmark_model else None
    write_report(result, md, Path(args.json) if args.json else out_dir / "benchmark.json", md_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
