"""Where a run's int8 error comes from, and what quantization-aware training buys (benchmarks/README.md, "int8").

    python benchmarks/int8_study.py budget RUN_DIR [--poses 4000]              # the noise budget per tensor group
    python benchmarks/int8_study.py qat-vs-ptq RUN_DIR [--steps 300] [--per-channel]

``budget``: the folded int8 graph with fake quantization at exactly the tensors TFLite quantizes
(:class:`graphsh_tf.lite.qat.FoldedQATHooks`, ranges calibrated on 500 training poses as the converter does), then
quantization switched on for one group of tensors at a time (everything else float); per-pose |Δ| against the float
graph, mean and p99.9 (mm), on the first ``--poses`` test poses; and the correlation of the full error with the
pose's 2D size.

``qat-vs-ptq``: ``--steps`` steps of the same fine-tuning (the run's training split, Adam 1e-4, batch 64) once
without fake quantization followed by post-training int8, once as QAT; both converted to ``.tflite`` and scored on the
whole test split against their own float weights (ΔMPJPE, per-pose p50 / p99.9 / max).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import graphsh_tf  # noqa: E402,F401

import numpy as np  # noqa: E402


def _group(key: str) -> str:
    if key == "input":
        return "the input tensor"
    if key.endswith("/transform"):
        return "the transform outputs"
    if key.endswith(("/mix", "/out")):
        return "the graph-conv outputs"
    if "pool" in key:
        return "skeletal pool / unpool"
    if "add" in key.rsplit("_", 1)[-1] or key.endswith("_add"):
        return "the residual adds"
    return key                                            # head tensors one by one


def budget(run_dir: str, poses: int = 4000, float_parts=(), top: int = 0) -> dict:
    """``{"rows": [(group, n_tensors, mean, p99.9)], "size_corr": float}`` (mm) for ``run_dir``'s test split.
    ``float_parts``: parts kept float as in the mixed-precision export (:data:`graphsh_tf.lite.folded.FLOAT_PARTS`;
    their tensors are never quantized). ``top``: also the ``top`` single activations of largest error, one row
    each."""
    from graphsh_tf.lite.calibrate import head_scale, representative_poses
    from graphsh_tf.lite.folded import build_forward
    from graphsh_tf.lite.qat import FoldedQATHooks
    from graphsh_tf.model_io import load_model
    from graphsh_tf.run import Run
    from graphsh_tf.validate import pose_delta_mm

    import tensorflow as tf

    class Only(FoldedQATHooks):
        """Fake quantization on the keys in ``on`` only (None: all); weights quantized when ``weights``."""
        on, weights = None, True

        def act(self, key, x):
            if self.mode == "quant" and self.on is not None and key not in self.on:
                return x
            return super().act(key, x)

        def weight(self, key, arr, kind="w"):
            if self.mode == "quant" and not self.weights:
                self.mode = "float"
                try:
                    return super().weight(key, arr, kind)
                finally:
                    self.mode = "quant"
            return super().weight(key, arr, kind)

    model = load_model(run_dir)
    data = Run(run_dir).load_data()
    calib = representative_poses(data.train.poses_2d, 500, 0)
    x = data.test.poses_2d[:poses].astype(np.float32)
    hooks = Only()
    forward = build_forward(model, "conv", hooks=hooks, head_scale=head_scale(model, calib),
                            float_parts=tuple(float_parts))
    forward(tf.constant(calib))                       # records the calibration ranges

    def predict():
        return np.concatenate([forward(tf.constant(x[i:i + 1000])).numpy() for i in range(0, len(x), 1000)])

    hooks.mode = "float"
    ref = predict()
    hooks.mode = "quant"

    def row(name, on, weights):
        hooks.on, hooks.weights = on, weights
        d = pose_delta_mm(predict(), ref)
        n = "all" if on is None else (len(on) or "–")
        return name, n, float(d.mean()), float(np.percentile(d, 99.9)), d

    everything = row("everything (weights + activations)", None, True)
    rows = [everything[:4], row("weights alone", set(), True)[:4]]
    groups = {}
    for key in hooks.lo:
        groups.setdefault(_group(key), set()).add(key)
    for name, keys in groups.items():
        rows.append(row(name, keys, False)[:4])
    if top:
        single = sorted((row(key, {key}, False)[:4] for key in hooks.lo), key=lambda r: -r[2])
        rows += [(f"single: {r[0]}",) + r[1:] for r in single[:top]]
    size = np.linalg.norm(x.max(axis=1) - x.min(axis=1), axis=-1)
    return {"rows": rows, "size_corr": float(np.corrcoef(size, everything[4])[0, 1])}


def qat_vs_ptq(run_dir: str, steps: int = 300, per_channel: bool = False) -> dict:
    """``{"ptq": {...}, "qat": {...}}``: own float MPJPE, int8 MPJPE, ΔMPJPE and per-pose tail (mm) of each."""
    from graphsh_tf.contract import MM_PER_MODEL_UNIT
    from graphsh_tf.evaluate import keras_predictor, score
    from graphsh_tf.lite.calibrate import head_scale, representative_poses
    from graphsh_tf.lite.convert import convert
    from graphsh_tf.lite.folded import build_forward
    from graphsh_tf.lite.metadata import build_metadata, write_model
    from graphsh_tf.lite.qat import FoldedQATHooks, folded_to_keras, qat_finetune
    from graphsh_tf.lite.runtime import TFLitePredictor
    from graphsh_tf.model_io import load_model
    from graphsh_tf.run import Run
    from graphsh_tf.validate import pose_delta_mm, tail_stats

    import tensorflow as tf
    import tf_keras as keras

    model = load_model(run_dir)
    data = Run(run_dir).load_data()
    doc = Run(run_dir).read_document()
    xt, yt = data.train.poses_2d.astype(np.float32), data.train.poses_3d.astype(np.float32)
    x, y = data.test.poses_2d.astype(np.float32), data.test.poses_3d
    rep = representative_poses(xt, 500, 0)

    # the float fine-tune: qat_finetune's loop (same folded graph, batches and optimizer), no fake quantization
    rng = np.random.default_rng(0)
    hooks = FoldedQATHooks()
    calib = representative_poses(xt, 500, rng)
    forward = build_forward(model, "conv", hooks=hooks, head_scale=head_scale(model, calib))
    forward(tf.constant(calib))
    hooks.mode = "float"
    variables, opt = list(hooks.vars.values()), keras.optimizers.Adam(1e-4)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square((forward(xb) - yb) / MM_PER_MODEL_UNIT))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))

    for _ in range(int(steps)):
        idx = rng.integers(0, len(xt), size=64)
        step(tf.constant(xt[idx]), tf.constant(yt[idx]))
    tuned = folded_to_keras(model, {k: v.numpy() for k, v in hooks.vars.items()})
    qat = qat_finetune(model, xt, yt, steps=steps, per_channel=per_channel)

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, float_model, kw in (("ptq", tuned, {"per_channel": per_channel}),
                                      ("qat", qat.model, {"hooks": qat.hooks})):
            variant = "int8" if name == "ptq" else "qat_int8"
            blob = convert(float_model, variant, rep, **kw)
            path = write_model(Path(tmp) / f"{name}.tflite", blob, build_metadata(blob, variant, doc["model"]))
            pred = TFLitePredictor(path).predict_mm(x)
            own = keras_predictor(float_model)(x)
            own_mm, int8_mm = score(own, y)["mpjpe_mm"], score(pred, y)["mpjpe_mm"]
            out[name] = {"own_float_mm": own_mm, "int8_mm": int8_mm, "delta_mm": int8_mm - own_mm,
                         "tail": tail_stats(pose_delta_mm(pred, own))}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    b = sub.add_parser("budget")
    b.add_argument("run_dir")
    b.add_argument("--poses", type=int, default=4000)
    b.add_argument("--float-parts", default="", help="comma-separated parts kept float (input, head), as the "
                   "mixed-precision int8 export keeps them")
    b.add_argument("--top", type=int, default=0, help="also list the TOP single activations of largest error")
    q = sub.add_parser("qat-vs-ptq")
    q.add_argument("run_dir")
    q.add_argument("--steps", type=int, default=300)
    q.add_argument("--per-channel", action="store_true")
    args = p.parse_args(argv)
    from graphsh_tf import cli

    return cli.run("int8_study.py", lambda: _report(args, argv))


def _report(args, argv) -> int:
    print("command: python benchmarks/int8_study.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    if args.what == "budget":
        res = budget(args.run_dir, args.poses, [p for p in args.float_parts.split(",") if p], args.top)
        print("| quantized (everything else float) | tensors | per-pose |Δ| mean (mm) | p99.9 (mm) |\n"
              "|---|---:|---:|---:|")
        for name, n, mean, p999 in res["rows"]:
            print(f"| {name} | {n} | {mean:.2f} | {p999:.2f} |")
        print(f"\ncorrelation of the per-pose error with the pose's 2D size: {res['size_corr']:.3f}")
    else:
        res = qat_vs_ptq(args.run_dir, args.steps, args.per_channel)
        print("| | own float (mm) | int8 (mm) | ΔMPJPE (mm) | p50 / p99.9 / max (mm) |\n|---|---:|---:|---:|---:|")
        for name, label in (("ptq", "float fine-tune + PTQ"), ("qat", "QAT")):
            r, t = res[name], res[name]["tail"]
            print(f"| {label} | {r['own_float_mm']:.3f} | {r['int8_mm']:.3f} | {r['delta_mm']:+.3f} | "
                  f"{t['p50']:.2f} / {t['p99_9']:.2f} / {t['max']:.2f} |")
    return 0


if __name__ == "__main__":
    from graphsh_tf.quiet import quiet_start

    quiet_start()   # TensorFlow's C++ start-up lines hidden, as in the CLIs (--verbose or GRAPHSH_VERBOSE=1 keeps them)
    sys.exit(main())
