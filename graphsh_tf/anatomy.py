"""One body per person: bone lengths of H36M-16 poses, how symmetric and steady they are, limb directions, and
the constraint that gives a pose the lengths of one body.

* :func:`bone_lengths` ``(..., 15)`` (every child-parent bone of :data:`graphsh_tf.skeleton.H36M16`),
  :func:`asymmetry` (``|L - R| / mean`` of the thigh, shin, upper arm and forearm pairs) and
  :func:`limb_direction_error_deg` (angle between predicted and true limb vectors: upper arms, forearms, thighs,
  shins) are what ``benchmarks/in_the_wild.py`` reports.
* :func:`symmetric_lengths` averages each left/right pair; :func:`apply_lengths` rebuilds a pose from the root out
  with given bone lengths along its own bone directions (directions, hence the limb-direction error, unchanged);
  :class:`BodyLengths` keeps a running per-person estimate of the lengths (a median over the frames seen), which
  :class:`graphsh_tf.smoothing.LifterStream` applies to every frame of a track.
"""
from __future__ import annotations

from collections import deque

from graphsh_tf import skeleton

import numpy as np

_S = skeleton.H36M16
PARENTS = np.asarray(_S.parents)
#: (child, parent) of every bone, in joint order: bone ``j - 1`` ends at joint ``j``
BONES = tuple((j, int(p)) for j, p in enumerate(_S.parents) if p >= 0)
_k = _S.index
#: the limb bones as (name, child joint, parent joint)
LIMBS = (("right upper arm", _k("RElbow"), _k("RShoulder")), ("right forearm", _k("RWrist"), _k("RElbow")),
         ("left upper arm", _k("LElbow"), _k("LShoulder")), ("left forearm", _k("LWrist"), _k("LElbow")),
         ("right thigh", _k("RKnee"), _k("RHip")), ("right shin", _k("RFoot"), _k("RKnee")),
         ("left thigh", _k("LKnee"), _k("LHip")), ("left shin", _k("LFoot"), _k("LKnee")))
#: the 12 joints at the ends of the limbs (hips, knees, feet, shoulders, elbows, wrists)
LIMB_JOINTS = tuple(sorted({_k(n) for n in ("RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "LShoulder",
                                            "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist")}))
#: left/right bone pairs (indices into :func:`bone_lengths`' last axis): thigh, shin, upper arm, forearm, hip,
#: shoulder
PAIRS = tuple((_k(left) - 1, _k(right) - 1) for left, right in
              (("LKnee", "RKnee"), ("LFoot", "RFoot"), ("LElbow", "RElbow"), ("LWrist", "RWrist"),
               ("LHip", "RHip"), ("LShoulder", "RShoulder")))
LIMB_PAIRS = PAIRS[:4]
#: lower-body joints (what a camera cut at the waist does not see)
LOWER_BODY = tuple(_k(n) for n in ("RKnee", "RFoot", "LKnee", "LFoot"))


def bone_lengths(poses) -> np.ndarray:
    """``(..., 16, 3)`` -> ``(..., 15)``: the length of bone ``j - 1`` from joint ``j`` to its parent."""
    p = np.asarray(poses, dtype=np.float64)
    return np.linalg.norm(p[..., 1:, :] - p[..., PARENTS[1:], :], axis=-1)


def asymmetry(poses, pairs=LIMB_PAIRS) -> np.ndarray:
    """``(..., len(pairs))``: ``|left - right| / mean(left, right)`` of each bone pair (0 = symmetric)."""
    b = bone_lengths(poses)
    left = b[..., [a for a, _ in pairs]]
    right = b[..., [c for _, c in pairs]]
    return np.abs(left - right) / np.maximum(0.5 * (left + right), 1e-9)


def limb_direction_error_deg(pred, true) -> np.ndarray:
    """``(..., 8)``: the angle in degrees between each predicted limb vector and the true one (:data:`LIMBS`)."""
    p, t = np.asarray(pred, dtype=np.float64), np.asarray(true, dtype=np.float64)
    child = [c for _, c, _ in LIMBS]
    parent = [q for _, _, q in LIMBS]
    a = p[..., child, :] - p[..., parent, :]
    b = t[..., child, :] - t[..., parent, :]
    cos = (a * b).sum(-1) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def symmetric_lengths(lengths) -> np.ndarray:
    """Bone lengths ``(..., 15)`` with every left/right pair replaced by the pair's mean."""
    b = np.array(lengths, dtype=np.float64)
    for a, c in PAIRS:
        m = 0.5 * (b[..., a] + b[..., c])
        b[..., a] = m
        b[..., c] = m
    return b


def apply_lengths(poses, lengths) -> np.ndarray:
    """Poses ``(..., 16, 3)`` rebuilt from the root outwards with bone ``j - 1`` of length ``lengths[..., j - 1]``
    along the pose's own direction from joint ``j``'s parent to ``j``; the root stays where it is. A bone of zero
    length keeps its (zero) vector."""
    p = np.asarray(poses, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.float64)
    out = p.copy()
    for j in range(1, p.shape[-2]):
        q = PARENTS[j]
        v = p[..., j, :] - p[..., q, :]
        n = np.linalg.norm(v, axis=-1, keepdims=True)
        unit = np.where(n > 1e-9, v / np.maximum(n, 1e-9), 0.0)
        out[..., j, :] = out[..., q, :] + unit * lengths[..., j - 1, None]
    return out


def one_body(poses) -> np.ndarray:
    """Each pose of ``(..., 16, 3)`` given symmetric bone lengths (each left/right pair at its mean)."""
    return apply_lengths(poses, symmetric_lengths(bone_lengths(poses)))


class BodyLengths:
    """A person's bone lengths, estimated from the poses of a track: the median over the last ``window`` frames
    whose joints were all seen (``update(pose, confident)``), left and right made equal. Before any confident frame
    the pose's own symmetric lengths are used."""

    def __init__(self, window: int = 120):
        if not (isinstance(window, int) and window >= 1):
            raise ValueError(f"BodyLengths(window={window!r}): use a whole number of frames >= 1")
        self._seen = deque(maxlen=window)

    def update(self, pose, confident: bool = True) -> np.ndarray:
        """Record ``pose`` (16, 3) when ``confident`` and return the lengths to give it ``(15,)``."""
        b = bone_lengths(pose)
        if confident and np.all(np.isfinite(b)):
            self._seen.append(b)
        if not self._seen:
            return symmetric_lengths(b)
        return symmetric_lengths(np.median(np.stack(self._seen), axis=0))

    def reset(self) -> None:
        self._seen.clear()
