"""The ``bvh:DIR`` data source: every BVH clip of a folder as H36M16 rows rendered through cameras.

A clip is parsed (:mod:`~graphsh_tf.data.bvh.parse`), mapped to H36M16 in the world frame
(:mod:`~graphsh_tf.data.bvh.joints`), centred on the capture area and rendered
(:func:`graphsh_tf.data.render.render_views`). A clip that loses every row is left out with a
:class:`~graphsh_tf.data.types.DataWarning` naming its file.
"""
from __future__ import annotations

import hashlib
import os
import re
import warnings
from pathlib import Path
from typing import List, Optional, Sequence, Union

from graphsh_tf import skeleton as sk
from graphsh_tf.data import cameras as cam
from graphsh_tf.data.bvh.joints import h36m_world_poses
from graphsh_tf.data.bvh.parse import parse_bvh
from graphsh_tf.data.render import MIN_DEPTH_MM, render_views
from graphsh_tf.data.sources import choice, flag, integer, names, number, passed, register_source, span
from graphsh_tf.data.types import DataError, DataWarning, PoseData, PoseSet

import numpy as np

CAMERAS = ("h36m", "virtual", "phone")
RECENTER = ("clip", "frame", "none")


def clip_action(name: str) -> str:
    """Action label of a clip: the content of Bandai-Namco names ``dataset-1_{content}_{style}_{id}``, else the
    file stem."""
    m = re.match(r"^dataset-\d+_([^_]+)_([^_]+)_(\d+)$", name)
    return m.group(1) if m else name


def is_test_clip(name: str, test_percent: float = 10.0) -> bool:
    """Deterministic split by clip name (md5 of the name), about ``test_percent`` % test clips."""
    digest = int(hashlib.md5(name.encode("utf-8")).hexdigest()[:8], 16)
    return (digest % 10000) < test_percent * 100


def center_on_origin(world_mm: np.ndarray, recenter: str = "clip") -> np.ndarray:
    """Move poses ``(T, 16, 3)`` horizontally so the root is at the capture-area centre (world origin): by the
    clip's mean root position (``"clip"``) or per frame (``"frame"``, drops the trajectory)."""
    out = world_mm.copy()
    if recenter == "clip":
        out[..., :2] -= world_mm[:, 0, :2].mean(axis=0)
    elif recenter == "frame":
        out[..., :2] -= world_mm[:, :1, :2]
    elif recenter != "none":
        raise DataError(f"recenter={recenter!r} must be 'clip', 'frame' or 'none'")
    return out


