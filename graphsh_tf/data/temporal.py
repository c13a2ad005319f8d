"""Windows of consecutive frames for the temporal lifter, and the detector-like corruption over time (numpy).

Sequences
---------
Every source labels its rows with a sequence (``PoseSet.sequences``, e.g. ``S1/Walking 1/cam0``); the rows of one
sequence, in their order, are its consecutive frames (a source that drops rows, e.g. a joint outside a phone
camera's image, makes the frames on both sides of a dropped row neighbours). :func:`window_index` gives every row
the rows of the last ``T`` frames of its sequence, oldest first; a window reaching before the sequence's first
frame repeats that first frame, which is what a stream does at start-up (:class:`graphsh_tf.temporal.TemporalStream`).
The target of a window is its newest (last) row's 3D.

Corruption over time (:class:`TemporalCorruption`)
--------------------------------------------------
A detector's errors on video are correlated from frame to frame. Each frame of a window gets the single-frame
detector mix of :mod:`graphsh_tf.data.corrupt` (its scores, score-dependent jitter, gross errors and left/right
swaps: :meth:`~graphsh_tf.data.corrupt.DetectorCorruption.apply_with_events` with misses off), then:

* **jitter** is correlated over time: the per-frame Gaussian offsets of the joints without a gross error or swap
  go through a first-order autoregression ``e_t = rho e_{t-1} + sqrt(1 - rho^2) n_t`` (``rho = correlation``),
  which keeps each frame's jitter distribution and shares part of it between neighbouring frames;
* **misses persist**: each detector joint is missed or seen by a two-state Markov chain whose stationary miss
  rate is the single-frame mix's (``miss * MISS_RATE[j]``) and whose missed runs last ``miss_frames`` frames on
  average; whole-limb occlusions (``occlusion_rate``) likewise, one limb per window. Missed joints get score 0 and
  are filled as the adapters fill them (:func:`graphsh_tf.data.corrupt.fill_missing`);
* padded frames (the repeats of a sequence's first frame) are copies of that frame's corrupted version, as a
  stream repeats the first frame it was given.

``correlation = 0.6`` and ``miss_frames = 8`` are ASSUMPTIONS (not fitted to a detector's output on video), the
knobs to refit once a detector's tracks on mocap video are measured.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional, Tuple, Union

from graphsh_tf.data import corrupt as cr
from graphsh_tf.data.perturb import as_rng, to_normalized, to_pixels
from graphsh_tf.data.types import DataError

import numpy as np


def sequence_starts(sequences) -> np.ndarray:
    """``(N,)`` int: for each row, the row where its run of equal consecutive sequence labels starts."""
    labels = np.asarray(sequences)
    n = len(labels)
    if n == 0:
        return np.zeros(0, np.int64)
    new = np.ones(n, bool)
    new[1:] = labels[1:] != labels[:-1]
    return np.maximum.accumulate(np.where(new, np.arange(n), 0))


def window_index(sequences, window: int) -> np.ndarray:
    """``(N, window)`` int32 rows: row ``i``'s window is the rows of the last ``window`` frames of its sequence
    ending at ``i``, oldest first, the sequence's first row repeated where the window reaches before it."""
    if window < 1:
        raise DataError(f"window={window}: the temporal window must be >= 1 frames")
    starts = sequence_starts(sequences)
    rows = np.arange(len(starts))[:, None] - (window - 1) + np.arange(window)[None]
    return np.maximum(rows, starts[:, None]).astype(np.int32)


def windows(x, sequences, window: int) -> np.ndarray:
    """Per-frame rows ``x (N, ...)`` → windows ``(N, window, ...)`` (:func:`window_index`)."""
    x = np.asarray(x)
    if len(x) != len(sequences):
        raise DataError(f"windows: {len(x)} rows but {len(sequences)} sequence labels; pass the labels of the rows")
    return x[window_index(sequences, window)]


def padded_frames(index: np.ndarray) -> np.ndarray:
    """``(B, T)`` bool: the frames of windows ``index (B, T)`` that repeat the frame after them (start-up padding)."""
    index = np.asarray(index)
    pad = np.zeros(index.shape, bool)
    pad[:, :-1] = index[:, :-1] == index[:, 1:]
    return pad


