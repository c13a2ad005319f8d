"""The embedded synthetic default: deterministic, rigid, learnable, sized as documented."""
from graphsh_tf import skeleton as sk
from graphsh_tf.data import synthetic
from graphsh_tf.data.dataset import load_data
from graphsh_tf.frame import image_coordinates

import numpy as np
import pytest


@pytest.fixture(scope="module")
def data():
    return load_data("synthetic")


def test_default_size_layout_and_summary(data):
    assert len(data.train) == 40000 and len(data.test) == 8000
    assert data.skeleton is sk.H36M16
    assert data.train.poses_2d.shape == (40000, 16, 2) and data.train.poses_2d.dtype == np.float32
    assert data.test.poses_3d.shape == (8000, 16, 3) and data.test.poses_3d.dtype == np.float32
    assert np.all(data.train.poses_3d[:, 0] == 0.0)
    assert set(data.train.actions) == set(synthetic.MOTIONS)
    line = data.summary()
    assert "\n" not in line
    for part in ("data=synthetic", "train=40000 frames", "test=8000 frames", "joints=16", "syn1", "syn7"):
        assert part in line
    assert not set(s.split("/")[0] for s in data.train.sequences) & set(s.split("/")[0] for s in data.test.sequences)


def test_deterministic_and_seed_dependent(data):
    again = load_data("synthetic")
    assert np.array_equal(again.train.poses_2d, data.train.poses_2d)
    assert np.array_equal(again.test.poses_3d, data.test.poses_3d)
    assert np.array_equal(again.train.sequences, data.train.sequences)
    other = load_data("synthetic", seed=1, train_poses_per_subject=100, test_poses_per_subject=100)
    assert not np.allclose(other.train.poses_3d[:100], data.train.poses_3d[:100])


def test_bone_lengths_constant_within_a_sequence_and_varied_across(data):
    """Each sequence is one rigid body; bodies differ between sequences (proportions, hip/shoulder widths)."""
    seqs = data.train.sequences.astype(str)
    hips = []
    for seq in sorted(set(s for s in seqs if s.startswith("syn2/")))[:12]:
        p = data.train.poses_3d[seqs == seq]
        for j, parent in sk.H36M16.edges:
            length = np.linalg.norm(p[:, j] - p[:, parent], axis=-1)
            assert length.std() < 0.05, (seq, sk.H36M16.joint_names[j])
        hips.append(np.linalg.norm(p[0, 1] - p[0, 0]))
    thigh = np.linalg.norm(data.train.poses_3d[:, 2] - data.train.poses_3d[:, 1], axis=-1).mean()
    assert 380 < thigh < 520
    assert max(hips) / min(hips) > 1.3


def test_2d_inside_the_image_and_upright_in_camera(data):
    px = image_coordinates(data.train.poses_2d, 1000, 1000)
    assert np.mean(((px < 0) | (px > 1000)).any(axis=(1, 2))) < 0.005
    # camera y points down: the head is above the pelvis in (almost) every view
    assert np.mean(data.train.poses_3d[:, 9, 1] < -200) > 0.95


def test_learnable_and_not_trivial(data):
    """A linear regression from scale-normalized 2D must beat the mean pose by far (learnable), while the mean pose
    itself is far from the targets (non-trivial)."""
    def features(p2d):
        x = (p2d - p2d[:, :1]).reshape(len(p2d), -1)
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        return np.concatenate([x, np.ones((len(x), 1))], axis=1)

    y_train = data.train.poses_3d.reshape(len(data.train), -1)
    w = np.linalg.lstsq(features(data.train.poses_2d), y_train, rcond=None)[0]
    pred = features(data.test.poses_2d) @ w

    def mpjpe(a):
        return np.linalg.norm((a - data.test.poses_3d.reshape(len(a), -1)).reshape(-1, 16, 3), axis=-1).mean()

    baseline = mpjpe(np.broadcast_to(y_train.mean(axis=0), pred.shape))
    assert baseline > 150.0
    assert mpjpe(pred) < 0.6 * baseline


def test_downsample_and_to_16_identity():
    data = load_data("synthetic", downsample=4, train_poses_per_subject=200, test_poses_per_subject=100)
    assert len(data.train) == 5 * 4 * 50 and len(data.test) == 2 * 4 * 25
    assert data.to_16_joints() is data


def test_phone_cameras_option():
    """cameras='phone': the 2D is the intrinsics normalization of phone views (wide FOV: smaller than through the
    Human3.6M cameras at similar distances), rows with a joint outside the image dropped, deterministic."""
    from graphsh_tf.data.synthetic import load_synthetic

    phone = load_synthetic(seed=0, train_poses_per_subject=200, test_poses_per_subject=100, cameras="phone")
    again = load_synthetic(seed=0, train_poses_per_subject=200, test_poses_per_subject=100, cameras="phone")
    h36m = load_synthetic(seed=0, train_poses_per_subject=200, test_poses_per_subject=100)
    np.testing.assert_array_equal(phone.train.poses_2d, again.train.poses_2d)
    assert 0 < len(phone.train) <= len(h36m.train) and phone.info["cameras"] == "phone"
    assert set(map(tuple, phone.train.image_size.tolist())) <= {(1080.0, 1920.0), (1920.0, 1080.0)}
    assert np.all(phone.train.poses_3d[:, 0] == 0)
    with pytest.raises(ValueError, match="cameras"):
        load_synthetic(cameras="virtual")
