"""Check a data source the way training loads it.

``python -m graphsh_tf.data.inspect --data SPEC [--keypoints K] [--downsample N] [--png FILE]`` (SPEC: any registered
source, :func:`graphsh_tf.data.dataset.spec_help`; ``--sources`` lists them with their options)

Prints :meth:`PoseData.summary` (train/test frame counts) and a few sanity figures; exits 2 with one line on stderr
when the data is bad. ``--png`` writes a figure of a few 2D inputs and 3D targets (matplotlib Agg, atomic write).
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from graphsh_tf.data.dataset import load_data, spec_help
from graphsh_tf.data.sources import registered
from graphsh_tf.data.types import PoseData
from graphsh_tf.io import atomic_save

import numpy as np


def describe(data: PoseData) -> List[str]:
    """Sanity lines: 2D range, 3D extent, mean bone lengths of the train split (or test when train is empty)."""
    split = data.train if len(data.train) else data.test
    p2d, p3d = split.poses_2d, split.poses_3d
    lines = [f"2D normalized range x [{p2d[..., 0].min():.3f}, {p2d[..., 0].max():.3f}] "
             f"y [{p2d[..., 1].min():.3f}, {p2d[..., 1].max():.3f}]",
             f"3D root-relative extent (mm) max |x|,|y|,|z| = {np.abs(p3d).max(axis=(0, 1)).round(1).tolist()}"]
    bones = [f"{data.skeleton.joint_names[j]}={np.linalg.norm(p3d[:, j] - p3d[:, p], axis=-1).mean():.0f}"
             for j, p in data.skeleton.edges]
    lines.append("mean bone lengths (mm): " + " ".join(bones))
    lines.append(f"actions: {', '.join(sorted(set(split.actions.tolist()))[:20])}")
    return lines


def save_png(data: PoseData, path: str, count: int = 4, seed: int = 0) -> None:
    """Figure with ``count`` random samples: 2D input (top) and 3D target (bottom), written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    split = data.train if len(data.train) else data.test
    rows = np.random.default_rng(seed).choice(len(split), size=min(count, len(split)), replace=False)
    fig = plt.figure(figsize=(3 * len(rows), 6))
    edges = data.skeleton.edges
    left = set(data.skeleton.joints_left)
    for k, r in enumerate(rows):
        ax = fig.add_subplot(2, len(rows), k + 1)
        for j, p in edges:
            xy = split.poses_2d[r, [j, p]]
            ax.plot(xy[:, 0], xy[:, 1], color="tab:blue" if j in left else "tab:red")
        ax.invert_yaxis()
        ax.set_aspect("equal")
        ax.set_title(f"{split.sequences[r]}", fontsize=7)
        ax3 = fig.add_subplot(2, len(rows), len(rows) + k + 1, projection="3d")
        for j, p in edges:
            xyz = split.poses_3d[r, [j, p]]
            ax3.plot(xyz[:, 0], xyz[:, 2], -xyz[:, 1], color="tab:blue" if j in left else "tab:red")
        ax3.set_title(f"{split.actions[r]} (3D, mm)", fontsize=7)
    try:
        atomic_save(path, lambda tmp: fig.savefig(tmp, dpi=80, format="png"))
    finally:
        plt.close(fig)


def source_lines() -> List[str]:
    """Every registered data source: how its spec is written, and each option with what it takes."""
    lines = []
    for source in sorted(registered(), key=lambda s: bool(s.arg)):
        lines.append(source.example + (f"  ({source.summary})" if source.summary else ""))
        lines += [f"  {name}: {option.takes}" for name, option in sorted(source.options.items())]
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="synthetic", help=f"data spec: {spec_help()}")
    parser.add_argument("--keypoints", default="gt", help="gt or a VideoPose3D 2D file suffix (cpn_ft_h36m_dbb)")
    parser.add_argument("--downsample", type=int, default=1, help="keep every k-th frame")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--png", default=None, help="write a figure of a few samples to this file")
    parser.add_argument("--sources", action="store_true", help="list the data sources and their options, then exit")
    args = parser.parse_args(argv)
    if args.sources:
        print("\n".join(source_lines()))
        return 0

    def body():
        data = load_data(args.data, keypoints=args.keypoints, downsample=args.downsample, seed=args.seed)
        data = data.to_16_joints()
        print(data.summary())
        for line in describe(data):
            print("  " + line)
        if args.png:
            save_png(data, args.png)
            print(f"  wrote {args.png}")

    from graphsh_tf import cli

    return cli.run("", body, tensorflow=False)   # numpy only: TensorFlow is not loaded


if __name__ == "__main__":
    sys.exit(main())
