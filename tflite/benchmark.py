"""Host latency of exported .tflite files with LiteRT (XNNPACK), or a parse of TFLite's benchmark_model output.

    python tflite/benchmark.py RUN_DIR [--threads 1,2,4] [--runs 2000] [--warmup 200] [--json FILE]
    python tflite/benchmark.py --parse-benchmark-model LOG [LOG ...] [--json FILE]

JSON: {"host": {"cpu", "litert_version", ...}, "variants": {name: {"threads": {"1": {"p50_us", "p90_us", "p99_us",
"mean_us", "min_us", "throughput_per_s", "peak_rss_mb", ...}}, "size_bytes": int}}}. Every file is timed in a fresh
process (peak RSS = LiteRT + the model only). "ratio_vs_fp32" is p50 / p50 of fp32 at the same thread count, measured
in the same session (the CPU is shared: compare ratios, not absolute numbers across sessions).

--parse-benchmark-model reads logs of TFLite's benchmark_model (e.g. android_demo/benchmark/run_benchmark.sh's
<model>_<config>.log) and keys every result by variant, configuration (cpu_xnnpack, cpu_noxnnpack, gpu, nnapi; read
from the log's "Use xnnpack/gpu/NNAPI" lines, else from the log's name) and thread count ("-1" as logged; "default"
when neither the log nor its name says): variants[name]["configs"][config]["threads"][t]; variants[name]["threads"]
holds the cpu_xnnpack rows. A log that records a failure (a delegate the device lacks) is listed under "failed" with
its reason (stderr and the markdown) and the others are still parsed: exit 0 when at least one log parsed, 2 (one
line) when none did.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import graphsh_tf  # noqa: E402,F401
from graphsh_tf import cli  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", nargs="?", help="run directory (its tflite/ folder) or a folder of .tflite files")
    ap.add_argument("--tflite-dir", default=None)
    ap.add_argument("--files", default="", help="comma-separated variants or file names (default: all)")
    ap.add_argument("--threads", type=cli.positive_int_list, default=[1, 2, 4], help="comma-separated, e.g. 1,2,4")
    ap.add_argument("--runs", type=cli.positive_int, default=2000)
    ap.add_argument("--warmup", type=cli.non_negative_int, default=200)
    ap.add_argument("--parse-benchmark-model", nargs="+", metavar="LOG", default=None)
    ap.add_argument("--json", default=None, help="JSON output (default RUN_DIR/benchmark.json)")
    ap.add_argument("--md", default=None, help="markdown output (default RUN_DIR/benchmark.md: every column)")
    ap.add_argument("--quiet", action="store_true", help="no progress (a bar on a terminal, lines otherwise)")
    cli.add_verbose(ap)
    args = ap.parse_args(argv)
    return cli.run("", lambda: _benchmark(args), verbose=args.verbose)


def _benchmark(args) -> int:
    from graphsh_tf.lite.bench import benchmark_markdown, run_benchmarks
    from graphsh_tf.lite.benchmark_log import parse_logs
    from graphsh_tf.lite.metadata import find_tflite, write_report
    from graphsh_tf.progress import Progress
    from graphsh_tf.run import Run

    if args.parse_benchmark_model:
        warnings = []
        result = parse_logs(args.parse_benchmark_model, log=warnings.append)   # none parsed: one error line only
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
        out_dir = Path(args.parse_benchmark_model[0]).parent
    else:
        if not args.run_dir:
            raise ValueError("pass RUN_DIR (or --parse-benchmark-model LOG)")
        run = Path(args.run_dir)
        folder = Path(args.tflite_dir) if args.tflite_dir else Run(run).exported_dir()
        files = find_tflite(folder, [s.strip() for s in args.files.split(",") if s.strip()], "benchmark")
        print(f"{len(files) * len(args.threads)} timings ({len(files)} files x threads "
              f"{','.join(map(str, args.threads))}), {args.runs} runs after {args.warmup} warm-up runs each",
              file=sys.stderr)
        with Progress(len(files) * len(args.threads), "timings", "benchmark", quiet=args.quiet) as bar:
            result = run_benchmarks(files, args.threads, args.runs, args.warmup, progress=bar)
            bar.info("")
        out_dir = run
    md = benchmark_markdown(result)
    json_path, md_path = Run(out_dir).report_paths("benchmark")
    md_path = (Path(args.md) if args.md else md_path) if args.md or not args.parse_benchmark_model else None
    json_path = Path(args.json) if args.json else json_path
    write_report(result, md, json_path, md_path)
    if args.parse_benchmark_model:
        print(md, end="")
    else:     # a table a terminal shows; the markdown file has every column
        print(terminal_table(result), end="")
        print(f"wrote {json_path}" + (f" and {md_path} (all columns)" if md_path else ""))
    return 0


def terminal_table(result: dict) -> str:
    """p50/p99 latency, the ratio to fp32, peak RSS and size per variant and thread count, within 80 columns."""
    lines = [f"{'variant':<14} {'threads':>7} {'p50 us':>9} {'p99 us':>9} {'x fp32':>7} {'RSS MiB':>8} "
             f"{'size KiB':>9}"]
    for name, v in result["variants"].items():
        for t, r in v.get("threads", {}).items():
            ratio = r.get("ratio_vs_fp32")
            lines.append(f"{name[:14]:<14} {t:>7} {r['p50_us']:9.1f} {r['p99_us']:9.1f} "
                         f"{(f'{ratio:.2f}' if ratio is not None else '-'):>7} {r.get('peak_rss_mb', 0):8.1f} "
                         f"{v['size_bytes'] / 1024:9.1f}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
