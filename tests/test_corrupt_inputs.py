"""Test-time 2D corruption (noise in pixels, missing joints filled like the adapters) used by evaluate --noise-px
/ --drop-joints and benchmarks/accuracy_mocap.py."""
from graphsh_tf import skeleton as sk
from graphsh_tf.evaluate import DROPPABLE_JOINTS, corrupt_inputs

import numpy as np
import pytest


def test_noise_is_in_pixels_and_seeded():
    x = np.zeros((2000, 16, 2), np.float32)
    a = corrupt_inputs(x, 500.0, noise_px=4.0, seed=1)
    assert np.std(a) == pytest.approx(4.0 * 2 / 500, rel=0.03)
    np.testing.assert_array_equal(a, corrupt_inputs(x, np.full(2000, 500.0), noise_px=4.0, seed=1))
    assert not np.allclose(a, corrupt_inputs(x, 500.0, noise_px=4.0, seed=2))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_dropped_joints_take_their_parents_position(k):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 16, 2)).astype(np.float32)
    y = corrupt_inputs(x, 1000.0, drop_joints=k)
    changed = np.any(y != x, axis=-1)
    assert set(np.nonzero(changed.any(axis=0))[0]) <= set(DROPPABLE_JOINTS)
    # each changed joint equals its parent's (possibly itself filled) position; at most k joints per pose
    for i in range(50):
        for j in np.nonzero(changed[i])[0]:
            np.testing.assert_array_equal(y[i, j], y[i, sk.H36M16.parents[j]])
    assert changed.sum(axis=1).max() <= k and changed.sum(axis=1).mean() > 0.7 * k
    with pytest.raises(ValueError, match="drop_joints"):
        corrupt_inputs(x, 1000.0, drop_joints=9)
