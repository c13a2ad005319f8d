"""The detector-like corruption (:mod:`graphsh_tf.data.corrupt`) as pure TensorFlow ops, for the training pipeline.

:func:`corrupt_ops` has :func:`graphsh_tf.data.corrupt.corrupt_tf`'s signature and the statistics of
:class:`~graphsh_tf.data.corrupt.DetectorCorruption` (the numpy reference, which evaluation and calibration keep
using), step by step as that module's doc lists them: Beta scores (a ratio of two ``stateless_gamma`` draws),
score-dependent Gaussian jitter, gross errors kept inside the image, one left/right pair swapped per pose, single
misses, whole-limb occlusions, truncation below the hips, then the keypoint adapters' fill (:func:`fill_ops`, equal
to :func:`~graphsh_tf.data.corrupt.fill_missing`). The draws are ``tf.random.stateless_*`` from one int64 ``(2,)``
seed, so a seed gives one output; they are not the numpy generator's draws (the same distributions, other numbers).
Static shapes, no Python per batch: the graph runs on any device and serializes (tf.data service, saved graphs).
"""
from __future__ import annotations

from typing import Dict, Tuple, Union

from graphsh_tf import skeleton as sk
from graphsh_tf.data import corrupt as cr

import numpy as np
import tensorflow as tf

_J = sk.H36M16.index
_N = cr.NUM_JOINTS
_HIP, _SPINE, _THORAX = _J("Hip"), _J("Spine"), _J("Thorax")
_PARENTS = sk.H36M16.parents
_DET = np.isin(np.arange(_N), cr.DETECTOR_JOINTS)
_SIDES = ((_HIP, _J("LHip"), _J("RHip")), (_THORAX, _J("LShoulder"), _J("RShoulder")))
_NUM_SEEDS = 12


def _params(params: Union[cr.CorruptionParams, str, None]) -> cr.CorruptionParams:
    if params is None:
        return cr.PRESETS["detector"]
    return cr.CorruptionParams.parse(params) if isinstance(params, str) else params.validate()


def _col(j: int) -> np.ndarray:
    """``(1, 16)`` bool: joint ``j``'s column."""
    return (np.arange(_N) == j)[None]


def _depth(j: int) -> int:
    return 0 if _PARENTS[j] < 0 else 1 + _depth(_PARENTS[j])


_SIDE_COLS = [side for _, left, right in _SIDES for side in (left, right)]    # LHip, RHip, LShoulder, RShoulder
_MID_COLS = [mid for mid, _, _ in _SIDES for _ in range(2)]                    # Hip, Hip, Thorax, Thorax
# Input rows of the adapters' core (the 16 joints, then a left and a right stand-in for Hip and for Thorax) → joints
_ROWS_TO_JOINTS = np.zeros((_N + 4, _N), np.float64)
_ROWS_TO_JOINTS[cr.DETECTOR_JOINTS, cr.DETECTOR_JOINTS] = 1.0
_ROWS_TO_JOINTS[np.arange(_N, _N + 4), _MID_COLS] = 1.0
_FILL_PARENT = np.where(np.asarray(_PARENTS) < 0, np.arange(_N), _PARENTS)
_FILL_ROUNDS = max(_depth(j) for j in range(_N))


def derive_scores_ops(scores: tf.Tensor) -> tf.Tensor:
    """:func:`graphsh_tf.data.corrupt._derive_scores`: Hip / Thorax = min of the two hips / shoulders, Spine = min
    of those."""
    mids = tf.reduce_min(tf.reshape(tf.gather(scores, _SIDE_COLS, axis=1), [-1, 2, 2]), axis=2)   # (B, 2)
    hip, thorax = mids[:, :1], mids[:, 1:]
    scores = tf.where(_col(_HIP), hip, tf.where(_col(_THORAX), thorax, scores))
    return tf.where(_col(_SPINE), tf.minimum(hip, thorax), scores)


