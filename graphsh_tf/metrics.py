"""Pose-error metrics in millimetres (numpy only).

* Protocol #1 (:func:`mpjpe`): mean per-joint position error, the mean over poses and joints of the Euclidean
  distance between predicted and true joints.
* Protocol #2 (:func:`p_mpjpe`): the same after aligning each predicted pose to its ground truth with a similarity
  transform (rotation, translation, uniform scale; orthogonal Procrustes, reflections removed).
* :func:`pck` / :func:`auc`: MPI-INF-3DHP style percentage of correct keypoints (error < 150 mm) and the mean PCK
  over thresholds ``linspace(0, 150, 31)``.
* :func:`mpjve` / :func:`acceleration_error`: velocity and acceleration errors over consecutive frames of each
  sequence (mm per frame, mm per frame²), how smooth predictions on video are.
* :func:`evaluate_predictions` gathers them (overall and per action) and :func:`per_action_markdown` prints the
  paper's Tables 4-5 layout.

All pose arrays are ``(N, J, 3)`` in millimetres. Predictions of any model reach these through
:func:`graphsh_tf.evaluate.score` (which centres them on the root first).
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence

import numpy as np


class MetricsInputError(ValueError):
    """Predictions and ground truth cannot be compared; the message names the shapes and the fix."""


#: Human3.6M actions in the column order of the paper's Tables 4-5, with the short column labels.
H36M_ACTIONS = ("Directions", "Discussion", "Eating", "Greeting", "Phoning", "Photo", "Posing", "Purchases",
                "Sitting", "SittingDown", "Smoking", "Waiting", "WalkDog", "Walking", "WalkTogether")
H36M_ACTION_LABELS = ("Direct.", "Discuss", "Eating", "Greet", "Phone", "Photo", "Pose", "Purch.", "Sitting",
                      "SittingD.", "Smoke", "Wait", "WalkD.", "Walk", "WalkT.")
#: Spellings found in Human3.6M releases, mapped to the names of :data:`H36M_ACTIONS`.
_H36M_ALIASES = {"TakingPhoto": "Photo", "WalkingDog": "WalkDog", "WalkingTogether": "WalkTogether"}


# --- validation ------------------------------------------------------------------------------------------------

def _check_pair(pred: np.ndarray, true: np.ndarray, what: str = "poses") -> tuple:
    """Both arrays as float64 ``(N, J, 3)``; ValueError naming the shapes otherwise."""
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(true, dtype=np.float64)
    if p.ndim == 2:
        p = p[None]
    if t.ndim == 2:
        t = t[None]
    if p.shape != t.shape or p.ndim != 3 or p.shape[-1] not in (2, 3):
        raise MetricsInputError(f"{what}: prediction shape {np.shape(pred)} and ground-truth shape {np.shape(true)} "
                                "must be equal and (N, J, 3) (or (J, 3) for one pose)")
    if p.shape[0] == 0 or p.shape[1] == 0:
        raise MetricsInputError(f"{what}: empty arrays (shape {p.shape}); pass at least one pose with one joint")
    if not (np.isfinite(p).all() and np.isfinite(t).all()):
        raise MetricsInputError(f"{what}: non-finite values (NaN/inf) in prediction {p.shape} or ground truth "
                                f"{t.shape}; drop or repair those poses before evaluating")
    return p, t


def _joint_errors(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Per-joint Euclidean errors ``(N, J)`` of validated arrays."""
    return np.linalg.norm(pred - true, axis=-1)


# --- protocol #1 and #2 ----------------------------------------------------------------------------------------

def per_pose_mpjpe(pred_mm, true_mm) -> np.ndarray:
    """Mean joint error of each pose, ``(N,)`` in mm."""
    p, t = _check_pair(pred_mm, true_mm)
    return _joint_errors(p, t).mean(axis=1)


