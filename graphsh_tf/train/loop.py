"""The fit recipe: :func:`train` is the whole of ``training/fit.py``.

MSE on metres, Adam with the per-step LR schedule and global-norm clipping (:mod:`graphsh_tf.train.optim`), one row
per epoch in the run's history, best/last weights, a tf.train.Checkpoint (model + optimizer moments + step counter
+ epoch) for crash-safe ``resume``, and a final evaluation through :func:`graphsh_tf.evaluate.evaluate` (report
and figures). Every file goes where :class:`graphsh_tf.run.Run` says.

``TrainConfig.batch_size`` is the GLOBAL batch: Keras splits each batch over the replicas, and the input stream is
sharded by data (``AutoShardPolicy.DATA``) over workers (:mod:`graphsh_tf.train.strategy`). Only the chief writes
the run directory; other workers write their checkpoints to a temp dir that is deleted at the end.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, Optional

import graphsh_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from graphsh_tf.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from graphsh_tf.progress import format_duration
from graphsh_tf.run import Run, RunDirError
from graphsh_tf.train.callbacks import (
    FitProgress,
    LRLogger,
    NonFiniteLoss,
    RunDirCallback,
    ScalarLogger,
    SleepPerBatch,
    StopOnNonFiniteLoss,
)
from graphsh_tf.train.optim import compile_model, lr_at, lr_schedule
from graphsh_tf.train.strategy import is_chief_task, parse_tf_config, select_strategy

import numpy as np
import tensorflow as tf
import tf_keras as keras


def steps_per_epoch(n_train: int, cfg: TrainConfig) -> int:
    """``cfg.steps_per_epoch`` or one full pass of full batches (at least 1)."""
    return cfg.steps_per_epoch or max(1, n_train // cfg.batch_size)


def _shard_by_data(ds: tf.data.Dataset) -> tf.data.Dataset:
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def train_stream(x2d: np.ndarray, y3d_mm: np.ndarray, cfg: TrainConfig, initial_epoch: int, spe: int,
                 image_width: Optional[np.ndarray] = None, image_size: Optional[np.ndarray] = None,
                 confidence: bool = False, window: int = 1, sequences: Optional[np.ndarray] = None):
    """The training batches as one endless, seeded stream (global batches, drop remainder), positioned at
    ``initial_epoch * spe`` batches, so a resumed run sees exactly the batches the uninterrupted run would.
    ``confidence``: the inputs carry the per-joint confidence as a third channel. ``window`` > 1: each sample is
    the window of its row's last ``window`` frames (``sequences``: the rows' labels;
    :func:`graphsh_tf.data.pipeline.make_window_dataset`)."""
    from graphsh_tf.data.pipeline import make_dataset, make_window_dataset

    if window > 1:
        ds = make_window_dataset(x2d, y3d_mm, sequences, window, cfg.batch_size, training=True, seed=cfg.seed,
                                 flip=cfg.flip_augment, drop_remainder=len(x2d) >= cfg.batch_size,
                                 noise_px=cfg.noise_augment_px, occlusion=cfg.occlusion, corruption=cfg.corruption,
                                 clean_fraction=cfg.clean_fraction, confidence=confidence, image_size=image_size)
        ds = ds.repeat().skip(initial_epoch * spe) if initial_epoch else ds.repeat()
        return _shard_by_data(ds.prefetch(tf.data.AUTOTUNE))
    ds = make_dataset(x2d, y3d_mm, cfg.batch_size, training=True, seed=cfg.seed, flip=cfg.flip_augment,
                      drop_remainder=len(x2d) >= cfg.batch_size, noise_px=cfg.noise_augment_px,
                      occlusion=cfg.occlusion, image_width=image_width, corruption=cfg.corruption,
                      clean_fraction=cfg.clean_fraction, confidence=confidence, image_size=image_size)
    ds = ds.repeat()
    if initial_epoch:
        ds = ds.skip(initial_epoch * spe)
    return _shard_by_data(ds.prefetch(tf.data.AUTOTUNE))


def train_input(data, cfg: TrainConfig, initial_epoch: int, spe: int, confidence: bool = False, window: int = 1):
    """The training stream of ``data``: :func:`train_stream` of its rows (windows of ``window`` frames for the
    temporal lifter), or, for a streamed training split (:class:`graphsh_tf.data.types.StreamedSet`),
    :func:`graphsh_tf.data.stream.stream_dataset` (cameras drawn per sample, auto-sharded by file), positioned as
    :func:`train_stream` positions."""
    from graphsh_tf.data.types import StreamedSet

    if not isinstance(data.train, StreamedSet):
        return train_stream(data.train.poses_2d, data.train.poses_3d, cfg, initial_epoch, spe,
                            data.train.image_size[:, 0], data.train.image_size, confidence, window,
                            data.train.sequences)
    check_windows(data, window)
    from graphsh_tf.data.stream import stream_dataset

    return stream_dataset(data.train, cfg.batch_size, seed=cfg.seed, flip=cfg.flip_augment,
                          noise_px=cfg.noise_augment_px, occlusion=cfg.occlusion, corruption=cfg.corruption,
                          confidence=confidence, skip_batches=initial_epoch * spe)


def check_windows(data, window: int) -> None:
    """DataError naming the fix when a temporal lifter (``window`` > 1) cannot be trained on ``data``: its
    training split is streamed (rows drawn per sample, not sequences)."""
    from graphsh_tf.data.types import DataError, StreamedSet

    if window > 1 and isinstance(data.train, StreamedSet):
        raise DataError(f"{data.source}: the training split is streamed (cameras drawn per sample, no sequences); "
                        f"ModelConfig.temporal_window={window} needs an in-memory split: use a smaller frames=N (at "
                        "most 1,000,000) or the source itself (bvh:DIR, h36m:DIR)")


def val_stream(x2d: np.ndarray, y3d_mm: np.ndarray, cfg: TrainConfig, confidence: bool = False, window: int = 1,
               sequences: Optional[np.ndarray] = None):
    from graphsh_tf.data.pipeline import make_dataset, make_window_dataset

    if window > 1:
        return _shard_by_data(make_window_dataset(x2d, y3d_mm, sequences, window, max(cfg.batch_size, 1024),
                                                  training=False, confidence=confidence))
    return _shard_by_data(make_dataset(x2d, y3d_mm, max(cfg.batch_size, 1024), training=False,
                                       confidence=confidence))


def weights_digest(model: keras.Model) -> str:
    """SHA-1 of all weights (in order) — equal digests mean bitwise-equal models (e.g. across workers)."""
    import hashlib

    h = hashlib.sha1()
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()


def train(model_cfg: ModelConfig, train_cfg: TrainConfig, data_cfg: DataConfig, run_dir, resume: bool = False,
          deterministic: bool = False, verbose: Optional[int] = None, log: Callable[[str], None] = print,
          data=None) -> Dict:
    """Train ``model_cfg`` with ``train_cfg`` on ``data_cfg`` into ``run_dir``; returns the eval.json document
    (chief) or ``{}`` (other workers). ``resume``: continue from ``run_dir/ckpt`` (config must match).
    ``deterministic``: ``tf.config.experimental.enable_op_determinism()``. ``data``: a preloaded PoseData.
    ``verbose``: None = the whole run's progress (:mod:`graphsh_tf.progress`: a bar on a terminal, periodic lines
    otherwise), 0 = none, 1/2 = Keras' own per-epoch output."""
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
    check_windows(data, model_cfg.temporal_window)          # before the run directory is created
    doc = RunConfig(model_cfg, train_cfg, data_cfg, data.summary()).to_dict()
    run = Run(run_dir)
    ckpt_dir = run.ckpt_dir
    if resume:
        run.check_resume(doc)
        if not tf.train.latest_checkpoint(str(ckpt_dir)):
            log(f"{ckpt_dir}: no checkpoint yet (the run stopped during its first epoch); starting at epoch 0")
            resume = False
    elif chief and run.config_path.exists() or (ckpt_dir.exists() and any(ckpt_dir.iterdir())):
        raise RunDirError(f"{run_dir}: already holds a run; pass --resume to continue it or choose a new --out")
    created = chief and not run_dir.exists()
    if chief:
        run_dir.mkdir(parents=True, exist_ok=True)
        run.write_config(doc)
    worker_tmp = None if chief else Path(tempfile.mkdtemp(prefix="graphsh_worker_"))
    save_dir = run_dir if chief else worker_tmp
    log(data.summary())
    jit = bool(train_cfg.jit_compile) and strategy.num_replicas_in_sync == 1
    if strategy.num_replicas_in_sync == 1 and not tf_config:
        devices = [d.device_type for d in tf.config.list_logical_devices()]
        log(f"device: {'GPU' if 'GPU' in devices else 'CPU'}, XLA {'on' if jit else 'off'}, "
            f"TensorFlow {tf.__version__}")
    else:
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
    manager = tf.train.CheckpointManager(ckpt, str(Run(save_dir).ckpt_dir), max_to_keep=2)
    history = []
    if resume:
        latest = tf.train.latest_checkpoint(str(ckpt_dir))
        try:
            ckpt.restore(latest).assert_existing_objects_matched()
        except (tf.errors.OpError, AssertionError, ValueError, IndexError) as e:
            raise RunDirError(f"{latest}: the resume checkpoint is unreadable or does not fit this model "
                              f"({type(e).__name__}); delete {ckpt_dir} to restart the run, or start a new "
                              "--out") from None
        history = [r for r in run.read_history() if r["epoch"] <= int(epoch_var.numpy())]
        log(f"resumed {run_dir} at epoch {int(epoch_var.numpy())}, step {int(model.optimizer.iterations.numpy())}, "
            f"lr {lr_at(int(model.optimizer.iterations.numpy()), train_cfg):.3g}")
    initial_epoch = int(epoch_var.numpy())
    epochs = f"{train_cfg.epochs} epoch{'s' if train_cfg.epochs != 1 else ''}"
    log(f"model {model.name}: {model.count_params()} weights; {epochs} x {spe} steps of {train_cfg.batch_size} "
        f"poses = {total_steps} steps" + (f" (from epoch {initial_epoch})" if initial_epoch else ""))
    log(f"lr {lr_schedule(train_cfg, total_steps).describe(total_steps)}")
    if chief:
        log(f"run dir {run_dir}: weights and history at every epoch end, eval.md at the end")

    callbacks = [StopOnNonFiniteLoss(train_cfg), LRLogger(train_cfg, total_steps),
                 RunDirCallback(run_dir, save_dir, manager, epoch_var, history, chief)]
    if verbose is None:   # the whole run's progress (graphsh_tf.progress) instead of Keras' per-epoch bars
        from graphsh_tf.progress import Progress

        bar = Progress(total_steps, "steps", "fit", stream=sys.stdout, initial=initial_epoch * spe,
                       mode=None if chief else "off")
        callbacks.append(FitProgress(bar, estimate_steps=max(5, min(50, total_steps // 20)), log=bar.write))
    if chief:
        callbacks.insert(1, ScalarLogger(run.tb_dir))
    if os.environ.get("GRAPHSH_TEST_BATCH_SLEEP"):
        callbacks.append(SleepPerBatch(float(os.environ["GRAPHSH_TEST_BATCH_SLEEP"])))
    t0 = time.time()
    if initial_epoch < train_cfg.epochs:
        try:
            conf, window = model_cfg.confidence_input != "none", model_cfg.temporal_window
            model.fit(train_input(data, train_cfg, initial_epoch, spe, conf, window),
                      steps_per_epoch=spe, epochs=train_cfg.epochs, initial_epoch=initial_epoch,
                      validation_data=val_stream(data.test.poses_2d, data.test.poses_3d, train_cfg, conf, window,
                                                 data.test.sequences),
                      validation_freq=train_cfg.val_every, callbacks=callbacks,
                      verbose=0 if verbose is None else verbose)
        except NonFiniteLoss as e:
            if worker_tmp is not None:
                shutil.rmtree(worker_tmp, ignore_errors=True)
            if created and not history:   # nothing finite to keep: leave no half-written run behind
                shutil.rmtree(run_dir, ignore_errors=True)
                raise NonFiniteLoss(f"{e}; nothing was kept (the run diverged in its first epoch)") from None
            raise NonFiniteLoss(f"{e}; {run_dir} keeps the last finite epoch ({len(history)}): continue it with "
                                "--resume and a lower --lr") from None
    train_s = time.time() - t0
    log(f"trained in {format_duration(train_s)}: final weights sha1={weights_digest(model)[:16]} "
        f"step={int(model.optimizer.iterations.numpy())}")
    if worker_tmp is not None:
        shutil.rmtree(worker_tmp, ignore_errors=True)
        return {}
    return finish_run(run_dir, model_cfg, train_cfg, data, history, train_s, log)


def _build(model_cfg: ModelConfig) -> keras.Model:
    from graphsh_tf.models import build_model

    return build_model(model_cfg)


def finish_run(run_dir: Path, model_cfg: ModelConfig, train_cfg: TrainConfig, data, history: list,
               train_s: float, log: Callable[[str], None] = print) -> Dict:
    """Evaluate the best weights (else last) on the test set on one device, with the robustness table
    (:func:`graphsh_tf.robustness.robustness_table`, seeded with the run's seed), and write the run's eval report,
    training curves and skeleton figure."""
    from graphsh_tf import report
    from graphsh_tf.evaluate import evaluate, scoring_predictor, summary_line, write_eval
    from graphsh_tf.model_io import load_model
    from graphsh_tf.robustness import robustness_summary, robustness_table

    run = Run(run_dir)
    weights = run.model_weights()
    model = load_model(weights, model_cfg)
    evaluation = evaluate(model, data, flip_test=train_cfg.flip_test, model_config=model_cfg.to_dict())
    result = evaluation.metrics
    result["weights"] = weights.name
    result["train_seconds"] = round(train_s, 1)
    result["robustness"] = robustness_table(scoring_predictor(model, train_cfg.flip_test, data.test.sequences),
                                            data.test,
                                            seed=train_cfg.seed, flip_test=train_cfg.flip_test)
    write_eval(result, *run.report_paths("eval"), title=f"{model.name} on {data.source} ({weights.name})")
    report.plot_curves(run.read_history(), run.curves_path)
    report.plot_skeletons(evaluation.pred_mm, data.test.poses_3d, run.skeletons_path, data.skeleton)
    log(f"done: {summary_line(result)} on {result['n_poses']} test poses; run dir {run.path}")
    log(robustness_summary(result["robustness"]))
    return result
