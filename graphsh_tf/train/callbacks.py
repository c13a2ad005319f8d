"""Keras callbacks of the fit loop: the LR in the epoch logs, the run directory at every epoch end (weights,
history, resume checkpoint), TensorBoard scalars without the tensorboard package, and a test hook."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import graphsh_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from graphsh_tf.config import TrainConfig
from graphsh_tf.io import raise_if_disk_full
from graphsh_tf.run import Run, best_val
from graphsh_tf.train.optim import lr_at

import numpy as np
import tensorflow as tf
import tf_keras as keras


class LRLogger(keras.callbacks.Callback):
    """Adds ``lr`` (the schedule's value at the current step) to the epoch logs."""

    def __init__(self, cfg: TrainConfig, total_steps: int = 0):
        super().__init__()
        self.cfg, self.total_steps = cfg, total_steps

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = lr_at(int(self.model.optimizer.iterations.numpy()), self.cfg, self.total_steps)


class NonFiniteLoss(ValueError):
    """Training produced a NaN/inf loss; the message names the step and the likely causes."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises :class:`NonFiniteLoss` at the first batch whose loss is NaN/inf, before the epoch end saves anything,
    so the run keeps its last finite checkpoint and weights."""

    def __init__(self, cfg: TrainConfig):
        super().__init__()
        self.cfg = cfg

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            step = int(self.model.optimizer.iterations.numpy())
            raise NonFiniteLoss(
                f"training diverged: non-finite loss ({float(loss)}) at step {step}; likely causes: the learning "
                f"rate (--lr {self.cfg.lr:g}; try 10x lower) or non-finite/huge values in the data (check it with "
                "python -m graphsh_tf.data.inspect)")


class RunDirCallback(keras.callbacks.Callback):
    """End of every epoch: last/best weights, the run's history (chief) and the resume checkpoint.

    Under MultiWorkerMirroredStrategy saving may run collective ops, so every worker saves; non-chief workers
    save into their own temp dir (``save_dir``), as the TF multi-worker guide recommends."""

    def __init__(self, run_dir: Path, save_dir: Path, manager: tf.train.CheckpointManager, epoch_var: tf.Variable,
                 history: list, chief: bool):
        super().__init__()
        self.run_dir, self.save_dir, self.manager, self.epoch_var = run_dir, save_dir, manager, epoch_var
        self.history, self.chief = history, chief
        self.best = best_val(history)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        val = logs.get("val_mpjpe_mm")
        row = {"epoch": epoch + 1, "loss": float(logs.get("loss", float("nan"))),
               "val_mpjpe_mm": None if val is None else float(val), "lr": float(logs.get("lr", float("nan")))}
        self.history.append(row)
        Run(self.save_dir).save_weights(self.model, "last")
        if val is not None and float(val) < self.best:  # val is reduced over workers: same branch everywhere
            self.best = float(val)
            Run(self.save_dir).save_weights(self.model, "best")
        if self.chief:
            Run(self.run_dir).write_history(self.history)
        self.epoch_var.assign(epoch + 1)
        try:
            self.manager.save(checkpoint_number=epoch + 1)
        except Exception as e:  # noqa: BLE001 - a full disk becomes one line; anything else passes unchanged
            for part in Path(self.manager.directory).glob(f"ckpt-{epoch + 1}[._]*"):   # the unfinished checkpoint
                shutil.rmtree(part) if part.is_dir() else part.unlink()
            raise_if_disk_full(e, self.manager.directory)
            raise


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


class SleepPerBatch(keras.callbacks.Callback):
    """Test hook (env ``GRAPHSH_TEST_BATCH_SLEEP`` seconds): slows training so a test can kill it mid-epoch."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.seconds)


class FitProgress(keras.callbacks.Callback):
    """The whole run's progress (:class:`graphsh_tf.progress.Progress`) in place of Keras' per-epoch bars: the
    steps of all epochs, with the last loss and validation MPJPE as status. After ``estimate_steps`` timed steps
    (the first, which compiles, excluded) or 20 s it writes one line with the estimated time of the steps left,
    measured on this machine (``log``; validation passes add to it)."""

    def __init__(self, progress, estimate_steps: int = 50, log=None):
        super().__init__()
        self.progress, self.estimate_steps, self.log = progress, int(estimate_steps), log or progress.write
        self.estimated = False
        self.last_val = None

    def on_train_batch_end(self, batch, logs=None):
        self.progress.update(1)
        p = self.progress
        if not self.estimated and p.done < p.total and (p.done - p.done_first >= self.estimate_steps
                                                        or p.t_first and time.perf_counter() - p.t_first > 20):
            self.estimated = True
            from graphsh_tf.progress import about

            left = p.seconds_left()
            if left is not None:
                self.log(f"time: {about(left)} for {p.total - p.done} more steps (from {p.done - p.done_first} "
                         "timed steps; plus validation)")
        loss = (logs or {}).get("loss")
        if loss is not None and batch % 10 == 0 and self.last_val is None:
            p.info(f"loss {float(loss):.3g}")

    def on_epoch_end(self, epoch, logs=None):
        val = (logs or {}).get("val_mpjpe_mm")
        if val is not None:      # from the first validation on, the status is the last validation MPJPE
            self.last_val = float(val)
            self.progress.info(f"val {self.last_val:.1f} mm (epoch {epoch + 1})")

    def on_train_end(self, logs=None):
        self.progress.close()
