"""Writing a :class:`~graphsh_tf.data.bvh.parse.BvhClip` back as a BVH file (atomic)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Union

from graphsh_tf.data.bvh.parse import BvhClip
from graphsh_tf.io import atomic_write_text

import numpy as np


def write_bvh(clip: BvhClip, path: Union[str, os.PathLike], frames: Optional[np.ndarray] = None) -> None:
    """Write ``clip`` (optionally only motion rows ``frames``) as a BVH file, atomically."""
    motion = clip.motion if frames is None else clip.motion[frames]
    children: Dict[int, List[int]] = {}
    for j, p in enumerate(clip.parents):
        children.setdefault(p, []).append(j)
    lines = ["HIERARCHY"]

    def emit(j: int, depth: int) -> None:
        pad = "  " * depth
        if clip.joint_names[j].endswith("_End") and not clip.channels[j] and j not in children:
            lines.append(f"{pad}End Site")
        else:
            lines.append(f"{pad}{'ROOT' if clip.parents[j] < 0 else 'JOINT'} {clip.joint_names[j]}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET " + " ".join(f"{v:.6g}" for v in clip.offsets[j]))
        if clip.channels[j]:
            lines.append(f"{pad}  CHANNELS {len(clip.channels[j])} " + " ".join(clip.channels[j]))
        for c in children.get(j, []):
            emit(c, depth + 1)
        lines.append(pad + "}")

    for root in children.get(-1, []):
        emit(root, 0)
    lines += ["MOTION", f"Frames: {motion.shape[0]}", f"Frame Time: {clip.frame_time:.7g}"]
    lines += [" ".join(f"{v:.6g}" for v in row) for row in motion]
    path = Path(path)
    atomic_write_text(path, "\n".join(lines) + "\n")