@dataclass(frozen=True)
class TemporalCorruption:
    """The detector mix over windows of frames (see the module doc). ``params``: a
    :class:`~graphsh_tf.data.corrupt.CorruptionParams` or a spec string (e.g. ``detector``); ``correlation``: the
    jitter's frame-to-frame autoregression coefficient in [0, 1); ``miss_frames``: the mean length of a missed run
    (frames, >= 1)."""

    params: Union[cr.CorruptionParams, str, None] = None
    correlation: float = 0.6
    miss_frames: float = 8.0

    def __post_init__(self):
        p = self.params
        p = cr.PRESETS["detector"] if p is None else cr.CorruptionParams.parse(p) if isinstance(p, str) else p
        object.__setattr__(self, "params", p.validate())
        if not 0.0 <= float(self.correlation) < 1.0:
            raise cr.CorruptionError(f"temporal corruption correlation={self.correlation!r}: must be in [0, 1)")
        if not float(self.miss_frames) >= 1.0:
            raise cr.CorruptionError(f"temporal corruption miss_frames={self.miss_frames!r}: must be >= 1 frame")

    def apply(self, xy_px, rng=0, image_size=None, pad: Optional[np.ndarray] = None
              ) -> Tuple[np.ndarray, np.ndarray]:
        """Clean pixels of windows ``(B, T, 16, 2)`` (oldest first) → corrupted pixels ``(B, T, 16, 2)`` float64
        and the adapters' confidences ``(B, T, 16)``. ``image_size``: ``(w, h)`` or ``(B, 2)`` pixels; ``pad``:
        ``(B, T)`` bool start-up padding (:func:`padded_frames`), copied from the first real frame."""
        rng = as_rng(rng)
        clean = np.asarray(xy_px, np.float64)
        if clean.ndim != 4 or clean.shape[2:] != (cr.NUM_JOINTS, 2):
            raise cr.CorruptionError(f"keypoints: expected windows of H36M-16 pixels (B, T, {cr.NUM_JOINTS}, 2), "
                                     f"got {clean.shape}")
        b, t = clean.shape[:2]
        size = None
        if image_size is not None:
            size = np.repeat(np.broadcast_to(np.asarray(image_size, np.float64).reshape(-1, 2), (b, 2)), t, 0)
        no_miss = dataclasses.replace(self.params, miss=0.0, occlusion_rate=0.0)
        flat = clean.reshape(b * t, cr.NUM_JOINTS, 2)
        xy, conf, ev = cr.DetectorCorruption(no_miss).apply_with_events(flat, rng, size)
        xy, conf = xy.reshape(clean.shape), conf.reshape(b, t, cr.NUM_JOINTS)
        event = (ev["gross"] | ev["swapped"]).reshape(b, t, cr.NUM_JOINTS)
        sigma = ev["sigma"].reshape(b, t, cr.NUM_JOINTS)
        # jitter: the per-frame offsets (fresh draws where an event replaced them), correlated over time
        noise = np.where(event[..., None], rng.standard_normal(clean.shape) * sigma[..., None], xy - clean)
        rho, keep = float(self.correlation), np.sqrt(1.0 - float(self.correlation) ** 2)
        jitter = noise.copy()
        for k in range(1, t):
            jitter[:, k] = rho * jitter[:, k - 1] * (sigma[:, k] / np.maximum(sigma[:, k - 1], 1e-9))[..., None] \
                + keep * noise[:, k]
        xy = np.where(event[..., None], xy, clean + jitter)
        missed = self._misses(rng, b, t)
        scores = np.where(missed, 0.0, conf)
        out, conf = cr.fill_missing(xy.reshape(b * t, cr.NUM_JOINTS, 2), scores.reshape(b * t, cr.NUM_JOINTS))
        out, conf = out.reshape(clean.shape), conf.reshape(b, t, cr.NUM_JOINTS)
        if pad is not None and np.any(pad):
            first = np.asarray(pad, bool).sum(axis=1)            # the first real frame of each window
            rows = np.arange(b)
            src = np.where(np.asarray(pad, bool), first[:, None], np.arange(t)[None])
            out, conf = out[rows[:, None], src], conf[rows[:, None], src]
        return out, conf

    def _misses(self, rng: np.random.Generator, b: int, t: int) -> np.ndarray:
        """``(B, T, 16)`` bool: missed detector joints, runs of ``miss_frames`` frames on average, and whole limbs."""
        p, off = self.params, 1.0 / float(self.miss_frames)
        rate = np.zeros(cr.NUM_JOINTS)
        rate[list(cr.DETECTOR_JOINTS)] = p.miss * cr.MISS_RATE[list(cr.DETECTOR_JOINTS)]
        missed = _markov(rng, np.broadcast_to(rate, (b, cr.NUM_JOINTS)), off, t)
        limb = _markov(rng, np.full((b, 1), p.occlusion_rate), off, t)[..., 0]           # (B, T)
        chain = rng.integers(0, len(cr.LIMB_CHAINS), b)
        for k, joints in enumerate(cr.LIMB_CHAINS):
            sel = chain == k
            for j in joints:
                missed[sel, :, j] |= limb[sel]
        return missed


