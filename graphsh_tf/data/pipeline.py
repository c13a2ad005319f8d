"""tf.data input pipelines: shuffle, batch, flip augmentation, and flip test-time augmentation.

The only module of :mod:`graphsh_tf.data` that imports TensorFlow.
"""
from __future__ import annotations

from typing import Callable, Optional, Tuple

import graphsh_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from graphsh_tf import skeleton as sk
from graphsh_tf.contract import MM_PER_MODEL_UNIT
from graphsh_tf.data.types import DataError

import numpy as np
import tensorflow as tf


def flip_poses(poses_2d: Optional[np.ndarray], poses_3d: Optional[np.ndarray],
               skeleton: sk.Skeleton = sk.H36M16) -> Tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """Mirror poses left↔right: x → -x (normalized 2D ``(..., J, 2)`` and camera-space 3D ``(..., J, 3)``) and swap
    left/right joints. Either argument may be ``None``. Applying it twice is the identity."""
    perm = skeleton.flip_permutation()

    def flip(poses, dims):
        if poses is None:
            return None
        poses = np.asarray(poses)
        if poses.shape[-2:] != (skeleton.num_joints, dims):
            raise ValueError(f"flip_poses: expected shape (..., {skeleton.num_joints}, {dims}), got {poses.shape}")
        out = poses[..., perm, :].copy()
        out[..., 0] *= -1
        return out

    return flip(poses_2d, 2), flip(poses_3d, 3)


def flip_test(predict_fn: Callable[[np.ndarray], np.ndarray], x2d: np.ndarray,
              skeleton: sk.Skeleton = sk.H36M16) -> np.ndarray:
    """Flip test-time augmentation: the mean of ``predict_fn(x2d)`` and the un-flipped ``predict_fn(flip(x2d))``.
    ``x2d``: ``(N, J, 2)`` normalized; the result has the units of ``predict_fn`` (``(N, J, 3)``)."""
    x2d = np.asarray(x2d, dtype=np.float32)
    pred = np.asarray(predict_fn(x2d), dtype=np.float64)
    flipped_in, _ = flip_poses(x2d, None, skeleton)
    _, pred_flipped = flip_poses(None, np.asarray(predict_fn(flipped_in.astype(np.float32)), np.float64), skeleton)
    return ((pred + pred_flipped) / 2.0).astype(np.float32)


def _tf_flip(x: tf.Tensor, y: tf.Tensor, mask: tf.Tensor, perm: np.ndarray):
    """Flip the rows of a batch where ``mask`` (B,) is true."""
    x_f = tf.gather(x, perm, axis=1) * tf.constant([-1.0, 1.0], tf.float32)
    y_f = tf.gather(y, perm, axis=1) * tf.constant([-1.0, 1.0, 1.0], tf.float32)
    m = tf.reshape(mask, [-1, 1, 1])
    return tf.where(m, x_f, x), tf.where(m, y_f, y)


#: Occlusion augmentation: which joint goes missing (with everything below it), and how often relative to the
#: others: limb ends (ankles, wrists) most often, whole lower limbs (knee/elbow and below) sometimes.
OCCLUSION_CHOICES = ((3, 0.15), (6, 0.15), (12, 0.15), (15, 0.15), (2, 0.1), (5, 0.1), (11, 0.1), (14, 0.1))


def occlusion_fill_matrices(skeleton: sk.Skeleton = sk.H36M16) -> np.ndarray:
    """``(1 + len(OCCLUSION_CHOICES), J, J)``: identity, then for each choice the matrix that replaces the chosen
    joint and its descendants by the chosen joint's parent, which is what the keypoint adapters
    (:mod:`graphsh_tf.keypoints`) feed the model for joints the detector missed."""
    j = skeleton.num_joints
    mats = [np.eye(j, dtype=np.float32)]
    for joint, _ in OCCLUSION_CHOICES:
        m = np.eye(j, dtype=np.float32)
        parent = skeleton.parents[joint]
        for k in range(j):
            a = k
            while a >= 0 and a != joint:
                a = skeleton.parents[a]
            if a == joint:
                m[k] = 0.0
                m[k, parent] = 1.0
        mats.append(m)
    return np.stack(mats)


def _row_batches(n: int, batch_size: int, input_context, training: bool, seed, drop_remainder: bool):
    """Batches of row indices 0..n-1: this input pipeline's shard, shuffled every epoch when training."""
    import tensorflow as tf

    ds = tf.data.Dataset.range(n)
    if input_context is not None and input_context.num_input_pipelines > 1:
        ds = ds.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    if training:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=drop_remainder)


