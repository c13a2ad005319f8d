"""The detector-like corruption model (graphsh_tf.data.corrupt): seeded, per-joint statistics as documented,
missing joints filled by the keypoint adapters' own rules, and the single corruptions of the robustness table."""
from graphsh_tf import keypoints as kp
from graphsh_tf import skeleton as sk
from graphsh_tf.data import corrupt as cr
from graphsh_tf.data import perturb

import numpy as np
import pytest

J = sk.H36M16.index


@pytest.fixture(scope="module")
def poses_px():
    """4000 plausible H36M-16 poses in pixels (synthetic test split, 1000 px frames)."""
    from graphsh_tf.data.dataset import load_data

    test = load_data("synthetic", downsample=2).to_16_joints().test
    return perturb.to_pixels(test.poses_2d, test.image_size), test.image_size


def test_pixels_round_trip_matches_the_normalization(poses_px):
    px, size = poses_px
    norm = perturb.to_normalized(px, size)
    for wh in np.unique(size, axis=0):   # each camera's rows with its own image size
        rows = (size == wh).all(axis=1)
        w, h = wh
        want = np.stack([px[rows, :, 0] * 2 / w - 1, px[rows, :, 1] * 2 / w - h / w], -1)   # u, v of the doc
        np.testing.assert_allclose(norm[rows], want, atol=1e-6)
    np.testing.assert_allclose(perturb.to_pixels(norm, size), px, atol=1e-3)


def test_seeded_and_reproducible(poses_px):
    px, size = poses_px
    a = cr.corrupt_detector(px, "detector", seed=3, image_size=size)
    b = cr.DetectorCorruption(cr.PRESETS["detector"]).apply(px, np.random.default_rng(3), size)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = cr.corrupt_detector(px, "detector", seed=4, image_size=size)
    assert not np.allclose(a[0], c[0])


def test_none_is_the_identity(poses_px):
    px, _ = poses_px
    xy, conf = cr.corrupt_detector(px, "none")
    np.testing.assert_array_equal(xy, px)
    assert conf.shape == px.shape[:2] and (conf == 1).all()


def test_jitter_larger_at_wrists_and_ankles_and_grows_as_the_score_falls(poses_px):
    px, _ = poses_px
    xy, conf, ev = cr.DetectorCorruption("jitter").apply_with_events(px, 0)
    err = np.linalg.norm(xy - px, axis=-1) / ev["person_scale"][:, None]
    ends = [J("LWrist"), J("RWrist"), J("LFoot"), J("RFoot")]
    roots = [J("LHip"), J("RHip"), J("LShoulder"), J("RShoulder")]
    assert err[:, ends].mean() > 1.5 * err[:, roots].mean()
    assert (conf > 0).all() and (conf <= 1).all()
    # the same joint: low-score draws jitter more than high-score ones (std grows as the score falls)
    w = J("LWrist")
    low, high = conf[:, w] < np.quantile(conf[:, w], 0.25), conf[:, w] > np.quantile(conf[:, w], 0.75)
    assert err[low, w].mean() > 1.2 * err[high, w].mean()
    # and the std is the documented formula
    np.testing.assert_allclose(ev["sigma"][:, w], cr.JITTER_SIGMA[w] * ev["person_scale"]
                               * (1 + 2.0 * (1 - ev["scores"][:, w])))


