"""Rotations and forward kinematics, vectorised over frames (numpy)."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def axis_rotation(axis: str, angles_rad: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` about ``axis`` ('x', 'y' or 'z') by ``angles_rad`` ``(...)``
    (right-handed, active: rotates vectors counter-clockwise seen from the positive axis)."""
    angles_rad = np.asarray(angles_rad, dtype=np.float64)
    c, s = np.cos(angles_rad), np.sin(angles_rad)
    one, zero = np.ones_like(c), np.zeros_like(c)
    if axis == "x":
        rows = (one, zero, zero, zero, c, -s, zero, s, c)
    elif axis == "y":
        rows = (c, zero, s, zero, one, zero, -s, zero, c)
    elif axis == "z":
        rows = (c, -s, zero, s, c, zero, zero, zero, one)
    else:
        raise ValueError(f"rotation axis {axis!r} is not x, y or z")
    return np.stack(rows, axis=-1).reshape(angles_rad.shape + (3, 3))


def euler_to_matrix(angles_rad: np.ndarray, order: str) -> np.ndarray:
    """Intrinsic Euler angles ``(..., len(order))`` → matrices ``(..., 3, 3)``: ``R = R_order[0] @ R_order[1] @ ...``
    (the BVH convention: channels listed left to right multiply left to right)."""
    angles_rad = np.asarray(angles_rad, dtype=np.float64)
    result = None
    for k, axis in enumerate(order.lower()):
        r = axis_rotation(axis, angles_rad[..., k])
        result = r if result is None else result @ r
    return result


def forward_kinematics(parents: Sequence[int], translations: np.ndarray, rotations: np.ndarray,
                       return_rotations: bool = False):
    """Global joint positions from local transforms.

    ``parents``: (J,) parent index per joint, parents before children, -1 for roots. ``translations``: (T, J, 3)
    position of each joint in its parent's frame (for a root: in the world). ``rotations``: (T, J, 3, 3) local
    rotation of each joint. Returns (T, J, 3) world positions (same unit as ``translations``), and the (T, J, 3, 3)
    global rotations when ``return_rotations``.
    """
    translations = np.asarray(translations, dtype=np.float64)
    num_frames, num_joints = translations.shape[:2]
    glob_rot = np.empty((num_frames, num_joints, 3, 3))
    glob_pos = np.empty((num_frames, num_joints, 3))
    for j, p in enumerate(parents):
        if p < 0:
            glob_rot[:, j] = rotations[:, j]
            glob_pos[:, j] = translations[:, j]
        else:
            if p >= j:
                raise ValueError(f"joint {j} has parent {p}: parents must come before their children")
            glob_pos[:, j] = glob_pos[:, p] + np.einsum("tab,tb->ta", glob_rot[:, p], translations[:, j])
            glob_rot[:, j] = glob_rot[:, p] @ rotations[:, j]
    return (glob_pos, glob_rot) if return_rotations else glob_pos
