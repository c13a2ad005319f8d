"""Where the detector model files live and how they get there: an explicit install step, never a download at run time.

BlazePose (MediaPipe Pose, Apache-2.0) ships on npm as ``@mediapipe/pose``: the landmark models as plain ``.tflite``
files and the person detector as the package's ``pose_solution_packed_assets.data``, which is the detector's
``.tflite`` file byte for byte (the package's loader maps it to ``pose_detection.tflite``). The web page loads the same
files from ``web_demo/node_modules``, so Python and the browser run identical models.

``python -m graphsh_tf.detect.install`` copies them into :func:`cache_dir` and checks their SHA-256.
"""
from __future__ import annotations

from pathlib import Path

from graphsh_tf.io import cache_folder

NPM_PACKAGE = "@mediapipe/pose"
NPM_VERSION = "0.5.1675469404"

# file in the cache -> (file in the npm package, sha256)
BLAZEPOSE_FILES = {
    "pose_detection.tflite": ("pose_solution_packed_assets.data",
                              "a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85"),
    "pose_landmark_lite.tflite": ("pose_landmark_lite.tflite",
                                  "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"),
    "pose_landmark_full.tflite": ("pose_landmark_full.tflite",
                                  "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"),
    "pose_landmark_heavy.tflite": ("pose_landmark_heavy.tflite",
                                   "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"),
}
LANDMARK_VARIANTS = ("lite", "full", "heavy")
INSTALL_HINT = "python -m graphsh_tf.detect.install"


class DetectorError(ValueError):
    """A detector model file is missing or wrong; the message names the file and the fix."""


def cache_dir() -> Path:
    """``$GRAPHSH_TF_MODELS`` if set, else ``$XDG_CACHE_HOME/graphsh_tf/models`` (``~/.cache/graphsh_tf/models``)."""
    return cache_folder("GRAPHSH_TF_MODELS", "models")


def blazepose_paths(landmark: str = "full", directory=None) -> tuple:
    """``(detector.tflite, landmark.tflite)`` from the cache (or ``directory``); a missing file is a
    :class:`DetectorError` naming the install command."""
    if landmark not in LANDMARK_VARIANTS:
        raise DetectorError(f"BlazePose landmark model {landmark!r}: use one of {', '.join(LANDMARK_VARIANTS)}")
    d = Path(directory) if directory is not None else cache_dir()
    paths = (d / "pose_detection.tflite", d / f"pose_landmark_{landmark}.tflite")
    for p in paths:
        if not p.is_file():
            raise DetectorError(f"{p}: BlazePose model not installed; run `{INSTALL_HINT}` once "
                                f"(copies it from the npm package {NPM_PACKAGE}@{NPM_VERSION})")
    return paths