def test_missing_joints_get_confidence_0_and_the_adapters_fill(poses_px):
    px, _ = poses_px
    xy, conf, ev = cr.DetectorCorruption("detector:miss=10,occlusion_rate=0.3").apply_with_events(px, 1)
    missed = ev["missed"]
    assert missed.any(axis=0)[[J("LWrist"), J("RFoot"), J("LElbow")]].all()
    assert (conf[missed] == 0).all()
    parents = np.asarray(sk.H36M16.parents)
    for j in (J("LWrist"), J("RKnee"), J("LFoot"), J("RElbow")):   # a missed limb joint sits on its parent
        rows = missed[:, j]
        np.testing.assert_array_equal(xy[rows, j], xy[rows, parents[j]])
    # one hip missed: the Hip sits on the other hip, unconfident, and the missed hip with it (the adapters' rule)
    rows = missed[:, J("LHip")] & ~missed[:, J("RHip")]
    assert rows.any()
    np.testing.assert_array_equal(xy[rows, J("Hip")], xy[rows, J("RHip")])
    np.testing.assert_array_equal(xy[rows, J("LHip")], xy[rows, J("RHip")])
    assert (conf[rows, J("Hip")] == 0).all() and (conf[rows, J("Spine")] == 0).all()
    # joints with confidence keep their position (no fill)
    ok = conf > 0
    assert ok.mean() > 0.5


def test_fill_equals_the_coco_adapter():
    """H36M-16 joints missed in fill_missing == the same keypoints missed in COCO-17 through coco17_to_h36m16."""
    rng = np.random.default_rng(0)
    coco = rng.uniform(100, 900, size=(300, 17, 2))
    full, _ = kp.coco17_to_h36m16(coco)                 # the H36M-16 pose the adapter makes of the full keypoints
    names = ("left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
             "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")
    h36 = ("LShoulder", "RShoulder", "LElbow", "RElbow", "LWrist", "RWrist", "LHip", "RHip", "LKnee", "RKnee",
           "LFoot", "RFoot")
    miss = rng.random((300, len(names))) < 0.3
    miss[:, names.index("right_hip")] &= ~miss[:, names.index("left_hip")]   # both hips: centroids differ
    coco_scores = np.ones((300, 17))
    h36_scores = np.ones((300, 16))
    for k, (c, h) in enumerate(zip(names, h36)):
        coco_scores[miss[:, k], sk.COCO17.index(c)] = 0.0
        h36_scores[miss[:, k], J(h)] = 0.0
    want_xy, want_conf = kp.coco17_to_h36m16(coco, scores=coco_scores)
    got_xy, got_conf = cr.fill_missing(full, h36_scores)
    np.testing.assert_allclose(got_xy, want_xy, atol=1e-9)
    np.testing.assert_array_equal(got_conf, want_conf)


def test_swaps_exchange_a_pair_and_lower_its_score(poses_px):
    px, _ = poses_px
    params = "detector:jitter=0,swap_rate=1,gross_rate=0,miss=0,occlusion_rate=0"
    xy, conf, ev = cr.DetectorCorruption(params).apply_with_events(px, 2)
    sw = ev["swapped"]
    assert (sw.sum(axis=1) == 2).all()
    for a, b in cr.SWAP_PAIRS:
        rows = sw[:, a]
        np.testing.assert_array_equal(xy[rows, a], px[rows, b])
        np.testing.assert_array_equal(xy[rows, b], px[rows, a])
    ref = cr.DetectorCorruption(params.replace("swap_rate=1", "swap_rate=0")).apply(px, 2)[1]
    np.testing.assert_allclose(conf[sw], 0.6 * ref[sw])
    assert conf[sw].mean() < conf[~sw & (ref < 1)].mean()


def test_rates_near_configured(poses_px):
    px, size = poses_px
    px = np.concatenate([px] * 5)
    p = cr.CorruptionParams.parse("detector:swap_rate=0.1,gross_rate=0.05")
    _, conf, ev = cr.DetectorCorruption(p).apply_with_events(px, 5, size[0])
    n = len(px)
    det = list(cr.DETECTOR_JOINTS)

    def near(observed, expected):
        tol = 4 * np.sqrt(expected * (1 - expected) / n) + 1e-3
        assert abs(observed - expected) < tol, (observed, expected)

    near(ev["swapped"].any(axis=1).mean(), 0.1)
    near(ev["gross"][:, det].mean(), 0.05)
    w = J("RWrist")   # single misses plus the occluded right arm (1 of 4 limbs)
    near(ev["missed"][:, w].mean(), 1 - (1 - cr.MISS_RATE[w]) * (1 - p.occlusion_rate / 4))
    near(ev["missed"][:, J("RShoulder")].mean(), cr.MISS_RATE[J("RShoulder")])
    assert (conf[ev["gross"] & ~ev["missed"] & ~ev["swapped"]] < 0.5 + 1e-12).all()   # score x 0.5
    assert (conf[:, det][ev["missed"][:, det]] == 0).all()


