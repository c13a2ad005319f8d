"""Training glue: distribution strategy, optimizer and LR schedule, tf.data streams, callbacks and the fit loop.

:func:`train` is the whole recipe behind ``training/fit.py``: MSE on metres, Adam with a staircase exponential LR
decay per step (``lr = lr0 * gamma ** (step // decay_steps)``) and global-norm gradient clipping, one row per
epoch in history.csv, best/last weights, a tf.train.Checkpoint (model + optimizer moments + step counter + epoch)
for crash-safe ``resume``, and a final evaluation (eval.json/eval.md/curves.png/skeletons.png).

Distribution: ``default`` = one device; ``mirrored`` = MirroredStrategy over all local GPUs (or logical CPUs);
``multiworker`` = MultiWorkerMirroredStrategy configured by ``TF_CONFIG``; ``auto`` = multiworker when
``TF_CONFIG`` names more than one task, else mirrored when more than one GPU is visible, else default. ``TrainConfig.batch_size`` is the GLOBAL batch: Keras splits each batch over the
replicas, and the input stream is sharded by data (``AutoShardPolicy.DATA``) over workers. Only the chief writes
the run directory; other workers write their checkpoints to a temp dir that is deleted at the end.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Optional

import numpy as np

import graphsh_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
import tensorflow as tf
import tf_keras as keras

from graphsh_tf.config import ConfigError, DataConfig, ModelConfig, TrainConfig  # noqa: F401 (DataConfig re-exported)
from graphsh_tf import training_rundir as rd


class TrainingError(ValueError):
    """A training setup problem (strategy, TF_CONFIG, run dir); the message names the field and the fix."""


# --- strategy ---------------------------------------------------------------------------------------------------

def parse_tf_config(env: Optional[str] = None) -> Dict:
    """The ``TF_CONFIG`` JSON as a dict ({} when unset); :class:`TrainingError` when unparsable or incomplete."""
    text = os.environ.get("TF_CONFIG", "") if env is None else env
    if not text.strip():
        return {}
    try:
        cfg = json.loads(text)
    except json.JSONDecodeError as e:
        raise TrainingError(f"TF_CONFIG: not valid JSON ({e}); set it to "
                            '{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", "index": 0}}') from None
    cluster, task = (cfg.get("cluster"), cfg.get("task")) if isinstance(cfg, dict) else (None, None)
    if not isinstance(cluster, dict) or not cluster or not isinstance(task, dict):
        raise TrainingError("TF_CONFIG: needs a non-empty 'cluster' object and a 'task' object "
                            '(e.g. {"cluster": {"worker": ["10.0.0.1:12345"]}, "task": {"type": "worker", "index": 0}})')
    ttype, index = task.get("type"), task.get("index")
    if ttype not in cluster or not isinstance(index, int) or not 0 <= index < len(cluster[ttype]):
        raise TrainingError(f"TF_CONFIG: task {task} is not in cluster {sorted(cluster)}; "
                            "task.type must be a cluster job name and task.index an index into its address list")
    return cfg


def is_chief_task(tf_config: Dict) -> bool:
    """True for the task that writes the run dir: type 'chief', or worker 0 when the cluster has no chief."""
    if not tf_config:
        return True
    task = tf_config["task"]
    if task["type"] == "chief":
        return True
    return task["type"] == "worker" and task["index"] == 0 and "chief" not in tf_config["cluster"]


def select_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """The tf.distribute strategy for ``name`` (see module docstring). Create it before any other TF op."""
    if name == "multiworker":
        tf_config = parse_tf_config()
        if not tf_config:
            raise TrainingError("--strategy multiworker needs TF_CONFIG (cluster + task) in the environment of "
                                "every worker; see the README section on multi-worker training")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        if not tf.config.list_physical_devices("GPU"):
            cpus = tf.config.list_logical_devices("CPU")
            if len(cpus) > 1:  # e.g. tf.config.set_logical_device_configuration split a CPU (tests)
                return tf.distribute.MirroredStrategy([d.name for d in cpus])
        return tf.distribute.MirroredStrategy()
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "auto":
        tf_config = parse_tf_config()
        if tf_config and sum(len(v) for v in tf_config["cluster"].values()) > 1:
            return tf.distribute.MultiWorkerMirroredStrategy()
        if len(tf.config.list_physical_devices("GPU")) > 1:
            return tf.distribute.MirroredStrategy()
        return tf.distribute.get_strategy()
    raise TrainingError(f"strategy={name!r} is not one of auto, default, mirrored, multiworker")


# --- optimizer --------------------------------------------------------------------------------------------------

class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up over ``warmup_steps`` to ``lr``, then ``base(step - warmup_steps)``."""

    def __init__(self, lr: float, warmup_steps: int, base):
        self.lr, self.warmup_steps, self.base = float(lr), int(warmup_steps), base

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.lr * (step + 1.0) / float(max(1, self.warmup_steps))
        return tf.where(step < self.warmup_steps, warm, self.base(tf.maximum(step - self.warmup_steps, 0.0)))

    def get_config(self):
        return {"lr": self.lr, "warmup_steps": self.warmup_steps, "base": self.base.get_config()}


