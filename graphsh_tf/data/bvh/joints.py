"""A parsed BVH clip as H36M16 joints: forward kinematics and the joint maps.

Forward kinematics: a joint with position channels takes them as its translation in the parent frame (they replace
the OFFSET, which is what files with 6 channels on every joint, like Bandai-Namco's, store); otherwise its OFFSET.

Joint mapping: built-in maps for the Bandai-Namco skeleton and for the common CMU/Mixamo names; any other skeleton
through a JSON file ``{"Hip": "Hips", "RHip": "RightUpLeg", ...}`` with the 16 H36M16 names as keys. A value may
also be ``{"joint": "Head", "offset": [x, y, z]}``: a point fixed in that joint's frame (file units), e.g. the top
of the head when the file ends at the skull base.

World frame: file units (centimetres by default, ``unit_mm=10``) become millimetres and the file's Y-up frame
becomes Human3.6M's Z-up world frame by a +90° rotation about x: ``(x, y, z) -> (x, -z, y)``.
"""
from __future__ import annotations

import os
from typing import Dict, Optional, Tuple, Union

from graphsh_tf import skeleton as sk
from graphsh_tf.data.bvh.parse import MAX_ABS_VALUE, BvhClip, BvhError
from graphsh_tf.data.kinematics import euler_to_matrix, forward_kinematics
from graphsh_tf.io import read_json

import numpy as np


