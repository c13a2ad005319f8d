"""tf.data pipeline: determinism, flip augmentation, units, sharding, flip test."""
from graphsh_tf import skeleton as sk
from graphsh_tf.contract import MM_PER_MODEL_UNIT
from graphsh_tf.data import pipeline as pl
from graphsh_tf.data.dataset import DataError

import numpy as np
import pytest


def clip(n=90, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 16, 2)).astype(np.float32), (rng.normal(size=(n, 16, 3)) * 300).astype(np.float32)


def epochs(ds, count=2):
    return [[(x.numpy().tobytes(), y.numpy().tobytes()) for x, y in ds] for _ in range(count)]


def test_same_clip_and_seed_give_byte_identical_batches():
    x, y = clip()
    a = epochs(pl.make_dataset(x, y, 16, training=True, seed=5, flip=True))
    b = epochs(pl.make_dataset(x, y, 16, training=True, seed=5, flip=True))
    assert a == b
    assert a[0] != a[1]  # reshuffled each epoch
    assert a != epochs(pl.make_dataset(x, y, 16, training=True, seed=6, flip=True))


def test_eval_order_units_and_remainder():
    x, y = clip(50)
    batches = list(pl.make_dataset(x, y, 16, training=False))
    assert [b[0].shape[0] for b in batches] == [16, 16, 16, 2]
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x)
    np.testing.assert_allclose(np.concatenate([b[1].numpy() for b in batches]), y / MM_PER_MODEL_UNIT, rtol=1e-6)
    dropped = list(pl.make_dataset(x, y, 16, training=True, drop_remainder=True))
    assert len(dropped) == 3


def test_training_batches_are_a_permutation_with_flips():
    x, y = clip(200)
    fx, fy = pl.flip_poses(x, y / MM_PER_MODEL_UNIT)
    xs, ys = zip(*[(a.numpy(), b.numpy()) for a, b in pl.make_dataset(x, y, 32, training=True, seed=1, flip=True)])
    xs, ys = np.concatenate(xs), np.concatenate(ys)
    flipped = 0
    for xi, yi in zip(xs, ys):
        plain = np.flatnonzero((x == xi).all(axis=(1, 2)))
        if plain.size:
            np.testing.assert_allclose(yi, y[plain[0]] / MM_PER_MODEL_UNIT, rtol=1e-6)
        else:
            k = np.flatnonzero((fx == xi).all(axis=(1, 2)))
            assert k.size == 1
            np.testing.assert_allclose(yi, fy[k[0]], rtol=1e-6, atol=1e-7)
            flipped += 1
    assert 60 < flipped < 140  # p = 0.5


def test_flip_twice_is_identity_and_swaps_sides():
    x, y = clip(10)
    fx, fy = pl.flip_poses(x, y)
    assert not np.allclose(fx, x)
    np.testing.assert_array_equal(fx[:, 1, 0], -x[:, 4, 0])  # RHip <- mirrored LHip
    bx, by = pl.flip_poses(fx, fy)
    np.testing.assert_array_equal(bx, x)
    np.testing.assert_array_equal(by, y)
    x17 = np.random.default_rng(0).normal(size=(3, 17, 2))
    np.testing.assert_array_equal(pl.flip_poses(pl.flip_poses(x17, None, sk.H36M17)[0], None, sk.H36M17)[0], x17)


def test_flip_test_averages_unflipped_prediction():
    x, _ = clip(8)
    w = np.random.default_rng(3).normal(size=(2, 3)).astype(np.float32)

    def predict(inp):
        return inp @ w

    out = pl.flip_test(predict, x)
    _, back = pl.flip_poses(None, predict(pl.flip_poses(x, None)[0]))
    np.testing.assert_allclose(out, (predict(x) + back) / 2, rtol=1e-5, atol=1e-6)

    def equivariant(inp):  # a mirror-symmetric predictor: flip test changes nothing
        return np.concatenate([inp, np.zeros(inp.shape[:-1] + (1,), np.float32)], axis=-1)

    np.testing.assert_allclose(pl.flip_test(equivariant, x), equivariant(x), atol=1e-6)


def test_input_context_shards_and_uses_per_replica_batch():
    import tensorflow as tf

    x, y = clip(40)
    seen = []
    for pipeline_id in range(2):
        ctx = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline_id, num_replicas_in_sync=2)
        batches = list(pl.make_dataset(x, y, 8, training=False, input_context=ctx))
        assert batches[0][0].shape[0] == 4
        seen.append(np.concatenate([b[0].numpy() for b in batches]))
    assert len(seen[0]) == len(seen[1]) == 20
    np.testing.assert_array_equal(np.sort(np.concatenate(seen).ravel()), np.sort(x.ravel()))


def test_bad_shapes_raise_data_error():
    x, y = clip(10)
    with pytest.raises(DataError, match="to_16_joints"):
        pl.make_dataset(np.zeros((10, 17, 2)), np.zeros((10, 17, 3)), 4, training=False)
    with pytest.raises(DataError, match="batch_size"):
        pl.make_dataset(x, y, 0, training=False)


def test_occlusion_fills_like_the_keypoint_adapters():
    """A joint the augmentation drops gets exactly what graphsh_tf.keypoints feeds the model for a missed joint:
    its parent's position (and a dropped elbow takes the wrist with it)."""
    from graphsh_tf.data.pipeline import OCCLUSION_CHOICES, occlusion_fill_matrices

    rng = np.random.default_rng(0)
    pose = rng.normal(size=(16, 2))
    mats = occlusion_fill_matrices()
    np.testing.assert_array_equal(mats[0], np.eye(16))
    h36m = sk.H36M16
    for (joint, _), m in zip(OCCLUSION_CHOICES, mats[1:]):
        filled = m @ pose
        scores = np.ones(16)
        below = [k for k in range(16) if k == joint or h36m.parents[k] == joint]
        scores[below] = 0.0
        expect = pose.copy()
        for k in below:  # the adapters' fill: parent first, in joint order
            expect[k] = expect[h36m.parents[k]]
        np.testing.assert_allclose(filled, expect)


def test_noise_and_occlusion_augmentation_statistics():
    from graphsh_tf.data.pipeline import make_dataset

    n = 4096
    x = np.zeros((n, 16, 2), np.float32) + np.arange(16, dtype=np.float32)[None, :, None] * 0.01
    y = np.zeros((n, 16, 3), np.float32)
    ds = make_dataset(x, y, n, training=True, noise_px=5.0, image_width=np.full(n, 500.0))
    xb, yb = next(iter(ds))
    d = xb.numpy() - x
    # 5 px at width 500 is 0.02 normalized; 1 % of joints get 6x: std^2 = 0.02^2 (0.99 + 0.01 * 36)
    assert np.std(d) == pytest.approx(0.02 * np.sqrt(0.99 + 0.36), rel=0.05)
    np.testing.assert_array_equal(yb.numpy(), y)
    ds = make_dataset(x, y, n, training=True, occlusion=0.5)
    xb = next(iter(ds))[0].numpy()
    changed = np.any(np.abs(xb - x) > 1e-7, axis=(1, 2))
    assert changed.mean() == pytest.approx(0.5, abs=0.04)
    ds2 = make_dataset(x, y, n, training=False, occlusion=0.5, noise_px=5.0)
    np.testing.assert_array_equal(next(iter(ds2))[0].numpy(), x)   # never at evaluation
