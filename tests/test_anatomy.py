"""graphsh_tf.anatomy: bone lengths, asymmetry, limb directions, one body per pose and per track (LifterStream)."""
import dataclasses

from graphsh_tf import anatomy, skeleton
from graphsh_tf.lite.lifter import LiftResult
from graphsh_tf.smoothing import LifterStream

import numpy as np
import pytest

K = skeleton.H36M16.index


def _pose(rng, asym=0.0):
    """A random-direction H36M-16 pose with human bone lengths, the right limbs ``1 + asym`` times the left."""
    base = np.array([0, 130, 440, 440, 130, 440, 440, 230, 230, 200, 150, 280, 250, 150, 280, 250], float)
    lengths = base[1:].copy()
    for _left, right in anatomy.LIMB_PAIRS:
        lengths[right] *= 1 + asym
    pose = np.zeros((16, 3))
    for j in range(1, 16):
        d = rng.normal(size=3)
        pose[j] = pose[skeleton.H36M16.parents[j]] + lengths[j - 1] * d / np.linalg.norm(d)
    return pose


def test_lengths_asymmetry_and_directions():
    rng = np.random.default_rng(0)
    p = _pose(rng, asym=0.1)
    assert anatomy.bone_lengths(p)[K("RKnee") - 1] == pytest.approx(440 * 1.1)
    assert anatomy.asymmetry(p) == pytest.approx(np.full(4, 0.1 / 1.05))
    assert anatomy.asymmetry(_pose(rng)) == pytest.approx(np.zeros(4), abs=1e-9)
    assert anatomy.limb_direction_error_deg(p, p) == pytest.approx(np.zeros(8), abs=1e-5)
    q = p.copy()
    q[K("LWrist")] = q[K("LElbow")] + np.cross(p[K("LWrist")] - p[K("LElbow")], [0, 0, 1.0])  # forearm turned 90°
    err = anatomy.limb_direction_error_deg(q, p)
    assert err[3] == pytest.approx(90.0) and np.all(np.delete(err, 3) < 1e-5)


def test_one_body_makes_left_and_right_equal_and_keeps_directions():
    rng = np.random.default_rng(1)
    p = _pose(rng, asym=0.3)
    q = anatomy.one_body(p)
    assert np.all(anatomy.asymmetry(q, anatomy.PAIRS) < 1e-9)
    assert anatomy.limb_direction_error_deg(q, p) == pytest.approx(np.zeros(8), abs=1e-4)
    assert np.allclose(q[0], p[0])
    lengths = anatomy.bone_lengths(p)
    assert anatomy.bone_lengths(q)[K("LKnee") - 1] == pytest.approx(0.5 * (lengths[K("LKnee") - 1]
                                                                            + lengths[K("RKnee") - 1]))
    with pytest.raises(ValueError, match="window"):
        anatomy.BodyLengths(window=0)


class _FakeLifter:
    """Returns a pose whose bones breathe (±10 % per frame) around fixed lengths, in random directions."""

    def __init__(self):
        self.rng = np.random.default_rng(2)

    def __call__(self, keypoints_px, image_size, scores=None, intrinsics=None):
        p = _pose(self.rng, asym=self.rng.uniform(-0.1, 0.1))
        p = anatomy.apply_lengths(p, anatomy.bone_lengths(p) * self.rng.uniform(0.9, 1.1, 15))
        return LiftResult(p.astype(np.float32), np.ones(16), True, None, np.zeros((16, 2)))


def test_lifter_stream_gives_a_track_one_body():
    kp = np.zeros((17, 2))
    plain = LifterStream(_FakeLifter(), one_body=False)
    body = LifterStream(_FakeLifter())
    a = np.stack([plain(kp, (640, 480), t / 30).joints_mm for t in range(60)])
    b = np.stack([body(kp, (640, 480), t / 30).joints_mm for t in range(60)])
    spread_a = anatomy.bone_lengths(a)[30:].std(axis=0).mean()
    spread_b = anatomy.bone_lengths(b)[30:].std(axis=0).mean()
    assert spread_a > 10 and spread_b < 0.2 * spread_a
    assert np.median(anatomy.asymmetry(b[30:])) < 1e-4 < np.median(anatomy.asymmetry(a[30:]))
    body.reset()
    assert dataclasses.is_dataclass(body(kp, (640, 480), 10.0))
