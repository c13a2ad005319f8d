#!/usr/bin/env python
"""In-browser latency of the exported lifter: LiteRT.js (XNNPack on WebAssembly, one thread) in headless Chromium,
per variant, through the web demo page (web_demo/, driven by web_demo/test/drive.mjs).

    python benchmarks/web_latency.py runs/mocap_fast                    # a run's RUN_DIR/tflite/*.tflite, or
    python benchmarks/web_latency.py runs/mocap_fast --export           # export fp32/fp16/drq/int8 to a temp dir first
    python benchmarks/web_latency.py                                    # the paper's model (dc_preagg, hid 64,
                                                                        # 4 stacks) with random weights

Every bundled sample sequence (web_demo/samples/samples.json, 4 x 40 frames) is lifted ``--repeats`` times after
the page's own first pass (warm-up); a frame's latency is the adapters + one model call + decoding, timed with
performance.now() in a cross-origin-isolated page (microsecond resolution). Prints a markdown table: p50 / p90 per
frame, the model call alone (p50), frames timed and the file size. Needs node, chromium and
``npm ci --prefix web_demo``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEMO = ROOT / "web_demo"


def _models(args, tmp: Path) -> Path:
    """The folder holding graphsh_<variant>.tflite + sidecars to time."""
    import graphsh_tf  # noqa: F401 (quiet TensorFlow)
    from graphsh_tf.lite import export
    from graphsh_tf.run import Run

    if args.run and not args.export:
        return Run(args.run).exported_dir()
    out = tmp / "models"
    if args.run:
        print(f"exporting {args.run} ({', '.join(args.variants)}) into {out} ...", file=sys.stderr)
        export.export_run(args.run, out, variants=args.variants, calib_samples=200)
        return out
    from graphsh_tf.models import build_model

    import numpy as np
    import tf_keras as keras

    keras.utils.set_random_seed(0)
    model = build_model(gcn="dc_preagg", hid_dim=64, num_stacks=4)
    rep = np.random.default_rng(0).uniform(-0.8, 0.8, (200, 16, 2)).astype(np.float32)
    print(f"exporting a random-weight dc_preagg hid 64 x 4 stacks ({', '.join(args.variants)}) ...", file=sys.stderr)
    export.export_variants(model, out, args.variants, representative=rep)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", nargs="?", help="run dir (its tflite/ folder) or a folder of graphsh_*.tflite")
    ap.add_argument("--export", action="store_true", help="export the run's best weights first (temp dir)")
    ap.add_argument("--variants", default="fp32,fp16,drq,int8")
    ap.add_argument("--repeats", type=int, default=5, help="passes over the bundled sequences per variant")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    from graphsh_tf import web

    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        models = _models(args, tmp)
        server = web.make_server(models_dir=models, port=0)
        web.serve_in_thread(server)
        cfg = {"url": web.url_of(server), "chromium": args.chromium, "variants": args.variants, "sample": "walk",
               "benchmark_repeats": args.repeats, "out": str(tmp / "result.json"), "timeout_ms": 120000}
        (tmp / "config.json").write_text(json.dumps(cfg))
        try:
            r = subprocess.run(["node", str(DEMO / "test" / "drive.mjs"), str(tmp / "config.json")],
                               capture_output=True, text=True, timeout=1800)
        finally:
            server.shutdown()
            server.server_close()
        if r.returncode != 0:
            print(f"web_latency: drive.mjs failed: {r.stderr[-3000:]}", file=sys.stderr)
            return 1
        res = json.loads((tmp / "result.json").read_text())
    first = next(iter(res["variants"].values()))
    m = (first.get("meta") or {}).get("model", {})
    print(f"{res['browser']}, LiteRT.js (wasm, 1 thread); model {m.get('gcn')} hid {m.get('hid_dim')} x "
          f"{m.get('num_stacks')} stacks; {os.cpu_count()} CPU cores\n")
    print("| variant | size | p50 / frame | p90 / frame | model call p50 | frames |")
    print("|---|---|---|---|---|---|")
    failed = 0
    for variant, v in res["variants"].items():
        if v.get("status") != "ready":
            print(f"| {variant} | – | failed: {v.get('error')} | | | |")
            failed += 1
            continue
        b = v["benchmark"]
        print(f"| {variant} | {v['model_bytes'] / 1024:.0f} KiB | {b['p50_ms']:.3f} ms | {b['p90_ms']:.3f} ms | "
              f"{b['model_p50_ms']:.3f} ms | {b['frames']} |")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    from graphsh_tf.quiet import quiet_start

    quiet_start()   # TensorFlow's C++ start-up lines hidden, as in the CLIs (--verbose or GRAPHSH_VERBOSE=1 keeps them)
    sys.exit(main())
