"""Temporal smoothing of per-frame 3D output: a One Euro filter per coordinate (Casiez, Roussel, Vogel, CHI 2012).

Per-frame lifting jitters on video (each frame is lifted on its own from noisy detector keypoints). The One Euro
filter is a first-order low-pass filter whose cutoff frequency adapts to the signal's speed: slow movements are
smoothed strongly (little jitter), fast movements lightly (little lag). Per coordinate, at time ``t`` (seconds)
with ``dt = t - t_prev``::

    alpha(fc) = 1 / (1 + 1 / (2 pi fc dt))
    dx_hat    = alpha(d_cutoff) * (x - x_hat_prev) / dt + (1 - alpha(d_cutoff)) * dx_hat_prev
    fc        = min_cutoff + beta * |dx_hat|
    x_hat     = alpha(fc) * x + (1 - alpha(fc)) * x_hat_prev

The first sample passes through unchanged. ``min_cutoff`` (Hz): lower removes more jitter at rest; ``beta``
(1/unit of the signal; here per mm/s): higher reduces lag in fast motion; ``d_cutoff`` (Hz) smooths the speed
estimate. The defaults (1.0 Hz, 0.01, 1.0 Hz) suit joints in mm at about 30 fps. Non-finite inputs (e.g. a NaN root
when too few joints were detected) pass through and leave that coordinate's state unchanged.

The Java port is ``org.graphsh.lifter.OneEuro`` in android_demo/lifter-core (checked against golden vectors).
"""
from __future__ import annotations

import dataclasses
from typing import Optional, Sequence, Tuple

from graphsh_tf.anatomy import BodyLengths, apply_lengths

import numpy as np

DEFAULT_MIN_CUTOFF = 1.0
DEFAULT_BETA = 0.01
DEFAULT_D_CUTOFF = 1.0


