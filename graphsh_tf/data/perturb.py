"""The single corruptions of the robustness table (Gaussian noise, limb joints dropped and filled as the keypoint
adapters fill them, a left/right limb pair swapped) and the per-row conversion between normalized screen coordinates
and pixels; :mod:`graphsh_tf.data.corrupt` builds the detector-like mix on top of them."""
from __future__ import annotations

from typing import Tuple

from graphsh_tf import skeleton as sk

import numpy as np

H36M = sk.H36M16
NUM_JOINTS = H36M.num_joints
_J = H36M.index

#: Left/right pairs a swap exchanges (the limbs below hips and shoulders).
SWAP_PAIRS: Tuple[Tuple[int, int], ...] = ((_J("RKnee"), _J("LKnee")), (_J("RFoot"), _J("LFoot")),
                                           (_J("LElbow"), _J("RElbow")), (_J("LWrist"), _J("RWrist")))
#: Joints a single-corruption drop may remove (the limbs below the hips and shoulders).
DROPPABLE_JOINTS: Tuple[int, ...] = (2, 3, 5, 6, 11, 12, 14, 15)


class CorruptionError(ValueError):
    """A corruption spec or its input is malformed; the message names the field and the accepted values."""


def as_rng(rng) -> np.random.Generator:
    """A numpy Generator from a Generator or a seed."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def gaussian_noise(x, sigma, rng) -> np.ndarray:
    """``x (N, J, 2)`` plus Gaussian noise of std ``sigma`` per coordinate (one number or one per row), float64."""
    x = np.asarray(x, dtype=np.float64)
    sig = np.broadcast_to(np.asarray(sigma, np.float64).reshape(-1), (len(x),))
    return x + as_rng(rng).normal(0.0, 1.0, size=x.shape) * sig[:, None, None]


def drop_limb_joints(x, k: int, rng, skeleton: sk.Skeleton = H36M) -> Tuple[np.ndarray, np.ndarray]:
    """``k`` distinct joints of :data:`DROPPABLE_JOINTS` per pose missing and filled as the keypoint adapters fill a
    missed limb joint: with its parent's position, parents first (a limb joint's parent is a detector joint, so this
    is the adapters' rule exactly). Returns ``(x float64, missing (N, J) bool)``."""
    if not 0 <= k <= len(DROPPABLE_JOINTS):
        raise CorruptionError(f"drop_joints={k}: choose 0..{len(DROPPABLE_JOINTS)}")
    x = np.array(x, dtype=np.float64)
    n = len(x)
    missing = np.zeros((n, skeleton.num_joints), dtype=bool)
    if k:
        chosen = np.argsort(as_rng(rng).random((n, len(DROPPABLE_JOINTS))), axis=1)[:, :k]
        missing[np.arange(n)[:, None], np.asarray(DROPPABLE_JOINTS)[chosen]] = True
        for j in range(skeleton.num_joints):    # parents come before children in H36M-16
            p = skeleton.parents[j]
            if p >= 0:
                x[missing[:, j], j] = x[missing[:, j], p]
    return x, missing


def swap_limb_pairs(x, k: int, rng) -> Tuple[np.ndarray, np.ndarray]:
    """``k`` distinct left/right pairs of :data:`SWAP_PAIRS` per pose trade positions (a detector's left/right
    inversion). Returns ``(x float64, swapped (N, 16) bool)``."""
    if not 0 <= k <= len(SWAP_PAIRS):
        raise CorruptionError(f"swap_limbs={k}: choose 0..{len(SWAP_PAIRS)}")
    x = np.array(x, dtype=np.float64)
    n = len(x)
    swapped = np.zeros((n, NUM_JOINTS), dtype=bool)
    if k:
        pairs = np.asarray(SWAP_PAIRS)[np.argsort(as_rng(rng).random((n, len(SWAP_PAIRS))), axis=1)[:, :k]]
        rows = np.arange(n)[:, None]
        a, b = pairs[..., 0], pairs[..., 1]
        xa, xb = x[rows, a].copy(), x[rows, b].copy()
        x[rows, a], x[rows, b] = xb, xa
        swapped[rows, a] = swapped[rows, b] = True
    return x, swapped


# --- normalized coordinates <-> pixels, per row ----------------------------------------------------------------

def _sizes(n: int, image_size) -> Tuple[np.ndarray, np.ndarray]:
    wh = np.broadcast_to(np.asarray(image_size, np.float64).reshape(-1, 2), (n, 2))
    return wh[:, 0, None], wh[:, 1, None]


def to_pixels(x2d, image_size) -> np.ndarray:
    """Normalized screen coordinates ``(N, J, 2)`` → pixels (float64), each row with its own ``image_size``
    ``(N, 2)`` or one ``(w, h)`` (the inverse of :func:`graphsh_tf.frame.normalize_screen_coordinates`)."""
    x = np.asarray(x2d, np.float64)
    w, h = _sizes(len(x), image_size)
    return np.stack([(x[..., 0] + 1.0) * w / 2.0, (x[..., 1] + h / w) * w / 2.0], -1)


def to_normalized(xy_px, image_size) -> np.ndarray:
    """Pixels ``(N, J, 2)`` → normalized screen coordinates (float32), per row as :func:`to_pixels`."""
    a = np.asarray(xy_px, np.float64)
    w, h = _sizes(len(a), image_size)
    return np.stack([a[..., 0] / w * 2.0 - 1.0, a[..., 1] / w * 2.0 - h / w], -1).astype(np.float32)
