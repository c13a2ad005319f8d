"""Keypoint adapters on hand-made poses, int8 I/O helpers, and the Lifter on a tiny hand-built .tflite."""
import json

from graphsh_tf import keypoints as kp
from graphsh_tf import skeleton
from graphsh_tf.contract import InputContract, Int8Codec, quantize
from graphsh_tf.frame import normalize_screen_coordinates
from graphsh_tf.lite.lifter import Lifter, LiftResult

import numpy as np
import pytest

H = skeleton.H36M16


def _coco_pose(seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(100, 600, size=(17, 2))


def _mp_pose(seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(100, 600, size=(33, 2))


def test_coco_midpoints_limbs_and_head():
    c = _coco_pose()
    i = skeleton.COCO17.index
    xy, conf = kp.coco17_to_h36m16(c)
    assert xy.shape == (16, 2) and conf.shape == (16,)
    hip = (c[i("left_hip")] + c[i("right_hip")]) / 2
    thorax = (c[i("left_shoulder")] + c[i("right_shoulder")]) / 2
    np.testing.assert_allclose(xy[H.index("Hip")], hip)
    np.testing.assert_allclose(xy[H.index("Thorax")], thorax)
    np.testing.assert_allclose(xy[H.index("Spine")], (hip + thorax) / 2)
    np.testing.assert_allclose(xy[H.index("Head")], (c[i("nose")] + c[i("left_ear")] + c[i("right_ear")]) / 3)
    np.testing.assert_allclose(xy[H.index("RFoot")], c[i("right_ankle")])
    np.testing.assert_allclose(xy[H.index("LWrist")], c[i("left_wrist")])
    np.testing.assert_allclose(xy[H.index("RShoulder")], c[i("right_shoulder")])
    np.testing.assert_allclose(conf, 1.0)


def test_mediapipe_midpoints_and_limbs():
    m = _mp_pose(3)
    i = skeleton.MEDIAPIPE33.index
    xy, conf = kp.mediapipe33_to_h36m16(m)
    np.testing.assert_allclose(xy[H.index("Hip")], (m[i("left_hip")] + m[i("right_hip")]) / 2)
    np.testing.assert_allclose(xy[H.index("LFoot")], m[i("left_ankle")])
    np.testing.assert_allclose(xy[H.index("RElbow")], m[i("right_elbow")])
    np.testing.assert_allclose(xy[H.index("Head")], (m[i("nose")] + m[i("left_ear")] + m[i("right_ear")]) / 3)


def test_mirroring_commutes_with_adapter():
    width = 640.0
    c = _coco_pose(5)
    mirrored = c[skeleton.COCO17.flip_permutation()].copy()
    mirrored[:, 0] = width - mirrored[:, 0]
    xy, _ = kp.coco17_to_h36m16(c)
    xy_m, _ = kp.coco17_to_h36m16(mirrored)
    expected = xy[H.flip_permutation()].copy()
    expected[:, 0] = width - expected[:, 0]
    np.testing.assert_allclose(xy_m, expected, atol=1e-9)


def test_scores_confidence_and_fallbacks():
    c = _coco_pose(1)
    i = skeleton.COCO17.index
    s = np.full(17, 0.9)
    s[i("left_ear")] = 0.1   # below min_score
    s[i("right_ear")] = 0.0  # missing
    s[i("nose")] = 0.6
    s[i("left_hip")] = 0.5
    s[i("right_knee")] = 0.2  # below min_score -> filled with RHip, confidence 0
    xy, conf = kp.coco17_to_h36m16(c, scores=s, min_score=0.3)
    np.testing.assert_allclose(xy[H.index("Head")], c[i("nose")])  # nose alone when ears are missing
    assert conf[H.index("Head")] == pytest.approx(0.6)
    assert conf[H.index("Hip")] == pytest.approx(0.5)  # min of contributing scores
    assert conf[H.index("Spine")] == pytest.approx(0.5)
    assert conf[H.index("RKnee")] == 0.0
    np.testing.assert_allclose(xy[H.index("RKnee")], xy[H.index("RHip")])
    np.testing.assert_allclose(xy[H.index("RFoot")], c[i("right_ankle")])  # its own score is fine
    # the same through the (K, 3) form
    xy3, conf3 = kp.coco17_to_h36m16(np.concatenate([c, s[:, None]], axis=1), min_score=0.3)
    np.testing.assert_allclose(xy3, xy)
    np.testing.assert_allclose(conf3, conf)


def test_one_hip_and_no_shoulders():
    c = _coco_pose(2)
    i = skeleton.COCO17.index
    c[i("right_hip")] = np.nan  # non-finite counts as missing
    s = np.ones(17)
    s[[i("left_shoulder"), i("right_shoulder")]] = 0.0
    xy, conf = kp.coco17_to_h36m16(c, scores=s)
    np.testing.assert_allclose(xy[H.index("Hip")], c[i("left_hip")])  # sits on the present hip ...
    assert conf[H.index("Hip")] == 0.0                                   # ... flagged
    np.testing.assert_allclose(xy[H.index("Thorax")], xy[H.index("Hip")])
    np.testing.assert_allclose(xy[H.index("Spine")], xy[H.index("Hip")])
    assert conf[H.index("Thorax")] == 0.0 and conf[H.index("LShoulder")] == 0.0
    np.testing.assert_allclose(xy[H.index("LShoulder")], xy[H.index("Thorax")])  # filled from the parent
    assert np.isfinite(xy).all()


def test_nothing_present_is_finite_zero_confidence():
    xy, conf = kp.coco17_to_h36m16(np.zeros((17, 2)), scores=np.zeros(17))
    assert np.isfinite(xy).all() and (conf == 0).all()


def test_batch_dims_match_single():
    poses = np.stack([_coco_pose(k) for k in range(4)]).reshape(2, 2, 17, 2)
    xy, conf = kp.coco17_to_h36m16(poses)
    assert xy.shape == (2, 2, 16, 2) and conf.shape == (2, 2, 16)
    np.testing.assert_allclose(xy[1, 0], kp.coco17_to_h36m16(poses[1, 0])[0])


@pytest.mark.parametrize("shape", [(16, 2), (17, 4), (17,)])
def test_wrong_shape_names_expected_shape(shape):
    with pytest.raises(ValueError, match=r"\(\.\.\., 17, 2\)"):
        kp.coco17_to_h36m16(np.zeros(shape))


def test_wrong_scores_shape_and_unknown_layout():
    with pytest.raises(ValueError, match="scores"):
        kp.mediapipe33_to_h36m16(np.zeros((33, 2)), scores=np.ones(17))
    with pytest.raises(ValueError, match="coco17"):
        kp.adapt(np.zeros((17, 2)), "openpose25")
    assert set(kp.ADAPTERS) == {"coco17", "mediapipe33", "h36m16"}


def test_identity_layout():
    x = _coco_pose()[:16]
    xy, conf = kp.adapt(x, "h36m16")
    np.testing.assert_allclose(xy, x)
    np.testing.assert_allclose(conf, 1.0)


def test_prepare_input_normalizes():
    c = _coco_pose()
    x = kp.prepare_input(c, 640, 480, "coco17")
    assert x.shape == (1, 16, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x[0], normalize_screen_coordinates(kp.coco17_to_h36m16(c)[0], 640, 480))
    q = kp.prepare_input(c, 640, 480, "coco17", contract=InputContract(quant=Int8Codec(0.01, -2)))
    assert q.dtype == np.int8
    np.testing.assert_array_equal(q, quantize(x.astype(np.float64), 0.01, -2))
    with pytest.raises(ValueError, match="image_size"):
        kp.prepare_input(c, 0, 480, "coco17")


# --- Lifter on a tiny hand-built model -------------------------------------------------------------------------

W = np.array([[100.0, 0.0, 50.0], [0.0, -200.0, 25.0]], np.float32)
B = 10.0


def _sidecar(variant, in_dtype, in_q, out_dtype, out_q):
    names = list(H.joint_names)
    return {"format": "graphsh-tflite/1", "version": "test", "variant": variant, "layout": "h36m16",
            "joint_names": names,
            "input": {"name": "keypoints_2d", "shape": [1, 16, 2], "dtype": in_dtype, "quantization": in_q,
                      "normalization": "u = 2*x/w - 1, v = 2*y/w - h/w"},
            "output": {"name": "joints_3d", "shape": [1, 16, 3], "dtype": out_dtype, "quantization": out_q,
                       "unit": "mm", "root_relative": True, "root_joint": "Hip"},
            "model": {}}


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    import graphsh_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TF)

    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    d = tmp_path_factory.mktemp("tiny")

    class Tiny(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 16, 2], tf.float32, name="keypoints_2d")])
        def lift(self, keypoints_2d):
            return {"joints_3d": tf.matmul(keypoints_2d, tf.constant(W)) + B}

    m = Tiny()
    tf.saved_model.save(m, str(d / "sm"), signatures={"lift": m.lift.get_concrete_function()})
    fp32 = d / "graphsh_fp32.tflite"
    fp32.write_bytes(tf.lite.TFLiteConverter.from_saved_model(str(d / "sm"), signature_keys=["lift"]).convert())
    (d / "graphsh_fp32.json").write_text(json.dumps(_sidecar("fp32", "float32", None, "float32", None)))

    conv = tf.lite.TFLiteConverter.from_saved_model(str(d / "sm"), signature_keys=["lift"])
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    conv.representative_dataset = lambda: ([rng.uniform(-1, 1, (1, 16, 2)).astype(np.float32)] for _ in range(30))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    int8 = d / "graphsh_int8.tflite"
    int8.write_bytes(conv.convert())
    r = Interpreter(model_path=str(int8)).get_signature_runner("lift")
    s_in, z_in = r.get_input_details()["keypoints_2d"]["quantization"]
    s_out, z_out = r.get_output_details()["joints_3d"]["quantization"]
    (d / "graphsh_int8.json").write_text(json.dumps(_sidecar(
        "int8", "int8", {"scale": float(s_in), "zero_point": int(z_in)},
        "int8", {"scale": float(s_out), "zero_point": int(z_out)})))
    from graphsh_tf.lite.metadata import embed_metadata

    for m in (fp32, int8):   # as exported: the sidecar is embedded too (a load checks one against the other)
        m.write_bytes(embed_metadata(m.read_bytes(), json.loads(m.with_suffix(".json").read_text())))
    return fp32, int8, float(s_out)


