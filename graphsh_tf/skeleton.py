"""Joint layouts and the constant matrices the graph layers multiply in.

Every skeleton fact of the project (joint orders, parents, left/right, pooling groups, edges of the
pooled skeletons) is written here once; everything else asks this module.

Layouts
-------
* ``H36M16``: the 16-joint Human3.6M layout used by GraphSH (Neck/Nose dropped).
* ``H36M17``: the 17-joint layout of the VideoPose3D files (Neck/Nose at index 9).
* ``COCO17`` and ``MEDIAPIPE33``: the 2D detector layouts the keypoint adapters read.

Matrices (all ``float32`` numpy arrays, row-major, "out = M @ x" over the joint axis)
----------------------------------------------------------------------------------------
* :func:`adjacency`: symmetric adjacency with self loops, row-normalized (as the reference computes it).
* :func:`pool_selections`: two 0/1 selection matrices ``(n_out, n_in)``; pooling is
  ``max(S_a @ x, S_b @ x)``.
* :func:`unpool_copy`: one 0/1 copy matrix ``(n_in_big, n_small)``; unpooling is ``U @ x``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Sequence, Tuple

import numpy as np


@dataclass(frozen=True)
class Skeleton:
    """A named joint layout: joint names, parent indices (-1 for the root) and left/right joints."""

    name: str
    joint_names: Tuple[str, ...]
    parents: Tuple[int, ...]
    joints_left: Tuple[int, ...] = field(default=())
    joints_right: Tuple[int, ...] = field(default=())

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    @property
    def edges(self) -> List[Tuple[int, int]]:
        """(child, parent) pairs, as the reference builds them from the parent list."""
        return [(j, p) for j, p in enumerate(self.parents) if p >= 0]

    def index(self, name: str) -> int:
        return self.joint_names.index(name)

    def flip_permutation(self) -> np.ndarray:
        """Index array that swaps every left joint with its right partner (an involution)."""
        perm = np.arange(self.num_joints)
        for left, right in zip(self.joints_left, self.joints_right):
            perm[left], perm[right] = right, left
        return perm

    def adjacency(self) -> np.ndarray:
        return adjacency(self.num_joints, self.edges)


H36M16 = Skeleton(
    name="h36m16",
    joint_names=("Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax", "Head",
                 "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist"),
    parents=(-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14),
    joints_left=(4, 5, 6, 10, 11, 12),
    joints_right=(1, 2, 3, 13, 14, 15),
)

H36M17 = Skeleton(
    name="h36m17",
    joint_names=("Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax", "Neck/Nose",
                 "Head", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist"),
    parents=(-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15),
    joints_left=(4, 5, 6, 11, 12, 13),
    joints_right=(1, 2, 3, 14, 15, 16),
)

#: Indices into H36M17 that give H36M16 (Neck/Nose dropped).
H36M17_TO_16: Tuple[int, ...] = tuple(i for i in range(17) if i != 9)

#: Indices of the 17 kept joints among the 32 of the raw Human3.6M / VideoPose3D 3D files.
H36M32_TO_17: Tuple[int, ...] = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)

COCO17 = Skeleton(
    name="coco17",
    joint_names=("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                 "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
                 "right_knee", "left_ankle", "right_ankle"),
    parents=(-1, 0, 0, 1, 2, 0, 0, 5, 6, 7, 8, 5, 6, 11, 12, 13, 14),
    joints_left=(1, 3, 5, 7, 9, 11, 13, 15),
    joints_right=(2, 4, 6, 8, 10, 12, 14, 16),
)

MEDIAPIPE33 = Skeleton(
    name="mediapipe33",
    joint_names=("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
                 "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
                 "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
                 "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
                 "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
                 "left_foot_index", "right_foot_index"),
    parents=(-1, 0, 1, 2, 0, 4, 5, 3, 6, 0, 0, 0, 0, 11, 12, 13, 14, 15, 16, 15, 16, 15, 16, 11, 12, 23, 24, 25,
             26, 27, 28, 27, 28),
    joints_left=(1, 2, 3, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31),
    joints_right=(4, 5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32),
)

LAYOUTS = {s.name: s for s in (H36M16, H36M17, COCO17, MEDIAPIPE33)}

# --- GraphSH pooling -------------------------------------------------------------------------------------------

#: Joint pairs of H36M16 max-pooled into the 8-joint skeleton (pooled joint k = max over POOL_GROUPS[k]).
POOL_GROUPS: Tuple[Tuple[int, int], ...] = ((2, 3), (5, 6), (1, 4), (0, 7), (8, 9), (14, 15), (11, 12), (10, 13))
#: Pairs of the 8-joint skeleton pooled into the 4-joint skeleton.
POOL_GROUPS_MID: Tuple[Tuple[int, int], ...] = ((0, 1), (2, 3), (5, 6), (4, 7))
#: Edges of the 8- and 4-joint skeletons.
EDGES_MID: Tuple[Tuple[int, int], ...] = ((0, 2), (1, 2), (2, 3), (3, 7), (4, 7), (5, 7), (6, 7))
EDGES_LOW: Tuple[Tuple[int, int], ...] = ((0, 1), (1, 2), (2, 3))

#: Unpooling: joint j of the larger skeleton copies pooled joint UNPOOL_MAP[j]. These are the reference's maps
#: (tamasino52/GraphSH). Note that for 16 joints they send the right leg (2, 3) to the pooled *left* leg (1) and
#: the left leg (5, 6) to the pooled right leg (0): unpooling is not the exact inverse of pooling there. We keep it
#: so that weights trained in either implementation compute the same function.
UNPOOL_MAP: Tuple[int, ...] = (3, 2, 1, 1, 2, 0, 0, 3, 4, 4, 7, 6, 6, 7, 5, 5)
UNPOOL_MAP_MID: Tuple[int, ...] = (0, 0, 1, 1, 3, 2, 2, 3)

#: Number of joints at each scale of the hourglass.
SCALES: Tuple[int, ...] = (16, 8, 4)
#: Joints of the model's input and output (H36M16, the full scale).
NUM_JOINTS: int = SCALES[0]


def adjacency(num_joints: int, edges: Sequence[Sequence[int]]) -> np.ndarray:
    """Symmetric adjacency with self loops, each row divided by its sum, as ``float32`` ``(N, N)``."""
    a = np.zeros((num_joints, num_joints), dtype=np.float64)
    for i, j in edges:
        a[i, j] = 1.0
        a[j, i] = 1.0
    a += np.eye(num_joints)
    a /= a.sum(axis=1, keepdims=True)
    return a.astype(np.float32)


def adjacency_for(num_joints: int) -> np.ndarray:
    """The adjacency the GraphSH layers use at a scale of 16, 8 or 4 joints."""
    if num_joints == 16:
        return H36M16.adjacency()
    if num_joints == 8:
        return adjacency(8, EDGES_MID)
    if num_joints == 4:
        return adjacency(4, EDGES_LOW)
    raise ValueError(f"no GraphSH skeleton with {num_joints} joints; the scales are {SCALES}")


def _groups_for(num_in: int) -> Tuple[Tuple[int, int], ...]:
    if num_in == 16:
        return POOL_GROUPS
    if num_in == 8:
        return POOL_GROUPS_MID
    raise ValueError(f"GraphSH pools 16 or 8 joints, not {num_in}")


def pool_selections(num_in: int) -> Tuple[np.ndarray, np.ndarray]:
    """Selection matrices ``(S_a, S_b)`` of shape ``(num_in // 2, num_in)``: pooled = max(S_a @ x, S_b @ x)."""
    groups = _groups_for(num_in)
    s_a = np.zeros((len(groups), num_in), dtype=np.float32)
    s_b = np.zeros((len(groups), num_in), dtype=np.float32)
    for k, (a, b) in enumerate(groups):
        s_a[k, a] = 1.0
        s_b[k, b] = 1.0
    return s_a, s_b


def unpool_copy(num_out: int) -> np.ndarray:
    """Copy matrix ``U`` of shape ``(num_out, num_out // 2)``: joint j takes pooled joint ``UNPOOL_MAP[j]``."""
    _groups_for(num_out)
    mapping = UNPOOL_MAP if num_out == 16 else UNPOOL_MAP_MID
    u = np.zeros((num_out, num_out // 2), dtype=np.float32)
    u[np.arange(num_out), list(mapping)] = 1.0
    return u
