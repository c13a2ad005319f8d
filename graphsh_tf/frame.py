"""The frame, step 1 of the input contract (:mod:`graphsh_tf.contract`): pixels -> normalized coordinates, either
the screen frame of VideoPose3D (``u = 2x/w - 1``, ``v = 2y/w - h/w``) or a camera's viewing rays expressed in the
training cameras' field of view (from its intrinsics)."""
from __future__ import annotations

import numpy as np


def normalize_screen_coordinates(xy: np.ndarray, w: float, h: float) -> np.ndarray:
    """Pixels ``(..., 2)`` → normalized screen coordinates (x in [-1, 1], aspect kept), float32."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.shape[-1] != 2:
        raise ValueError(f"expected 2D points with last dimension 2, got shape {xy.shape}")
    return (xy / w * 2.0 - np.array([1.0, h / w])).astype(np.float32)


def image_coordinates(uv: np.ndarray, w: float, h: float) -> np.ndarray:
    """Inverse of :func:`normalize_screen_coordinates`: normalized coordinates ``(..., 2)`` → pixels."""
    uv = np.asarray(uv, dtype=np.float64)
    if uv.shape[-1] != 2:
        raise ValueError(f"expected 2D points with last dimension 2, got shape {uv.shape}")
    return ((uv + np.array([1.0, h / w])) * w / 2.0).astype(np.float32)


#: The Human3.6M cameras' focal length in the normalized frame above (``2 f / w``: fx ≈ 1147 px at w = 1000 px).
#: A model trained on Human3.6M (or on BVH / synthetic data through its cameras) has learnt this field of view.
H36M_FOCAL_NORM = 2.0 * 1147.0 / 1000.0


def intrinsics_matrix(intrinsics) -> np.ndarray:
    """``(fx, fy, cx, cy)`` in pixels, or a 3x3 camera matrix → ``(fx, fy, cx, cy)`` float64; ValueError naming
    the problem otherwise."""
    k = np.asarray(intrinsics, dtype=np.float64)
    if k.shape == (3, 3):
        k = np.array([k[0, 0], k[1, 1], k[0, 2], k[1, 2]])
    if k.shape != (4,) or not np.all(np.isfinite(k)) or k[0] <= 0 or k[1] <= 0:
        raise ValueError(f"intrinsics: expected (fx, fy, cx, cy) in pixels with fx, fy > 0, or a 3x3 camera matrix; "
                         f"got {np.asarray(intrinsics).tolist()}")
    return k


def normalize_with_intrinsics(xy: np.ndarray, intrinsics, focal_norm: float = H36M_FOCAL_NORM) -> np.ndarray:
    """Pixels ``(..., 2)`` of a camera with ``intrinsics`` ``(fx, fy, cx, cy)`` → the normalized coordinates the same
    viewing RAYS would have in a camera of normalized focal ``focal_norm`` centred on its image:
    ``u = focal_norm (x - cx) / fx``, ``v = focal_norm (y - cy) / fy``. A phone's wide-angle image of a person thus
    looks to the model as the training cameras would have seen that person at the same place."""
    xy = np.asarray(xy, dtype=np.float64)
    k = np.asarray(intrinsics, dtype=np.float64).reshape(-1)
    if xy.shape[-1] != 2 or k.shape != (4,) or not np.all(np.isfinite(k)) or k[0] <= 0 or k[1] <= 0:
        raise ValueError(f"normalize_with_intrinsics: points (..., 2) and intrinsics (fx, fy, cx, cy) with fx, fy > 0; "
                         f"got {xy.shape} and {k.tolist()}")
    return (focal_norm * (xy - k[2:]) / k[:2]).astype(np.float32)
