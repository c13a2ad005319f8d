"""Human3.6M in the VideoPose3D file format.

Files in the folder:

* ``data_3d_h36m.npz``: key ``positions_3d`` = pickled dict ``subject -> action -> (T, 32, 3)`` world metres.
* ``data_2d_h36m_<keypoints>.npz``: key ``positions_2d`` = dict ``subject -> action -> [4 arrays (T', J, 2)]``
  pixels, one per camera in the order of :data:`graphsh_tf.data.cameras.H36M_CAMERA_IDS`, ``T' >= T`` (the 2D
  files may have a few more frames; they are truncated to the 3D length, as VideoPose3D does), and ``metadata``
  (dict with ``num_joints``, ``keypoints_symmetry``, ``layout_name``).

``keypoints="gt"``: the 2D is ``data_2d_h36m_gt.npz`` when present, else the projection of the 3D ground truth
through the calibrated cameras (with distortion); 16 joints (:data:`~graphsh_tf.skeleton.H36M32_TO_17` then
:data:`~graphsh_tf.skeleton.H36M17_TO_16`). Any other ``keypoints`` (e.g. ``cpn_ft_h36m_dbb``) reads that detection
file and keeps 17 joints (skeleton H36M17; :meth:`PoseData.to_16_joints` reduces it).

Split: train S1, S5, S6, S7, S8; test S9, S11. 3D targets: camera space, root-relative, millimetres.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from graphsh_tf import skeleton as sk
from graphsh_tf.contract import MM_PER_M
from graphsh_tf.data import cameras as cam
from graphsh_tf.data.sources import names, register_source
from graphsh_tf.data.types import DataError, PoseData, PoseSet, check_finite
from graphsh_tf.frame import normalize_screen_coordinates
from graphsh_tf.safe_pickle import load_npz_safe

import numpy as np

TRAIN_SUBJECTS: Tuple[str, ...] = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS: Tuple[str, ...] = ("S9", "S11")
FILE_3D = "data_3d_h36m.npz"
#: Joint counts a 2D file may hold: 16 (SemGCN's / the reference's data preparation: the 17 without Neck/Nose),
#: 17 (VideoPose3D) and 32 (raw Human3.6M order).
ACCEPTED_2D_JOINTS: Tuple[int, ...] = (16, 17, 32)


def file_2d(keypoints: str) -> str:
    """File name of the 2D keypoints ``keypoints`` (``gt``, ``cpn_ft_h36m_dbb``, ...)."""
    return f"data_2d_h36m_{keypoints}.npz"


def action_name(action: str) -> str:
    """Action without the take number: ``"Walking 1"`` → ``"Walking"``, ``"WalkDog"`` stays."""
    return re.sub(r"\s+\d+$", "", action.strip())


def _load_npz_dict(path: Path, key: str) -> Dict:
    try:
        archive = load_npz_safe(path)   # restricted unpickler: refuses any pickle that would run code
    except (OSError, ValueError) as err:
        raise DataError(str(err) if str(path) in str(err) else f"{path}: {err}") from None
    with archive:
        if key not in archive.files:
            raise DataError(f"{path}: no key {key!r} (keys: {', '.join(archive.files) or 'none'}); this is not a "
                            "VideoPose3D file, re-create it with VideoPose3D's prepare_data_h36m.py")
        value = archive[key]
        try:
            value = value.item()
        except ValueError:
            raise DataError(f"{path}: key {key!r} must hold a pickled dict subject -> action -> array, "
                            f"got an array of shape {value.shape}") from None
        meta = archive["metadata"].item() if "metadata" in archive.files else {}
    if not isinstance(value, dict):
        raise DataError(f"{path}: key {key!r} must hold a dict subject -> action -> array, got {type(value).__name__}")
    value["__metadata__"] = meta
    return value


def _missing_files_error(folder: Path, names: Sequence[str]) -> DataError:
    present = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    where = f"folder {folder}" if folder.is_dir() else f"folder {folder} (it does not exist)"
    listing = f"; it holds: {', '.join(present[:12])}" if present else ""
    return DataError(f"Human3.6M: expected {' and '.join(names)} in {where}{listing}. Fix: put the VideoPose3D files "
                     "(data_3d_h36m.npz and data_2d_h36m_<keypoints>.npz) there or pass --data h36m:DIR")


def _numeric(values, what: str, expected: str) -> np.ndarray:
    """``values`` as an array of real numbers; :class:`DataError` naming ``what`` and ``expected`` when it holds
    strings, objects, booleans or complex numbers (numpy would say "could not convert string to float")."""
    try:
        array = np.asarray(values)
    except ValueError:   # ragged nested lists
        raise DataError(f"{what}: not a rectangular array; expected {expected}; re-create the file with "
                        "VideoPose3D's prepare_data_h36m.py") from None
    if array.dtype.kind not in "iuf":
        kind = {"U": "text", "S": "bytes", "O": "Python objects", "b": "booleans", "c": "complex numbers"}.get(
            array.dtype.kind, f"{array.dtype} values")
        example = f", e.g. {str(array.reshape(-1)[0])[:40]!r}" if array.dtype.kind in "USO" and array.size else ""
        raise DataError(f"{what}: holds {kind} (dtype {array.dtype}{example}), expected {expected}; re-create the "
                        "file with VideoPose3D's prepare_data_h36m.py")
    return array


def _check_3d(path: Path, subject: str, action: str, positions) -> np.ndarray:
    where = f"{path}: subject {subject} action {action!r}"
    expected = "a numeric array of world positions in metres, shape (frames, 32 or 17, 3)"
    positions = _numeric(positions, where + " positions_3d", expected)
    if positions.ndim != 3 or positions.shape[1:] not in ((32, 3), (17, 3)) or positions.shape[0] < 1:
        raise DataError(f"{where}: positions_3d has shape {positions.shape}, expected {expected}; "
                        "re-create the file with VideoPose3D's prepare_data_h36m.py")
    positions = positions.astype(np.float64)
    check_finite(positions, where + " positions_3d", "remove or repair the frames")
    if positions.shape[1] == 32:
        positions = positions[:, list(sk.H36M32_TO_17)]
    _check_units(positions, where)
    return positions


def _check_units(positions17: np.ndarray, where: str) -> None:
    """Human bones are metres in VideoPose3D files: the median thigh + shin (hip→knee→foot, 17-joint indices)
    of a sequence must be a human 0.3-1.4 m; millimetres (x1000) or centimetres (x100) are named with the fix."""
    leg = (np.linalg.norm(positions17[:, 2] - positions17[:, 1], axis=-1)
           + np.linalg.norm(positions17[:, 3] - positions17[:, 2], axis=-1))
    median = float(np.median(leg))
    if 0.3 <= median <= 1.4:
        return
    if 300.0 <= median <= 1400.0:
        hint = "values look like millimetres; VideoPose3D files are metres: divide positions_3d by 1000"
    elif 30.0 <= median <= 140.0:
        hint = "values look like centimetres; VideoPose3D files are metres: divide positions_3d by 100"
    else:
        hint = "not a human leg in metres; check the unit and the joint order (Hip, RHip, RKnee, RFoot, ...)"
    raise DataError(f"{where}: positions_3d has a median hip-knee-foot length of {median:.4g}; {hint}")


def _check_2d(path: Path, subject: str, action: str, views, num_frames: int) -> List[np.ndarray]:
    where = f"{path}: subject {subject} action {action!r}"
    if not isinstance(views, (list, tuple)) and not (isinstance(views, np.ndarray) and views.dtype == object):
        raise DataError(f"{where}: positions_2d must be a list of 4 arrays (one per camera), "
                        f"got {type(views).__name__}")
    if len(views) != 4:
        raise DataError(f"{where}: positions_2d has {len(views)} cameras, expected 4 (in the order "
                        f"{', '.join(cam.H36M_CAMERA_IDS)})")
    out = []
    for k, view in enumerate(views):
        here = f"{where} camera {k} ({cam.H36M_CAMERA_IDS[k]})"
        view = _numeric(view, here + " positions_2d", "a numeric array of pixels, shape (frames, joints, 2)")
        if view.ndim != 3 or view.shape[1] not in ACCEPTED_2D_JOINTS or view.shape[2] != 2:
            raise DataError(f"{here}: 2D keypoints have shape {view.shape}, expected (T, J, 2) pixels with J one of "
                            f"{ACCEPTED_2D_JOINTS} (16 = SemGCN/GraphSH layout without Neck/Nose, 17 = VideoPose3D, "
                            "32 = raw Human3.6M)")
        if view.shape[0] < num_frames:
            raise DataError(f"{here}: {view.shape[0]} 2D frames but {num_frames} 3D frames; the 2D file must cover "
                            "every 3D frame, re-create it for this data_3d_h36m.npz")
        view = view[:num_frames].astype(np.float64)
        check_finite(view, here + " positions_2d", "re-run the 2D detector or drop the sequence")
        if view.shape[1] == 32:
            view = view[:, list(sk.H36M32_TO_17)]
        out.append(view)
    return out


def load_h36m(folder, keypoints: str = "gt", downsample: int = 1,
              train_subjects: Sequence[str] = TRAIN_SUBJECTS, test_subjects: Sequence[str] = TEST_SUBJECTS,
              actions: Optional[Sequence[str]] = None) -> PoseData:
    """Load Human3.6M from a folder of VideoPose3D files (see the module docstring).

    ``actions``: keep only these action names (without take numbers). Subjects absent from the files are skipped;
    an empty train or test split is an error.
    """
    folder = Path(folder)
    keypoints = keypoints or "gt"
    path_3d, path_2d = folder / FILE_3D, folder / file_2d(keypoints)
    need = [FILE_3D] + ([] if keypoints == "gt" else [file_2d(keypoints)])
    missing = [n for n in need if not (folder / n).is_file()]
    if missing:
        if keypoints == "gt":
            missing = missing + [f"(optionally) {file_2d('gt')}"]
        raise _missing_files_error(folder, missing)
    data_3d = _load_npz_dict(path_3d, "positions_3d")
    data_3d.pop("__metadata__")
    data_2d = _load_npz_dict(path_2d, "positions_2d") if path_2d.is_file() else None
    if data_2d is not None:
        meta = data_2d.pop("__metadata__")
        if isinstance(meta, dict) and meta.get("num_joints") not in (None,) + ACCEPTED_2D_JOINTS:
            raise DataError(f"{path_2d}: metadata num_joints={meta.get('num_joints')}; accepted: "
                            f"{', '.join(map(str, ACCEPTED_2D_JOINTS))} (16 = SemGCN/GraphSH layout, 17 = VideoPose3D, "
                            "32 = raw Human3.6M). Re-create the file with one of these layouts")
    splits, joint_counts = {}, set()
    for split, subjects in (("train", train_subjects), ("test", test_subjects)):
        parts = []
        for subject in subjects:
            if subject not in data_3d:
                continue
            if subject not in cam.H36M_SUBJECTS:
                raise DataError(f"{path_3d}: subject {subject} has no published camera calibration; use subjects "
                                f"from {', '.join(cam.H36M_SUBJECTS)}")
            if data_2d is not None and subject not in data_2d:
                raise DataError(f"{path_2d}: subject {subject} is missing (present in {FILE_3D}); re-create the 2D "
                                "file for all subjects")
            cams = cam.h36m_cameras(subject)
            for action in sorted(data_3d[subject]):
                if actions is not None and action_name(action) not in actions:
                    continue
                world = _check_3d(path_3d, subject, action, data_3d[subject][action])[::downsample] * MM_PER_M
                views = None
                if data_2d is not None:
                    if action not in data_2d[subject]:
                        raise DataError(f"{path_2d}: subject {subject} action {action!r} is missing (present in "
                                        f"{FILE_3D}); re-create the 2D file for all actions")
                    full_len = np.asarray(data_3d[subject][action]).shape[0]
                    views = [v[::downsample] for v in _check_2d(path_2d, subject, action,
                                                                 data_2d[subject][action], full_len)]
                for k, camera in enumerate(cams):
                    pixels, _, p3d = cam.render(world, camera)
                    if views is not None:
                        pixels = views[k]
                        if pixels.shape[1] == 16:  # SemGCN layout: the 3D targets lose Neck/Nose too
                            p3d = p3d[:, list(sk.H36M17_TO_16)]
                    joint_counts.add(p3d.shape[1])
                    if len(joint_counts) > 1:
                        raise DataError(f"{path_2d}: subject {subject} action {action!r} camera {k} has "
                                        f"{pixels.shape[1]} joints while earlier sequences have another count "
                                        f"(seen: {sorted(joint_counts)}); a file must use one layout throughout")
                    p2d = normalize_screen_coordinates(pixels, camera.res_w, camera.res_h)
                    n = p3d.shape[0]
                    parts.append(PoseSet(p2d, p3d, np.full(n, action_name(action)).astype(str),
                                         np.full(n, f"{subject}/{action}/cam{k}").astype(str),
                                         np.tile(camera.image_size, (n, 1))))
        pose_set = PoseSet.concat(parts, max(joint_counts, default=17))
        if len(pose_set) == 0:
            raise DataError(f"{path_3d}: no {split} frames: none of the {split} subjects {', '.join(subjects)} is in "
                            f"the file (it has {', '.join(sorted(data_3d)) or 'none'}); add them or pass "
                            f"{split}_subjects=[...]")
        splits[split] = pose_set
    skeleton = sk.H36M16 if joint_counts == {16} else sk.H36M17
    data = PoseData(f"h36m:{folder}", skeleton, splits["train"], splits["test"],
                    {"train_subjects": [s for s in train_subjects if s in data_3d],
                     "test_subjects": [s for s in test_subjects if s in data_3d], "keypoints": keypoints,
                     "file_2d": str(path_2d) if data_2d is not None else "projected from 3D"})
    return data.to_16_joints() if keypoints == "gt" else data


def world_sequences(folder, train_subjects: Sequence[str] = TRAIN_SUBJECTS,
                    test_subjects: Sequence[str] = TEST_SUBJECTS, actions: Optional[Sequence[str]] = None):
    """``(split, subject, action, world poses (T, 16, 3) mm)`` of every sequence of ``data_3d_h36m.npz`` in
    ``folder`` (checked as :func:`load_h36m` checks it), for writers that render later."""
    path_3d = Path(folder) / FILE_3D
    if not path_3d.is_file():
        raise _missing_files_error(Path(folder), [FILE_3D])
    data_3d = _load_npz_dict(path_3d, "positions_3d")
    data_3d.pop("__metadata__")
    for split, subjects in (("train", train_subjects), ("test", test_subjects)):
        for subject in subjects:
            for action in sorted(data_3d.get(subject, {})):
                if actions is not None and action_name(action) not in actions:
                    continue
                world17 = _check_3d(path_3d, subject, action, data_3d[subject][action]) * MM_PER_M
                yield split, subject, action, world17[:, list(sk.H36M17_TO_16)]


@register_source("h36m", aliases=("human36m",), keypoints=True, title="Human3.6M", summary="VideoPose3D files",
                 options={"train_subjects": names(cam.H36M_SUBJECTS), "test_subjects": names(cam.H36M_SUBJECTS),
                          "actions": names()})
def load(folder: str, *, keypoints: str, downsample: int, seed: int, **options) -> PoseData:
    """The ``h36m:DIR`` source: :func:`load_h36m` (``seed`` is unused: the split is by subject)."""
    return load_h36m(folder, keypoints=keypoints, downsample=downsample, **options)