def mpjpe(pred_mm, true_mm) -> float:
    """Protocol #1: mean over poses and joints of the L2 joint error, in mm. Inputs ``(N, J, 3)``."""
    p, t = _check_pair(pred_mm, true_mm)
    return float(_joint_errors(p, t).mean())


def procrustes_align(pred, true) -> np.ndarray:
    """Each predicted pose mapped onto its ground truth by the best similarity transform.

    ``pred``, ``true``: ``(N, J, 3)``. Returns ``(N, J, 3)`` = ``s * R @ pred + t`` minimising the squared error,
    with ``R`` a proper rotation (when the optimal orthogonal map is a reflection, the last singular direction is
    flipped, as in the usual P-MPJPE code).
    """
    p, t = _check_pair(pred, true)
    mu_p = p.mean(axis=1, keepdims=True)
    mu_t = t.mean(axis=1, keepdims=True)
    p0 = p - mu_p
    t0 = t - mu_t
    norm_p = np.sqrt((p0 ** 2).sum(axis=(1, 2), keepdims=True))
    norm_t = np.sqrt((t0 ** 2).sum(axis=(1, 2), keepdims=True))
    norm_p = np.where(norm_p > 0, norm_p, 1.0)  # a degenerate (collapsed) pose: only translation is fitted
    norm_t = np.where(norm_t > 0, norm_t, 1.0)
    p0 = p0 / norm_p
    t0 = t0 / norm_t
    h = np.matmul(np.transpose(t0, (0, 2, 1)), p0)  # (N, 3, 3)
    u, s, vt = np.linalg.svd(h)
    v = np.transpose(vt, (0, 2, 1))
    r = np.matmul(v, np.transpose(u, (0, 2, 1)))
    # remove reflections: flip the sign of the last column of V (and of the last singular value)
    sign = np.sign(np.expand_dims(np.linalg.det(r), axis=1))
    sign = np.where(sign == 0, 1.0, sign)
    v[:, :, -1] *= sign
    s[:, -1] *= sign[:, 0]
    r = np.matmul(v, np.transpose(u, (0, 2, 1)))
    tr = np.expand_dims(s.sum(axis=1, keepdims=True), axis=2)
    a = tr * norm_t / norm_p  # uniform scale
    trans = mu_t - a * np.matmul(mu_p, r)
    return a * np.matmul(p, r) + trans


def p_mpjpe(pred_mm, true_mm) -> float:
    """Protocol #2: MPJPE after :func:`procrustes_align`, in mm."""
    p, t = _check_pair(pred_mm, true_mm)
    return float(_joint_errors(procrustes_align(p, t), t).mean())


# --- PCK / AUC -------------------------------------------------------------------------------------------------

def pck(pred_mm, true_mm, threshold_mm: float = 150.0) -> float:
    """Percentage (0..100) of joints whose error is below ``threshold_mm`` (MPI-INF-3DHP 3DPCK)."""
    p, t = _check_pair(pred_mm, true_mm)
    return float((_joint_errors(p, t) < threshold_mm).mean() * 100.0)


def auc(pred_mm, true_mm, max_mm: float = 150.0, steps: int = 31) -> float:
    """Mean PCK (percent) over the thresholds ``linspace(0, max_mm, steps)``."""
    p, t = _check_pair(pred_mm, true_mm)
    err = _joint_errors(p, t).ravel()
    thresholds = np.linspace(0.0, max_mm, steps)
    return float(np.mean([(err < th).mean() * 100.0 for th in thresholds]))


def mean_pose_mpjpe(train_true_mm, test_true_mm) -> float:
    """MPJPE of the constant predictor "the mean training pose" on the test poses (a sanity baseline), mm."""
    train = np.asarray(train_true_mm, dtype=np.float64)
    if train.ndim != 3 or train.shape[0] == 0 or not np.isfinite(train).all():
        raise MetricsInputError(f"mean-pose baseline: training poses must be finite (N, J, 3), got {train.shape}")
    test = np.asarray(test_true_mm, dtype=np.float64)
    mean_pose = train.mean(axis=0)
    if test.ndim != 3 or test.shape[1:] != mean_pose.shape:
        raise MetricsInputError(f"mean-pose baseline: training poses {train.shape} and test poses {test.shape} "
                                "must share the (J, 3) joint shape")
    return mpjpe(np.broadcast_to(mean_pose, test.shape), test)


