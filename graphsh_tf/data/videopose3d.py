"""Write any BVH folder or the synthetic generator as Human3.6M files in the VideoPose3D format.

    python -m graphsh_tf.data.videopose3d --data bvh:../shared/datasets/bandai-namco-motion-1/data \\
        --test-styles childish,giant,proud,tired OUT_DIR

writes ``OUT_DIR/data_3d_h36m.npz`` (``positions_3d``: subject → action → ``(T, 32, 3)`` world metres, the raw
Human3.6M 32-slot layout) and ``OUT_DIR/data_2d_h36m_gt.npz`` (``positions_2d``: subject → action → 4 arrays
``(T, 16, 2)`` pixels through that subject's calibrated cameras, with lens distortion; ``metadata`` with
``num_joints`` 16 and the left/right symmetry), i.e. exactly what SemGCN's and GraphSH's data preparation writes for
ground-truth 2D. Any VideoPose3D/SemGCN-style code base can then train on motion capture, and graphsh-tf reads the
same files with ``--data h36m:OUT_DIR``, so two implementations can be compared on identical inputs.

Subjects: training clips are spread over S1, S5, S6, S7, S8 and test clips over S9, S11 (so the usual subject split
is the clip split, and each clip is seen through the four cameras of its subject). Actions are the clip names.
Frames where a joint leaves any of the four images (or comes within 10 cm of a camera) are dropped.

The 32 slots: the 16 GraphSH joints go to their Human3.6M slots; Neck/Nose (slot 14, which the 16-joint layout
does not have) is the midpoint of Thorax and Head; every other slot repeats its nearest kept ancestor (those are
the static joints every Human3.6M reader removes).
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import os
import sys
from pathlib import Path
from typing import Dict, Iterable, Optional, Sequence, Tuple

from graphsh_tf import skeleton as sk
from graphsh_tf.data import cameras as cam
from graphsh_tf.data.dataset import resolve
from graphsh_tf.data.render import visible
from graphsh_tf.data.types import DataError

import numpy as np

TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS = ("S9", "S11")
#: Parents of the raw 32-joint Human3.6M skeleton (a published fact of the data set).
H36M32_PARENTS = (-1, 0, 1, 2, 3, 4, 0, 6, 7, 8, 9, 0, 11, 12, 13, 14, 12, 16, 17, 18, 19, 20, 19, 22, 12, 24, 25,
                  26, 27, 28, 27, 30)
_NECK_NOSE_17 = 9   # index of Neck/Nose in the 17-joint layout
_THORAX_16, _HEAD_16 = 8, 9


def to_32_slots(world16: np.ndarray) -> np.ndarray:
    """``(T, 16, 3)`` → ``(T, 32, 3)`` in the raw Human3.6M layout (see the module docstring)."""
    world16 = np.asarray(world16, dtype=np.float64)
    neck = 0.5 * (world16[:, _THORAX_16] + world16[:, _HEAD_16])
    world17 = np.insert(world16, _NECK_NOSE_17, neck, axis=1)
    out = np.full((world16.shape[0], 32, 3), np.nan)
    out[:, list(sk.H36M32_TO_17)] = world17
    for j in range(32):
        if np.isnan(out[0, j, 0]):
            a = H36M32_PARENTS[j]
            while a >= 0 and np.isnan(out[0, a, 0]):
                a = H36M32_PARENTS[a]
            out[:, j] = out[:, a]
    return out


def _pick(name: str, options: Sequence[str]) -> str:
    return options[int(hashlib.md5(name.encode("utf-8")).hexdigest()[:8], 16) % len(options)]


def bvh_clips(folder, test_styles: Optional[Iterable[str]] = None, frame_step: int = 2, test_percent: float = 10.0,
              joint_map=None, unit_mm: float = 10.0) -> Iterable[Tuple[str, str, bool, np.ndarray]]:
    """``(clip name, style, is_test, world poses (T, 16, 3) mm)`` per BVH clip, the clip's mean root at the origin.

    ``test_styles``: Bandai-Namco style names (``dataset-1_{content}_{style}_{id}``) held out as test clips; without
    it, about ``test_percent`` % of clips by name hash (as ``bvh:DIR`` splits)."""
    from graphsh_tf.data import bvh

    styles = {s.strip() for s in test_styles or () if s.strip()}
    for path in bvh.list_bvh(folder):
        clip = bvh.parse_bvh(path)
        world = bvh.h36m_world_poses(clip, joint_map, unit_mm, np.arange(0, clip.num_frames, frame_step), str(path))
        parts = clip.name.split("_")
        style = parts[2] if len(parts) >= 4 else ""
        test = style in styles if styles else bvh.is_test_clip(clip.name, test_percent)
        yield clip.name, style, test, bvh.center_on_origin(world, "clip")


def synthetic_clips(seed: int = 0, frames: Optional[int] = None, train_poses_per_subject: Optional[int] = None,
                    test_poses_per_subject: int = 1000, seq_len: int = 100, fps: float = 25.0
                    ) -> Iterable[Tuple[str, str, bool, np.ndarray]]:
    """The synthetic generator's sequences, as :func:`graphsh_tf.data.synthetic.load_synthetic` draws them."""
    from graphsh_tf.data import synthetic as syn

    counts = {"train": syn.train_poses(frames, train_poses_per_subject, len(syn.TRAIN_SUBJECTS)),
              "test": [test_poses_per_subject] * len(syn.TEST_SUBJECTS)}
    for split, subjects in (("train", syn.TRAIN_SUBJECTS), ("test", syn.TEST_SUBJECTS)):
        for subject, sequences, _ in syn.split_sequences(split, subjects, counts[split], seed, seq_len, fps):
            for k, (motion, world) in enumerate(sequences):
                yield f"{subject}_{motion}_{k:03d}", motion, split == "test", world


