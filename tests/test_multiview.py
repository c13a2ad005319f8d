"""graphsh_tf.multiview: the calibration reader, triangulation with outlier views, epipolar agreement, frame
offsets, association across views and left/right swap handling, on synthetic cameras looking at a known body."""
from graphsh_tf import multiview, skeleton

import numpy as np
import pytest

MP = skeleton.MEDIAPIPE33


def _look_at(pos, target=(0.0, 0.0, 900.0)):
    """World (z up, mm) -> OpenCV camera rotation for a camera at ``pos`` looking at ``target``."""
    z = np.asarray(target, float) - pos
    z /= np.linalg.norm(z)
    x = np.cross(z, [0, 0, 1.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])


def _cams(n=4):
    cams = []
    for i in range(n):
        a = 2 * np.pi * i / n + 0.3
        pos = np.array([3500 * np.cos(a), 3500 * np.sin(a), 1900.0])
        R = _look_at(pos)
        K = np.array([[1500.0, 0, 540], [0, 1500.0, 960], [0, 0, 1]])
        cams.append(multiview.Camera(f"c{i}", (1080, 1920), K, np.zeros(4), R, -R @ pos))
    return cams


def _body(t=0.0, x0=0.0):
    """A MediaPipe-33 body standing at x0 (world mm, z up, facing -y, so its left is +x), arms moving with t."""
    k = MP.index
    pts = np.zeros((MP.num_joints, 3))
    pts[:, 2] = 1000.0
    pts[k("left_hip")], pts[k("right_hip")] = [120, 0, 950], [-120, 0, 950]
    pts[k("left_knee")], pts[k("right_knee")] = [130, 30, 500], [-130, 30, 500]
    pts[k("left_ankle")], pts[k("right_ankle")] = [130, 0, 80], [-130, 0, 80]
    pts[k("left_heel")], pts[k("right_heel")] = [130, -40, 40], [-130, -40, 40]
    pts[k("left_foot_index")], pts[k("right_foot_index")] = [130, 150, 20], [-130, 150, 20]
    pts[k("left_shoulder")], pts[k("right_shoulder")] = [190, 0, 1450], [-190, 0, 1450]
    pts[k("left_elbow")] = [300, 100 * np.sin(t), 1200]
    pts[k("right_elbow")] = [-300, 0, 1200 + 150 * np.sin(t)]
    pts[k("left_wrist")], pts[k("right_wrist")] = [330, 200 * np.sin(t), 950], [-330, 120, 1000]
    pts[k("nose")] = [0, 110, 1620]
    pts[k("left_ear")], pts[k("right_ear")] = [75, 0, 1610], [-75, 0, 1610]
    for name in MP.joint_names:
        if name.startswith(("left_eye", "right_eye", "mouth")):
            pts[k(name)] = pts[k("nose")] + [0, -10, 20]
        if name.endswith(("pinky", "index", "thumb")) and "foot" not in name:
            side = "left" if name.startswith("left") else "right"
            pts[k(name)] = pts[k(f"{side}_wrist")] + [0, 0, -60]
    return pts * [1, -1, 1] + [x0, 0, 0]


def test_triangulation_recovers_the_body_and_rejects_an_outlier_view():
    cams = _cams()
    X = _body()
    P = np.stack([c.P for c in cams])
    xy = np.stack([c.project(X) for c in cams])
    rng = np.random.default_rng(0)
    xy_noisy = xy + rng.normal(0, 1.0, xy.shape)
    xy_noisy[2, MP.index("left_wrist")] += [150, -90]          # one view badly wrong at one joint
    w = np.ones(xy.shape[:2])
    plain = multiview.triangulate(P, xy_noisy, w)
    robust, used, err = multiview.triangulate_views(P, xy_noisy, w)
    j = MP.index("left_wrist")
    assert np.linalg.norm(plain[j] - X[j]) > 3 * np.linalg.norm(robust[j] - X[j])
    assert not used[2, j] and used[:, j].sum() == 3
    assert np.median(np.linalg.norm(robust - X, axis=-1)) < 10.0
    # a point seen in one view only is NaN, not a guess
    w1 = w.copy()
    w1[1:, 0] = 0
    assert np.isnan(multiview.triangulate(P, xy, w1)[0]).all()


