"""World poses through cameras into training rows: the one rendering path of every source that renders 3D motion
(the synthetic generator, BVH clips, the VideoPose3D converter).

A (frame, camera) row is kept when every joint lies more than :data:`MIN_DEPTH_MM` in front of the camera and, with
``drop_outside``, projects inside the image. The 2D is normalized by the image size (``image``, ``u = 2x/w - 1``) or
through the camera's intrinsics (``intrinsics``, :func:`graphsh_tf.frame.normalize_with_intrinsics`, what
``Lifter(intrinsics=...)`` feeds the model).
"""
from __future__ import annotations

from typing import Sequence, Tuple

from graphsh_tf import skeleton as sk
from graphsh_tf.data import cameras as cam
from graphsh_tf.data.types import DataError, PoseSet

import numpy as np

#: A joint closer than this to the camera plane (mm) makes its row unusable.
MIN_DEPTH_MM = 100.0
NORMALIZATIONS: Tuple[str, ...] = ("image", "intrinsics")


def visible(world_mm: np.ndarray, pixels: np.ndarray, camera: cam.Camera, drop_outside: bool = True) -> np.ndarray:
    """Boolean ``(T,)``: the rows of world poses ``(T, J, 3)`` (projected to ``pixels``) that ``camera`` sees."""
    keep = (cam.world_to_camera(world_mm, camera)[..., 2] > MIN_DEPTH_MM).all(axis=1)
    if drop_outside:
        keep &= cam.in_image(pixels, camera).all(axis=1)
    return keep


def render_views(world_mm: np.ndarray, cameras: Sequence[cam.Camera], action: str, sequence: str,
                 normalization: str = "image", drop_outside: bool = True) -> Tuple[PoseSet, int]:
    """Render world poses ``(T, 16, 3)`` mm through each camera: the :class:`PoseSet` (rows of camera ``k``
    labelled ``{sequence}/cam{k}``, action ``action``) and the number of (frame, camera) rows dropped
    (:func:`visible`)."""
    from graphsh_tf.frame import normalize_with_intrinsics

    if normalization not in NORMALIZATIONS:
        raise DataError(f"normalization={normalization!r} must be one of {', '.join(NORMALIZATIONS)}")
    parts, dropped = [], 0
    for k, camera in enumerate(cameras):
        pixels, p2d, p3d = cam.render(world_mm, camera)
        if normalization == "intrinsics":
            p2d = normalize_with_intrinsics(pixels, (*camera.focal, *camera.center))
        keep = visible(world_mm, pixels, camera, drop_outside)
        dropped += int((~keep).sum())
        n = int(keep.sum())
        parts.append(PoseSet(p2d[keep], p3d[keep], np.full(n, action).astype(str),
                             np.full(n, f"{sequence}/cam{k}").astype(str), np.tile(camera.image_size, (n, 1))))
    return PoseSet.concat(parts, sk.H36M16.num_joints), dropped