def make_dataset(poses_2d: np.ndarray, poses_3d_mm: np.ndarray, batch_size: int, *, training: bool, seed: int = 0,
                 flip: bool = False, skeleton: sk.Skeleton = sk.H36M16, drop_remainder: bool = False,
                 input_context=None, noise_px: float = 0.0, occlusion: float = 0.0,
                 image_width: Optional[np.ndarray] = None, corruption: str = "", clean_fraction: float = 0.5,
                 confidence: bool = False, image_size: Optional[np.ndarray] = None) -> tf.data.Dataset:
    """Batches ``(x (B, J, 2) float32 normalized, y (B, J, 3) float32 metres = mm / MM_PER_MODEL_UNIT)``; with
    ``confidence``, ``x`` is ``(B, J, 3)``: the normalized positions and each joint's confidence (1 for a clean
    joint, the corruption's confidence otherwise), the input of a model with a confidence input.

    ``training``: shuffle every epoch (seeded, each epoch's order deterministic) and, with ``flip``, mirror each
    sample with probability 0.5; ``noise_px``: Gaussian 2D jitter of that many pixels per joint (plus, for 1 % of
    joints, a gross error of 6x that), converted with each row's ``image_width`` (normalized units are 2/width per
    pixel; 1000 px when not given); ``occlusion``: probability that a sample loses a joint (see
    :data:`OCCLUSION_CHOICES`), filled as the keypoint adapters fill it (confidence 0 there).
    ``corruption``: a detector-mix spec (:meth:`graphsh_tf.data.corrupt.CorruptionParams.parse`; empty = none)
    applied per batch by :func:`graphsh_tf.data.corrupt_ops.corrupt_ops` to every sample but a ``clean_fraction`` of
    them (drawn per sample), after the flip and before ``occlusion`` and ``noise_px``; it needs each row's
    ``image_size`` ``(N, 2)`` pixels (the corruption works in pixels of the person's size; 1000 x 1000 when not
    given). No repeat. ``input_context``
    (``tf.distribute.InputContext``): shard by input pipeline and batch per replica. Same inputs and seed give
    identical batches.
    """
    x = np.asarray(poses_2d, dtype=np.float32)
    y = np.asarray(poses_3d_mm, dtype=np.float32) / np.float32(MM_PER_MODEL_UNIT)
    if x.ndim != 3 or x.shape[-1] != 2 or y.shape != x.shape[:2] + (3,) or x.shape[1] != skeleton.num_joints:
        raise DataError(f"make_dataset: poses_2d {x.shape} and poses_3d {y.shape} must be (N, "
                        f"{skeleton.num_joints}, 2) and (N, {skeleton.num_joints}, 3); reduce 17 joints with "
                        "PoseData.to_16_joints()")
    if len(x) == 0:
        raise DataError("make_dataset: no samples; check the data split")
    if batch_size < 1:
        raise DataError(f"make_dataset: batch_size={batch_size} must be >= 1")
    if not (noise_px >= 0 and 0 <= occlusion <= 1 and 0 <= clean_fraction <= 1):
        raise DataError(f"make_dataset: noise_px={noise_px} must be >= 0, occlusion={occlusion} and "
                        f"clean_fraction={clean_fraction} in [0, 1]")
    if image_size is not None:
        image_size = np.asarray(image_size, np.float64).reshape(-1, 2)
        if len(image_size) != len(x):
            raise DataError(f"make_dataset: image_size has {len(image_size)} rows for {len(x)} poses")
        if image_width is None:
            image_width = image_size[:, 0]
    if input_context is not None:
        batch_size = input_context.get_per_replica_batch_size(batch_size)
    width = np.full(len(x), 1000.0) if image_width is None else np.asarray(image_width, np.float64).reshape(-1)
    x_t, y_t, px_t = tf.constant(x), tf.constant(y), tf.constant((2.0 / width).astype(np.float32))
    ds = _row_batches(len(x), batch_size, input_context, training, seed, drop_remainder)
    corruption = (corruption or "").strip()
    if corruption:
        from graphsh_tf.data.corrupt import CorruptionParams

        CorruptionParams.parse(corruption)     # a bad spec fails here, not inside the pipeline
    sizes = np.full((len(x), 2), 1000.0) if image_size is None else image_size
    size_t = tf.constant(sizes.astype(np.float32))

    def with_confidence(xb, conf):
        return tf.concat([xb, conf[..., None]], axis=-1) if confidence else xb

    augment_any = training and (flip or noise_px > 0 or occlusion > 0 or bool(corruption))
    if not augment_any:
        def plain(idx):
            xb = tf.gather(x_t, idx)
            return with_confidence(xb, tf.ones(tf.shape(xb)[:2])), tf.gather(y_t, idx)

        ds = ds.map(plain)
    else:
        perm = skeleton.flip_permutation()
        fills = tf.constant(occlusion_fill_matrices(skeleton))
        weights = np.array([w for _, w in OCCLUSION_CHOICES], np.float64)
        logits = tf.constant(np.log(np.concatenate([[1.0 - occlusion], occlusion * weights / weights.sum()])
                                    + 1e-12)[None].astype(np.float32))
        coins = tf.data.Dataset.random(seed=seed + 7919, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip((ds, coins))

        def augment(idx, coin):
            xb, yb, px = tf.gather(x_t, idx), tf.gather(y_t, idx), tf.gather(px_t, idx)
            n = tf.shape(xb)[0]
            key = lambda k: tf.stack([coin, tf.constant(seed * 16 + k, tf.int64)])  # noqa: E731
            conf = tf.ones(tf.shape(xb)[:2])
            if flip:
                u = tf.random.stateless_uniform([n], seed=tf.stack([coin, tf.constant(seed, tf.int64)]))
                xb, yb = _tf_flip(xb, yb, u < 0.5, perm)
            if corruption:
                from graphsh_tf.data import corrupt_ops as cops  # pure TF ops: no Python per batch

                xc, cc = cops.corrupt_ops(xb, tf.gather(size_t, idx), key(4), corruption)
                clean = (tf.random.stateless_uniform([n], seed=key(5)) < clean_fraction)[:, None]
                xb, conf = tf.where(clean[..., None], xb, xc), tf.where(clean, conf, cc)
            if occlusion > 0:
                choice = tf.random.stateless_categorical(tf.tile(logits, [n, 1]), 1, seed=key(1))[:, 0]
                fill = tf.gather(fills, choice)
                xb = tf.einsum("bij,bjc->bic", fill, xb)
                conf = conf * tf.linalg.diag_part(fill)     # a filled joint's row is not the identity's
            if noise_px > 0:
                sigma = noise_px * px[:, None, None]
                jitter = tf.random.stateless_normal(tf.shape(xb), seed=key(2)) * sigma
                gross = tf.random.stateless_uniform(tf.shape(xb)[:2], seed=key(3)) < 0.01
                jitter = tf.where(gross[..., None], 6.0 * jitter, jitter)
                xb = xb + jitter
            return with_confidence(xb, conf), yb

        ds = ds.map(augment)
    options = tf.data.Options()
    options.deterministic = True
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


def make_window_dataset(poses_2d: np.ndarray, poses_3d_mm: np.ndarray, sequences, window: int, batch_size: int, *,
                        training: bool, seed: int = 0, flip: bool = False, skeleton: sk.Skeleton = sk.H36M16,
                        drop_remainder: bool = False, input_context=None, noise_px: float = 0.0,
                        occlusion: float = 0.0, corruption: str = "", clean_fraction: float = 0.5,
                        confidence: bool = False, image_size: Optional[np.ndarray] = None) -> tf.data.Dataset:
    """:func:`make_dataset` for the temporal lifter: batches ``(x (B, T, J, 2|3), y (B, J, 3) metres)`` where ``x``
    holds each row's window of the last ``window`` frames of its sequence (``sequences``: the rows' labels;
    :func:`graphsh_tf.data.temporal.window_index`, the first frame repeated at a sequence's start) and ``y`` the
    row's own (the newest frame's) 3D. Augmentations per window: ``flip`` mirrors the whole window; ``corruption``
    is the detector mix over time (:class:`graphsh_tf.data.temporal.TemporalCorruption`: correlated jitter, misses
    that persist for several frames) on all but a ``clean_fraction`` of the windows; ``occlusion`` removes the
    same limb joint in every frame of the window (confidence 0 there); ``noise_px`` jitters every frame."""
    from graphsh_tf.data.temporal import corrupt_windows_tf, window_index

    x = np.asarray(poses_2d, dtype=np.float32)
    y = np.asarray(poses_3d_mm, dtype=np.float32) / np.float32(MM_PER_MODEL_UNIT)
    if x.ndim != 3 or x.shape[-1] != 2 or y.shape != x.shape[:2] + (3,) or x.shape[1] != skeleton.num_joints:
        raise DataError(f"make_window_dataset: poses_2d {x.shape} and poses_3d {y.shape} must be (N, "
                        f"{skeleton.num_joints}, 2) and (N, {skeleton.num_joints}, 3)")
    if len(x) == 0 or batch_size < 1:
        raise DataError(f"make_window_dataset: {len(x)} samples, batch_size={batch_size}; need both >= 1")
    if not (noise_px >= 0 and 0 <= occlusion <= 1 and 0 <= clean_fraction <= 1):
        raise DataError(f"make_window_dataset: noise_px={noise_px} must be >= 0, occlusion={occlusion} and "
                        f"clean_fraction={clean_fraction} in [0, 1]")
    if len(sequences) != len(x):
        raise DataError(f"make_window_dataset: {len(sequences)} sequence labels for {len(x)} rows")
    index = window_index(sequences, window)
    sizes = (np.full((len(x), 2), 1000.0) if image_size is None
             else np.asarray(image_size, np.float64).reshape(-1, 2))
    if len(sizes) != len(x):
        raise DataError(f"make_window_dataset: {len(sizes)} image sizes for {len(x)} rows")
    if input_context is not None:
        batch_size = input_context.get_per_replica_batch_size(batch_size)
    x_t, y_t, win_t = tf.constant(x), tf.constant(y), tf.constant(index)
    size_t = tf.constant(sizes.astype(np.float32))
    ds = _row_batches(len(x), batch_size, input_context, training, seed, drop_remainder)
    corruption = (corruption or "").strip()
    if corruption:
        from graphsh_tf.data.corrupt import CorruptionParams

        CorruptionParams.parse(corruption)     # a bad spec fails here, not inside the pipeline
    perm = skeleton.flip_permutation()
    fills = tf.constant(occlusion_fill_matrices(skeleton))
    weights = np.array([w for _, w in OCCLUSION_CHOICES], np.float64)
    logits = tf.constant(np.log(np.concatenate([[1.0 - occlusion], occlusion * weights / weights.sum()])
                                + 1e-12)[None].astype(np.float32))
    augment_any = training and (flip or noise_px > 0 or occlusion > 0 or bool(corruption))
    coins = tf.data.Dataset.random(seed=seed + 7919, rerandomize_each_iteration=True)
    ds = tf.data.Dataset.zip((ds, coins))

    def load(idx, coin):
        rows = tf.gather(win_t, idx)                                     # (B, T)
        xb, yb = tf.gather(x_t, rows), tf.gather(y_t, idx)                # (B, T, J, 2), (B, J, 3)
        conf = tf.ones(tf.shape(xb)[:3])
        if augment_any:
            n = tf.shape(xb)[0]
            key = lambda k: tf.stack([coin, tf.constant(seed * 16 + k, tf.int64)])  # noqa: E731
            if flip:
                m = tf.random.stateless_uniform([n], seed=tf.stack([coin, tf.constant(seed, tf.int64)])) < 0.5
                xf = tf.gather(xb, perm, axis=2) * tf.constant([-1.0, 1.0], tf.float32)
                yf = tf.gather(yb, perm, axis=1) * tf.constant([-1.0, 1.0, 1.0], tf.float32)
                xb, yb = tf.where(tf.reshape(m, [-1, 1, 1, 1]), xf, xb), tf.where(tf.reshape(m, [-1, 1, 1]), yf, yb)
            if corruption:
                pad = tf.concat([tf.equal(rows[:, :-1], rows[:, 1:]), tf.zeros_like(rows[:, :1], tf.bool)], 1)
                xc, cc = corrupt_windows_tf(xb, tf.gather(size_t, idx), pad, key(4), corruption)
                clean = tf.random.stateless_uniform([n], seed=key(5)) < clean_fraction
                xb = tf.where(tf.reshape(clean, [-1, 1, 1, 1]), xb, xc)
                conf = tf.where(tf.reshape(clean, [-1, 1, 1]), conf, cc)
            if occlusion > 0:
                choice = tf.random.stateless_categorical(tf.tile(logits, [n, 1]), 1, seed=key(1))[:, 0]
                fill = tf.gather(fills, choice)                           # (B, J, J), the same for every frame
                xb = tf.einsum("bij,btjc->btic", fill, xb)
                conf = conf * tf.linalg.diag_part(fill)[:, None, :]
            if noise_px > 0:
                px = 2.0 / tf.gather(size_t, idx)[:, 0]
                jitter = tf.random.stateless_normal(tf.shape(xb), seed=key(2)) * (noise_px * px)[:, None, None, None]
                gross = tf.random.stateless_uniform(tf.shape(xb)[:3], seed=key(3)) < 0.01
                xb = xb + tf.where(gross[..., None], 6.0 * jitter, jitter)
        return (tf.concat([xb, conf[..., None]], axis=-1) if confidence else xb), yb

    ds = ds.map(load)
    options = tf.data.Options()
    options.deterministic = True
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)
