from graphsh_tf import skeleton as sk

import numpy as np
import pytest


def test_h36m16_layout_matches_the_reference_facts():
    assert sk.H36M16.joint_names[:4] == ("Hip", "RHip", "RKnee", "RFoot")
    assert list(sk.H36M16.parents) == [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14]
    assert [sk.H36M17.joint_names[i] for i in sk.H36M17_TO_16] == list(sk.H36M16.joint_names)
    # 17-joint parents reduce to the 16-joint parents when Neck/Nose is removed
    for j16, j17 in enumerate(sk.H36M17_TO_16):
        p17 = sk.H36M17.parents[j17]
        if p17 == 9:
            p17 = sk.H36M17.parents[9]
        assert (sk.H36M17_TO_16.index(p17) if p17 >= 0 else -1) == sk.H36M16.parents[j16]


def test_left_right_pairs_are_mirror_names():
    for skel in (sk.H36M16, sk.H36M17, sk.COCO17, sk.MEDIAPIPE33):
        for l, r in zip(skel.joints_left, skel.joints_right):
            ln, rn = skel.joint_names[l].lower(), skel.joint_names[r].lower()
            assert ln.replace("left", "").lstrip("l_") == rn.replace("right", "").lstrip("r_"), (ln, rn)
        perm = skel.flip_permutation()
        assert np.array_equal(perm[perm], np.arange(skel.num_joints))


@pytest.mark.parametrize("n", [16, 8, 4])
def test_adjacency_is_row_normalized_symmetric_support_with_self_loops(n):
    a = sk.adjacency_for(n)
    assert a.shape == (n, n) and a.dtype == np.float32
    np.testing.assert_allclose(a.sum(1), 1.0, rtol=1e-6)
    assert np.all(np.diag(a) > 0)
    assert np.array_equal(a > 0, (a > 0).T)
    # a row's weights are 1 / (degree + 1)
    deg = (a > 0).sum(1)
    np.testing.assert_allclose(a[a > 0], np.repeat(1.0 / deg, deg), rtol=1e-6)


def test_pool_then_unpool_orders_match_the_reference_index_lists():
    x = np.random.default_rng(0).normal(size=(16, 5)).astype(np.float32)
    sa, sb = sk.pool_selections(16)
    pooled = np.maximum(sa @ x, sb @ x)
    flat = [j for g in sk.POOL_GROUPS for j in g]
    ref_pooled = np.maximum(x[flat][0::2], x[flat][1::2])
    np.testing.assert_array_equal(pooled, ref_pooled)
    sa8, sb8 = sk.pool_selections(8)
    mid_order = [0, 1, 2, 3, 5, 6, 4, 7]
    np.testing.assert_array_equal(np.maximum(sa8 @ pooled, sb8 @ pooled),
                                  np.maximum(pooled[mid_order][0::2], pooled[mid_order][1::2]))
    np.testing.assert_array_equal(sk.unpool_copy(16) @ pooled, pooled[list(sk.UNPOOL_MAP)])
    low = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_array_equal(sk.unpool_copy(8) @ low, low[list(sk.UNPOOL_MAP_MID)])
    # every unpool row copies exactly one pooled joint
    assert np.all(sk.unpool_copy(16).sum(1) == 1) and np.all(sk.unpool_copy(8).sum(1) == 1)


def test_bad_scale_is_a_clear_error():
    with pytest.raises(ValueError, match="16, 8, 4"):
        sk.adjacency_for(17)
