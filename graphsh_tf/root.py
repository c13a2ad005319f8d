"""Where the person is: the root (pelvis) position in camera coordinates from 2D keypoints, a root-relative 3D
pose and the camera intrinsics.

A lifter predicts joints relative to the pelvis, ``X_j`` (camera axes: x right, y down, z forward; mm). With the
root at ``T = (tx, ty, tz)`` the pinhole camera sees joint j at ``x_j = fx (X_j + tx) / (Z_j + tz) + cx`` (same for
y). Multiplying out gives two equations per joint that are LINEAR in ``T``::

    tx - a_j tz = a_j Z_j - X_j        with a_j = (x_j - cx) / fx
    ty - b_j tz = b_j Z_j - Y_j        with b_j = (y_j - cy) / fy

:func:`solve_root` solves them in the weighted least-squares sense (weights = keypoint confidences), in closed form
(3x3 normal equations), so a phone can place the skeleton in the scene every frame at no cost. The scale comes
from the lifter's metric bone lengths: a person of unusual size is placed proportionally nearer or farther.

The system is degenerate when every weighted joint lies on one viewing ray (e.g. all at one pixel): the depth is
then undetermined and the root is NaN (:data:`DEGENERATE_RATIO`), never a numpy ``LinAlgError`` or a huge number.
"""
from __future__ import annotations

from typing import Optional

from graphsh_tf.frame import intrinsics_matrix

import numpy as np


def focal_from_fov(image_width: float, horizontal_fov_deg: float) -> float:
    """Focal length in pixels of a camera whose image ``image_width`` pixels wide spans ``horizontal_fov_deg``."""
    if not 1.0 < horizontal_fov_deg < 179.0:
        raise ValueError(f"horizontal_fov_deg={horizontal_fov_deg}: must be between 1 and 179 degrees")
    return 0.5 * float(image_width) / np.tan(np.deg2rad(horizontal_fov_deg) / 2.0)


#: A pose's normal matrix ``M`` is degenerate (root NaN) when ``det(M) <= DEGENERATE_RATIO * prod(diag(M))``. For
#: these equations the ratio is ``(var a + var b) / mean(a^2 + b^2)`` (weighted; ``a, b`` the rays' slopes): 0 for
#: joints on one ray, still about 1e-5 for a person a few pixels tall at the image's edge. The Java port
#: (RootSolver) uses the same test.
DEGENERATE_RATIO = 1e-12


def solve_root(keypoints_px: np.ndarray, joints_mm: np.ndarray, intrinsics,
               weights: Optional[np.ndarray] = None) -> np.ndarray:
    """Root position ``(3,)`` mm (or ``(N, 3)`` for batches) in camera coordinates.

    ``keypoints_px`` ``(..., J, 2)`` pixels, ``joints_mm`` ``(..., J, 3)`` root-relative (the lifter's output),
    ``intrinsics`` ``(fx, fy, cx, cy)`` or a 3x3 matrix, ``weights`` ``(..., J)`` (confidences; joints with weight 0
    are ignored). Raises ValueError when fewer than two joints have weight (the depth is then undetermined); a pose
    whose weighted joints all lie on one viewing ray gets a NaN root (see :data:`DEGENERATE_RATIO`).
    """
    fx, fy, cx, cy = intrinsics_matrix(intrinsics)
    p = np.asarray(keypoints_px, dtype=np.float64)
    x3 = np.asarray(joints_mm, dtype=np.float64)
    single = p.ndim == 2
    if single:
        p, x3 = p[None], x3[None]
    if p.shape[:-1] != x3.shape[:-1] or p.shape[-1] != 2 or x3.shape[-1] != 3:
        raise ValueError(f"solve_root: keypoints {p.shape} and joints {x3.shape} must be (..., J, 2) and (..., J, 3)")
    w = np.ones(p.shape[:-1]) if weights is None else np.asarray(weights, dtype=np.float64).reshape(p.shape[:-1])
    w = np.where(np.isfinite(p).all(axis=-1) & (w > 0), w, 0.0)
    if np.any((w > 0).sum(axis=-1) < 2):
        raise ValueError("solve_root: at least two joints need a positive weight to fix the depth")
    p = np.where(np.isfinite(p), p, 0.0)
    a = (p[..., 0] - cx) / fx
    b = (p[..., 1] - cy) / fy
    # rows [1, 0, -a] T = a Z - X and [0, 1, -b] T = b Z - Y, weighted; normal equations per pose
    n = p.shape[0]
    out = np.empty((n, 3))
    for i in range(n):
        rows = np.concatenate([np.stack([np.ones_like(a[i]), np.zeros_like(a[i]), -a[i]], axis=1),
                               np.stack([np.zeros_like(b[i]), np.ones_like(b[i]), -b[i]], axis=1)])
        rhs = np.concatenate([a[i] * x3[i, :, 2] - x3[i, :, 0], b[i] * x3[i, :, 2] - x3[i, :, 1]])
        ww = np.concatenate([w[i], w[i]])
        lhs = rows.T @ (rows * ww[:, None])
        out[i] = _solve_normal(lhs, rows.T @ (rhs * ww))
    return out[0] if single else out


def _solve_normal(lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``lhs^-1 rhs`` for a symmetric positive semi-definite 3x3 ``lhs``; NaNs when it is degenerate or not finite."""
    nan = np.full(3, np.nan)
    if not (np.isfinite(lhs).all() and np.isfinite(rhs).all()):
        return nan
    det, scale = float(np.linalg.det(lhs)), float(np.prod(np.diag(lhs)))
    if not (scale > 0 and det > DEGENERATE_RATIO * scale):
        return nan
    try:
        t = np.linalg.solve(lhs, rhs)
    except np.linalg.LinAlgError:
        return nan
    return t if np.isfinite(t).all() else nan