# --- motion: velocity and acceleration errors -------------------------------------------------------------------

def _sequence_runs(n: int, sequences) -> List[tuple]:
    """``[(start, stop)]`` row ranges of the runs of equal consecutive labels (one run of all rows without)."""
    if sequences is None:
        return [(0, n)]
    labels = np.asarray(sequences)
    if labels.shape != (n,):
        raise MetricsInputError(f"sequences: got {labels.shape[0] if labels.ndim else 0} labels for {n} poses; pass "
                                "one sequence label per pose (rows of a sequence consecutive, in frame order)")
    cut = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    bounds = np.concatenate([[0], cut, [n]])
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


def _difference_errors(p: np.ndarray, t: np.ndarray, sequences, order: int) -> np.ndarray:
    """Per-joint errors of the ``order``-th finite difference over frames (1: velocity, 2: acceleration), taken
    within each sequence only, ``(M, J)``."""
    errs = []
    for a, b in _sequence_runs(len(p), sequences):
        if b - a > order:
            d = np.diff(p[a:b], n=order, axis=0) - np.diff(t[a:b], n=order, axis=0)
            errs.append(np.linalg.norm(d, axis=-1))
    return np.concatenate(errs) if errs else np.zeros((0, p.shape[1]))


def mpjve(pred_mm, true_mm, sequences=None) -> Optional[float]:
    """Mean per-joint velocity error, mm per frame: the mean over consecutive frame pairs of each sequence and over
    joints of ``|(p_t - p_{t-1}) - (g_t - g_{t-1})|``. ``sequences``: one label per pose (rows of a sequence
    consecutive, in frame order; None: one sequence). None when no sequence has two frames."""
    p, t = _check_pair(pred_mm, true_mm)
    err = _difference_errors(p, t, sequences, 1)
    return float(err.mean()) if err.size else None


def acceleration_error(pred_mm, true_mm, sequences=None) -> Optional[float]:
    """Mean per-joint acceleration error, mm per frame²: as :func:`mpjve` on the second difference
    ``p_{t+1} - 2 p_t + p_{t-1}`` (the jitter measure of HMMR and VIBE). None when no sequence has three frames."""
    p, t = _check_pair(pred_mm, true_mm)
    err = _difference_errors(p, t, sequences, 2)
    return float(err.mean()) if err.size else None


# --- per action ------------------------------------------------------------------------------------------------

def canonical_action(name: str) -> str:
    """Action name without the take suffix (``"Directions 1"`` -> ``"Directions"``), H36M aliases unified."""
    base = re.sub(r"[\s_-]*\d+$", "", str(name).strip()) or str(name).strip()
    return _H36M_ALIASES.get(base, base)


