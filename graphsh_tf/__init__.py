"""graphsh_tf: Graph Stacked Hourglass Networks for 3D human pose estimation, in tf_keras, for TFLite.

Importing this package sets ``TF_USE_LEGACY_KERAS=1`` before TensorFlow loads, so that ``tf.keras`` is Keras 2
(``tf_keras``), the only Keras that tensorflow-model-optimization's quantization-aware training accepts.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

_LAZY = {
    "ModelConfig": "graphsh_tf.config",
    "build_model": "graphsh_tf.models",
    "load_model": "graphsh_tf.model_io",
    "Lifter": "graphsh_tf.lite.lifter",
}


def __getattr__(name):  # lazy public names: importing graphsh_tf stays cheap (no TensorFlow for data-only users)
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'graphsh_tf' has no attribute {name!r}")


__all__ = list(_LAZY) + ["__version__"]
