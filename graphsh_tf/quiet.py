"""A quiet start for the command-line tools: TensorFlow's C++ start-up lines hidden unless asked for.

Importing TensorFlow on a CPU machine prints about six lines from its C++ core before Python's logging exists (the
absl "before InitializeLog" notice, oneDNN, "Could not find cuda drivers", and ``E0000 ... failed call to cuInit``
from the CUDA plugin of the ``tensorflow`` wheel). ``TF_CPP_MIN_LOG_LEVEL`` does not filter them, because they are
written before the level is read. A newcomer reads the ``E0000`` line as a failure, so every CLI calls
:func:`import_tensorflow` first: it imports TensorFlow and initializes its devices with the process's stderr
(file descriptor 2) pointed at /dev/null, then restores it. Python exceptions are raised after the restore, so
real errors still show. ``--verbose`` on the CLIs, or ``GRAPHSH_VERBOSE=1``, keeps TensorFlow's own messages.

The benchmark scripts start with :func:`quiet_start` (the same, plus ``--verbose`` taken from their command line).
TensorFlow's Python-side noise goes too: absl warnings and the ``tf.lite.Interpreter is deprecated`` warning (raised
by the converter's calibrator; our code runs LiteRT's interpreter). The converter and LiteRT print from C++ while
they work (``fully_quantize: 0, inference_type: 6 ...``): :func:`native_stderr_hidden` holds that output back
around a block and writes it out only when the block fails.
"""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings

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

        if not verbose():
            _quiet_python_warnings()
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
    _quiet_python_warnings()
    return tf


def _quiet_python_warnings() -> None:
    warnings.filterwarnings("ignore", message=r"\s*Warning: tf\.lite\.Interpreter is deprecated")
    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:      # absl comes with TensorFlow; nothing to quiet without it
        pass


def quiet_start(argv: list = None) -> None:
    """The benchmark scripts' start: ``--verbose`` (removed from ``argv``, default ``sys.argv``) or
    ``GRAPHSH_VERBOSE=1`` keeps TensorFlow's messages; otherwise TensorFlow is imported quietly."""
    argv = sys.argv if argv is None else argv
    force = "--verbose" in argv
    while "--verbose" in argv:
        argv.remove("--verbose")
    import_tensorflow(force_verbose=force)


@contextlib.contextmanager
def native_stderr_hidden(replay: bool = True):
    """Hold back what native code writes to stderr (file descriptor 2) inside the block: the converter's and
    LiteRT's C++ lines. When the block raises, the held-back text is written to stderr before the error travels
    on, so a failure keeps its context (``replay=False``: dropped, for callers whose error already says it all).
    Nothing is held back when :func:`verbose`."""
    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            sys.stderr.flush()
            os.dup2(saved, 2)
            held.seek(0)
            text = held.read().decode("utf-8", "replace")
            if replay and text.strip():
                sys.stderr.write(text if text.endswith("\n") else text + "\n")
                sys.stderr.flush()
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