def evaluate_predictions(pred_mm, true_mm, actions: Optional[Sequence[str]] = None,
                         train_true_mm=None, sequences: Optional[Sequence[str]] = None) -> Dict:
    """All metrics of a prediction set.

    ``pred_mm``, ``true_mm``: ``(N, J, 3)`` mm. ``actions``: optional ``N`` action names; takes of one action
    (``"Walking 1"``, ``"Walking"``) are pooled by :func:`canonical_action`. ``train_true_mm``: optional training
    poses for the mean-pose baseline. ``sequences``: optional ``N`` sequence labels (rows of a sequence consecutive,
    in frame order) for the motion errors ``mpjve_mm`` (:func:`mpjve`) and ``accel_mm``
    (:func:`acceleration_error`), added when given.

    Returns ``{"mpjpe_mm", "p_mpjpe_mm", "pck150", "auc", "n_poses", "per_action": {action: {"mpjpe_mm",
    "p_mpjpe_mm", "n_poses"}}}`` plus ``"mean_pose_mpjpe_mm"`` when ``train_true_mm`` is given. The overall
    numbers pool all poses; :func:`per_action_markdown`'s Avg column is the mean over actions, as in the paper.
    """
    p, t = _check_pair(pred_mm, true_mm)
    err = _joint_errors(p, t)
    err_aligned = _joint_errors(procrustes_align(p, t), t)
    result: Dict = {
        "mpjpe_mm": float(err.mean()),
        "p_mpjpe_mm": float(err_aligned.mean()),
        "pck150": float((err < 150.0).mean() * 100.0),
        "auc": float(np.mean([(err < th).mean() * 100.0 for th in np.linspace(0.0, 150.0, 31)])),
        "n_poses": int(p.shape[0]),
        "per_action": {},
    }
    if actions is not None:
        names = np.asarray([canonical_action(a) for a in actions])
        if names.shape != (p.shape[0],):
            raise MetricsInputError(f"actions: got {names.shape[0] if names.ndim else 0} names for {p.shape[0]} "
                                    "poses; pass one action name per pose")
        for name in sorted(set(names.tolist())):
            mask = names == name
            result["per_action"][name] = {
                "mpjpe_mm": float(err[mask].mean()),
                "p_mpjpe_mm": float(err_aligned[mask].mean()),
                "n_poses": int(mask.sum()),
            }
    if train_true_mm is not None:
        result["mean_pose_mpjpe_mm"] = mean_pose_mpjpe(train_true_mm, t)
    if sequences is not None:
        result["mpjve_mm"] = mpjve(p, t, sequences)
        result["accel_mm"] = acceleration_error(p, t, sequences)
    return result


def _action_columns(per_action: Dict) -> List[tuple]:
    """(key, label) pairs: H36M order and short labels when the actions are H36M's, sorted names otherwise."""
    keys = list(per_action)
    if keys and set(keys) <= set(H36M_ACTIONS):
        return [(a, lab) for a, lab in zip(H36M_ACTIONS, H36M_ACTION_LABELS) if a in per_action]
    return [(k, k) for k in sorted(keys)]


