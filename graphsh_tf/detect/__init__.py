"""2D person detectors that feed the lifter: ``Detector(...)(image_rgb) -> [Person]``, each person's keypoints in
image pixels with scores, in a layout the adapters in :mod:`graphsh_tf.keypoints` take.

* ``Detector()`` / ``Detector("blazepose-full")`` (also ``-lite``, ``-heavy``): BlazePose from the model cache
  (install once: ``python -m graphsh_tf.detect.install``), 33 MediaPipe keypoints + visibility, several people.
* ``Detector("path/to/movenet.tflite")``: MoveNet SinglePose, 17 COCO keypoints, one person.
"""
from __future__ import annotations

from graphsh_tf.detect.blazepose import BlazePose, Person
from graphsh_tf.detect.models import DetectorError, blazepose_paths, cache_dir

__all__ = ["BlazePose", "Detector", "DetectorError", "Person", "cache_dir"]


def Detector(name: str = "blazepose-full", **options):
    """A detector by name (``blazepose[-lite|-full|-heavy]``) or by ``.tflite`` path (MoveNet SinglePose)."""
    name = str(name)
    if name.startswith("blazepose"):
        variant = name.partition("-")[2] or "full"
        det, lmk = blazepose_paths(variant, options.pop("model_dir", None))
        return BlazePose(det, lmk, **options)
    if name.endswith(".tflite"):
        from graphsh_tf.detect.movenet import MoveNet

        return MoveNet(name, **options)
    raise DetectorError(f"detector {name!r}: use blazepose, blazepose-lite, blazepose-full, blazepose-heavy "
                        "or a MoveNet SinglePose .tflite path")
