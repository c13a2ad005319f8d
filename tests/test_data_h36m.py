"""Human3.6M loader on tiny files in the exact VideoPose3D format (S1 train, S9 test)."""
from graphsh_tf import skeleton as sk
from graphsh_tf.data import cameras as cam
from graphsh_tf.data.dataset import DataError, load_data
from graphsh_tf.frame import normalize_screen_coordinates

import numpy as np
import pytest

ACTIONS = {"S1": ("Walking 1", "Directions"), "S9": ("Walking", "Eating 2")}
FRAMES = {"Walking 1": 6, "Directions": 4, "Walking": 5, "Eating 2": 7}
META = {"layout_name": "h36m", "num_joints": 17, "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}


def make_3d(seed=0):
    rng = np.random.default_rng(seed)
    return {s: {a: (rng.normal(0, 0.3, size=(FRAMES[a], 32, 3)) + [0.2, -0.1, 1.0]).astype(np.float32)
                for a in acts} for s, acts in ACTIONS.items()}


def project_gt(positions_3d, extra_frames=0, offset=0.0):
    """2D of the 17 kept joints in pixels, per camera (T + extra_frames, 17, 2), as VideoPose3D stores them."""
    out = {}
    for s, acts in positions_3d.items():
        out[s] = {}
        for a, pos in acts.items():
            views = []
            for c in cam.h36m_cameras(s):
                px = cam.project(cam.world_to_camera(pos[:, list(sk.H36M32_TO_17)] * 1000.0, c), c) + offset
                views.append(np.concatenate([px, np.full((extra_frames, 17, 2), 5.0)]).astype(np.float32))
            out[s][a] = views
    return out


def write(folder, positions_3d=None, positions_2d=None, keypoints="cpn_ft_h36m_dbb"):
    positions_3d = make_3d() if positions_3d is None else positions_3d
    np.savez_compressed(folder / "data_3d_h36m.npz", positions_3d=positions_3d)
    if positions_2d is not None:
        np.savez_compressed(folder / f"data_2d_h36m_{keypoints}.npz", positions_2d=positions_2d, metadata=META)
    return positions_3d


def test_gt_projected_from_3d(tmp_path):
    pos = write(tmp_path)
    data = load_data(f"h36m:{tmp_path}")
    assert data.skeleton is sk.H36M16
    assert data.train.poses_2d.shape == (4 * (6 + 4), 16, 2) and data.test.poses_3d.shape == (4 * (5 + 7), 16, 3)
    assert data.train.poses_2d.dtype == np.float32 and data.train.poses_3d.dtype == np.float32
    assert np.all(data.train.poses_3d[:, 0] == 0.0)
    assert set(data.train.actions) == {"Walking", "Directions"} and set(data.test.actions) == {"Walking", "Eating"}
    assert "S9/Eating 2/cam3" in set(data.test.sequences)
    # 3D: camera space, root-relative, millimetres
    c = cam.h36m_camera("S1", 0)
    rows = data.train.sequences == "S1/Directions/cam0"
    world = pos["S1"]["Directions"][:, list(sk.H36M32_TO_17)][:, list(sk.H36M17_TO_16)] * 1000.0
    x = cam.world_to_camera(world, c)
    np.testing.assert_allclose(data.train.poses_3d[rows], x - x[:, :1], atol=1e-2)
    np.testing.assert_allclose(data.train.poses_2d[rows], normalize_screen_coordinates(cam.project(x, c), 1000, 1002),
                               atol=1e-5)
    np.testing.assert_array_equal(data.train.image_size[rows], [[1000, 1002]] * 4)
    assert "S1" in data.summary() and f"train={len(data.train)} frames" in data.summary()


def test_gt_file_used_when_present_and_downsample(tmp_path):
    pos = write(tmp_path, positions_2d=project_gt(make_3d(), offset=3.0), keypoints="gt")
    data = load_data(f"h36m:{tmp_path}")
    c = cam.h36m_camera("S9", 2)
    rows = data.test.sequences == "S9/Walking/cam2"
    x = cam.world_to_camera(pos["S9"]["Walking"][:, list(sk.H36M32_TO_17)][:, list(sk.H36M17_TO_16)] * 1e3, c)
    np.testing.assert_allclose(data.test.poses_2d[rows], normalize_screen_coordinates(cam.project(x, c) + 3.0,
                                                                                      1000, 1000), atol=1e-5)
    half = load_data(f"h36m:{tmp_path}", downsample=2)
    assert len(half.train) == 4 * (3 + 2)
    np.testing.assert_array_equal(half.test.poses_3d[half.test.sequences == "S9/Walking/cam2"],
                                  data.test.poses_3d[rows][::2])


def test_detections_keep_17_joints_and_are_truncated(tmp_path):
    write(tmp_path, positions_2d=project_gt(make_3d(), extra_frames=3))
    data = load_data(f"h36m:{tmp_path}", keypoints="cpn_ft_h36m_dbb")
    assert data.skeleton is sk.H36M17 and data.train.poses_2d.shape[1:] == (17, 2)
    assert len(data.train) == 4 * (6 + 4)
    sixteen = data.to_16_joints()
    assert sixteen.skeleton is sk.H36M16 and sixteen.train.poses_3d.shape[1:] == (16, 3)
    np.testing.assert_array_equal(sixteen.train.poses_2d, data.train.poses_2d[:, list(sk.H36M17_TO_16)])


def test_missing_files_name_expected_files_and_folder(tmp_path):
    with pytest.raises(DataError) as err:
        load_data(f"h36m:{tmp_path}")
    assert "data_3d_h36m.npz" in str(err.value) and str(tmp_path) in str(err.value)
    write(tmp_path)
    with pytest.raises(DataError) as err:
        load_data(f"h36m:{tmp_path}", keypoints="cpn_ft_h36m_dbb")
    assert "data_2d_h36m_cpn_ft_h36m_dbb.npz" in str(err.value) and str(tmp_path) in str(err.value)


def test_missing_key(tmp_path):
    np.savez(tmp_path / "data_3d_h36m.npz", poses=np.zeros(3))
    with pytest.raises(DataError, match="no key 'positions_3d'"):
        load_data(f"h36m:{tmp_path}")


def test_wrong_3d_shape_names_subject_and_action(tmp_path):
    pos = make_3d()
    pos["S9"]["Eating 2"] = pos["S9"]["Eating 2"][:, :20]
    write(tmp_path, pos)
    with pytest.raises(DataError, match=r"subject S9 action 'Eating 2'.*\(7, 20, 3\)"):
        load_data(f"h36m:{tmp_path}")


def test_nan_names_subject_action_camera(tmp_path):
    pos = make_3d()
    det = project_gt(pos)
    det["S1"]["Directions"][2][1, 4, 0] = np.nan
    write(tmp_path, pos, det)
    with pytest.raises(DataError, match=r"subject S1 action 'Directions' camera 2 \(58860488\).*NaN"):
        load_data(f"h36m:{tmp_path}", keypoints="cpn_ft_h36m_dbb")
    pos["S1"]["Walking 1"][0, 0, 0] = np.nan
    write(tmp_path, pos)
    with pytest.raises(DataError, match=r"subject S1 action 'Walking 1'.*NaN"):
        load_data(f"h36m:{tmp_path}")


def test_wrong_2d_camera_count_shape_and_missing_action(tmp_path):
    pos = make_3d()
    det = project_gt(pos)
    det["S9"]["Walking"] = det["S9"]["Walking"][:3]
    write(tmp_path, pos, det)
    with pytest.raises(DataError, match=r"subject S9 action 'Walking'.*3 cameras"):
        load_data(f"h36m:{tmp_path}", keypoints="cpn_ft_h36m_dbb")
    det = project_gt(pos)
    det["S9"]["Walking"][1] = det["S9"]["Walking"][1][:, :, :1]
    write(tmp_path, pos, det)
    with pytest.raises(DataError, match=r"subject S9 action 'Walking' camera 1 .*shape \(5, 17, 1\)"):
        load_data(f"h36m:{tmp_path}", keypoints="cpn_ft_h36m_dbb")
    det = project_gt(pos)
    det["S9"]["Walking"][1] = det["S9"]["Walking"][1][:2]
    write(tmp_path, pos, det)
    with pytest.raises(DataError, match=r"subject S9 action 'Walking' camera 1 .*2 2D frames but 5 3D frames"):
        load_data(f"h36m:{tmp_path}", keypoints="cpn_ft_h36m_dbb")
    det = project_gt(pos)
    del det["S1"]["Directions"]
    write(tmp_path, pos, det)
    with pytest.raises(DataError, match=r"subject S1 action 'Directions' is missing"):
        load_data(f"h36m:{tmp_path}", keypoints="cpn_ft_h36m_dbb")


def test_no_test_subject_is_an_error(tmp_path):
    pos = make_3d()
    del pos["S9"]
    write(tmp_path, pos)
    with pytest.raises(DataError, match="no test frames.*S9, S11"):
        load_data(f"h36m:{tmp_path}")


def test_bad_spec_errors():
    with pytest.raises(DataError, match="names no folder"):
        load_data("h36m")
    with pytest.raises(DataError, match="unknown data spec"):
        load_data("coco:/x")
    with pytest.raises(DataError, match="only available for Human3.6M"):
        load_data("synthetic", keypoints="cpn_ft_h36m_dbb")


def test_semgcn_16_joint_gt_file_loads(tmp_path):
    """SemGCN's / the reference's data preparation writes data_2d_h36m_gt.npz with 16 joints (Neck/Nose removed)."""
    pos = make_3d()
    gt17 = project_gt(pos, extra_frames=2)
    gt16 = {s: {a: [v[:, list(sk.H36M17_TO_16)] for v in views] for a, views in acts.items()}
            for s, acts in gt17.items()}
    np.savez_compressed(tmp_path / "data_3d_h36m.npz", positions_3d=pos)
    np.savez_compressed(tmp_path / "data_2d_h36m_gt.npz", positions_2d=gt16,
                        metadata={"num_joints": 16,
                                  "keypoints_symmetry": [[4, 5, 6, 10, 11, 12], [1, 2, 3, 13, 14, 15]]})
    data = load_data(f"h36m:{tmp_path}")
    assert data.skeleton is sk.H36M16 and data.train.poses_2d.shape[1:] == (16, 2)
    # the same 2D as projecting the 3D ourselves (the file's pixels are that projection)
    (tmp_path / "data_2d_h36m_gt.npz").unlink()
    ref = load_data(f"h36m:{tmp_path}")
    np.testing.assert_allclose(data.train.poses_2d, ref.train.poses_2d, atol=1e-4)
    np.testing.assert_allclose(data.test.poses_3d, ref.test.poses_3d, atol=1e-3)


@pytest.mark.parametrize("joints", [15, 18])
def test_bad_joint_count_names_file_count_and_accepted(tmp_path, joints):
    pos = make_3d()
    views = {s: {a: [np.zeros((FRAMES[a], joints, 2), np.float32)] * 4 for a in acts} for s, acts in ACTIONS.items()}
    np.savez_compressed(tmp_path / "data_3d_h36m.npz", positions_3d=pos)
    np.savez_compressed(tmp_path / "data_2d_h36m_gt.npz", positions_2d=views, metadata={"num_joints": joints})
    with pytest.raises(DataError) as err:
        load_data(f"h36m:{tmp_path}")
    msg = str(err.value)
    assert "data_2d_h36m_gt.npz" in msg and f"num_joints={joints}" in msg and "16, 17, 32" in msg
    # without metadata, the per-array check names the shape and the accepted counts
    np.savez_compressed(tmp_path / "data_2d_h36m_gt.npz", positions_2d=views)
    with pytest.raises(DataError, match=rf"shape \(\d+, {joints}, 2\).*\(16, 17, 32\)"):
        load_data(f"h36m:{tmp_path}")


@pytest.mark.parametrize("scale,word", [(1000.0, "millimetres"), (100.0, "centimetres"), (1e-3, "not a human")])
def test_3d_in_the_wrong_unit_is_named(tmp_path, scale, word):
    pos = {s: {a: v * scale for a, v in acts.items()} for s, acts in make_3d().items()}
    np.savez_compressed(tmp_path / "data_3d_h36m.npz", positions_3d=pos)
    with pytest.raises(DataError, match=rf"data_3d_h36m.npz: subject S1 action .*{word}"):
        load_data(f"h36m:{tmp_path}")
