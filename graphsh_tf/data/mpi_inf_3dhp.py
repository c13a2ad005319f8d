"""MPI-INF-3DHP test set (TS1..TS6), a test-only source.

Layout: ``DIR/TS<k>/annot_data.mat`` (MATLAB v7.3, i.e. HDF5, read with h5py) with

* ``annot2``: 2D joints in pixels, ``univ_annot3``: 3D joints in camera space, millimetres, "universal" (rescaled
  to a common height);
* ``valid_frame``: 1 for frames to evaluate; ``activity_annotation``: activity id 1..7 per frame.

Storage assumption: MATLAB writes arrays column-major, so h5py sees the dimensions reversed: a MATLAB
``2 x 17 x 1 x N`` ``annot2`` reads as ``(N, 1, 17, 2)``, ``univ_annot3`` as ``(N, 1, 17, 3)``, and a ``1 x N``
``valid_frame`` as ``(N, 1)``. The loader squeezes singleton axes and accepts ``(N, 17, C)`` after that; it also
accepts the un-reversed ``(C, 17, N)`` (files re-saved from Python).

Joint order of the 17 test joints: 0 head_top, 1 neck, 2 right_shoulder, 3 right_elbow, 4 right_wrist,
5 left_shoulder, 6 left_elbow, 7 left_wrist, 8 right_hip, 9 right_knee, 10 right_ankle, 11 left_hip, 12 left_knee,
13 left_ankle, 14 pelvis, 15 spine, 16 head. Mapping to H36M16 (:data:`MPI_TO_H36M16`): Hip←pelvis, R/L hip, knee,
ankle←same, Spine←spine, Thorax←neck, Head←head_top, shoulders, elbows, wrists←same (the 3DHP "head" joint, 16, is
the H36M Neck/Nose and is dropped). Image sizes: TS1-TS4 2048 x 2048 (studio), TS5-TS6 1920 x 1080 (outdoor).
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence, Tuple

from graphsh_tf import skeleton as sk
from graphsh_tf.data.sources import names, register_source
from graphsh_tf.data.types import DataError, PoseData, PoseSet, check_finite
from graphsh_tf.frame import normalize_screen_coordinates

import numpy as np

SEQUENCES: Tuple[str, ...] = ("TS1", "TS2", "TS3", "TS4", "TS5", "TS6")
IMAGE_SIZE = {"TS1": (2048, 2048), "TS2": (2048, 2048), "TS3": (2048, 2048), "TS4": (2048, 2048),
              "TS5": (1920, 1080), "TS6": (1920, 1080)}
#: Index into the 17 3DHP test joints for each H36M16 joint.
MPI_TO_H36M16: Tuple[int, ...] = (14, 8, 9, 10, 11, 12, 13, 15, 1, 0, 5, 6, 7, 2, 3, 4)
ACTIVITIES = {1: "Standing/Walking", 2: "Exercising", 3: "Sitting", 4: "Reaching/Crouching", 5: "On the floor",
              6: "Sports", 7: "Miscellaneous"}
ANNOT_FILE = "annot_data.mat"


def _joints_array(raw: np.ndarray, dims: int, path: Path, key: str) -> np.ndarray:
    """Bring ``annot2``/``univ_annot3`` to ``(N, 17, dims)``."""
    arr = np.asarray(raw, dtype=np.float64)
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    elif arr.ndim == 4 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 3 and arr.shape[1:] == (17, dims):
        return arr
    if arr.ndim == 3 and arr.shape[:2] == (dims, 17):
        return np.transpose(arr, (2, 1, 0))
    raise DataError(f"{path}: field {key} has shape {np.shape(raw)}, expected (N, 1, 17, {dims}) as h5py reads "
                    f"MATLAB's {dims} x 17 x 1 x N; use the official annot_data.mat of the test set")


def _vector(raw: np.ndarray, path: Path, key: str, n: int) -> np.ndarray:
    arr = np.asarray(raw).reshape(-1)
    if arr.shape[0] != n:
        raise DataError(f"{path}: field {key} has {arr.shape[0]} entries for {n} frames; use the official file")
    return arr


def load_sequence(path: Path, name: str, downsample: int = 1) -> PoseSet:
    """Valid frames of one test sequence as a :class:`PoseSet` (H36M16; 3D root-relative mm)."""
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as err:
        raise DataError(f"{path}: cannot open as MATLAB v7.3/HDF5 ({err}); use the official annot_data.mat") from None
    with handle:
        missing = [k for k in ("annot2", "univ_annot3", "valid_frame") if k not in handle]
        if missing:
            raise DataError(f"{path}: sequence {name} lacks field(s) {', '.join(missing)} (has: "
                            f"{', '.join(handle.keys())}); use the official annot_data.mat")
        p2d = _joints_array(handle["annot2"][()], 2, path, "annot2")
        p3d = _joints_array(handle["univ_annot3"][()], 3, path, "univ_annot3")
        n = p2d.shape[0]
        if p3d.shape[0] != n:
            raise DataError(f"{path}: sequence {name}: annot2 has {n} frames, univ_annot3 {p3d.shape[0]}")
        valid = _vector(handle["valid_frame"][()], path, "valid_frame", n).astype(bool)
        activity = (_vector(handle["activity_annotation"][()], path, "activity_annotation", n).astype(int)
                    if "activity_annotation" in handle else np.zeros(n, int))
    keep = np.flatnonzero(valid)[::downsample]
    p2d, p3d, activity = p2d[keep], p3d[keep], activity[keep]
    check_finite(p2d, f"{path}: sequence {name} annot2 (valid frames)", "use the official annot_data.mat")
    check_finite(p3d, f"{path}: sequence {name} univ_annot3 (valid frames)", "use the official annot_data.mat")
    p2d, p3d = p2d[:, list(MPI_TO_H36M16)], p3d[:, list(MPI_TO_H36M16)]
    p3d = p3d - p3d[:, :1]
    p3d[:, 0] = 0.0
    w, h = IMAGE_SIZE[name]
    m = len(keep)
    return PoseSet(normalize_screen_coordinates(p2d, w, h), p3d.astype(np.float32),
                   np.array([ACTIVITIES.get(int(a), f"activity{int(a)}") for a in activity]).astype(str),
                   np.full(m, f"{name}/cam0").astype(str), np.tile(np.array([w, h], np.float32), (m, 1)))


def load_3dhp(folder, downsample: int = 1, sequences: Sequence[str] = SEQUENCES) -> PoseData:
    """The MPI-INF-3DHP test set (valid frames of ``sequences``) as test-only :class:`PoseData` (empty train)."""
    folder = Path(folder)
    paths = [(name, folder / name / ANNOT_FILE) for name in sequences]
    missing = [f"{name}/{ANNOT_FILE}" for name, p in paths if not p.is_file()]
    if missing:
        where = f"folder {folder}" + ("" if folder.is_dir() else " (it does not exist)")
        raise DataError(f"MPI-INF-3DHP: expected {', '.join(missing)} in {where}. Fix: point mpi_inf_3dhp:DIR at "
                        "the mpi_inf_3dhp_test_set folder that holds TS1..TS6")
    for name, _ in paths:
        if name not in IMAGE_SIZE:
            raise DataError(f"MPI-INF-3DHP: unknown sequence {name!r}; use {', '.join(SEQUENCES)}")
    test = PoseSet.concat([load_sequence(p, name, downsample) for name, p in paths], sk.H36M16.num_joints)
    return PoseData(f"mpi_inf_3dhp:{folder}", sk.H36M16, PoseSet.empty(16), test,
                    {"test_sequences": list(sequences), "train_clips": 0})


@register_source("mpi_inf_3dhp", aliases=("3dhp",), title="MPI-INF-3DHP", summary="test only",
                 options={"sequences": names(SEQUENCES)})
def load(folder: str, *, keypoints: str, downsample: int, seed: int, **options) -> PoseData:
    """The ``mpi_inf_3dhp:DIR`` source: :func:`load_3dhp` (``seed`` is unused)."""
    return load_3dhp(folder, downsample=downsample, **options)