def test_params_parse_presets_and_errors():
    assert cr.CorruptionParams.parse("detector") == cr.CorruptionParams()
    p = cr.CorruptionParams.parse("none:jitter=2")
    assert p.jitter == 2 and p.swap_rate == 0
    for bad, match in (("detektor", "unknown preset"), ("detector:swap=1", "swap_rate"),
                       ("detector:jitter=x", "not a number"), ("detector:swap_rate=2", r"\[0, 1\]"),
                       ("detector:miss=-1", ">= 0")):
        with pytest.raises(cr.CorruptionError, match=match):
            cr.CorruptionParams.parse(bad)
    with pytest.raises(cr.CorruptionError, match="shape"):
        cr.corrupt_detector(np.zeros((3, 17, 2)))


def test_single_corruptions():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 16, 2))
    y, missing = perturb.drop_limb_joints(x, 3, 1)
    assert (missing.sum(axis=1) == 3).all() and set(np.nonzero(missing.any(0))[0]) <= set(perturb.DROPPABLE_JOINTS)
    y, swapped = perturb.swap_limb_pairs(x, 1, 1)
    assert (swapped.sum(axis=1) == 2).all()
    changed = np.any(y != x, axis=-1)
    assert (changed == swapped).all()
    np.testing.assert_array_equal(perturb.swap_limb_pairs(y, 1, 1)[0], x)   # same draw twice: the identity
    z = perturb.gaussian_noise(np.zeros((4000, 16, 2)), 3.0, 0)
    assert z.std() == pytest.approx(3.0, rel=0.03)
    with pytest.raises(cr.CorruptionError, match="swap_limbs"):
        perturb.swap_limb_pairs(x, 5, 0)


def test_tf_twin_in_a_tf_data_map_matches_numpy(poses_px):
    """corrupt_tf inside tf.data: deterministic in its stateless seed, the numpy model's draw for that seed."""
    import time

    import tensorflow as tf

    px, size = poses_px
    x2d = perturb.to_normalized(px[:1024], size[:1024])
    sizes = size[:1024].astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices((x2d, sizes)).batch(256).enumerate()
    seed = 11

    def corrupt(step, batch):
        x, wh = batch
        return cr.corrupt_tf(x, wh, tf.stack([tf.constant(seed, tf.int64), step]), "detector")

    first = [(x.numpy(), c.numpy()) for x, c in ds.map(corrupt)]
    again = [(x.numpy(), c.numpy()) for x, c in ds.map(corrupt)]
    for (a, ca), (b, cb) in zip(first, again):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ca, cb)
    for step, (x, c) in enumerate(first):
        rows = slice(256 * step, 256 * (step + 1))
        want_x, want_c = cr.corrupt_normalized(x2d[rows], sizes[rows], "detector",
                                               np.random.default_rng(np.array([seed, step], np.int64).view(np.uint64)))
        np.testing.assert_array_equal(x, want_x)
        np.testing.assert_array_equal(c, want_c)
    assert x.shape == (256, 16, 2) and c.shape == (256, 16) and (c < 1).any()
    t0 = time.perf_counter()
    for _ in range(20):
        cr.corrupt_normalized(x2d[:256], sizes[:256], "detector", 0)
    assert (time.perf_counter() - t0) / 20 < 0.05   # well below a train step of a 256 batch
