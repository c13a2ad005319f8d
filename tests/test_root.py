"""Root position from 2D keypoints + root-relative 3D + intrinsics (closed-form weighted least squares)."""
from graphsh_tf.data import cameras as cam
from graphsh_tf.data.synthetic import load_synthetic
from graphsh_tf.frame import intrinsics_matrix
from graphsh_tf.root import focal_from_fov, solve_root

import numpy as np
import pytest


def _scene():
    data = load_synthetic(seed=0, train_poses_per_subject=10, test_poses_per_subject=60).to_16_joints()
    c = cam.h36m_camera("S9", 1)
    rel = data.test.poses_3d[:50].astype(np.float64)                 # root-relative camera-space mm
    rng = np.random.default_rng(0)
    root = np.stack([rng.uniform(-800, 800, 50), rng.uniform(-300, 300, 50), rng.uniform(2500, 7000, 50)], axis=1)
    absolute = rel + root[:, None]
    px = absolute[..., :2] / absolute[..., 2:] * c.focal + c.center    # pinhole, no distortion
    k = (c.focal[0], c.focal[1], c.center[0], c.center[1])
    return rel, root, px, k


def test_exact_pose_gives_the_exact_root():
    rel, root, px, k = _scene()
    np.testing.assert_allclose(solve_root(px, rel, k), root, atol=1e-6)
    np.testing.assert_allclose(solve_root(px[3], rel[3], np.array([[k[0], 0, k[2]], [0, k[1], k[3]], [0, 0, 1]])),
                               root[3], atol=1e-6)


def test_weights_ignore_a_wrong_joint_and_noise_moves_the_root_little():
    rel, root, px, k = _scene()
    bad = px.copy()
    bad[:, 12] += 300.0                                               # a wild wrist
    w = np.ones(bad.shape[:2])
    w[:, 12] = 0.0
    np.testing.assert_allclose(solve_root(bad, rel, k, w), root, atol=1e-6)
    assert np.abs(solve_root(bad, rel, k) - root).max() > 10.0
    noisy = px + np.random.default_rng(1).normal(0, 2.0, px.shape)   # 2 px detector noise
    err = np.linalg.norm(solve_root(noisy, rel, k) - root, axis=-1)
    assert np.median(err) < 60.0


def test_bad_intrinsics_and_too_few_joints():
    rel, root, px, k = _scene()
    with pytest.raises(ValueError, match="intrinsics"):
        intrinsics_matrix((0, 1, 2, 3))
    w = np.zeros(16)
    w[0] = 1
    with pytest.raises(ValueError, match="two joints"):
        solve_root(px[0], rel[0], k, w)
    assert focal_from_fov(1000, 90.0) == pytest.approx(500.0)


def test_intrinsics_normalization_matches_the_training_cameras_and_maps_rays():
    """Through a Human3.6M camera, the intrinsics normalization equals the image normalization (up to the
    principal-point offset); through a phone camera, the same ray lands where the training camera would put it."""
    from graphsh_tf.frame import H36M_FOCAL_NORM, normalize_screen_coordinates, normalize_with_intrinsics

    c = cam.h36m_camera("S1", 1)
    px = np.array([[300.0, 400.0], [700.0, 650.0]])
    a = normalize_screen_coordinates(px, c.res_w, c.res_h)
    b = normalize_with_intrinsics(px, (c.focal[0], c.focal[1], c.center[0], c.center[1]))
    np.testing.assert_allclose(a, b, atol=0.03)
    phone = cam.phone_camera(np.array([0.0, -3000.0, 1400.0]), np.array([0.0, 0.0, 900.0]), 70.0, 1080, 1920)
    ray = np.array([[0.2, -0.1, 1.0]]) * 3000.0            # a point in the phone's camera frame
    p = cam.project(ray, phone)
    np.testing.assert_allclose(normalize_with_intrinsics(p, (*phone.focal, *phone.center)),
                               H36M_FOCAL_NORM * ray[:, :2] / ray[:, 2:], rtol=1e-5)
    assert phone.focal[0] == pytest.approx(540.0 / np.tan(np.deg2rad(35.0)))
    with pytest.raises(ValueError, match="intrinsics"):
        normalize_with_intrinsics(p, (0.0, 1.0, 2.0, 3.0))