def _alpha(cutoff, dt):
    tau = 1.0 / (2.0 * np.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter over arrays of a fixed shape (e.g. ``(16, 3)`` joints in mm), each element independently.

    ``f(x, t)`` returns the filtered array (float64) for the sample ``x`` at time ``t`` seconds; ``reset()`` forgets
    the history. Raises ValueError for bad parameters, a changed shape, or timestamps that do not increase.
    """

    def __init__(self, min_cutoff: float = DEFAULT_MIN_CUTOFF, beta: float = DEFAULT_BETA,
                 d_cutoff: float = DEFAULT_D_CUTOFF):
        vals = (min_cutoff, beta, d_cutoff)
        if not (all(np.isfinite(v) for v in vals) and min_cutoff > 0 and beta >= 0 and d_cutoff > 0):
            raise ValueError(f"OneEuroFilter: min_cutoff > 0, beta >= 0, d_cutoff > 0 required; got {vals}")
        self.min_cutoff, self.beta, self.d_cutoff = float(min_cutoff), float(beta), float(d_cutoff)
        self.reset()

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def __call__(self, x, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        t = float(t)
        if not np.isfinite(t):
            raise ValueError(f"OneEuroFilter: timestamp must be finite seconds, got {t}")
        if self._x is None:
            self._x, self._dx = np.zeros(x.shape), np.zeros(x.shape)
            self._t = np.full(x.shape, np.nan)
        elif x.shape != self._x.shape:
            raise ValueError(f"OneEuroFilter: expected shape {self._x.shape}, got {x.shape}")
        finite = np.isfinite(x)
        first = finite & np.isnan(self._t)
        upd = finite & ~first
        out = x.copy()
        if upd.any():
            dt = t - self._t[upd]
            if np.any(~(dt > 0)):
                raise ValueError(f"OneEuroFilter: timestamps must increase; got {t} after {np.nanmax(self._t)}")
            xu, xp = x[upd], self._x[upd]
            ad = _alpha(self.d_cutoff, dt)
            dx_hat = ad * (xu - xp) / dt + (1.0 - ad) * self._dx[upd]
            a = _alpha(self.min_cutoff + self.beta * np.abs(dx_hat), dt)
            x_hat = a * xu + (1.0 - a) * xp
            self._x[upd], self._dx[upd], self._t[upd] = x_hat, dx_hat, t
            out[upd] = x_hat
        self._x[first], self._dx[first], self._t[first] = x[first], 0.0, t
        return out


def smooth_sequence(poses, fps: float, min_cutoff: float = DEFAULT_MIN_CUTOFF, beta: float = DEFAULT_BETA,
                    d_cutoff: float = DEFAULT_D_CUTOFF, timestamps: Optional[Sequence[float]] = None) -> np.ndarray:
    """Filter a sequence ``(T, ...)`` (e.g. ``(T, 16, 3)`` mm) along time; frame i is at ``i / fps`` seconds (or at
    ``timestamps[i]``). Returns float64 of the same shape."""
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim < 1:
        raise ValueError("smooth_sequence: expected a sequence (T, ...)")
    if timestamps is None:
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"smooth_sequence: fps must be positive, got {fps}")
        timestamps = np.arange(len(poses)) / float(fps)
    elif len(timestamps) != len(poses):
        raise ValueError(f"smooth_sequence: {len(timestamps)} timestamps for {len(poses)} frames")
    f = OneEuroFilter(min_cutoff, beta, d_cutoff)
    return np.stack([f(p, t) for p, t in zip(poses, timestamps)]) if len(poses) else poses.copy()


class LifterStream:
    """A lifter with state across frames: each call lifts one frame with ``lifter`` (a
    :class:`graphsh_tf.lite.lifter.Lifter`, or anything whose call returns a
    :class:`graphsh_tf.lite.lifter.LiftResult`) and One-Euro filters its ``joints_mm`` and, when intrinsics are given,
    its ``root_mm``; it returns the same result with those two smoothed.

    Two filters with the same parameters: one over the ``(16, 3)`` joints, one over the ``(3,)`` root; both keep their
    state until :meth:`reset` (call it when the person is lost or the stream restarts). ``t`` is the frame's
    timestamp in seconds (the camera's, not a frame count, so dropped frames do not distort the speed) and must
    increase. :meth:`step` is the filtering alone (lifted joints and root in, smoothed out), without a model; the
    Java port ``org.graphsh.lifter.LifterStream`` is checked against it (tests/fixtures/golden/stream.json).

    ``one_body=True`` (the default) gives every frame of the track one body: the smoothed pose is rebuilt along its
    own bone directions with the person's bone lengths, the median over the track's confident frames (valid, every
    joint seen), left and right equal (:class:`graphsh_tf.anatomy.BodyLengths`); directions are unchanged, lengths
    stop breathing from frame to frame. :meth:`reset` forgets the lengths too (a new person)."""

    def __init__(self, lifter, min_cutoff: float = DEFAULT_MIN_CUTOFF, beta: float = DEFAULT_BETA,
                 d_cutoff: float = DEFAULT_D_CUTOFF, one_body: bool = True):
        self.lifter = lifter
        self._joints = OneEuroFilter(min_cutoff, beta, d_cutoff)
        self._root = OneEuroFilter(min_cutoff, beta, d_cutoff)
        self._body = BodyLengths() if one_body else None

    def reset(self) -> None:
        self._joints.reset()
        self._root.reset()
        if self._body is not None:
            self._body.reset()

    def __call__(self, keypoints_px, image_size, t: float, scores=None, intrinsics=None):
        """One pose ``(K, 2|3)`` at time ``t`` seconds → the lifter's result with ``joints_mm`` (float32) and
        ``root_mm`` smoothed."""
        result = self.lifter(keypoints_px, image_size, scores=scores, intrinsics=intrinsics)
        joints, root = self.step(result.joints_mm, result.root_mm, t)
        if self._body is not None:
            confident = bool(np.all(result.valid)) and bool(np.all(np.asarray(result.confidence) > 0))
            joints = apply_lengths(joints, self._body.update(joints, confident)).astype(np.float32)
        return dataclasses.replace(result, joints_mm=joints, root_mm=root)

    def step(self, joints_mm, root_mm, t: float) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """Filter one lifted frame: joints ``(16, 3)`` mm and ``root_mm`` ``(3,)`` → ``(smoothed joints float32,
        smoothed root float64)``. A None root (no intrinsics this frame) leaves the root filter alone and comes back
        None; NaN root coordinates pass through without touching the state. ValueError when ``t`` does not increase
        (nothing is updated then)."""
        out = self._joints(joints_mm, t).astype(np.float32)
        return out, (None if root_mm is None else self._root(root_mm, t))
