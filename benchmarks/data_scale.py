#!/usr/bin/env python
"""Memory and training speed against data size: in-memory vs streamed training input.

    python benchmarks/data_scale.py --scales 1,10,100 --steps 300 --shards-root /tmp/data_scale   # all modes
    python benchmarks/data_scale.py --modes shards --scales 100 --steps 300 --json out.json

For each scale ``k`` (``k`` x the default 40,000 training rows of ``synthetic``) and mode, one fresh subprocess
loads the data exactly as ``training/fit.py`` does, builds the default model (GraphSH dc_preagg-64 x 4, XLA) and
runs ``--steps`` training steps of the ``synthetic`` recipe (flip, 2 px noise, occlusion 0.1) at batch 256 through
:func:`graphsh_tf.train.loop.train_input`; it reports the peak RSS of the process
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``: data, model, TensorFlow and the input pipeline), the load time and
the training samples/s and mean step time over the steps after the first ``--warmup`` (tracing, XLA, shuffle
buffers). Modes:

* ``memory``: ``synthetic:frames=N`` held in memory (refused above the in-memory limit of 1,000,000 rows);
* ``shards``: the same poses written once as shards (``python -m graphsh_tf.data.shards``, under
  ``--shards-root``, reused when present) and streamed with ``shards:DIR`` (cameras ``h36m`` drawn per sample);
* ``generator``: ``synthetic:frames=N,stream=true`` (poses generated while training reads them).

Prints one table row per run; ``--json`` writes the rows. ``--interleaved SCALE`` instead times the in-memory and
the streamed input in one process, in alternating blocks of 25 steps (8 blocks each after a warm-up block), which
cancels the drift of a shared machine's load. Never fails on speed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_ROWS = 40_000
MODES = ("memory", "shards", "generator")


def _spec(mode: str, scale: float, shards_root: Path) -> str:
    rows = int(DEFAULT_ROWS * scale)
    if mode == "memory":
        return f"synthetic:frames={rows}"
    if mode == "generator":
        return f"synthetic:frames={rows},stream=true"
    return f"shards:{shards_root / f'synthetic_x{scale:g}'}"


def _write_shards(scale: float, shards_root: Path) -> float:
    out = shards_root / f"synthetic_x{scale:g}"
    if (out / "index.json").exists():
        return 0.0
    t = time.time()
    subprocess.run([sys.executable, "-m", "graphsh_tf.data.shards", "--data",
                    f"synthetic:frames={int(DEFAULT_ROWS * scale)}", str(out)], check=True, cwd=ROOT,
                   env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.DEVNULL)
    return time.time() - t


def worker(spec: str, steps: int, warmup: int, batch: int) -> dict:
    import resource

    from graphsh_tf import cli

    cli.import_tensorflow()
    from graphsh_tf.config import RECIPES, DataConfig, ModelConfig, TrainConfig
    from graphsh_tf.models import build_model
    from graphsh_tf.train.loop import train_input
    from graphsh_tf.train.optim import compile_model

    import tf_keras as keras

    t0 = time.time()
    data = DataConfig(spec=spec).validate().load()
    load_s = time.time() - t0
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    recipe = dict(RECIPES["synthetic"])
    dropout = recipe.pop("dropout")
    cfg = TrainConfig(**recipe, batch_size=batch, jit_compile=True).validate()
    keras.utils.set_random_seed(0)
    model = compile_model(build_model(ModelConfig(dropout=dropout)), cfg, steps)
    stamps = []

    class Clock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch_index, logs=None):
            stamps.append(time.perf_counter())

    model.fit(train_input(data, cfg, 0, steps), steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[Clock()])
    timed = stamps[warmup:]
    seconds = timed[-1] - timed[0]
    return {"spec": spec, "rows": len(data.train), "load_s": round(load_s, 1),
            "rss_after_load_mb": round(rss_loaded), "peak_rss_mb": round(resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss / 1024),
            "samples_per_s": round((len(timed) - 1) * batch / seconds), "step_ms": round(1000 * seconds /
                                                                                        (len(timed) - 1), 1)}


def interleaved(scale: float, shards_root: Path, blocks: int, block_steps: int, batch: int) -> dict:
    """Step time of the in-memory and the streamed (shards) input in ONE process, in alternating blocks of
    ``block_steps`` steps of the same model and train step, so both see the same machine load; the median block of
    each (after one warm-up block each)."""
    from graphsh_tf import cli

    cli.import_tensorflow()
    from graphsh_tf.config import RECIPES, DataConfig, ModelConfig, TrainConfig
    from graphsh_tf.models import build_model
    from graphsh_tf.train.loop import train_input
    from graphsh_tf.train.optim import compile_model

    import numpy as np
    import tf_keras as keras

    recipe = dict(RECIPES["synthetic"])
    dropout = recipe.pop("dropout")
    cfg = TrainConfig(**recipe, batch_size=batch, jit_compile=True).validate()
    keras.utils.set_random_seed(0)
    model = compile_model(build_model(ModelConfig(dropout=dropout)), cfg, blocks * block_steps * 2)
    step = model.make_train_function()
    iters = {mode: iter(train_input(DataConfig(spec=_spec(mode, scale, shards_root)).validate().load(), cfg, 0,
                                    1000)) for mode in ("memory", "shards")}
    times = {mode: [] for mode in iters}
    for b in range(blocks + 1):
        for mode, it in iters.items():
            t = time.perf_counter()
            for _ in range(block_steps):
                logs = step(it)
            float(logs["loss"])
            if b:
                times[mode].append((time.perf_counter() - t) / block_steps)
    out = {f"{mode}_step_ms": round(1000 * float(np.median(v)), 1) for mode, v in times.items()}
    out["streamed_vs_memory_samples_per_s"] = round(out["memory_step_ms"] / out["shards_step_ms"], 3)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scales", default="1,10,100", help="comma-separated multiples of the default 40,000 rows")
    p.add_argument("--modes", default=",".join(MODES), help=f"comma-separated of {', '.join(MODES)}")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--shards-root", default="/tmp/graphsh_data_scale")
    p.add_argument("--json", default=None)
    p.add_argument("--interleaved", type=float, default=None, metavar="SCALE",
                   help="instead: step time in-memory vs shards at SCALE in one process, alternating blocks")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.interleaved:
        _write_shards(args.interleaved, Path(args.shards_root))
        print(json.dumps(interleaved(args.interleaved, Path(args.shards_root), 8, 25, args.batch_size)), flush=True)
        return 0
    if args.worker:
        print("RESULT " + json.dumps(worker(args.worker, args.steps, args.warmup, args.batch_size)), flush=True)
        return 0
    root = Path(args.shards_root)
    rows = []
    print(f"{'mode':<10} {'scale':>6} {'rows':>10} {'load s':>7} {'RSS load MB':>11} {'peak RSS MB':>11} "
          f"{'samples/s':>9} {'step ms':>8}", flush=True)
    for scale in (float(s) for s in args.scales.split(",")):
        for mode in args.modes.split(","):
            if mode == "memory" and DEFAULT_ROWS * scale > 1_000_000:
                print(f"{mode:<10} {scale:>6g}  refused: above the in-memory limit of 1,000,000 rows", flush=True)
                rows.append({"mode": mode, "scale": scale, "refused": "in-memory limit"})
                continue
            write_s = _write_shards(scale, root) if mode == "shards" else 0.0
            r = subprocess.run([sys.executable, __file__, "--worker", _spec(mode, scale, root), "--steps",
                                str(args.steps), "--warmup", str(args.warmup), "--batch-size", str(args.batch_size)],
                               capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
            line = [s for s in r.stdout.splitlines() if s.startswith("RESULT ")]
            if r.returncode or not line:
                print(f"{mode:<10} {scale:>6g}  failed: {r.stderr.strip().splitlines()[-1:]}", flush=True)
                continue
            res = dict(json.loads(line[0][7:]), mode=mode, scale=scale, shard_write_s=round(write_s, 1))
            rows.append(res)
            print(f"{mode:<10} {scale:>6g} {res['rows']:>10,} {res['load_s']:>7} {res['rss_after_load_mb']:>11} "
                  f"{res['peak_rss_mb']:>11} {res['samples_per_s']:>9} {res['step_ms']:>8}"
                  + (f"   (shards written in {write_s:.0f} s)" if write_s else ""), flush=True)
    if args.json:
        from graphsh_tf.io import write_json

        write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