def list_bvh(folder: Union[str, os.PathLike]) -> List[Path]:
    """BVH files of a folder, sorted; :class:`DataError` when the folder is missing or holds none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: BVH folder not found; pass bvh:DIR with a folder of .bvh files "
                        "(e.g. ../shared/datasets/bandai-namco-motion-1/data)")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".bvh")
    if not files:
        raise DataError(f"{folder}: no .bvh files in this folder; pass bvh:DIR with a folder of .bvh files")
    return files


def load_bvh_dir(folder: Union[str, os.PathLike], downsample: int = 1, seed: int = 0, *, frame_step: int = 2,
                 cameras: str = "h36m", num_cameras: int = 4, distance=(3500.0, 6000.0), height=(500.0, 2200.0),
                 azimuth=(0.0, 360.0), recenter: str = "clip", drop_outside: bool = True, test_percent: float = 10.0,
                 joint_map=None, unit_mm: float = 10.0, max_clips: Optional[int] = None,
                 test_styles: Optional[Sequence[str]] = None) -> PoseData:
    """All BVH clips of ``folder`` as a :class:`PoseData` (H36M16, 2D normalized, 3D camera mm root-relative).

    Frames: every ``frame_step * downsample``-th frame. ``cameras``: ``"h36m"`` renders each clip through the four
    calibrated cameras of one Human3.6M subject (chosen by hash of ``seed`` and clip name), the clip's mean root
    placed at the world origin; ``"virtual"`` through ``num_cameras`` random cameras (``distance``/``height`` mm,
    ``azimuth`` degrees, seeded by ``seed`` and the clip name); ``"phone"`` through ``num_cameras`` random handheld
    phone cameras (:func:`graphsh_tf.data.cameras.random_phone_cameras`), whose 2D is normalized through their
    intrinsics (as ``Lifter(intrinsics=...)`` does). ``drop_outside`` drops (frame, camera) rows with a joint outside
    the image. Split: about ``test_percent`` % of clips (by name hash) are test clips, or the clips whose
    Bandai-Namco style is in ``test_styles``.
    """
    if cameras not in CAMERAS:
        raise DataError(f"bvh: cameras={cameras!r} must be one of {', '.join(CAMERAS)}")
    styles = {s.strip() for s in test_styles or () if s.strip()}
    files = list_bvh(folder)[:max_clips]
    step = int(frame_step) * int(downsample)
    train_parts, test_parts, train_clips, test_clips, empty, dropped = [], [], [], [], [], 0
    for path in files:
        clip = parse_bvh(path)
        world = h36m_world_poses(clip, joint_map, unit_mm, np.arange(0, clip.num_frames, step), str(path))
        world = center_on_origin(world, recenter)
        digest = int(hashlib.md5(f"{seed}/{clip.name}".encode()).hexdigest()[:8], 16)
        target = np.array([0.0, 0.0, float(world[:, 0, 2].mean())])
        if cameras == "h36m":
            cams = cam.h36m_cameras(cam.H36M_SUBJECTS[digest % len(cam.H36M_SUBJECTS)])
        elif cameras == "phone":
            cams = cam.random_phone_cameras(np.random.default_rng(digest), target, num_cameras)
        else:
            cams = cam.virtual_cameras(np.random.default_rng(digest), target, num_cameras, distance, height, azimuth)
        poses, n_drop = render_views(world, cams, clip_action(clip.name), clip.name,
                                     "intrinsics" if cameras == "phone" else "image", drop_outside)
        dropped += n_drop
        if len(poses) == 0:
            empty.append(clip.name)
            warnings.warn(f"{path}: every one of its {n_drop} (frame, camera) rows was dropped, so the clip is "
                          f"left out: a joint is outside the image or within {MIN_DEPTH_MM:g} mm of the camera in "
                          f"every frame; check unit_mm={unit_mm} (file units to mm) and recenter={recenter!r}",
                          DataWarning, stacklevel=3)
            continue
        parts = clip.name.split("_")
        test = (len(parts) >= 4 and parts[2] in styles) if styles else is_test_clip(clip.name, test_percent)
        if test:
            test_parts.append(poses)
            test_clips.append(clip.name)
        else:
            train_parts.append(poses)
            train_clips.append(clip.name)
    train, test = PoseSet.concat(train_parts, sk.H36M16.num_joints), PoseSet.concat(test_parts, sk.H36M16.num_joints)
    if len(train) == 0 or len(test) == 0:
        lost = ""
        if empty:
            lost = f" ({len(empty)} lost every row: {', '.join(empty[:5])}{' ...' if len(empty) > 5 else ''})"
        raise DataError(f"{folder}: {len(files)} BVH clips{lost} give {len(train)} train and {len(test)} test frames; "
                        f"add clips, set test_percent (is {test_percent}) or use cameras='virtual'/recenter='frame'")
    info = {"train_clips": len(train_clips), "test_clips": len(test_clips), "test_clip_names": test_clips,
            "cameras": cameras, "frame_step": step, "dropped_rows": dropped, "empty_clips": empty}
    return PoseData(f"bvh:{folder}", sk.H36M16, train, test, info)


OPTIONS = {
    "frame_step": integer(1), "cameras": choice(*CAMERAS), "num_cameras": integer(1), "distance": span(0.0),
    "height": span(), "azimuth": span(), "recenter": choice(*RECENTER), "drop_outside": flag(),
    "test_percent": number(0.0, 100.0), "joint_map": passed("a JSON file or a dict with the 16 H36M16 joint names"),
    "unit_mm": number(positive=True), "max_clips": integer(1), "test_styles": names(),
}


@register_source("bvh", options=OPTIONS, title="BVH", summary="a folder of .bvh motion capture")
def load(folder: str, *, keypoints: str, downsample: int, seed: int, **options) -> PoseData:
    """The ``bvh:DIR`` source: :func:`load_bvh_dir`."""
    return load_bvh_dir(folder, downsample=downsample, seed=seed, **options)