def build_files(clips: Iterable[Tuple[str, str, bool, np.ndarray]]) -> Tuple[Dict, Dict, Dict]:
    """``(positions_3d, positions_2d, stats)`` dicts for the two VideoPose3D files."""
    pos3d: Dict[str, Dict[str, np.ndarray]] = {}
    pos2d: Dict[str, Dict[str, list]] = {}
    stats = {"train_clips": 0, "test_clips": 0, "train_frames": 0, "test_frames": 0, "dropped_frames": 0}
    for name, _style, test, world in clips:
        subject = _pick(name, TEST_SUBJECTS if test else TRAIN_SUBJECTS)
        cams = cam.h36m_cameras(subject)
        keep = np.ones(world.shape[0], dtype=bool)
        views = []
        for c in cams:
            pixels, _, _ = cam.render(world, c)
            keep &= visible(world, pixels, c)
            views.append(pixels)
        stats["dropped_frames"] += int((~keep).sum())
        if not keep.any():
            continue
        split = "test" if test else "train"
        stats[f"{split}_clips"] += 1
        stats[f"{split}_frames"] += int(keep.sum())
        pos3d.setdefault(subject, {})[name] = (to_32_slots(world[keep]) / 1000.0).astype(np.float32)
        pos2d.setdefault(subject, {})[name] = [v[keep].astype(np.float32) for v in views]
    if not stats["train_frames"] or not stats["test_frames"]:
        raise DataError(f"no {'train' if not stats['train_frames'] else 'test'} frames to write "
                        f"({stats}); choose other test styles / test percent")
    return pos3d, pos2d, stats


def write_files(out_dir, pos3d: Dict, pos2d: Dict) -> Tuple[Path, Path]:
    """Write the two files atomically (temp name, then rename)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = {"layout_name": "h36m16", "num_joints": 16,
            "keypoints_symmetry": [list(sk.H36M16.joints_left), list(sk.H36M16.joints_right)]}
    written = []
    for name, payload in (("data_3d_h36m.npz", {"positions_3d": pos3d}),
                          ("data_2d_h36m_gt.npz", {"positions_2d": pos2d, "metadata": meta})):
        target = out_dir / name
        tmp = out_dir / f".{name}.tmp{os.getpid()}.npz"
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **payload)
        os.replace(tmp, target)
        written.append(target)
    return written[0], written[1]


def convert(spec: str, out_dir, seed: int = 0, test_styles: Optional[Sequence[str]] = None, frame_step: int = 2,
            test_percent: float = 10.0) -> Dict:
    """Convert the ``bvh:DIR`` or ``synthetic`` source ``spec`` into VideoPose3D files in ``out_dir``; returns
    the stats (clips and frames per split, dropped frames)."""
    source, path, options = resolve(spec)
    if source.name == "bvh":
        clips = bvh_clips(path, test_styles, frame_step, test_percent)
    elif source.name == "synthetic":
        taken = set(inspect.signature(synthetic_clips).parameters) - {"seed"}
        if set(options) - taken:
            raise DataError(f"--data {spec!r}: the converter takes no synthetic option "
                            f"{sorted(set(options) - taken)[0]!r}; it takes: {', '.join(sorted(taken))}")
        clips = synthetic_clips(seed, **options)
    else:
        raise DataError(f"--data {spec!r}: the converter reads bvh:DIR or synthetic[:key=value,...]")
    pos3d, pos2d, stats = build_files(clips)
    write_files(out_dir, pos3d, pos2d)
    return stats


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Write a bvh:DIR or synthetic source as VideoPose3D Human3.6M files")
    p.add_argument("out", help="output folder (data_3d_h36m.npz, data_2d_h36m_gt.npz)")
    p.add_argument("--data", required=True, help="bvh:DIR or synthetic")
    p.add_argument("--test-styles", default="", help="comma-separated Bandai-Namco styles held out as test clips")
    p.add_argument("--test-percent", type=float, default=10.0, help="test clips by name hash when no --test-styles")
    p.add_argument("--frame-step", type=int, default=2, help="keep every k-th BVH frame")
    p.add_argument("--seed", type=int, default=0, help="synthetic seed")
    args = p.parse_args(argv)
    if args.frame_step < 1:
        p.error("--frame-step must be >= 1")
    from graphsh_tf import cli

    def body():
        stats = convert(args.data, args.out, args.seed, args.test_styles.split(","), args.frame_step,
                        args.test_percent)
        print(f"wrote {args.out}/data_3d_h36m.npz and data_2d_h36m_gt.npz: "
              + ", ".join(f"{k}={v}" for k, v in stats.items()))

    return cli.run("videopose3d", body, tensorflow=False)


if __name__ == "__main__":
    sys.exit(main())
