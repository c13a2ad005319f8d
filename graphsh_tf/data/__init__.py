"""Data: the source registry (:mod:`.sources`; a spec names a source), cameras, Human3.6M (VideoPose3D files), BVH
motion capture, the synthetic default, MPI-INF-3DHP, rendering through cameras, tf.data."""

from graphsh_tf.data.dataset import load_data  # numpy only, no TensorFlow
from graphsh_tf.data.types import DataError, DataWarning, PoseData, PoseSet

_LAZY = {"make_dataset": "graphsh_tf.data.pipeline", "flip_poses": "graphsh_tf.data.pipeline",
         "flip_test": "graphsh_tf.data.pipeline"}


def __getattr__(name):  # the tf.data helpers load TensorFlow only when asked for
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'graphsh_tf.data' has no attribute {name!r}")


__all__ = ["DataError", "DataWarning", "PoseData", "PoseSet", "load_data"] + list(_LAZY)