def lr_schedule(cfg: TrainConfig, total_steps: int = 0) -> keras.optimizers.schedules.LearningRateSchedule:
    """The per-step LR (:class:`graphsh_tf.config.TrainConfig`): staircase exponential
    ``lr * gamma ** (step // decay_steps)`` or cosine to 0 over ``total_steps``, after optional linear warm-up."""
    if cfg.lr_schedule == "cosine":
        span = max(1, int(total_steps or cfg.epochs * max(1, cfg.steps_per_epoch or 1000)) - cfg.warmup_steps)
        base = keras.optimizers.schedules.CosineDecay(cfg.lr, span, alpha=0.0)
    else:
        base = keras.optimizers.schedules.ExponentialDecay(cfg.lr, cfg.lr_decay_steps, cfg.lr_gamma, staircase=True)
    return WarmupCosine(cfg.lr, cfg.warmup_steps, base) if cfg.warmup_steps else base


def lr_at(step: int, cfg: TrainConfig, total_steps: int = 0) -> float:
    if cfg.lr_schedule == "staircase" and not cfg.warmup_steps:
        return float(cfg.lr * cfg.lr_gamma ** (int(step) // cfg.lr_decay_steps))
    return float(lr_schedule(cfg, total_steps)(step))


def make_optimizer(cfg: TrainConfig, total_steps: int = 0) -> keras.optimizers.Optimizer:
    """Adam (the reference's optimizer; AdamW when ``weight_decay`` > 0) with the LR schedule and global-norm
    clipping (``max_grad_norm``).

    ``epsilon=1e-8`` is PyTorch's default (Keras' is 1e-7). Keras adds epsilon to ``sqrt(v_t)`` before the bias
    correction, torch after it, so the two agree exactly only once ``1 - beta2**t`` is ~1; with the reference's
    initialization the gradients are far above either epsilon (benchmarks/README.md, "training parity")."""
    clip = float(cfg.max_grad_norm) if cfg.max_grad_norm > 0 else None
    sched = lr_schedule(cfg, total_steps)
    if cfg.weight_decay > 0:
        return keras.optimizers.AdamW(learning_rate=sched, weight_decay=float(cfg.weight_decay), epsilon=1e-8,
                                      global_clipnorm=clip)
    return keras.optimizers.Adam(learning_rate=sched, epsilon=1e-8, global_clipnorm=clip)


def mpjpe_mm_metric(y_true, y_pred):
    """Per-sample MPJPE in mm from metre tensors ``(B, 16, 3)``."""
    return tf.reduce_mean(tf.norm(y_pred - y_true, axis=-1), axis=-1) * 1000.0


def compile_model(model: keras.Model, cfg: TrainConfig, total_steps: int = 0) -> keras.Model:
    """Compile with MSE on metres, Adam + schedule + clipping, the ``mpjpe_mm`` metric (→ ``val_mpjpe_mm``)."""
    model.compile(optimizer=make_optimizer(cfg, total_steps), loss="mse",
                  metrics=[keras.metrics.MeanMetricWrapper(mpjpe_mm_metric, name="mpjpe_mm")],
                  jit_compile=bool(cfg.jit_compile))
    return model


# --- input streams ----------------------------------------------------------------------------------------------

def steps_per_epoch(n_train: int, cfg: TrainConfig) -> int:
    """``cfg.steps_per_epoch`` or one full pass of full batches (at least 1)."""
    return cfg.steps_per_epoch or max(1, n_train // cfg.batch_size)


def _shard_by_data(ds: tf.data.Dataset) -> tf.data.Dataset:
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def train_stream(x2d: np.ndarray, y3d_mm: np.ndarray, cfg: TrainConfig, initial_epoch: int, spe: int,
                 image_width: Optional[np.ndarray] = None):
    """The training batches as one endless, seeded stream (global batches, drop remainder), positioned at
    ``initial_epoch * spe`` batches, so a resumed run sees exactly the batches the uninterrupted run would."""
    from graphsh_tf.data.pipeline import make_dataset

    ds = make_dataset(x2d, y3d_mm, cfg.batch_size, training=True, seed=cfg.seed, flip=cfg.flip_augment,
                      drop_remainder=len(x2d) >= cfg.batch_size, noise_px=cfg.noise_augment_px,
                      occlusion=cfg.occlusion, image_width=image_width)
    ds = ds.repeat()
    if initial_epoch:
        ds = ds.skip(initial_epoch * spe)
    return _shard_by_data(ds.prefetch(tf.data.AUTOTUNE))


def val_stream(x2d: np.ndarray, y3d_mm: np.ndarray, cfg: TrainConfig):
    from graphsh_tf.data.pipeline import make_dataset

    return _shard_by_data(make_dataset(x2d, y3d_mm, max(cfg.batch_size, 1024), training=False))


# --- callbacks --------------------------------------------------------------------------------------------------

class LRLogger(keras.callbacks.Callback):
    """Adds ``lr`` (the schedule's value at the current step) to the epoch logs."""

    def __init__(self, cfg: TrainConfig, total_steps: int = 0):
        super().__init__()
        self.cfg, self.total_steps = cfg, total_steps

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = lr_at(int(self.model.optimizer.iterations.numpy()), self.cfg, self.total_steps)


class RunDirCallback(keras.callbacks.Callback):
    """End of every epoch: last/best weights, history.csv (chief) and the resume checkpoint.

    Under MultiWorkerMirroredStrategy saving may run collective ops, so every worker saves; non-chief workers
    save into their own temp dir (``save_dir``), as the TF multi-worker guide recommends."""

    def __init__(self, run_dir: Path, save_dir: Path, manager: tf.train.CheckpointManager, epoch_var: tf.Variable,
                 history: list, chief: bool):
        super().__init__()
        self.run_dir, self.save_dir, self.manager, self.epoch_var = run_dir, save_dir, manager, epoch_var
        self.history, self.chief = history, chief
        self.best = rd.best_val(history)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        val = logs.get("val_mpjpe_mm")
        row = {"epoch": epoch + 1, "loss": float(logs.get("loss", float("nan"))),
               "val_mpjpe_mm": None if val is None else float(val), "lr": float(logs.get("lr", float("nan")))}
        self.history.append(row)
        rd.save_weights_atomic(self.model, self.save_dir / "last.weights.h5")
        if val is not None and float(val) < self.best:  # val is reduced over workers: same branch everywhere
            self.best = float(val)
            rd.save_weights_atomic(self.model, self.save_dir / "best.weights.h5")
        if self.chief:
            rd.write_history(self.run_dir / "history.csv", self.history)
        self.epoch_var.assign(epoch + 1)
        self.manager.save(checkpoint_number=epoch + 1)


class ScalarLogger(keras.callbacks.Callback):
    """TensorBoard event files (RUN_DIR/tb/train, RUN_DIR/tb/validation) with the epoch scalars.

    Written with the core ``tf.summary.write`` op and scalar-plugin metadata, so it needs no ``tensorboard``
    package at training time (keras.callbacks.TensorBoard does)."""

    def __init__(self, log_dir: Path):
        super().__init__()
        self.log_dir = Path(log_dir)
        self.writers = {}

    def _writer(self, name):
        if name not in self.writers:
            self.writers[name] = tf.summary.create_file_writer(str(self.log_dir / name))
        return self.writers[name]

    def on_epoch_end(self, epoch, logs=None):
        from tensorflow.core.framework import summary_pb2

        meta = summary_pb2.SummaryMetadata()
        meta.plugin_data.plugin_name = "scalars"
        meta = meta.SerializeToString()
        for key, value in (logs or {}).items():
            split, tag = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            with self._writer(split).as_default():
                tf.summary.write(f"epoch_{tag}", tf.constant(float(value), tf.float32), step=epoch + 1,
                                 metadata=meta)
        for w in self.writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        for w in self.writers.values():
            w.close()


class _SleepPerBatch(keras.callbacks.Callback):
    """Test hook (env ``GRAPHSH_TEST_BATCH_SLEEP`` seconds): slows training so a test can kill it mid-epoch."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.seconds)


def weights_digest(model: keras.Model) -> str:
    """SHA-1 of all weights (in order) — equal digests mean bitwise-equal models (e.g. across workers)."""
    import hashlib

    h = hashlib.sha1()
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()


# --- the recipe -------------------------------------------------------------------------------------------------

def _fmt(result: Dict) -> str:
    mp = result.get("mean_pose_mpjpe_mm")
    return (f"MPJPE {result['mpjpe_mm']:.1f} mm, P-MPJPE {result['p_mpjpe_mm']:.1f} mm"
            + (f", mean-pose baseline {mp:.1f} mm" if mp is not None else ""))


def train(model_cfg: ModelConfig, train_cfg: TrainConfig, data_cfg: DataConfig, run_dir, resume: bool = False,
          deterministic: bool = False, verbose: Optional[int] = None, log: Callable[[str], None] = print,
          data=None) -> Dict:
    """Train ``model_cfg`` with ``train_cfg`` on ``data_cfg`` into ``run_dir``; returns the eval.json document
    (chief) or ``{}`` (other workers). ``resume``: continue from ``run_dir/ckpt`` (config must match).
    ``deterministic``: ``tf.config.experimental.enable_op_determinism()``. ``data``: a preloaded PoseData."""
    model_cfg.validate()
    train_cfg.validate()
    strategy = select_strategy(train_cfg.strategy)  # first: MultiWorkerMirroredStrategy must precede other TF ops
    tf_config = parse_tf_config() if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) else {}
    chief = is_chief_task(tf_config)
    run_dir = Path(run_dir)
    keras.utils.set_random_seed(train_cfg.seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()

    if data is None:
        data = data_cfg.load()
    data = data.to_16_joints()
    doc = rd.run_config(model_cfg, train_cfg, {**data_cfg.to_dict(), "summary": data.summary()})
    ckpt_dir = run_dir / "ckpt"
    if resume:
        rd.check_resume_compatible(run_dir, doc)
        if not tf.train.latest_checkpoint(str(ckpt_dir)):
            log(f"{ckpt_dir}: no checkpoint yet (the run stopped during its first epoch); starting at epoch 0")
            resume = False
    elif chief and (run_dir / "config.json").exists() or (ckpt_dir.exists() and any(ckpt_dir.iterdir())):
        raise rd.RunDirError(f"{run_dir}: already holds a run; pass --resume to continue it or choose a new --out")
    if chief:
        run_dir.mkdir(parents=True, exist_ok=True)
        rd.write_run_config(run_dir, doc)
    worker_tmp = None if chief else Path(tempfile.mkdtemp(prefix="graphsh_worker_"))
    save_dir = run_dir if chief else worker_tmp
    log(data.summary())
    jit = bool(train_cfg.jit_compile) and strategy.num_replicas_in_sync == 1
    log(f"strategy={type(strategy).__name__} replicas={strategy.num_replicas_in_sync} chief={chief} "
        f"global_batch={train_cfg.batch_size} tf={tf.__version__} xla={jit}"
        + (" (XLA off: jit_compile is used with one replica only; with several, XLA fails on variables placed "
           "on other devices)" if train_cfg.jit_compile and not jit else ""))

    spe = steps_per_epoch(len(data.train), train_cfg)
    total_steps = spe * train_cfg.epochs
    with strategy.scope():
        model = compile_model(_build(model_cfg), dataclasses.replace(train_cfg, jit_compile=jit), total_steps)
        model.optimizer.build(model.trainable_variables)
        epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
    ckpt = tf.train.Checkpoint(model=model, optimizer=model.optimizer, epoch=epoch_var)
    manager = tf.train.CheckpointManager(ckpt, str(save_dir / "ckpt"), max_to_keep=2)
    history = []
    if resume:
        ckpt.restore(tf.train.latest_checkpoint(str(ckpt_dir))).assert_existing_objects_matched()
        history = [r for r in rd.read_history(run_dir / "history.csv") if r["epoch"] <= int(epoch_var.numpy())]
        log(f"resumed {run_dir} at epoch {int(epoch_var.numpy())}, step {int(model.optimizer.iterations.numpy())}, "
            f"lr {lr_at(int(model.optimizer.iterations.numpy()), train_cfg):.3g}")
    initial_epoch = int(epoch_var.numpy())
    log(f"model {model.name}: {model.count_params()} weights; {spe} steps/epoch x {train_cfg.epochs} epochs "
        f"(from epoch {initial_epoch}), lr {train_cfg.lr:g} x {train_cfg.lr_gamma:g}^(step // "
        f"{train_cfg.lr_decay_steps})")

    callbacks = [LRLogger(train_cfg, total_steps),
                 RunDirCallback(run_dir, save_dir, manager, epoch_var, history, chief)]
    if chief:
        callbacks.insert(1, ScalarLogger(run_dir / "tb"))
    if os.environ.get("GRAPHSH_TEST_BATCH_SLEEP"):
        callbacks.append(_SleepPerBatch(float(os.environ["GRAPHSH_TEST_BATCH_SLEEP"])))
    t0 = time.time()
    if initial_epoch < train_cfg.epochs:
        model.fit(train_stream(data.train.poses_2d, data.train.poses_3d, train_cfg, initial_epoch, spe,
                               data.train.image_size[:, 0]),
                  steps_per_epoch=spe, epochs=train_cfg.epochs, initial_epoch=initial_epoch,
                  validation_data=val_stream(data.test.poses_2d, data.test.poses_3d, train_cfg),
                  validation_freq=train_cfg.val_every, callbacks=callbacks,
                  verbose=(1 if sys.stdout.isatty() else 2) if verbose is None else verbose)
    train_s = time.time() - t0
    log(f"final weights sha1={weights_digest(model)} step={int(model.optimizer.iterations.numpy())} "
        f"train_seconds={train_s:.1f}")
    if worker_tmp is not None:
        shutil.rmtree(worker_tmp, ignore_errors=True)
        return {}
    return finish_run(run_dir, model_cfg, train_cfg, data, history, train_s, log)


def _build(model_cfg: ModelConfig) -> keras.Model:
    from graphsh_tf.models import build_model

    return build_model(model_cfg)


def finish_run(run_dir: Path, model_cfg: ModelConfig, train_cfg: TrainConfig, data, history: list,
               train_s: float, log: Callable[[str], None] = print) -> Dict:
    """Evaluate the best weights (else last) on the test set on one device and write eval.json/eval.md,
    curves.png and skeletons.png."""
    from graphsh_tf.models import load_model
    from graphsh_tf.training_eval import evaluate_on_data, keras_predict_mm
    from graphsh_tf import training_report as report

    name = "best.weights.h5" if (run_dir / "best.weights.h5").exists() else "last.weights.h5"
    model = load_model(run_dir / name, model_cfg)
    result = evaluate_on_data(keras_predict_mm(model), data, flip_test=train_cfg.flip_test,
                              model_config=model_cfg.to_dict())
    result["weights"] = name
    result["train_seconds"] = round(train_s, 1)
    report.write_eval(result, run_dir / "eval.json", run_dir / "eval.md",
                      title=f"{model.name} on {data.source} ({name})")
    rows = rd.read_history(run_dir / "history.csv")
    report.plot_curves(rows, run_dir / "curves.png")
    report.plot_skeletons(result["_pred_mm"], data.test.poses_3d, run_dir / "skeletons.png", data.skeleton)
    log(f"done: {_fmt(result)} on {result['n_poses']} test poses; run dir {run_dir}")
    return result
