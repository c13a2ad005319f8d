"""Loading a detector ``.tflite`` in the LiteRT interpreter, with one clear error for a wrong or broken file."""
from __future__ import annotations

import os

from graphsh_tf.detect.models import DetectorError


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