def fill_ops(xy: tf.Tensor, scores: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
    """:func:`graphsh_tf.data.corrupt.fill_missing` in TensorFlow: pixels ``(B, 16, 2)`` and detector scores
    ``(B, 16)`` (0 = missed; the Hip, Spine and Thorax entries are ignored) → the adapters' ``(xy, confidence)``,
    by :func:`graphsh_tf.keypoints.adapt_from_sources`' rules with the same input rows (the 13 detector joints and
    a left and a right stand-in for Hip and for Thorax, which sit on the mid joint while both sides are present).
    The parent fill runs as rounds of "take the parent's position" (as many as the tree is deep), which reaches
    what the adapters' parents-first loop reaches."""
    dtype = xy.dtype
    present = (scores > 0) & tf.constant(_DET)[None]                                  # (B, 16)
    # confidence: a present joint's score; Hip / Thorax the min of both sides (0 when one is missed); Spine min
    conf = derive_scores_ops(tf.where(present, scores, tf.zeros_like(scores)))
    # the stand-ins: on the mid joint while both sides are present, else on their own side
    side_present = tf.gather(present, _SIDE_COLS, axis=1)                             # (B, 4)
    both = tf.gather(tf.reduce_all(tf.reshape(side_present, [-1, 2, 2]), axis=2), [0, 0, 1, 1], axis=1)
    stand = tf.where(both[..., None], tf.gather(xy, _MID_COLS, axis=1), tf.gather(xy, _SIDE_COLS, axis=1))
    rows = tf.concat([xy, stand], axis=1)                                             # (B, 20, 2)
    row_present = tf.concat([present, side_present], axis=1)                          # (B, 20)
    rows0 = tf.where(row_present[..., None], rows, tf.zeros_like(rows))
    weights = tf.cast(row_present, dtype)
    to_joints = tf.constant(_ROWS_TO_JOINTS, dtype)
    count = tf.linalg.matmul(weights, to_joints)                                      # (B, 16) present inputs
    out = tf.einsum("brc,rj->bjc", rows0, to_joints) / tf.maximum(count, 1.0)[..., None]
    centroid = tf.reduce_sum(rows0, axis=1) / tf.maximum(tf.reduce_sum(weights, axis=1), 1.0)[:, None]
    hip = tf.where(count[:, _HIP, None] > 0, out[:, _HIP], centroid)                   # (B, 2)
    thorax = tf.where(count[:, _THORAX, None] > 0, out[:, _THORAX], hip)
    out = tf.where(_col(_HIP)[..., None], hip[:, None], out)
    out = tf.where(_col(_SPINE)[..., None], (0.5 * (hip + thorax))[:, None], out)
    fixed = (count > 0) | tf.constant(_col(_HIP) | _col(_SPINE))
    for _ in range(_FILL_ROUNDS):
        out = tf.where(fixed[..., None], out, tf.gather(out, _FILL_PARENT, axis=1))
    out = tf.where((conf[:, _SPINE, None, None] > 0) & _col(_SPINE)[..., None], xy, out)   # a confident Spine stays
    return out, conf


def _beta_scores(p: cr.CorruptionParams, n, seeds, dtype) -> tf.Tensor:
    """``(B, 16)`` scores: Beta(mean c, (1 - mean) c) where the mean is below 1, else 1, then the derived ones."""
    mean = 1.0 - p.score_spread * (1.0 - cr.SCORE_MEAN)
    spread = mean < 1.0
    if not spread.any():
        return tf.ones([n, _N], dtype)
    c = p.score_concentration
    alpha = np.stack([np.where(spread, mean * c, 1.0), np.where(spread, (1.0 - mean) * c, 1.0)])   # (2, 16)
    g = tf.random.stateless_gamma([n, 2, _N], seeds[0], alpha=tf.constant(alpha, dtype), dtype=dtype)
    beta = g[:, 0] / tf.maximum(g[:, 0] + g[:, 1], np.finfo(np.float32).tiny)
    return derive_scores_ops(tf.where(tf.constant(spread)[None], beta, tf.ones_like(beta)))


def detector_mix_ops(xy_px, image_size, seed, params: Union[cr.CorruptionParams, str, None] = None,
                     missed=None) -> Tuple[tf.Tensor, tf.Tensor, Dict[str, tf.Tensor]]:
    """The detector mix on clean pixels ``(B, 16, 2)`` (``image_size`` ``(B, 2)`` pixels, ``seed`` int64 ``(2,)``)
    → ``(xy px, confidence (B, 16), events)`` (float64 for float64 pixels, else float32); ``events`` as
    :meth:`~graphsh_tf.data.corrupt.DetectorCorruption.apply_with_events` (``scores``, ``gross``, ``swapped``,
    ``missed``, ``sigma``, ``person_scale``, ``truncated``). ``missed``: an optional ``(B, 16)`` bool mask of joints
    missed besides the drawn ones (for tests of the fill)."""
    p = _params(params)
    clean = tf.convert_to_tensor(xy_px)
    dtype = tf.float64 if clean.dtype == tf.float64 else tf.float32
    clean = tf.cast(clean, dtype)
    size = tf.cast(image_size, dtype)
    n = tf.shape(clean)[0]
    seeds = tf.unstack(tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), _NUM_SEEDS))
    uniform = lambda k, shape, lo=0.0, hi=1.0: tf.random.stateless_uniform(  # noqa: E731
        shape, seeds[k], minval=lo, maxval=hi, dtype=dtype)
    det = tf.constant(_DET)[None]
    extent = tf.reduce_max(clean, axis=1) - tf.reduce_min(clean, axis=1)
    s = tf.maximum(tf.sqrt(extent[:, 0] * extent[:, 1]), 1.0)
    # 1. scores
    scores = _beta_scores(p, n, seeds, dtype)
    # 2. jitter
    sigma = (p.jitter * tf.constant(cr.JITTER_SIGMA, dtype)[None] * s[:, None]
             * (1.0 + p.score_gain * (1.0 - scores)))
    xy = clean + tf.random.stateless_normal([n, _N, 2], seeds[1], dtype=dtype) * sigma[..., None]
    # 3. gross errors, kept inside the image
    gross = (uniform(2, [n, _N]) < p.gross_rate) & det
    angle = uniform(3, [n, _N], 0.0, 2.0 * np.pi)
    dist = uniform(4, [n, _N], 1.0, 3.0) * tf.constant(cr._MISS_RADIUS * cr.COCO_OKS_SIGMA, dtype)[None] * s[:, None]
    jumped = xy + tf.stack([tf.cos(angle), tf.sin(angle)], -1) * dist[..., None]
    jumped = tf.clip_by_value(jumped, 0.0, size[:, None, :] - 1.0)
    xy = tf.where(gross[..., None], jumped, xy)
    scores = tf.where(gross, scores * p.gross_score, scores)
    # 4. one left/right pair swapped: joints a and b of the drawn pair trade positions
    do_swap = uniform(5, [n]) < p.swap_rate
    pair = tf.random.stateless_uniform([n], seeds[6], 0, len(cr.SWAP_PAIRS), dtype=tf.int32)
    pairs = np.asarray(cr.SWAP_PAIRS, np.int32)
    a, b = tf.gather(pairs[:, 0], pair), tf.gather(pairs[:, 1], pair)
    is_a = tf.one_hot(a, _N, on_value=True, off_value=False) & do_swap[:, None]
    is_b = tf.one_hot(b, _N, on_value=True, off_value=False) & do_swap[:, None]
    xa, xb = tf.gather(xy, a, batch_dims=1), tf.gather(xy, b, batch_dims=1)      # (B, 2)
    xy = tf.where(is_a[..., None], xb[:, None], tf.where(is_b[..., None], xa[:, None], xy))
    swapped = is_a | is_b
    scores = tf.where(swapped, scores * p.swap_score, scores)
    # 5. single misses and whole limbs
    miss = (uniform(7, [n, _N]) < tf.constant(p.miss * cr.MISS_RATE, dtype)[None]) & det
    occluded = uniform(8, [n]) < p.occlusion_rate
    chain = tf.random.stateless_uniform([n], seeds[9], 0, len(cr.LIMB_CHAINS), dtype=tf.int32)
    chains = np.zeros((len(cr.LIMB_CHAINS), _N), bool)
    for k, joints in enumerate(cr.LIMB_CHAINS):
        chains[k, list(joints)] = True
    miss |= tf.gather(tf.constant(chains), chain) & occluded[:, None]
    # 6. truncation: every detector joint below the cut line
    truncated = uniform(10, [n]) < p.truncation_rate
    y = clean[..., 1]
    lo = tf.maximum(y[:, _J("LHip")], y[:, _J("RHip")]) + cr.TRUNCATION_MARGIN * s
    hi = tf.maximum(tf.minimum(y[:, _J("LKnee")], y[:, _J("RKnee")]), lo)
    cut = lo + uniform(11, [n]) * (hi - lo)
    miss |= truncated[:, None] & (y > cut[:, None]) & det
    if missed is not None:
        miss |= tf.cast(missed, tf.bool) & det
    scores_before = scores
    # 7. the adapters' fill and confidence
    out, conf = fill_ops(xy, derive_scores_ops(tf.where(miss, tf.zeros_like(scores), scores)))
    events = {"scores": scores_before, "gross": gross, "swapped": swapped, "missed": miss, "sigma": sigma,
              "person_scale": s, "truncated": truncated}
    return out, conf, events