def clip_fk(clip: BvhClip, frames: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Forward kinematics of a clip: world positions ``(T, J, 3)`` and rotations ``(T, J, 3, 3)`` in file units and
    the file's frame (``frames`` selects motion rows)."""
    motion = clip.motion if frames is None else clip.motion[frames]
    num_frames, num_joints = motion.shape[0], len(clip.joint_names)
    translations = np.broadcast_to(clip.offsets, (num_frames, num_joints, 3)).copy()
    rotations = np.broadcast_to(np.eye(3), (num_frames, num_joints, 3, 3)).copy()
    col = 0
    for j, chans in enumerate(clip.channels):
        block = motion[:, col:col + len(chans)]
        col += len(chans)
        rot_axes = "".join(c[0].lower() for c in chans if c.endswith("rotation"))
        if rot_axes:
            rot_cols = [k for k, c in enumerate(chans) if c.endswith("rotation")]
            rotations[:, j] = euler_to_matrix(np.deg2rad(block[:, rot_cols]), rot_axes)
        for k, c in enumerate(chans):
            if c.endswith("position"):
                translations[:, j, "XYZ".index(c[0])] = block[:, k]
    return forward_kinematics(clip.parents, translations, rotations, return_rotations=True)


#: Bandai-Namco-Research-Motiondataset skeleton → H36M16. The file's Head joint is the skull base (its End Site has
#: a zero offset), so H36M's Head (top of the head) is placed 14 cm further along the head's local x axis (the
#: axis along which the spine chain's offsets point).
BANDAI_NAMCO_MAP: Dict[str, Union[str, dict]] = {
    "Hip": "Hips", "RHip": "UpperLeg_R", "RKnee": "LowerLeg_R", "RFoot": "Foot_R",
    "LHip": "UpperLeg_L", "LKnee": "LowerLeg_L", "LFoot": "Foot_L", "Spine": "Chest", "Thorax": "Neck",
    "Head": {"joint": "Head", "offset": [14.0, 0.0, 0.0]},
    "LShoulder": "UpperArm_L", "LElbow": "LowerArm_L", "LWrist": "Hand_L",
    "RShoulder": "UpperArm_R", "RElbow": "LowerArm_R", "RWrist": "Hand_R",
}

#: CMU / Mixamo-style names (Hips, RightUpLeg, RightLeg, RightFoot, Spine1, Neck, Head, RightArm, ...).
CMU_MAP: Dict[str, Union[str, dict]] = {
    "Hip": "Hips", "RHip": "RightUpLeg", "RKnee": "RightLeg", "RFoot": "RightFoot",
    "LHip": "LeftUpLeg", "LKnee": "LeftLeg", "LFoot": "LeftFoot", "Spine": "Spine1", "Thorax": "Neck",
    "Head": "Head", "LShoulder": "LeftArm", "LElbow": "LeftForeArm", "LWrist": "LeftHand",
    "RShoulder": "RightArm", "RElbow": "RightForeArm", "RWrist": "RightHand",
}

BUILTIN_MAPS = {"bandai_namco": BANDAI_NAMCO_MAP, "cmu": CMU_MAP}


def _map_entry(value) -> Tuple[str, np.ndarray]:
    if isinstance(value, str):
        return value, np.zeros(3)
    if isinstance(value, dict) and isinstance(value.get("joint"), str):
        try:
            offset = np.asarray(value.get("offset", [0.0, 0.0, 0.0]), dtype=np.float64)
        except (TypeError, ValueError):
            offset = np.full(1, np.nan)
        if offset.shape != (3,) or not np.all(np.abs(offset) <= MAX_ABS_VALUE):
            raise ValueError(f"offset {value.get('offset')!r} must be 3 finite numbers (file units)")
        return value["joint"], offset
    raise ValueError(f"map value {value!r} must be a joint name or {{'joint': name, 'offset': [x, y, z]}}")


def load_joint_map(path: Union[str, os.PathLike]) -> Dict[str, Union[str, dict]]:
    """Read a user JSON joint map (keys: the 16 H36M16 joint names) and check its form."""
    mapping = read_json(path, BvhError, "pass an existing JSON joint map {\"Hip\": \"Hips\", ...}")
    if not isinstance(mapping, dict):
        raise BvhError(f"{path}: the joint map must be a JSON object {{\"Hip\": \"Hips\", ...}}")
    missing = [n for n in sk.H36M16.joint_names if n not in mapping]
    extra = [n for n in mapping if n not in sk.H36M16.joint_names]
    if missing or extra:
        raise BvhError(f"{path}: the joint map needs exactly the 16 keys {list(sk.H36M16.joint_names)}; "
                       f"missing {missing}, unknown {extra}")
    for key, value in mapping.items():
        try:
            _map_entry(value)
        except ValueError as err:
            raise BvhError(f"{path}: joint map entry {key!r}: {err}") from None
    return mapping


def resolve_joint_map(clip: BvhClip, joint_map=None, path: str = "") -> Dict[str, Union[str, dict]]:
    """The joint map for ``clip``: ``joint_map`` (dict or JSON path) if given, else the first built-in map whose
    joints all exist in the clip. Raises :class:`BvhError` listing the clip's joint names when none fits."""
    names = set(clip.joint_names)
    if joint_map is not None:
        mapping = load_joint_map(joint_map) if isinstance(joint_map, (str, os.PathLike)) else dict(joint_map)
        candidates = [("given", mapping)]
    else:
        candidates = list(BUILTIN_MAPS.items())
    for _label, mapping in candidates:
        absent = [_map_entry(v)[0] for v in mapping.values() if _map_entry(v)[0] not in names]
        if not absent:
            return mapping
    joints = [n for n in clip.joint_names if not n.endswith("_End")]
    what = (f"the given joint map names joints the file lacks ({sorted(set(absent))})" if joint_map is not None
            else f"no built-in joint map ({', '.join(BUILTIN_MAPS)}) fits")
    raise BvhError(f"{path or clip.name}: cannot map the skeleton to H36M16: {what}. The file's joints are: "
                   f"{', '.join(joints)}. Fix: pass joint_map=FILE.json with the 16 keys "
                   f"{', '.join(sk.H36M16.joint_names)} mapped to these names")


def h36m_world_poses(clip: BvhClip, joint_map=None, unit_mm: float = 10.0,
                     frames: Optional[np.ndarray] = None, path: str = "") -> np.ndarray:
    """H36M16 joints of a clip in the Human3.6M world frame (Z up), millimetres: ``(T, 16, 3)`` float64."""
    mapping = resolve_joint_map(clip, joint_map, path)
    positions, rotations = clip_fk(clip, frames)
    out = np.empty((positions.shape[0], sk.H36M16.num_joints, 3))
    for k, name in enumerate(sk.H36M16.joint_names):
        joint, offset = _map_entry(mapping[name])
        j = clip.joint_names.index(joint)
        out[:, k] = positions[:, j] + rotations[:, j] @ offset
    out *= unit_mm
    return np.stack([out[..., 0], -out[..., 2], out[..., 1]], axis=-1)
