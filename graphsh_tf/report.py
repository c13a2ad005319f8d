"""Figures that summarise a run: the training curves and 3D skeletons of test poses (where they go in a run
directory: :class:`graphsh_tf.run.Run`). The eval report is :func:`graphsh_tf.evaluate.write_eval`."""
from __future__ import annotations

from typing import Dict, List, Sequence

from graphsh_tf import metrics
from graphsh_tf import skeleton as sk
from graphsh_tf.io import atomic_save

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(rows: List[Dict], path) -> None:
    """Training curves: loss, validation MPJPE and learning rate per epoch."""
    if not rows:
        return
    plt = _plt()
    ep = [r["epoch"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].plot(ep, [r["loss"] for r in rows], "o-")
    axes[0].set(title="training loss (MSE, m²)", xlabel="epoch", yscale="log")
    val = [(r["epoch"], r["val_mpjpe_mm"]) for r in rows if r.get("val_mpjpe_mm") is not None]
    if val:
        axes[1].plot(*zip(*val), "o-", color="C1")
    axes[1].set(title="validation MPJPE (mm)", xlabel="epoch")
    axes[2].plot(ep, [r["lr"] for r in rows], "o-", color="C2")
    axes[2].set(title="learning rate", xlabel="epoch")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, dpi=90, format="png"))
    plt.close(fig)


def plot_skeletons(pred_mm: np.ndarray, true_mm: np.ndarray, path, skeleton: sk.Skeleton = sk.H36M16,
                   indices: Sequence[int] = None, n: int = 4) -> None:
    """Skeletons: ``n`` test poses, predicted (red) over ground truth (black), camera space (y down)."""
    plt = _plt()
    if indices is None:
        indices = np.linspace(0, len(true_mm) - 1, n).astype(int) if len(true_mm) else []
    fig = plt.figure(figsize=(3.2 * len(indices), 3.6))
    for k, i in enumerate(indices):
        ax = fig.add_subplot(1, len(indices), k + 1, projection="3d")
        for pose, color, label in ((true_mm[i], "k", "true"), (pred_mm[i], "r", "pred")):
            for child, parent in skeleton.edges:
                seg = pose[[child, parent]]
                # camera x right, y down, z forward → plot x, z (depth), -y (up)
                ax.plot(seg[:, 0], seg[:, 2], -seg[:, 1], color=color, lw=1.5,
                        label=label if child == skeleton.edges[0][0] else None)
        err = metrics.mpjpe(pred_mm[i:i + 1], true_mm[i:i + 1])
        ax.set_title(f"#{i}: {err:.0f} mm", fontsize=9)
        lim = 900
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), zlim=(-lim, lim))
        ax.set_xticklabels([]); ax.set_yticklabels([]); ax.set_zticklabels([])  # noqa: E702
        ax.view_init(elev=15, azim=-70)
        if k == 0:
            ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    atomic_save(path, lambda tmp: fig.savefig(tmp, dpi=80, format="png"))
    plt.close(fig)