def test_epipolar_cost_offset_and_association():
    cams = _cams()
    frames = 40
    people = [[[] for _ in range(frames)] for _ in cams]
    true_offset = [0, 3, -2, 1]
    for v, c in enumerate(cams):
        for f in range(frames):
            t = (f - true_offset[v]) * 0.25          # view v's frame f shows the instant of view 0's f - o
            for x0 in (-900.0, 900.0):
                people[v][f].append((c.project(_body(t, x0)), np.ones(MP.num_joints)))
    F = multiview.fundamental(cams[0], cams[1])
    xa, sa = people[0][5][0]
    xb, sb = people[1][5 + 3][0]
    assert multiview.epipolar_cost(F, xa, xb, sa > 0) < 1e-6
    assert multiview.epipolar_cost(F, xa, people[1][8][1][0], sa > 0) > 5.0   # the other person
    offsets, _ = multiview.estimate_offsets(cams, people, max_offset=4)
    assert offsets == true_offset
    groups = multiview.associate(cams, [people[v][10 + true_offset[v]] for v in range(4)])
    assert sorted(sorted(g.items()) for g in groups) == [[(v, 0) for v in range(4)], [(v, 1) for v in range(4)]]


def test_swapped_view_is_found_and_chirality_settles_the_labels():
    cams = _cams()
    X = _body(0.7)
    P = np.stack([c.P for c in cams])
    perm = MP.flip_permutation()
    xy = np.stack([c.project(X) for c in cams])
    xy[2] = xy[2][perm]                                      # the detector swapped left and right in view 2
    w = np.ones(xy.shape[:2])
    flips = multiview.best_flips(P, xy, w, MP)
    assert flips.tolist() == [False, False, True, False]
    fixed = np.where(flips[:, None, None], xy[:, perm], xy)
    Xt = multiview.triangulate(P, fixed, w)
    assert np.allclose(Xt, X, atol=1e-3)
    assert multiview.chirality(X) > 0 and multiview.chirality(X[perm]) < 0


def test_read_qca_matches_the_stated_conventions(tmp_path):
    # a camera at (1000, -2000, 1500) mm whose rows map world to (x, y up, z towards the scene)
    rows = _look_at(np.array([1000.0, -2000.0, 1500.0])) * np.array([[1], [-1], [-1]])
    attrs = " ".join(f'r{r + 1}{c + 1}="{float(rows[r, c])!r}"' for r in range(3) for c in range(3))
    text = f"""<?xml version='1.0'?><calibration><cameras><camera serial="camA">
      <fov_video left="8" top="16" right="1087" bottom="1919"/>
      <transform {attrs} x="1000" y="-2000" z="1500"/>
      <intrinsic focalLengthU="{1600 * 64}" focalLengthV="{1610 * 64}" centerPointU="{550 * 64}"
        centerPointV="{970 * 64}" radialDistortion1="0" radialDistortion2="0" tangentalDistortion1="0"
        tangentalDistortion2="0"/></camera></cameras></calibration>"""
    f = tmp_path / "Calib.qca.txt"
    f.write_text(text)
    (cam,) = multiview.read_qca(f)
    assert cam.size == (1080, 1904)
    assert cam.intrinsics == pytest.approx((1600, 1610, 542, 954))
    assert np.allclose(cam.center, [1000, -2000, 1500])
    # the scene centre projects in front of the camera, near the image centre; up in the world is up on screen
    target = cam.to_camera(np.array([0.0, 0.0, 900.0]))
    assert target[2] > 0 and abs(target[0]) < 1e-6
    assert cam.project(np.array([0.0, 0.0, 1500.0]))[1] < cam.project(np.array([0.0, 0.0, 500.0]))[1]
    bad = tmp_path / "bad.qca.txt"
    bad.write_text(text.replace('focalLengthU="', 'focalLengthU="x'))
    with pytest.raises(multiview.CalibrationError, match="bad.qca.txt: camera 0"):
        multiview.read_qca(bad)
