"""Moved to the :mod:`graphsh_tf.train` package (strategy, optim, callbacks, loop). Old names kept."""
from graphsh_tf.config import ConfigError, DataConfig, ModelConfig, TrainConfig  # noqa: F401
from graphsh_tf.train.callbacks import LRLogger, RunDirCallback, ScalarLogger  # noqa: F401
from graphsh_tf.train.loop import finish_run, steps_per_epoch, train, train_stream, val_stream, weights_digest  # noqa: F401
from graphsh_tf.train.optim import (  # noqa: F401
    WarmupCosine, compile_model, lr_at, lr_schedule, make_optimizer, mpjpe_mm_metric)
from graphsh_tf.train.strategy import TrainingError, is_chief_task, parse_tf_config, select_strategy  # noqa: F401
