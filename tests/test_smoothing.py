"""One Euro temporal filter (graphsh_tf.smoothing): keeps a constant, reduces jitter, follows motion, and the
LifterStream wrapper smooths joints and root."""
from graphsh_tf.anatomy import one_body
from graphsh_tf.lite.lifter import LiftResult
from graphsh_tf.smoothing import LifterStream, OneEuroFilter, smooth_sequence

import numpy as np
import pytest


def _jitter(a):
    return float(np.abs(np.diff(a, axis=0)).mean())


def _noisy_sequence(seed=0, n=300, fps=30.0, noise_mm=10.0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / fps
    offsets = rng.uniform(-500, 500, size=(1, 16, 3))
    clean = offsets + 50.0 * np.sin(2 * np.pi * 0.2 * t)[:, None, None] * rng.uniform(0.5, 1.0, size=(1, 16, 3))
    return clean, clean + rng.normal(scale=noise_mm, size=clean.shape)


def test_constant_sequence_stays_constant():
    pose = np.random.default_rng(3).normal(scale=300.0, size=(16, 3))
    seq = np.repeat(pose[None], 60, axis=0)
    out = smooth_sequence(seq, 30.0)
    np.testing.assert_allclose(out, seq, rtol=0, atol=1e-9)


def test_filter_reduces_frame_to_frame_jitter_and_error():
    clean, noisy = _noisy_sequence()
    out = smooth_sequence(noisy, 30.0)
    assert out.shape == noisy.shape
    assert _jitter(noisy) > 2.0 * _jitter(out), (_jitter(noisy), _jitter(out))
    accel = lambda a: float(np.abs(np.diff(a, 2, axis=0) - np.diff(clean, 2, axis=0)).mean())  # noqa: E731
    assert accel(noisy) > 2.0 * accel(out)
    # and it stays close to the truth (better than the raw input, once settled)
    assert np.abs(out[30:] - clean[30:]).mean() < np.abs(noisy[30:] - clean[30:]).mean()


def test_fast_motion_follows_with_higher_beta():
    t = np.arange(90) / 30.0
    step = np.where(t < 1.0, 0.0, 500.0)[:, None]
    lazy = smooth_sequence(step, 30.0, min_cutoff=0.5, beta=0.0)
    quick = smooth_sequence(step, 30.0, min_cutoff=0.5, beta=0.05)
    i = 35  # five frames after the step
    assert quick[i, 0] > lazy[i, 0] + 50.0
    assert abs(quick[-1, 0] - 500.0) < abs(lazy[-1, 0] - 500.0) + 1e-9


def test_first_sample_passes_and_bad_input_raises():
    f = OneEuroFilter()
    x = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(f(x, 0.0), x)
    with pytest.raises(ValueError, match="increase"):
        f(x, 0.0)
    with pytest.raises(ValueError, match="shape"):
        f(np.zeros(4), 1.0)
    with pytest.raises(ValueError, match="min_cutoff"):
        OneEuroFilter(min_cutoff=0.0)
    with pytest.raises(ValueError, match="timestamps"):
        smooth_sequence(np.zeros((3, 2)), 30.0, timestamps=[0.0, 0.1])


def test_non_finite_values_pass_through_without_breaking_state():
    f = OneEuroFilter()
    f(np.array([10.0, 20.0]), 0.0)
    out = f(np.array([np.nan, 20.0]), 1 / 30)
    assert np.isnan(out[0]) and out[1] == pytest.approx(20.0)
    out = f(np.array([10.0, 20.0]), 2 / 30)
    assert out[0] == pytest.approx(10.0)


def test_irregular_timestamps_match_fps_when_regular():
    _, noisy = _noisy_sequence(n=40)
    a = smooth_sequence(noisy, 30.0)
    b = smooth_sequence(noisy, 1.0, timestamps=np.arange(40) / 30.0)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


class _FakeLifter:
    """Stands in for graphsh_tf.lite.lifter.Lifter: returns a LiftResult of noisy joints and a noisy root."""

    def __init__(self, clean):
        self.clean, self.i, self.rng = clean, 0, np.random.default_rng(5)

    def __call__(self, keypoints_px, image_size, scores=None, intrinsics=None):
        out = (self.clean[self.i] + self.rng.normal(scale=10.0, size=(16, 3))).astype(np.float32)
        root = None if intrinsics is None else np.array([0.0, 0.0, 3000.0]) + self.rng.normal(scale=30.0, size=3)
        self.i += 1
        self.last = LiftResult(out, np.ones(16), True, root, np.zeros((16, 2)))
        return self.last


def test_lifter_stream_smooths_joints_and_root():
    clean, _ = _noisy_sequence(n=121)
    fake = _FakeLifter(clean)
    stream = LifterStream(fake)
    outs, roots = [], []
    for i in range(120):
        res = stream(np.zeros((17, 2)), (640, 480), i / 30.0, intrinsics=(500.0, 500.0, 320.0, 240.0))
        assert isinstance(res, LiftResult) and res.valid is True and res.confidence.shape == (16,)
        outs.append(res.joints_mm)
        roots.append(res.root_mm)
    outs, roots = np.asarray(outs), np.asarray(roots)
    assert outs.shape == (120, 16, 3) and outs.dtype == np.float32 and roots.shape == (120, 3)
    clean = clean[:120]
    raw = clean + np.random.default_rng(5).normal(scale=10.0, size=clean.shape)  # not the same draws: scale only
    assert _jitter(raw) > 2.0 * _jitter(outs)
    assert np.abs(np.diff(roots, axis=0)).mean() < 0.5 * 30.0
    stream.reset()  # the next frame passes through unfiltered, given its own bone lengths made symmetric
    res = stream(np.zeros((17, 2)), (640, 480), 0.0)
    assert res.root_mm is None
    np.testing.assert_allclose(res.joints_mm, one_body(fake.last.joints_mm), atol=1e-3)


def test_lifter_stream_step_is_the_filtering_without_a_model():
    """step(joints, root, t) is what a call does after lifting: it needs no lifter; a None root leaves the root
    filter alone, NaN root coordinates pass through, a timestamp that does not increase raises and updates nothing."""
    clean, _ = _noisy_sequence(n=20)
    fake = _FakeLifter(clean)
    # one_body=False: the call is then exactly the lifter + step (one body is checked in tests/test_anatomy.py)
    with_lifter, without = LifterStream(fake, one_body=False), LifterStream(None)
    k = (500.0, 500.0, 320.0, 240.0)
    for i in range(10):
        res = with_lifter(np.zeros((17, 2)), (640, 480), i / 30.0, intrinsics=k)
        ref, ref_root = without.step(fake.last.joints_mm, fake.last.root_mm, i / 30.0)
        np.testing.assert_array_equal(res.joints_mm, ref)
        np.testing.assert_array_equal(res.root_mm, ref_root)
        assert not np.array_equal(res.joints_mm, fake.last.joints_mm) or i == 0
    root_before = ref_root.copy()
    assert without.step(clean[10], None, 10 / 30.0)[1] is None
    j, r = without.step(clean[11], np.array([np.nan, 1.0, 2900.0]), 11 / 30.0)
    assert j.dtype == np.float32 and np.isnan(r[0])
    z = r[2]  # filtered from the state kept across the root-less frame, not passed through
    assert min(root_before[2], 2900.0) < z < max(root_before[2], 2900.0)
    with pytest.raises(ValueError, match="increase"):
        without.step(clean[12], np.array([0.0, 0.0, 1.0]), 11 / 30.0)
    j, r = without.step(clean[12], np.array([0.0, 0.0, 2900.0]), 12 / 30.0)  # the failed step changed nothing
    assert min(z, 2900.0) < r[2] < max(z, 2900.0)
    without.reset()
    j, r = without.step(clean[12], None, 0.0)
    np.testing.assert_array_equal(j, clean[12].astype(np.float32))
    assert r is None
