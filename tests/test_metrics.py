"""Metrics against hand-computed cases."""
from graphsh_tf import metrics

import numpy as np
import pytest


def _rotation(axis, angle):
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def _poses(n=5, j=16, seed=0):
    return np.random.default_rng(seed).normal(scale=300.0, size=(n, j, 3))


def test_mpjpe_hand_example():
    true = np.zeros((2, 2, 3))
    pred = np.array([[[3.0, 4.0, 0.0], [0.0, 0.0, 0.0]],    # errors 5, 0
                     [[0.0, 0.0, 12.0], [1.0, 0.0, 0.0]]])  # errors 12, 1
    assert metrics.mpjpe(pred, true) == pytest.approx((5 + 0 + 12 + 1) / 4)
    np.testing.assert_allclose(metrics.per_pose_mpjpe(pred, true), [2.5, 6.5])


def test_similarity_error_vanishes_under_protocol_2():
    true = _poses()
    r = _rotation([1.0, 2.0, 0.5], 0.7)
    pred = 1.3 * true @ r.T + np.array([100.0, -50.0, 2000.0])
    assert metrics.mpjpe(pred, true) > 100.0
    assert metrics.p_mpjpe(pred, true) < 1e-6
    np.testing.assert_allclose(metrics.procrustes_align(pred, true), true, atol=1e-6)


def test_p_mpjpe_not_larger_than_mpjpe_and_reflection_not_allowed():
    true = _poses(seed=1)
    noisy = true + np.random.default_rng(2).normal(scale=30.0, size=true.shape)
    assert metrics.p_mpjpe(noisy, true) <= metrics.mpjpe(noisy, true) + 1e-9
    mirrored = true * np.array([-1.0, 1.0, 1.0])  # a reflection: Procrustes with a proper rotation can't undo it
    assert metrics.p_mpjpe(mirrored, true) > 1.0
    aligned = metrics.procrustes_align(mirrored, true)
    # the fitted map is a proper rotation times a positive scale: orientation of any triangle is kept
    a, b = aligned[0, 1] - aligned[0, 0], aligned[0, 2] - aligned[0, 0]
    m_a, m_b = mirrored[0, 1] - mirrored[0, 0], mirrored[0, 2] - mirrored[0, 0]
    c_aligned = np.cross(a, b) @ (aligned[0, 3] - aligned[0, 0])
    c_mirr = np.cross(m_a, m_b) @ (mirrored[0, 3] - mirrored[0, 0])
    assert np.sign(c_aligned) == np.sign(c_mirr)


def test_pck_and_auc_on_known_distances():
    true = np.zeros((1, 4, 3))
    pred = np.zeros((1, 4, 3))
    pred[0, :, 0] = [0.0, 50.0, 100.0, 200.0]
    assert metrics.pck(pred, true) == pytest.approx(75.0)
    assert metrics.pck(pred, true, threshold_mm=60.0) == pytest.approx(50.0)
    # thresholds 0, 5, ..., 150: error 0 counts at t>0 (30 of 31), 50 at t>50 (20), 100 at t>100 (10), 200 never
    expected = (30 + 20 + 10 + 0) / (4 * 31) * 100.0
    assert metrics.auc(pred, true) == pytest.approx(expected)


def test_mean_pose_baseline():
    train = np.stack([np.full((3, 3), 10.0), np.full((3, 3), 30.0)])  # mean pose: all 20
    test = np.full((1, 3, 3), 20.0)
    test[0, 0] = [23.0, 24.0, 20.0]  # error 5 at joint 0
    assert metrics.mean_pose_mpjpe(train, test) == pytest.approx(5.0 / 3)


def test_evaluate_predictions_groups_actions():
    true = np.zeros((4, 2, 3))
    pred = np.zeros((4, 2, 3))
    pred[0, :, 0] = 10.0  # Walking 1
    pred[1, :, 0] = 20.0  # Walking 2
    pred[2, :, 0] = 40.0  # Eating
    pred[3, :, 0] = 40.0  # TakingPhoto -> Photo
    out = metrics.evaluate_predictions(pred, true, actions=["Walking 1", "Walking 2", "Eating", "TakingPhoto"],
                                       train_true_mm=true)
    assert out["n_poses"] == 4
    assert out["mpjpe_mm"] == pytest.approx(27.5)
    assert set(out["per_action"]) == {"Walking", "Eating", "Photo"}
    assert out["per_action"]["Walking"]["mpjpe_mm"] == pytest.approx(15.0)
    assert out["per_action"]["Walking"]["n_poses"] == 2
    assert out["per_action"]["Eating"]["p_mpjpe_mm"] == pytest.approx(0.0, abs=1e-9)  # pure translation
    assert out["mean_pose_mpjpe_mm"] == pytest.approx(0.0)
    assert out["pck150"] == pytest.approx(100.0)


def test_markdown_columns_in_paper_order():
    true = np.zeros((3, 2, 3))
    pred = np.zeros((3, 2, 3))
    pred[:, :, 1] = [[10.0], [20.0], [60.0]]
    out = metrics.evaluate_predictions(pred, true, actions=["Walking", "Directions 1", "Smoking"])
    md = metrics.per_action_markdown(out, title="H36M")
    header = [l for l in md.splitlines() if l.startswith("| Protocol |")][0]
    cells = [c.strip() for c in header.strip("|").split("|")]
    assert cells == ["Protocol", "Direct.", "Smoke", "Walk", "Avg"]
    row1 = [l for l in md.splitlines() if "Protocol #1" in l][0]
    assert [c.strip() for c in row1.strip("|").split("|")][1:] == ["20.0", "60.0", "10.0", "30.0"]
    assert "Protocol #2" in md and md.startswith("**H36M**")


def test_markdown_other_dataset_sorted_names():
    true = np.zeros((2, 2, 3))
    out = metrics.evaluate_predictions(true, true, actions=["zeta", "alpha"])
    header = metrics.per_action_markdown(out).splitlines()[0]
    assert header == "| Protocol | alpha | zeta | Avg |"


@pytest.mark.parametrize("pred_shape,true_shape", [((2, 16, 3), (2, 17, 3)), ((2, 16, 3), (3, 16, 3)),
                                                   ((16,), (16,))])
def test_shape_mismatch_raises_with_shapes(pred_shape, true_shape):
    with pytest.raises(ValueError, match=r"\(2, 16, 3\)|\(16,\)"):
        metrics.mpjpe(np.zeros(pred_shape), np.zeros(true_shape))


def test_non_finite_raises():
    pred = np.zeros((1, 16, 3))
    pred[0, 3, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        metrics.p_mpjpe(pred, np.zeros((1, 16, 3)))


def test_actions_length_mismatch_raises():
    with pytest.raises(ValueError, match="one action name per pose"):
        metrics.evaluate_predictions(np.zeros((2, 16, 3)), np.zeros((2, 16, 3)), actions=["a"])
