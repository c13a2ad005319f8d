"""Streamed training input: world-space poses read (or generated) while training runs, each sample seen through a
camera drawn for it from a family (:mod:`graphsh_tf.data.camera_family`), in tf.data.

One *lane* per shard file (one in all for the synthetic generator): its sequences are shuffled (a buffer of
records, then of frames), repeated endlessly, and in chunks of :data:`CHUNK` frames projected through cameras drawn
with stateless random numbers keyed by (data seed, file, position in the lane), then flipped, occluded and jittered
as :func:`graphsh_tf.data.pipeline.make_dataset` augments, with keys of the same kind. The lanes are interleaved
one sample at a time into global batches. So a sample's camera and augmentation depend on the seed and its place
in its file only: with ``B`` divisible by the number of files ``F`` and ``F`` by the number of workers, each file
gives ``B / F`` samples to every step whether one worker reads all files or ``tf.distribute`` auto-shards them by
FILE over several workers (``AutoShardPolicy.FILE``); a step's global batch is the same set of samples.

Memory is flat in the data size: the shuffle buffers hold ``shuffle_frames`` frames and :data:`RECORD_BUFFER`
records in total, spread over the lanes.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import graphsh_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
from graphsh_tf import skeleton as sk
from graphsh_tf.contract import MM_PER_MODEL_UNIT
from graphsh_tf.data import camera_family as fam
from graphsh_tf.data import cameras as cam
from graphsh_tf.data.pipeline import OCCLUSION_CHOICES, occlusion_fill_matrices
from graphsh_tf.data.render import MIN_DEPTH_MM
from graphsh_tf.data.types import DataError, StreamedSet
from graphsh_tf.frame import H36M_FOCAL_NORM

import numpy as np
import tensorflow as tf

#: Frames projected together (one camera draw per frame, vectorized).
CHUNK = 128
#: Candidate cameras per frame: the first that sees the whole person is used (the in-memory renders drop rows
#: a camera does not see; a stream keeps its length by drawing again).
CANDIDATES = 4
#: Records (sequences) of shuffle buffer, in total over the lanes.
RECORD_BUFFER = 256
#: Human3.6M subjects whose calibrated cameras the ``h36m`` family draws from (the training subjects').
H36M_TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
J = sk.H36M16.num_joints


def _h36m_table() -> Dict[str, np.ndarray]:
    cams = [c for s in H36M_TRAIN_SUBJECTS for c in cam.h36m_cameras(s)]
    return {"R": np.stack([c.rotation for c in cams]), "C": np.stack([c.position for c in cams]),
            "f": np.stack([c.focal for c in cams]), "c": np.stack([c.center for c in cams]),
            "k": np.stack([c.radial for c in cams]), "p": np.stack([c.tangential for c in cams]),
            "size": np.stack([[c.res_w, c.res_h] for c in cams]).astype(np.float64)}


def _intrinsics_table() -> Dict[str, np.ndarray]:
    cams = [cam.intrinsic_camera(i) for i in range(4)]
    return {"f": np.stack([c.focal for c in cams]), "c": np.stack([c.center for c in cams]),
            "k": np.stack([c.radial for c in cams]), "p": np.stack([c.tangential for c in cams]),
            "size": np.stack([[c.res_w, c.res_h] for c in cams]).astype(np.float64)}


def _uniform(shape, key, k: int, span: Tuple[float, float]):
    u = tf.random.stateless_uniform(shape, seed=key + [0, k * 1_000_003], dtype=tf.float64)
    return span[0] + (span[1] - span[0]) * u


def _look_at(position, target, roll_deg):
    """Rotation ``(n, 3, 3)`` whose columns are the camera axes (right, down, forward) in world coordinates, as
    :func:`graphsh_tf.data.cameras.look_at_camera` builds it."""
    forward = tf.math.l2_normalize(target - position, axis=-1)
    up = tf.constant([0.0, 0.0, 1.0], tf.float64) + tf.zeros_like(forward)
    right = tf.math.l2_normalize(tf.linalg.cross(forward, up), axis=-1)
    down = tf.linalg.cross(forward, right)
    r = tf.expand_dims(roll_deg * np.pi / 180.0, -1)
    right, down = tf.cos(r) * right + tf.sin(r) * down, -tf.sin(r) * right + tf.cos(r) * down
    return tf.stack([right, down, forward], axis=-1)


def draw_cameras(root, key, mix: Sequence[Tuple[str, float]]):
    """Cameras for frames whose root joints are ``root`` ``(n, 3)`` world mm, one per frame, drawn with the
    stateless key ``key`` ``(2,)`` int64: a dict of ``(n, ...)`` float64 tensors ``R`` (camera axes in world), ``C``
    (centre), ``f``, ``c`` (px), ``k``, ``p`` (distortion), ``size`` (w, h px) and ``intrinsics`` (1.0 where the
    family normalizes through the intrinsics, else 0.0)."""
    n = tf.shape(root)[0]
    names = [name for name, _ in mix]
    logits = tf.math.log(tf.constant([[w for _, w in mix]], tf.float64))
    family = tf.random.stateless_categorical(tf.tile(logits, [n, 1]), 1, seed=key + [0, 17])[:, 0]
    out = {}
    for i, name in enumerate(names):
        sub = key + [i + 1, 0]
        if name == "h36m":
            t = _h36m_table()
            idx = tf.random.stateless_uniform([n], sub + [0, 1], 0, len(t["R"]), dtype=tf.int64)
            cams = {k: tf.gather(tf.constant(v), idx) for k, v in t.items()}
        else:
            ranges = fam.PHONE if name == "phone" else fam.VIRTUAL
            az = _uniform([n], sub, 2, (0.0, 2 * np.pi))
            d = _uniform([n], sub, 3, ranges["distance"])
            h = _uniform([n], sub, 4, ranges["height"])
            roll = _uniform([n], sub, 5, ranges["roll"])
            position = tf.stack([root[:, 0] + d * tf.cos(az), root[:, 1] + d * tf.sin(az), h], axis=-1)
            rot = _look_at(position, root, roll)
            if name == "phone":
                portrait = _uniform([n], sub, 6, (0.0, 1.0)) < 0.5
                w = tf.where(portrait, tf.constant(1080.0, tf.float64), 1920.0)
                hh = tf.where(portrait, tf.constant(1920.0, tf.float64), 1080.0)
                hfov = _uniform([n], sub, 7, ranges["hfov"]) * np.pi / 180.0
                focal = 0.5 * w / tf.tan(hfov / 2.0)
                cams = {"R": rot, "C": position, "f": tf.stack([focal, focal], -1), "c": tf.stack([w, hh], -1) / 2,
                        "k": tf.zeros([n, 3], tf.float64), "p": tf.zeros([n, 2], tf.float64),
                        "size": tf.stack([w, hh], -1)}
            else:
                t = _intrinsics_table()
                idx = tf.random.stateless_uniform([n], sub + [0, 8], 0, 4, dtype=tf.int64)
                cams = {k: tf.gather(tf.constant(v), idx) for k, v in t.items()}
                cams.update(R=rot, C=position)
        cams["intrinsics"] = tf.fill([n], tf.constant(1.0 if fam.FAMILIES[name] == "intrinsics" else 0.0, tf.float64))
        cams["check_inside"] = tf.fill([n], tf.constant(0.0 if name == "h36m" else 1.0, tf.float64))
        chosen = tf.equal(family, i)
        for k, v in cams.items():
            v = tf.cast(v, tf.float64)
            mask = tf.reshape(chosen, [-1] + [1] * (len(v.shape) - 1))
            out[k] = tf.where(mask, v, out[k]) if k in out else v
    return out


def project(world, cams):
    """World poses ``(n, J, 3)`` mm through ``cams`` (:func:`draw_cameras`) → ``(x (n, J, 2)`` normalized in each
    camera's frame, ``y (n, J, 3)`` camera-space root-relative mm, ``visible (n,)``, ``unit (n,)`` normalized units
    per pixel)``, as :func:`graphsh_tf.data.render.render_views` renders (distortion included)."""
    pc = tf.einsum("njk,nkc->njc", world - cams["C"][:, None], cams["R"])
    z = pc[..., 2:3]
    a = pc[..., :2] / tf.where(tf.abs(z) < 1e-6, 1e-6 * tf.ones_like(z), z)
    r2 = tf.reduce_sum(a * a, -1, keepdims=True)
    k, p = cams["k"][:, None], cams["p"][:, None]
    radial = 1.0 + k[..., 0:1] * r2 + k[..., 1:2] * r2 ** 2 + k[..., 2:3] * r2 ** 3
    tan = tf.reduce_sum(p * a, -1, keepdims=True)
    pixels = cams["f"][:, None] * (a * (radial + tan) + p * r2) + cams["c"][:, None]
    w, h = cams["size"][:, 0:1, None], cams["size"][:, 1:2, None]
    image = pixels / w * 2.0 - tf.concat([tf.ones_like(h), h / w], -1)
    through = H36M_FOCAL_NORM * (pixels - cams["c"][:, None]) / cams["f"][:, None]
    use_k = cams["intrinsics"][:, None, None] > 0.5
    x = tf.where(use_k, through, image)
    unit = tf.where(cams["intrinsics"] > 0.5, H36M_FOCAL_NORM / cams["f"][:, 0], 2.0 / cams["size"][:, 0])
    inside = tf.reduce_all((pixels[..., 0] >= 0) & (pixels[..., 0] <= w[..., 0]) & (pixels[..., 1] >= 0)
                           & (pixels[..., 1] <= h[..., 0]), axis=1)
    visible = tf.reduce_all(pc[..., 2] > MIN_DEPTH_MM, axis=1) & (inside | (cams["check_inside"] < 0.5))
    y = pc - pc[:, :1]
    return x, y, visible, unit


def views(world, key, mix):
    """``(x, y_mm, unit)`` of frames ``world`` ``(n, J, 3)`` float64 seen by the first of :data:`CANDIDATES`
    cameras per frame that sees the whole person (the last one when none does)."""
    n = tf.shape(world)[0]
    tiled = tf.tile(world, [CANDIDATES, 1, 1])                  # candidate c of frame i at row c * n + i
    x, y, visible, unit = project(tiled, draw_cameras(tiled[:, 0], key, mix))
    visible = tf.reshape(visible, [CANDIDATES, n])
    visible = tf.concat([visible[:-1], tf.ones_like(visible[-1:])], 0)
    row = tf.argmax(tf.cast(visible, tf.int32), axis=0) * tf.cast(n, tf.int64) + tf.range(n, dtype=tf.int64)
    return tf.gather(x, row), tf.gather(y, row), tf.gather(unit, row)


def _augment(x, y, unit, key, flip: bool, noise_px: float, occlusion: float, confidence: bool):
    """Per-sample flip / occlusion / 2D noise of a chunk, as :func:`graphsh_tf.data.pipeline.make_dataset` does;
    with ``confidence``, a third input channel: 1, and 0 for the joints occlusion filled."""
    n = tf.shape(x)[0]
    conf = tf.ones(tf.shape(x)[:2], x.dtype)
    if flip:
        perm = sk.H36M16.flip_permutation()
        m = tf.random.stateless_uniform([n], seed=key + [0, 31]) < 0.5
        xf = tf.gather(x, perm, axis=1) * tf.constant([-1.0, 1.0], x.dtype)
        yf = tf.gather(y, perm, axis=1) * tf.constant([-1.0, 1.0, 1.0], y.dtype)
        x, y = tf.where(m[:, None, None], xf, x), tf.where(m[:, None, None], yf, y)
    if occlusion > 0:
        weights = np.array([w for _, w in OCCLUSION_CHOICES], np.float64)
        logits = np.log(np.concatenate([[1.0 - occlusion], occlusion * weights / weights.sum()]) + 1e-12)
        choice = tf.random.stateless_categorical(tf.tile(tf.constant(logits[None], tf.float32), [n, 1]), 1,
                                                 seed=key + [0, 37])[:, 0]
        fills = tf.gather(tf.constant(occlusion_fill_matrices(sk.H36M16)), choice)
        x = tf.einsum("bij,bjc->bic", fills, x)
        conf = tf.linalg.diag_part(fills)
    if noise_px > 0:
        sigma = noise_px * unit[:, None, None]
        jitter = tf.random.stateless_normal(tf.shape(x), seed=key + [0, 41]) * sigma
        gross = tf.random.stateless_uniform(tf.shape(x)[:2], seed=key + [0, 43]) < 0.01
        x = x + tf.where(gross[..., None], 6.0 * jitter, jitter)
    return (tf.concat([x, conf[..., None]], -1) if confidence else x), y


def _decode(record):
    n = tf.io.decode_raw(tf.strings.substr(record, 0, 4), tf.int32)[0]
    body = tf.strings.substr(record, 4 + n, tf.strings.length(record) - 4 - n)
    return tf.reshape(tf.io.decode_raw(body, tf.float32), [-1, J, 3])


def _lane(sequences: tf.data.Dataset, lane_key, *, seed: int, mix, downsample: int, record_buffer: int,
          frame_buffer: int, flip: bool, noise_px: float, occlusion: float, confidence: bool) -> tf.data.Dataset:
    """One lane: sequences ``(T, J, 3)`` float32 world mm → endless ``(x (J, 2), y (J, 3) metres)`` samples."""
    shuffle_seed = seed * 7919 + 1   # a Python int: a tensor seed is refused when the global seed is 0
    ds = sequences.shuffle(record_buffer, seed=shuffle_seed, reshuffle_each_iteration=True)
    if downsample > 1:
        ds = ds.map(lambda w: w[::downsample])
    ds = ds.unbatch().shuffle(frame_buffer, seed=shuffle_seed + 1, reshuffle_each_iteration=True).repeat()
    ds = ds.enumerate().batch(CHUNK)

    def chunk(i, world):
        key = tf.stack([tf.cast(lane_key, tf.int64) + seed * 1_000_003, i[0]])
        x, y, unit = views(tf.cast(world, tf.float64), key, mix)
        x, y = tf.cast(x, tf.float32), tf.cast(y / MM_PER_MODEL_UNIT, tf.float32)
        return _augment(x, y, tf.cast(unit, tf.float32), key, flip, noise_px, occlusion, confidence)

    return ds.map(chunk, num_parallel_calls=tf.data.AUTOTUNE).unbatch()


def _file_key(path):
    return tf.strings.to_hash_bucket_fast(tf.strings.split(path, "/")[-1], 2 ** 31 - 1)


def stream_dataset(train: StreamedSet, batch_size: int, *, seed: Optional[int] = None, flip: bool = False,
                   noise_px: float = 0.0, occlusion: float = 0.0, corruption=None, confidence: bool = False,
                   skip_batches: int = 0) -> tf.data.Dataset:
    """The endless training stream of a :class:`StreamedSet`: global batches ``(x (B, J, 2), y (B, J, 3) metres)``
    (``x`` ``(B, J, 3)`` with ``confidence``; drop remainder), positioned after ``skip_batches``; auto-sharded by
    FILE under tf.distribute. ``seed`` (default: the data seed) keys the shuffles, cameras and augmentation.
    The detector-like ``corruption`` is not drawn in a stream: :class:`DataError` when one is asked for."""
    if not isinstance(train, StreamedSet):
        raise DataError(f"stream_dataset: expected a StreamedSet, got {type(train).__name__}")
    if corruption:
        raise DataError("training-time corruption is applied to in-memory data only; train on a streamed source "
                        "without --corruption (--noise-px and --occlusion are applied), or on in-memory data")
    params = train.params
    seed = int(params.get("seed", 0) if seed is None else seed)
    mix = [tuple(p) for p in params.get("mix", fam.parse_mix(train.cameras, params.get("camera_mix")))]
    downsample = int(params.get("downsample", 1))
    kwargs = dict(seed=seed, mix=mix, flip=flip, noise_px=float(noise_px), occlusion=float(occlusion),
                  confidence=bool(confidence))
    if train.kind == "shards":
        files = list(params["files"])
        frames = int(params.get("shuffle_frames", 65536))
        kwargs.update(record_buffer=max(8, RECORD_BUFFER // len(files)), frame_buffer=max(1024, frames // len(files)))
        lanes = tf.data.Dataset.from_tensor_slices(files)
        ds = lanes.interleave(
            lambda path: _lane(tf.data.TFRecordDataset(path).map(_decode), _file_key(path), downsample=downsample,
                               **kwargs),
            cycle_length=len(files), block_length=1, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        policy = tf.data.experimental.AutoShardPolicy.FILE
    elif train.kind == "synthetic":
        from graphsh_tf.data import synthetic as syn

        p = dict(params)

        def generate():
            for _, _, world in syn.iter_split_sequences("train", p["seed"], p["counts"], p["subjects"],
                                                        p["seq_len"], p["fps"]):
                yield world.astype(np.float32)

        source = tf.data.Dataset.from_generator(generate, output_signature=tf.TensorSpec([None, J, 3], tf.float32))
        kwargs.update(record_buffer=RECORD_BUFFER // 4, frame_buffer=int(params.get("shuffle_frames", 16384)))
        ds = _lane(source, tf.constant(0, tf.int64), downsample=downsample, **kwargs)
        policy = tf.data.experimental.AutoShardPolicy.DATA
    else:
        raise DataError(f"stream_dataset: unknown streamed kind {train.kind!r}")
    ds = ds.batch(batch_size, drop_remainder=True)
    if skip_batches:
        ds = ds.skip(skip_batches)
    options = tf.data.Options()
    options.deterministic = True
    options.experimental_distribute.auto_shard_policy = policy
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)
