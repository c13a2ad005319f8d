"""graphsh_tf.draw.render: the detector's own 3D (Person.world_mm, BlazePose's world landmarks) is drawn beside ours in
the 3D view in its own colour, with the legend "ours / BlazePose 3D"; without it the picture is as before."""
import dataclasses
from types import SimpleNamespace

from graphsh_tf.detect.blazepose import Person
from graphsh_tf.draw import DETECTOR_3D_RGB, render
from graphsh_tf.media import Frame

import numpy as np

#: a standing H36M-16 pose (mm, camera axes: x right, y down), hip-centred
POSE_MM = np.array([[0, 0, 0], [-130, 0, 0], [-130, 450, 0], [-130, 900, 0], [130, 0, 0], [130, 450, 0],
                    [130, 900, 0], [0, -250, 0], [0, -500, 0], [0, -680, 0], [180, -480, 0], [200, -230, 0],
                    [210, 20, 0], [-180, -480, 0], [-200, -230, 0], [-210, 20, 0]], dtype=np.float64)


def _frame_out(world_mm):
    w, h = 320, 240
    kp = np.random.default_rng(0).uniform([40, 30], [280, 210], size=(33, 2))
    person = Person(kp, np.full(33, 0.9), "mediapipe33", 0.9, (160.0, 120.0, 200.0, 0.0), world_mm)
    xy16 = POSE_MM[:, :2] * 0.1 + [160, 120]
    result = SimpleNamespace(keypoints_px=xy16, joints_mm=POSE_MM, valid=True)
    camera = POSE_MM + [0.0, 0.0, 3000.0]
    return {"frame": Frame("synthetic.png", 0, 0.0, np.zeros((h, w, 3), np.uint8)), "image_size": (w, h),
            "persons": [{"person": person, "track": None, "result": result, "camera_mm": camera}]}


def _pixels_of(img: np.ndarray, hex_rgb: str, tol: int = 6) -> int:
    rgb = np.array([int(hex_rgb[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(img.astype(int) - rgb).max(axis=-1) <= tol).sum())


def test_render_draws_the_detector_3d_with_a_legend():
    # BlazePose's 3D: a leaning version of the pose, so its bones do not hide behind ours
    lean = POSE_MM @ np.array([[np.cos(0.4), -np.sin(0.4), 0], [np.sin(0.4), np.cos(0.4), 0], [0, 0, 1]]).T
    with_bp = render(_frame_out(lean))
    without = render(_frame_out(None))
    assert with_bp.shape == without.shape and with_bp.dtype == np.uint8
    assert not np.array_equal(with_bp, without)
    grey_with, grey_without = _pixels_of(with_bp, DETECTOR_3D_RGB), _pixels_of(without, DETECTOR_3D_RGB)
    assert grey_with > 100 and grey_without < 10, (grey_with, grey_without)


def test_render_without_world_mm_is_unchanged_by_a_person_lacking_it():
    """A Person-like object without the attribute (e.g. from an older pickle) draws as before."""
    out = _frame_out(None)
    p = out["persons"][0]["person"]
    fields = {f.name: getattr(p, f.name) for f in dataclasses.fields(p) if f.name != "world_mm"}
    out["persons"][0]["person"] = SimpleNamespace(**fields)
    np.testing.assert_array_equal(render(out), render(_frame_out(None)))


def test_render_draws_unseen_joints_as_dotted_guesses():
    """Legs not seen in the image (a desk webcam) are drawn thin and dotted: fewer pixels of their colour."""
    from graphsh_tf.draw import LEFT_RGB, RIGHT_RGB

    seen = render(_frame_out(None))
    out = _frame_out(None)
    in_image = np.ones(16, bool)
    in_image[[2, 3, 5, 6]] = False                       # knees and feet
    out["persons"][0]["result"].in_image = in_image
    cut = render(out)
    legs_seen = _pixels_of(seen, RIGHT_RGB, 40) + _pixels_of(seen, LEFT_RGB, 40)
    legs_cut = _pixels_of(cut, RIGHT_RGB, 40) + _pixels_of(cut, LEFT_RGB, 40)
    assert legs_cut < 0.8 * legs_seen, (legs_cut, legs_seen)