def _markov(rng: np.random.Generator, rate: np.ndarray, off: float, t: int) -> np.ndarray:
    """``(B, T, K)`` bool states of two-state chains with stationary probability ``rate (B, K)`` of being on and
    probability ``off`` of switching off per frame (mean on-run ``1 / off`` frames)."""
    rate = np.clip(np.asarray(rate, np.float64), 0.0, 0.999)
    on = np.clip(rate * off / (1.0 - rate), 0.0, 1.0)
    state = rng.random(rate.shape) < rate
    out = np.empty((rate.shape[0], t, rate.shape[1]), bool)
    for k in range(t):
        if k:
            u = rng.random(rate.shape)
            state = np.where(state, u >= off, u < on)
        out[:, k] = state
    return out


def corrupt_windows_normalized(x2d, image_size, corruption: Union[TemporalCorruption, str, None] = None, rng=0,
                               pad: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """:meth:`TemporalCorruption.apply` on normalized windows ``(B, T, 16, 2)`` (``image_size`` ``(B, 2)`` or
    ``(w, h)`` pixels). Returns float32 ``(x2d, confidence (B, T, 16))``."""
    tc = corruption if isinstance(corruption, TemporalCorruption) else TemporalCorruption(corruption)
    x = np.asarray(x2d, np.float64)
    b, t = x.shape[:2]
    size = np.broadcast_to(np.asarray(image_size, np.float64).reshape(-1, 2), (b, 2))
    px = to_pixels(x.reshape(b, t * cr.NUM_JOINTS, 2), size).reshape(x.shape)
    xy, conf = tc.apply(px, rng, size, pad)
    out = to_normalized(xy.reshape(b, t * cr.NUM_JOINTS, 2), size).reshape(x.shape)
    return out.astype(np.float32), conf.astype(np.float32)


def corrupt_windows_tf(x2d, image_size, pad, seed, corruption: Union[TemporalCorruption, str, None] = None):
    """TensorFlow twin of :func:`corrupt_windows_normalized` for ``tf.data`` maps (as
    :func:`graphsh_tf.data.corrupt.corrupt_tf`): ``x2d (B, T, 16, 2)``, ``image_size (B, 2)``, ``pad (B, T)``
    bool, ``seed`` an int64 ``(2,)`` tensor; float32 ``(x2d, confidence (B, T, 16))``."""
    import tensorflow as tf

    tc = corruption if isinstance(corruption, TemporalCorruption) else TemporalCorruption(corruption)

    def _numpy(x, size, p, s):
        rng = np.random.default_rng(np.asarray(s, np.int64).view(np.uint64))
        return corrupt_windows_normalized(x, size, tc, rng, p)

    x2d = tf.convert_to_tensor(x2d, tf.float32)
    out, conf = tf.numpy_function(_numpy, [x2d, tf.cast(image_size, tf.float32), pad, tf.cast(seed, tf.int64)],
                                  [tf.float32, tf.float32], stateful=False)
    out.set_shape(x2d.shape)
    conf.set_shape(x2d.shape[:-1])
    return out, conf