def _expected_mm(c, w, h):
    u = normalize_screen_coordinates(kp.coco17_to_h36m16(c)[0], w, h).astype(np.float64)
    return u @ W.astype(np.float64) + B


def test_lifter_fp32_single_and_batch(tiny_models):
    fp32, _, _ = tiny_models
    lifter = Lifter(fp32, layout="coco17")
    c = _coco_pose(7)
    res = lifter(c, image_size=(640, 480))
    assert isinstance(res, LiftResult) and not hasattr(lifter, "last_valid")
    assert res.joints_mm.shape == (16, 3) and res.joints_mm.dtype == np.float32
    np.testing.assert_allclose(res.joints_mm, _expected_mm(c, 640, 480), rtol=1e-5, atol=1e-3)
    xy, conf = kp.coco17_to_h36m16(c)
    np.testing.assert_array_equal(res.keypoints_px, xy)
    np.testing.assert_array_equal(res.confidence, conf)
    assert res.valid is True and res.root_mm is None
    with pytest.raises(ValueError, match="read-only"):
        res.joints_mm[0, 0] = 1.0
    with pytest.raises(AttributeError):
        res.valid = False
    batch = np.stack([_coco_pose(k) for k in range(3)])
    scores = np.ones((3, 17))
    scores[1, 5] = 0.25
    outs = lifter(batch, image_size=(640, 480), scores=scores)
    assert outs.joints_mm.shape == (3, 16, 3) and outs.keypoints_px.shape == (3, 16, 2)
    np.testing.assert_allclose(outs.joints_mm[2], _expected_mm(batch[2], 640, 480), rtol=1e-5, atol=1e-3)
    assert outs.confidence.shape == (3, 16) and outs.valid.shape == (3,) and outs.valid.all()
    assert outs.confidence[1].min() == 0.25 and outs.confidence[0].min() == 1.0


