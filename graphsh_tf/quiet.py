"""A quiet start for the command-line tools: TensorFlow's C++ start-up lines hidden unless asked for.

Importing TensorFlow on a CPU machine prints about six lines from its C++ core before Python's logging exists (the
absl "before InitializeLog" notice, oneDNN, "Could not find cuda drivers", and ``E0000 ... failed call to cuInit``
from the CUDA plugin of the ``tensorflow`` wheel). ``TF_CPP_MIN_LOG_LEVEL`` does not filter them, because they are
written before the level is read. A newcomer reads the ``E0000`` line as a failure, so every CLI calls
:func:`import_tensorflow` first: it imports TensorFlow and initializes its devices with the process's stderr
(file descriptor 2) pointed at /dev/null, then restores it. Python exceptions are raised after the restore, so
real errors still show. ``--verbose`` on the CLIs, or ``GRAPHSH_VERBOSE=1``, keeps TensorFlow's own messages.
"""
from __future__ import annotations

import os
import sys

VERBOSE_ENV = "GRAPHSH_VERBOSE"


def verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "").strip() not in ("", "0", "false", "no")


def import_tensorflow(force_verbose: bool = False):
    """Import TensorFlow (and list its devices, which is when the CUDA plugin complains) without its C++ start-up
    noise; returns the module. With ``force_verbose`` or ``GRAPHSH_VERBOSE=1`` nothing is hidden."""
    import graphsh_tf  # noqa: F401  (TF_USE_LEGACY_KERAS=1 before TensorFlow loads)

    if force_verbose:
        os.environ[VERBOSE_ENV] = "1"
    if verbose() or "tensorflow" in sys.modules:
        import tensorflow as tf

        return tf
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices()
        tf.get_logger().setLevel("ERROR")
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tf