def per_action_markdown(result: Dict, title: str = "") -> str:
    """A markdown table in the layout of the paper's Tables 4-5.

    One row per protocol (Protocol #1 MPJPE, Protocol #2 P-MPJPE), one column per action, last column Avg (mean over
    the action columns). Without per-action results, a single Avg column with the pooled numbers.
    """
    per_action = result.get("per_action") or {}
    columns = _action_columns(per_action)
    rows = []
    for label, key in (("Protocol #1 (MPJPE)", "mpjpe_mm"), ("Protocol #2 (P-MPJPE)", "p_mpjpe_mm")):
        values = [per_action[a][key] for a, _ in columns]
        avg = float(np.mean(values)) if values else float(result[key])
        rows.append([label] + [f"{v:.1f}" for v in values] + [f"{avg:.1f}"])
    header = ["Protocol"] + [lab for _, lab in columns] + ["Avg"]
    lines = []
    if title:
        lines += [f"**{title}**", ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


# --- per action, for a terminal ---------------------------------------------------------------------------------

def _pooled(rows: List[Dict]) -> Dict:
    """Pose-weighted means of per-action rows: the numbers of the pooled poses."""
    n = sum(r["n_poses"] for r in rows)
    return {key: sum(r[key] * r["n_poses"] for r in rows) / max(n, 1) for key in ("mpjpe_mm", "p_mpjpe_mm")} | {
        "n_poses": n}


def group_actions(per_action: Dict, max_rows: int = 20) -> tuple:
    """Group many per-action rows by name for a terminal: ``(groups, pooled_over)``.

    Names split at ``_`` into the same number of parts (``dataset-1_bow_childish``: prefix, action, style) are
    grouped by all varying parts but one: the last varying part (the style, for Bandai-Namco clip names) when that
    leaves at most ``max_rows`` groups, else the one before it, and so on; each group pools its clips' poses.
    ``groups``: ``{label: {"mpjpe_mm", "p_mpjpe_mm", "n_poses", "members"}}``; ``pooled_over``: the values of the
    part left out. Returns ``(None, None)`` when the names have no such structure or no grouping fits."""
    names = list(per_action)
    parts = [n.split("_") for n in names]
    if len(names) <= 1 or len({len(p) for p in parts}) != 1:
        return None, None
    varying = [i for i in range(len(parts[0])) if len({p[i] for p in parts}) > 1]
    best = None
    for drop in reversed(varying) if len(varying) >= 2 else ():
        keys = ["_".join(p[i] for i in varying if i != drop) for p in parts]
        if 1 < len(set(keys)) <= max_rows:
            best = (drop, keys)
            break
    if best is None:
        return None, None
    drop, keys = best
    groups: Dict[str, Dict] = {}
    for name, key in zip(names, keys):
        groups.setdefault(key, {"members": []})["members"].append(name)
    for g in groups.values():
        g.update(_pooled([per_action[m] for m in g["members"]]))
    return groups, sorted({p[drop] for p in parts})


def per_action_terminal(result: Dict, width: int = 80, max_rows: int = 20, few: int = 5, full_table: str = ""
                        ) -> str:
    """The per-action numbers as a table a terminal shows (at most ``width`` columns, about ``max_rows`` rows):
    one row per action when they fit; else grouped by name (:func:`group_actions`); else the ``few`` worst and
    best actions. ``full_table`` names where the full table is (a file, or how to write one), said when rows
    were grouped or cut. Empty without per-action results."""
    per_action = result.get("per_action") or {}
    if not per_action:
        return ""
    columns = _action_columns(per_action)
    rows = [(label, per_action[key]) for key, label in columns]
    note = ""
    cut = False
    if len(rows) > max_rows:
        groups, pooled_over = group_actions(per_action, max_rows)
        if groups is not None:
            shown = ", ".join(pooled_over[:4]) + (f" and {len(pooled_over) - 4} more" if len(pooled_over) > 4 else "")
            note = f"{len(rows)} actions in {len(groups)} groups by name, each pooled over {shown}"
            rows = sorted(groups.items())
        else:
            ranked = sorted(rows, key=lambda r: r[1]["mpjpe_mm"])
            note = f"{len(rows)} actions: the {few} worst and the {few} best by MPJPE"
            rows = ranked[::-1][:few] + [("...", None)] + ranked[:few][::-1]
            cut = True
    import textwrap

    avg = {key: float(np.mean([v[key] for v in per_action.values()])) for key in ("mpjpe_mm", "p_mpjpe_mm")}
    mean_label = f"mean of {len(per_action)} actions"
    label_w = min(max([len(str(r[0])) for r in rows] + [len(mean_label)]), width - 30)
    lines = textwrap.wrap("Per action, mm" + (f" ({note})" if note else "") + ":", width)
    lines.append(f"{'action':<{label_w}}  {'MPJPE':>7}  {'P-MPJPE':>7}  {'poses':>7}")
    for label, r in rows:
        label = str(label) if len(str(label)) <= label_w else str(label)[:label_w - 1] + "~"
        if r is None:
            lines.append(label)
            continue
        lines.append(f"{label:<{label_w}}  {r['mpjpe_mm']:7.1f}  {r['p_mpjpe_mm']:7.1f}  {r['n_poses']:7d}")
    lines.append(f"{mean_label:<{label_w}}  {avg['mpjpe_mm']:7.1f}  {avg['p_mpjpe_mm']:7.1f}")
    lines = [line[:width] for line in lines]
    if (note or cut) and full_table:
        lines.append(f"all {len(per_action)} actions: {full_table}")     # a path is never cut
    return "\n".join(lines) + "\n"