def test_lifter_int8_io(tiny_models):
    _, int8, s_out = tiny_models
    lifter = Lifter(int8, layout="coco17")
    c = np.random.default_rng(9).uniform(50, 450, size=(17, 2))  # u, v within the calibrated [-1, 1]
    out = lifter(c, image_size=(500, 500)).joints_mm
    assert out.dtype == np.float32
    # int8 I/O: input step ~0.008 (error <= 0.004 * |W| ~ 1 mm per coordinate) plus output steps
    np.testing.assert_allclose(out, _expected_mm(c, 500, 500), atol=3 * s_out + 2.0)


def test_lifter_sidecar_errors(tiny_models, tmp_path):
    fp32, _, _ = tiny_models
    model = tmp_path / "m.tflite"
    model.write_bytes(fp32.read_bytes())
    with pytest.raises(ValueError, match="sidecar JSON not found"):
        Lifter(model)
    bad = _sidecar("fp32", "int8", {"scale": 0.1, "zero_point": 0}, "float32", None)
    (tmp_path / "m.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match=r"input\.dtype"):
        Lifter(model)
    bad = _sidecar("fp32", "float32", None, "float32", None)
    bad["format"] = "other/2"
    (tmp_path / "m.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="format"):
        Lifter(model)
    bad["format"] = "graphsh-tflite/1"
    bad["output"]["shape"] = [1, 17, 3]
    (tmp_path / "m.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match=r"output\.shape"):
        Lifter(model)


@pytest.mark.parametrize("content", [b"", b"TFL3" + b"\0" * 40, b"hello, not a model\n"])
def test_lifter_corrupt_model_names_the_file(tiny_models, tmp_path, content):
    fp32, _, _ = tiny_models
    bad = tmp_path / "m.tflite"
    bad.write_bytes(content)
    (tmp_path / "m.json").write_text(fp32.with_suffix(".json").read_text())
    with pytest.raises(kp.KeypointError, match="m.tflite"):
        Lifter(bad)


def test_lifter_flags_instead_of_inventing_a_pose(tiny_models):
    """All-NaN keypoints, all-zero scores and far-outside pixels give a finite pose marked not valid."""
    fp32, _, _ = tiny_models
    lifter = Lifter(fp32, layout="coco17")
    c = _coco_pose(3)
    assert lifter(c, image_size=(640, 480)).valid is True
    for kpts, scores in ((np.full((17, 2), np.nan), None), (c, np.zeros(17)), (c + 5000.0, None)):
        res = lifter(kpts, image_size=(640, 480), scores=scores)
        assert np.isfinite(res.joints_mm).all() and res.valid is False
    outs = lifter(np.stack([c, np.full((17, 2), np.nan)]), image_size=(640, 480))
    assert outs.joints_mm.shape == (2, 16, 3) and list(outs.valid) == [True, False]
    assert outs.in_image.shape == (2, 16) and not outs.in_image[1].any()
    # a desk webcam: the frame ends below the hips; knees and feet are lifted, flagged, and the pose stays valid
    i = skeleton.COCO17.index
    standing = np.zeros((17, 2))
    for name, y in (("nose", 100), ("left_eye", 95), ("right_eye", 95), ("left_ear", 100), ("right_ear", 100),
                    ("left_shoulder", 150), ("right_shoulder", 150), ("left_elbow", 220), ("right_elbow", 220),
                    ("left_wrist", 280), ("right_wrist", 280), ("left_hip", 300), ("right_hip", 300),
                    ("left_knee", 400), ("right_knee", 400), ("left_ankle", 470), ("right_ankle", 470)):
        standing[i(name)] = (320 + (40 if name.startswith("left") else -40 if name.startswith("right") else 0), y)
    assert lifter(standing, image_size=(640, 480)).in_image.all()
    cut_res = lifter(standing, image_size=(640, 320))
    knees_feet = [2, 3, 5, 6]
    assert not cut_res.in_image[knees_feet].any() and np.delete(cut_res.in_image, knees_feet).all()
    assert cut_res.valid
    assert np.isfinite(cut_res.joints_mm).all()
    for size in (None, (640,), ("a", "b"), (0, 480)):
        with pytest.raises(kp.KeypointError, match="image_size"):
            lifter(c, image_size=size)


def test_lifter_root_with_intrinsics(tiny_models):
    fp32, _, _ = tiny_models
    lifter = Lifter(fp32, layout="coco17")
    c = _coco_pose(3)
    assert lifter(c, image_size=(640, 480)).root_mm is None
    res = lifter(c, image_size=(640, 480), intrinsics=(500.0, 500.0, 320.0, 240.0))
    from graphsh_tf.root import solve_root

    xy, conf = kp.adapt(c, "coco17")
    np.testing.assert_allclose(res.root_mm, solve_root(xy, res.joints_mm, (500.0, 500.0, 320.0, 240.0), conf))
    res = lifter(np.stack([c, np.full((17, 2), np.nan)]), image_size=(640, 480),
                 intrinsics=(500.0, 500.0, 320.0, 240.0))
    assert res.root_mm.shape == (2, 3) and np.isfinite(res.root_mm[0]).all() and np.isnan(res.root_mm[1]).all()
