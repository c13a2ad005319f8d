"""MPI-INF-3DHP test-set loader on fabricated annot_data.mat files (HDF5, MATLAB's reversed dimension order)."""
from graphsh_tf.data import mpi_inf_3dhp as mpi
from graphsh_tf.data.dataset import DataError, load_data
from graphsh_tf.frame import image_coordinates

import h5py
import numpy as np
import pytest


def write_sequence(folder, name, n=6, valid=(1, 1, 0, 1, 0, 1), seed=0):
    rng = np.random.default_rng(seed)
    p3 = rng.normal(0, 400, size=(n, 1, 17, 3)) + [0, 0, 4000]
    p2 = rng.uniform(100, 900, size=(n, 1, 17, 2))
    (folder / name).mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / name / "annot_data.mat", "w") as f:  # as h5py reads MATLAB's 3 x 17 x 1 x N
        f["annot2"] = p2
        f["univ_annot3"] = p3
        f["valid_frame"] = np.array(valid, dtype=np.float64)[:, None]
        f["activity_annotation"] = np.array([1, 2, 3, 4, 5, 7][:n], dtype=np.float64)[:, None]
    return p2[:, 0], p3[:, 0]


def test_loads_valid_frames_mapped_to_h36m16(tmp_path):
    p2, p3 = write_sequence(tmp_path, "TS1")
    write_sequence(tmp_path, "TS5", seed=1)
    data = load_data(f"mpi_inf_3dhp:{tmp_path}", sequences=("TS1", "TS5"))
    assert len(data.train) == 0 and len(data.test) == 8
    keep = [0, 1, 3, 5]
    ts1 = data.test.sequences == "TS1/cam0"
    expected3 = p3[keep][:, list(mpi.MPI_TO_H36M16)]
    np.testing.assert_allclose(data.test.poses_3d[ts1], expected3 - expected3[:, :1], atol=1e-3)
    np.testing.assert_allclose(image_coordinates(data.test.poses_2d[ts1], 2048, 2048),
                               p2[keep][:, list(mpi.MPI_TO_H36M16)], atol=1e-3)
    assert np.all(data.test.poses_3d[:, 0] == 0)
    np.testing.assert_array_equal(data.test.image_size[~ts1], [[1920, 1080]] * 4)
    assert list(data.test.actions[ts1]) == ["Standing/Walking", "Exercising", "Reaching/Crouching", "Miscellaneous"]
    # pelvis is the root, neck the thorax, head_top the head
    assert mpi.MPI_TO_H36M16[0] == 14 and mpi.MPI_TO_H36M16[8] == 1 and mpi.MPI_TO_H36M16[9] == 0


def test_missing_sequence_file_and_field(tmp_path):
    with pytest.raises(DataError, match=r"TS1/annot_data.mat.*" + str(tmp_path)):
        load_data(f"mpi_inf_3dhp:{tmp_path}", sequences=("TS1",))
    (tmp_path / "TS2").mkdir()
    with h5py.File(tmp_path / "TS2" / "annot_data.mat", "w") as f:
        f["annot2"] = np.zeros((3, 1, 17, 2))
    with pytest.raises(DataError, match="sequence TS2 lacks field.*univ_annot3"):
        load_data(f"mpi_inf_3dhp:{tmp_path}", sequences=("TS2",))


def test_nan_in_valid_frame_is_reported(tmp_path):
    write_sequence(tmp_path, "TS3")
    with h5py.File(tmp_path / "TS3" / "annot_data.mat", "a") as f:
        data = f["univ_annot3"][()]
        data[1, 0, 4, 2] = np.nan
        del f["univ_annot3"]
        f["univ_annot3"] = data
    with pytest.raises(DataError, match="sequence TS3 univ_annot3.*NaN"):
        load_data(f"mpi_inf_3dhp:{tmp_path}", sequences=("TS3",))
