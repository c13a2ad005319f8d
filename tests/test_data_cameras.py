"""Human3.6M cameras: transforms, projection with distortion and their inverses."""
from pathlib import Path

from graphsh_tf.data import bvh
from graphsh_tf.data import cameras as cam
from graphsh_tf.frame import image_coordinates

import numpy as np
import pytest

FIXTURE_BVH = Path(__file__).resolve().parent / "fixtures" / "bvh_bandai_walk_normal_001_5frames.bvh"


def test_constants_cover_the_published_subjects_and_cameras():
    assert cam.H36M_SUBJECTS == ("S1", "S5", "S6", "S7", "S8", "S9", "S11")
    assert cam.H36M_CAMERA_IDS == ("54138969", "55011271", "58860488", "60457274")
    c = cam.h36m_camera("S9", 1)
    assert (c.res_w, c.res_h) == (1000, 1000)
    np.testing.assert_allclose(c.rotation @ c.rotation.T, np.eye(3), atol=1e-6)
    assert np.linalg.det(c.rotation) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="S2"):
        cam.h36m_camera("S2", 0)


def test_world_camera_round_trip_and_camera_looks_at_capture_area():
    rng = np.random.default_rng(0)
    world = rng.uniform(-1500, 1500, size=(50, 17, 3)) + [0, 0, 1000]
    for subject in cam.H36M_SUBJECTS:
        for c in cam.h36m_cameras(subject):
            x = cam.world_to_camera(world, c)
            np.testing.assert_allclose(cam.camera_to_world(x, c), world, atol=1e-6)
            # the capture-area centre at pelvis height is in front of every camera, 4-7 m away, inside the image
            centre = cam.world_to_camera(np.array([0.0, 0.0, 900.0]), c)
            assert 4000 < centre[2] < 7000
            assert cam.in_image(cam.project(centre, c), c)


def test_projection_round_trip_with_distortion():
    c = cam.h36m_camera("S1", 2)
    rng = np.random.default_rng(1)
    pts = np.stack([rng.uniform(-1500, 1500, 200), rng.uniform(-1500, 1500, 200), rng.uniform(3000, 7000, 200)], -1)
    px = cam.project(pts, c)
    back = cam.unproject(px, pts[:, 2], c)
    np.testing.assert_allclose(back, pts, atol=1e-3)  # micrometres
    # distortion is real (not the identity) and normalization inverts exactly
    linear = c.focal * pts[:, :2] / pts[:, 2:] + c.center
    assert np.abs(px - linear).max() > 1.0
    np.testing.assert_allclose(image_coordinates(cam.project_normalized(pts, c), c.res_w, c.res_h), px, atol=1e-3)


def test_known_point_projects_onto_principal_point():
    c = cam.h36m_camera("S5", 0)
    on_axis = cam.camera_to_world(np.array([0.0, 0.0, 5000.0]), c)
    np.testing.assert_allclose(cam.project(cam.world_to_camera(on_axis, c), c), c.center, atol=1e-6)


def test_render_gives_root_relative_mm_and_normalized_2d():
    c = cam.h36m_camera("S11", 3)
    world = np.random.default_rng(2).normal(0, 300, size=(7, 16, 3)) + [0, 0, 1000]
    pixels, p2d, p3d = cam.render(world, c)
    assert p2d.dtype == np.float32 and p3d.dtype == np.float32
    assert np.all(p3d[:, 0] == 0.0)
    d = np.linalg.norm(world[:, 5] - world[:, 2], axis=-1)
    np.testing.assert_allclose(np.linalg.norm(p3d[:, 5] - p3d[:, 2], axis=-1), d, rtol=1e-5)
    np.testing.assert_allclose(image_coordinates(p2d, 1000, 1002), pixels, atol=1e-3)


def test_look_at_camera_centres_its_target():
    target = np.array([100.0, -200.0, 900.0])
    c = cam.look_at_camera([4000.0, 1000.0, 1500.0], target, index=1)
    np.testing.assert_allclose(cam.project(cam.world_to_camera(target, c), c), c.center, atol=1e-6)
    up = cam.world_to_camera(target + [0, 0, 500.0], c)
    assert cam.project(up, c)[1] < c.center[1]  # image y points down


def test_rendered_bvh_clip_lies_inside_the_image_for_h36m_cameras():
    clip = bvh.parse_bvh(FIXTURE_BVH)
    world = bvh.center_on_origin(bvh.h36m_world_poses(clip), "clip")
    for subject in cam.H36M_SUBJECTS:
        for c in cam.h36m_cameras(subject):
            pixels, _, _ = cam.render(world, c)
            assert cam.in_image(pixels, c, margin=5).all(), (subject, c.name)
