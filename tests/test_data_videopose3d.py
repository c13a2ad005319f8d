"""Any source → VideoPose3D files: layout, units, split by subject, atomic writes."""
from graphsh_tf import skeleton as sk
from graphsh_tf.data import videopose3d as vp

import numpy as np


def test_32_slot_layout_round_trips_to_16_joints():
    rng = np.random.default_rng(0)
    world = rng.normal(size=(7, 16, 3)) * 300
    full = vp.to_32_slots(world)
    assert full.shape == (7, 32, 3) and np.isfinite(full).all()
    back = full[:, list(sk.H36M32_TO_17)][:, list(sk.H36M17_TO_16)]
    np.testing.assert_allclose(back, world)
    np.testing.assert_allclose(full[:, 14], 0.5 * (world[:, 8] + world[:, 9]))   # Neck/Nose between Thorax, Head


def test_files_are_metres_split_by_subject_and_atomic(tmp_path):
    stats = vp.convert("synthetic", tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with np.load(tmp_path / "data_3d_h36m.npz", allow_pickle=True) as f:
        pos3d = f["positions_3d"].item()
    with np.load(tmp_path / "data_2d_h36m_gt.npz", allow_pickle=True) as f:
        pos2d = f["positions_2d"].item()
    assert set(pos3d) <= set(vp.TRAIN_SUBJECTS + vp.TEST_SUBJECTS) and set(pos3d) == set(pos2d)
    frames = {"train": 0, "test": 0}
    for subject, actions in pos3d.items():
        for action, arr in actions.items():
            assert arr.shape[1:] == (32, 3) and arr.dtype == np.float32
            legs = np.linalg.norm(arr[:, 2] - arr[:, 1], axis=-1)      # RHip→RKnee in metres
            assert 0.2 < np.median(legs) < 0.7
            views = pos2d[subject][action]
            assert len(views) == 4 and all(v.shape == (arr.shape[0], 16, 2) for v in views)
            frames["test" if subject in vp.TEST_SUBJECTS else "train"] += arr.shape[0]
    assert frames == {"train": stats["train_frames"], "test": stats["test_frames"]}


def test_the_converter_honours_synthetic_options_and_refuses_the_rest(tmp_path):
    from graphsh_tf.data.types import DataError

    import pytest

    stats = vp.convert("synthetic:frames=400,test_poses_per_subject=10", tmp_path)
    assert 0 < stats["train_frames"] <= 100 and 0 < stats["test_frames"] <= 20      # poses: 400 rows / 4 cameras
    with pytest.raises(DataError, match=r"the converter takes no synthetic option 'cameras'; it takes: fps, frames"):
        vp.convert("synthetic:cameras=phone", tmp_path)
    with pytest.raises(DataError, match=r"synthetic has no option 'frame'"):
        vp.convert("synthetic:frame=4", tmp_path)
    with pytest.raises(DataError, match=r"the converter reads bvh:DIR or synthetic"):
        vp.convert(f"h36m:{tmp_path}", tmp_path)