def to_pixels_ops(x2d, image_size) -> tf.Tensor:
    """:func:`graphsh_tf.data.perturb.to_pixels` for ``(B, J, 2)`` tensors and ``image_size`` ``(B, 2)``."""
    w, h = image_size[:, 0, None], image_size[:, 1, None]
    return tf.stack([(x2d[..., 0] + 1.0) * w / 2.0, (x2d[..., 1] + h / w) * w / 2.0], -1)


def to_normalized_ops(xy_px, image_size) -> tf.Tensor:
    """:func:`graphsh_tf.data.perturb.to_normalized` for ``(B, J, 2)`` tensors and ``image_size`` ``(B, 2)``."""
    w, h = image_size[:, 0, None], image_size[:, 1, None]
    return tf.stack([xy_px[..., 0] / w * 2.0 - 1.0, xy_px[..., 1] / w * 2.0 - h / w], -1)


def corrupt_ops(x2d, image_size, seed, params: Union[cr.CorruptionParams, str, None] = None
                ) -> Tuple[tf.Tensor, tf.Tensor]:
    """The detector mix for ``tf.data`` maps and graphs: ``x2d`` ``(B, 16, 2)`` normalized screen coordinates,
    ``image_size`` ``(B, 2)`` pixels, ``seed`` a stateless int64 ``(2,)`` seed (e.g. from ``tf.data.Dataset.random``
    and a step counter) → float32 ``(x2d (B, 16, 2), confidence (B, 16))``, as
    :func:`graphsh_tf.data.corrupt.corrupt_tf` (same signature and statistics; pure TensorFlow ops)."""
    x2d = tf.convert_to_tensor(x2d, tf.float32)
    size = tf.cast(image_size, tf.float32)
    xy, conf, _ = detector_mix_ops(to_pixels_ops(x2d, size), size, seed, params)
    out = to_normalized_ops(xy, size)
    out.set_shape(x2d.shape)
    conf.set_shape(x2d.shape[:-1])
    return out, conf
