"""The robustness table of a run: MPJPE on clean and corrupted 2D test inputs, and each row's ratio to clean.

Rows (:data:`ROWS`, each seeded, each from :mod:`graphsh_tf.data.corrupt`): clean; 5 px Gaussian noise per
coordinate; 1 and 3 limb joints missing (filled as the keypoint adapters fill them); 1 left/right limb pair swapped;
the detector-like mix (:class:`graphsh_tf.data.corrupt.DetectorCorruption`, preset ``detector``). ``fit`` writes the
table into eval.json (key ``robustness``) and eval.md for every run; ``training/evaluate.py --robustness`` prints it.

A predictor takes normalized ``x2d (N, 16, 2)``; one whose attribute ``takes_confidence`` is true is called
``predictor(x2d, confidence (N, 16))`` instead, with the adapters' confidences of the row (1 for clean joints, 0 for
filled ones, the detector scores in the mix).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

from graphsh_tf.data import corrupt as cr
from graphsh_tf.data import perturb

import numpy as np


@dataclass(frozen=True)
class Row:
    """One corruption of the table: ``key`` (eval.json), ``label`` (eval.md) and what it does."""

    key: str
    label: str
    noise_px: float = 0.0
    drop_joints: int = 0
    swap_limbs: int = 0
    corrupt: Optional[str] = None


ROWS: Tuple[Row, ...] = (
    Row("clean", "clean"),
    Row("noise_5px", "5 px Gaussian noise", noise_px=5.0),
    Row("missing_1", "1 limb joint missing", drop_joints=1),
    Row("missing_3", "3 limb joints missing", drop_joints=3),
    Row("swap_1", "1 left/right limb pair swapped", swap_limbs=1),
    Row("detector", "detector-like mix", corrupt="detector"),
)


def corrupt_test_inputs(x2d, image_size, noise_px: float = 0.0, drop_joints: int = 0, swap_limbs: int = 0,
                        corrupt: Optional[str] = None, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Normalized test inputs ``(N, 16, 2)`` (``image_size`` ``(N, 2)`` pixels per row) → corrupted float32 inputs
    and the adapters' confidences ``(N, 16)``. Order: the detector mix (``corrupt``: a
    :meth:`~graphsh_tf.data.corrupt.CorruptionParams.parse` spec), missing joints, swaps, then pixel noise; all
    from one generator seeded with ``seed``. Missing joints and noise draw exactly as
    :func:`graphsh_tf.evaluate.corrupt_inputs` always did (same seed, same inputs)."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x2d, np.float64)
    conf = np.ones(x.shape[:2])
    if corrupt:
        x, conf = cr.corrupt_normalized(x, image_size, corrupt, rng)
        x = x.astype(np.float64)
    if drop_joints:
        x, missing = perturb.drop_limb_joints(x, drop_joints, rng)
        conf = np.where(missing, 0.0, conf)
    if swap_limbs:
        x, _ = perturb.swap_limb_pairs(x, swap_limbs, rng)
    if noise_px:
        width = np.broadcast_to(np.asarray(image_size, np.float64).reshape(-1, 2), (len(x), 2))[:, 0]
        x = perturb.gaussian_noise(x, noise_px * 2.0 / width, rng)
    return x.astype(np.float32), conf.astype(np.float32)


def _call(fn: Callable, x: np.ndarray, conf: np.ndarray) -> np.ndarray:
    return fn(x, conf) if getattr(fn, "takes_confidence", False) else fn(x)


def robustness_table(predictor, test, seed: int = 0, flip_test: bool = False, rows: Tuple[Row, ...] = ROWS) -> Dict:
    """Score ``predictor`` (a callable normalized 2D → mm, e.g. from :func:`graphsh_tf.evaluate.as_predictor`,
    flip-averaged by the caller when ``flip_test``, which is only recorded here) on ``test`` (a 16-joint PoseSet, or
    a PoseData whose test split is used) under each of ``rows``. Row ``i`` is seeded with
    ``seed + i``. Returns the JSON-ready ``{"seed", "flip_test", "detector_params", "rows": [{"key", "label",
    "mpjpe_mm", "p_mpjpe_mm", "ratio"}]}``; ``ratio`` is the row's MPJPE over the clean row's (the first row)."""
    from graphsh_tf import metrics

    if hasattr(test, "test"):
        test = test.to_16_joints().test
    fn = predictor
    out = []
    for i, row in enumerate(rows):
        x, conf = corrupt_test_inputs(test.poses_2d, test.image_size, row.noise_px, row.drop_joints, row.swap_limbs,
                                      row.corrupt, seed + i)
        pred = np.asarray(_call(fn, x, conf), np.float32)
        pred = pred - pred[:, :1]   # Protocol #1 is root-relative, as graphsh_tf.evaluate.score centres
        out.append({"key": row.key, "label": row.label, "mpjpe_mm": float(metrics.mpjpe(pred, test.poses_3d)),
                    "p_mpjpe_mm": float(metrics.p_mpjpe(pred, test.poses_3d))})
    clean = out[0]["mpjpe_mm"]
    for r in out:
        r["ratio"] = float(r["mpjpe_mm"] / clean) if clean > 0 else None
    detector = next((r.corrupt for r in rows if r.corrupt), None)
    return {"seed": int(seed), "flip_test": bool(flip_test), "n_poses": int(len(test)),
            "detector_params": cr.CorruptionParams.parse(detector).to_dict() if detector else None, "rows": out}


def robustness_markdown(table: Dict, title: str = "Robustness") -> str:
    """The table as markdown: one line per row with MPJPE, P-MPJPE and the ratio to clean."""
    lines = [f"### {title}", "", f"{table['n_poses']} test poses, seed {table['seed']}"
             + (", flip test" if table.get("flip_test") else "") + "; ratio = MPJPE / clean MPJPE", "",
             "| input | MPJPE (mm) | P-MPJPE (mm) | ratio |", "|---|---:|---:|---:|"]
    for r in table["rows"]:
        ratio = f"{r['ratio']:.2f}x" if r.get("ratio") is not None else "-"
        lines.append(f"| {r['label']} | {r['mpjpe_mm']:.1f} | {r['p_mpjpe_mm']:.1f} | {ratio} |")
    return "\n".join(lines) + "\n"


def robustness_summary(table: Dict) -> str:
    """One log line: ``robustness (MPJPE / clean): 5 px Gaussian noise 1.21x, ...``."""
    return "robustness (MPJPE / clean): " + ", ".join(f"{r['label']} {r['ratio']:.2f}x" for r in table["rows"][1:]
                                                      if r.get("ratio") is not None)
