"""The in-memory form every loader produces: :class:`PoseSet` (paired 2D inputs and 3D targets) and
:class:`PoseData` (a train and a test set with their skeleton), :class:`StreamedSet`, :class:`DataError`,
:class:`DataWarning`, :func:`check_finite`.

Conventions shared by every source:

* ``poses_2d``: ``(N, J, 2)`` float32, screen-normalized (:func:`graphsh_tf.frame.normalize_screen_coordinates`
  with the size of the camera that produced them).
* ``poses_3d``: ``(N, J, 3)`` float32, camera space, root-relative (root joint exactly 0), millimetres.
* one row per (frame, camera) pair.

A split too large to hold is a :class:`StreamedSet` (rows read while training runs).

Every loader imports this module; nothing here imports a loader (so :mod:`graphsh_tf.data` has no import circle).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Sequence

from graphsh_tf import skeleton as sk

import numpy as np


class DataError(ValueError):
    """Bad or missing data. The message names the file, the field (subject/action/camera) and the fix."""


class DataWarning(UserWarning):
    """Data that loads but loses part of itself (e.g. a clip whose every row is dropped); the message names it."""


@dataclass
class PoseSet:
    """Paired 2D inputs and 3D targets, one row per (frame, camera)."""

    poses_2d: np.ndarray    # (N, J, 2) float32 normalized screen coordinates
    poses_3d: np.ndarray    # (N, J, 3) float32 camera space, root-relative, mm
    actions: np.ndarray     # (N,) str
    sequences: np.ndarray   # (N,) str, "subject/action/camN"
    image_size: np.ndarray  # (N, 2) float32 (w, h) pixels

    def __len__(self) -> int:
        return int(self.poses_2d.shape[0])

    @staticmethod
    def empty(num_joints: int) -> "PoseSet":
        return PoseSet(np.zeros((0, num_joints, 2), np.float32), np.zeros((0, num_joints, 3), np.float32),
                       np.zeros((0,), dtype=str), np.zeros((0,), dtype=str), np.zeros((0, 2), np.float32))

    @staticmethod
    def concat(parts: Sequence["PoseSet"], num_joints: int) -> "PoseSet":
        """Row-wise concatenation (an empty set with ``num_joints`` joints when ``parts`` is empty)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return PoseSet.empty(num_joints)
        return PoseSet(np.concatenate([p.poses_2d for p in parts]).astype(np.float32),
                       np.concatenate([p.poses_3d for p in parts]).astype(np.float32),
                       np.concatenate([p.actions for p in parts]),
                       np.concatenate([p.sequences for p in parts]),
                       np.concatenate([p.image_size for p in parts]).astype(np.float32))

    def select(self, index: np.ndarray) -> "PoseSet":
        """Rows ``index`` (an index array or boolean mask)."""
        return PoseSet(self.poses_2d[index], self.poses_3d[index], self.actions[index], self.sequences[index],
                       self.image_size[index])

    def joints(self, index: Sequence[int]) -> "PoseSet":
        """Joint columns ``index`` (e.g. :data:`graphsh_tf.skeleton.H36M17_TO_16`)."""
        index = list(index)
        return PoseSet(np.ascontiguousarray(self.poses_2d[:, index]), np.ascontiguousarray(self.poses_3d[:, index]),
                       self.actions, self.sequences, self.image_size)


@dataclass
class StreamedSet:
    """A training split too large to hold: ``rows`` (frames x ``views``, the rows of one epoch) are read while
    training runs, each frame seen through a camera of the family ``cameras`` drawn per sample
    (:mod:`graphsh_tf.data.stream` builds the tf.data stream from ``kind`` and ``params``). ``sample``: a bounded
    :class:`PoseSet` of the same split rendered through fixed cameras of that family, which stands in where the
    rows themselves are needed (int8 calibration, QAT, the mean-pose baseline); ``poses_2d``, ``poses_3d``,
    ``actions``, ``sequences`` and ``image_size`` are the sample's."""

    kind: str                      # "shards" or "synthetic"
    rows: int
    frames: int
    cameras: str
    views: int
    sample: PoseSet
    params: Dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.rows)

    def __getattr__(self, name):
        if name in ("poses_2d", "poses_3d", "actions", "sequences", "image_size", "select", "joints"):
            return getattr(self.sample, name)
        raise AttributeError(name)


@dataclass
class PoseData:
    """A train and a test :class:`PoseSet` from one source, with its skeleton."""

    source: str
    skeleton: sk.Skeleton
    train: PoseSet
    test: PoseSet
    info: Dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line: source, subjects/clips, train/test frames, joints."""
        parts = [f"data={self.source}"]
        for key in ("train_subjects", "test_subjects"):
            if key in self.info:
                parts.append(f"{key}={','.join(self.info[key])}")
        for key in ("train_clips", "test_clips"):
            if key in self.info:
                parts.append(f"{key}={self.info[key]}")
        if "keypoints" in self.info:
            parts.append(f"keypoints={self.info['keypoints']}")
        parts.append(f"train={len(self.train)} frames" + (f" (streamed, cameras {self.train.cameras} drawn per "
                                                          "sample)" if isinstance(self.train, StreamedSet) else ""))
        parts.append(f"test={len(self.test)} frames")
        parts.append(f"joints={self.skeleton.num_joints} ({self.skeleton.name})")
        return " ".join(parts)

    def to_16_joints(self) -> "PoseData":
        """H36M17 → H36M16 (Neck/Nose dropped); returns ``self`` when already 16 joints."""
        if self.skeleton.num_joints == sk.H36M16.num_joints:
            return self
        if self.skeleton is not sk.H36M17 and self.skeleton.name != sk.H36M17.name:
            raise DataError(f"{self.source}: cannot reduce skeleton {self.skeleton.name!r} to H36M16; "
                            "only h36m17 data can be reduced (map other layouts with graphsh_tf.keypoints)")
        idx = sk.H36M17_TO_16
        return PoseData(self.source, sk.H36M16, self.train.joints(idx), self.test.joints(idx), dict(self.info))


def check_finite(array: np.ndarray, what: str, fix: str = "re-export the file") -> None:
    """Raise :class:`DataError` naming ``what`` when ``array`` holds NaN or inf."""
    if not np.all(np.isfinite(array)):
        bad = int(np.sum(~np.isfinite(array)))
        raise DataError(f"{what}: {bad} NaN/inf values; {fix}")
