"""Moved: the run directory is :mod:`graphsh_tf.run`, atomic writers are :mod:`graphsh_tf.io`. Old names kept."""
from graphsh_tf.io import atomic_save, atomic_write_text, tmp_path_for  # noqa: F401
from graphsh_tf.run import (  # noqa: F401
    HISTORY_FIELDS, RESUME_MUTABLE_DATA_FIELDS, RESUME_MUTABLE_TRAIN_FIELDS, RunDirError, best_val,
    check_resume_compatible, config_differences, read_history, read_run_config, run_config, save_weights_atomic,
    write_history, write_run_config)
