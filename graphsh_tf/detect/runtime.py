"""Loading a detector ``.tflite`` in the LiteRT interpreter, with one clear error for a wrong or broken file."""
from __future__ import annotations

import contextlib
import os
import sys

from graphsh_tf.detect.models import DetectorError


@contextlib.contextmanager
def quiet_native():
    """Hide what native code writes to stderr inside the block (LiteRT's "INFO: Created TensorFlow Lite XNNPACK
    delegate for CPU." when an interpreter is built), unless ``GRAPHSH_VERBOSE=1``; Python exceptions still show."""
    from graphsh_tf.quiet import verbose

    if verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_interpreter(path, num_threads: int = 2, inputs=None):
    """An allocated interpreter for ``path``; ``inputs``: the accepted input shapes (a set of tuples), checked."""
    if not os.path.isfile(path):
        raise DetectorError(f"{path}: detector model file not found")
    from ai_edge_litert.interpreter import Interpreter

    try:
        it = Interpreter(model_path=str(path), num_threads=int(num_threads))
        it.allocate_tensors()
    except (ValueError, RuntimeError) as e:
        raise DetectorError(f"{path}: not a loadable .tflite model ({' '.join(str(e).split())[:200]})") from None
    details = it.get_input_details()
    shape = tuple(int(v) for v in details[0]["shape"]) if len(details) == 1 else None
    if inputs is not None and shape not in inputs:
        raise DetectorError(f"{path}: input shape {shape}, expected one of {sorted(inputs)}")
    return it
