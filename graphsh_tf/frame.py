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


#: A focal length (pixels) between these multiples of the image's larger side: a field of view of about 180 degrees
#: (a focal of a few thousandths of the width) down to a few hundredths of a degree.
FOCAL_RANGE_PER_SIDE = (1e-3, 1e3)


def check_intrinsics(intrinsics, image_size) -> np.ndarray:
    """:func:`intrinsics_matrix`, then checked against the image ``(width, height)`` in pixels: the principal point
    within ``[-w, 2w] x [-h, 2h]`` and each focal length within :data:`FOCAL_RANGE_PER_SIDE` times ``max(w, h)``.
    Anything else is intrinsics of another image (or in other units) and would place the person anywhere: a
    ValueError starting with ``intrinsics`` that names the value and the fix. (An image size that is not positive
    and finite is left to the caller's own check.)"""
    k = intrinsics_matrix(intrinsics)
    try:
        w, h = (float(v) for v in image_size)
    except (TypeError, ValueError):
        return k
    if not (np.isfinite(w) and np.isfinite(h) and w > 0 and h > 0):
        return k
    fx, fy, cx, cy = k
    lo, hi = (r * max(w, h) for r in FOCAL_RANGE_PER_SIDE)
    if not (-w <= cx <= 2 * w and -h <= cy <= 2 * h):
        raise ValueError(f"intrinsics: principal point (cx, cy) = ({cx:g}, {cy:g}) px lies far outside the "
                         f"{w:g} x {h:g} image (accepted: cx in [{-w:g}, {2 * w:g}], cy in [{-h:g}, {2 * h:g}]); "
                         "pass (fx, fy, cx, cy) in pixels of this image (cx, cy is usually near its centre, "
                         f"({w / 2:g}, {h / 2:g}))")
    if not (lo <= fx <= hi and lo <= fy <= hi):
        raise ValueError(f"intrinsics: focal lengths (fx, fy) = ({fx:g}, {fy:g}) px are not those of a "
                         f"{w:g} x {h:g} image (accepted: {lo:g} to {hi:g} px); pass (fx, fy, cx, cy) in pixels of "
                         "this image (e.g. graphsh_tf.root.focal_from_fov(width, horizontal_fov_deg))")
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
