"""The optimizer of the recipe: Adam (AdamW with weight decay), the per-step learning-rate schedule, global-norm
clipping, and the compiled loss (MSE on metres) and validation metric (MPJPE in mm)."""
from __future__ import annotations

import graphsh_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)
from graphsh_tf.config import TrainConfig
from graphsh_tf.contract import MM_PER_MODEL_UNIT

import tensorflow as tf
import tf_keras as keras


class Staircase(keras.optimizers.schedules.ExponentialDecay):
    """``lr * gamma ** (step // decay_steps)`` (the paper's schedule)."""

    def __init__(self, lr: float, decay_steps: int, gamma: float):
        super().__init__(lr, decay_steps, gamma, staircase=True)

    def describe(self, total_steps: int = 0) -> str:
        end = f" ({float(self(total_steps)):.3g} at the last step, {total_steps})" if total_steps else ""
        return (f"staircase: lr {float(self.initial_learning_rate):g} x {float(self.decay_rate):g} every "
                f"{int(self.decay_steps)} steps{end}")


class Cosine(keras.optimizers.schedules.CosineDecay):
    """Cosine from ``lr`` to 0 over ``decay_steps``."""

    def __init__(self, lr: float, decay_steps: int):
        super().__init__(lr, decay_steps, alpha=0.0)

    def describe(self, total_steps: int = 0) -> str:
        return f"cosine: lr {float(self.initial_learning_rate):g} -> 0 over {int(self.decay_steps)} steps"


class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up over ``warmup_steps`` to ``lr``, then ``base(step - warmup_steps)``."""

    def describe(self, total_steps: int = 0) -> str:
        if total_steps and total_steps <= self.warmup_steps:
            return (f"linear warm-up to {self.lr:g} over {self.warmup_steps} steps; the run's {total_steps} steps "
                    f"end inside it, at lr {float(self(total_steps - 1)):.3g}")
        base = self.base.describe(max(0, total_steps - self.warmup_steps) if total_steps else 0)
        return f"linear warm-up to {self.lr:g} over {self.warmup_steps} steps, then {base}"

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
    ``lr * gamma ** (step // decay_steps)`` or cosine to 0 over ``total_steps``, after optional linear warm-up.
    Each schedule says what it does with ``describe(total_steps)``."""
    if cfg.lr_schedule == "cosine":
        span = max(1, int(total_steps or cfg.epochs * max(1, cfg.steps_per_epoch or 1000)) - cfg.warmup_steps)
        base = Cosine(cfg.lr, span)
    else:
        base = Staircase(cfg.lr, cfg.lr_decay_steps, cfg.lr_gamma)
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
    return tf.reduce_mean(tf.norm(y_pred - y_true, axis=-1), axis=-1) * MM_PER_MODEL_UNIT


def compile_model(model: keras.Model, cfg: TrainConfig, total_steps: int = 0) -> keras.Model:
    """Compile with MSE on metres, Adam + schedule + clipping, the ``mpjpe_mm`` metric (→ ``val_mpjpe_mm``)."""
    model.compile(optimizer=make_optimizer(cfg, total_steps), loss="mse",
                  metrics=[keras.metrics.MeanMetricWrapper(mpjpe_mm_metric, name="mpjpe_mm")],
                  jit_compile=bool(cfg.jit_compile))
    return model
