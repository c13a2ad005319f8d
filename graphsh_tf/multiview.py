"""Calibrated cameras and multi-view triangulation: the 3D reference of the in-the-wild benchmark
(``benchmarks/in_the_wild.py``), built from a detector's 2D in several synchronized views.

* :func:`read_qca` reads a Qualisys ``.qca.txt`` calibration (the format of Pose2Sim's demos) into :class:`Camera`
  objects in OpenCV conventions (x right, y down, z forward; millimetres).
* :func:`triangulate` is the weighted linear (DLT) triangulation of many points at once; :func:`triangulate_views`
  adds outlier-view rejection per joint.
* :func:`epipolar_cost` measures how well two views' keypoints agree without any 3D, which is what frame-offset
  estimation (:func:`estimate_offset`) and person association (:func:`associate`) use.
* :func:`best_flips` picks, per view, whether the detector swapped the person's left and right, and
  :func:`chirality` says whether a triangulated body's labels are mirrored.
"""
from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

from graphsh_tf import skeleton

import numpy as np


class CalibrationError(ValueError):
    """A calibration file is missing a field or holds an impossible value; the message names both."""


@dataclass(frozen=True)
class Camera:
    """A pinhole camera: ``K`` (3x3, pixels), ``dist`` (k1, k2, p1, p2), ``R`` (3x3) and ``t`` (3,) mapping world
    millimetres to camera millimetres (``X_cam = R @ X_world + t``, OpenCV axes), image ``size`` (w, h)."""
    name: str
    size: tuple
    K: np.ndarray
    dist: np.ndarray
    R: np.ndarray
    t: np.ndarray

    @property
    def intrinsics(self) -> tuple:
        """``(fx, fy, cx, cy)`` as :class:`graphsh_tf.Lifter` takes them."""
        return (float(self.K[0, 0]), float(self.K[1, 1]), float(self.K[0, 2]), float(self.K[1, 2]))

    @property
    def P(self) -> np.ndarray:
        """3x4 projection matrix of undistorted pixels."""
        return self.K @ np.concatenate([self.R, self.t[:, None]], axis=1)

    @property
    def center(self) -> np.ndarray:
        """The camera's position in world millimetres."""
        return -self.R.T @ self.t

    def to_camera(self, x_world: np.ndarray) -> np.ndarray:
        return np.asarray(x_world) @ self.R.T + self.t

    def project(self, x_world: np.ndarray) -> np.ndarray:
        """World mm ``(..., 3)`` -> undistorted pixels ``(..., 2)``."""
        xc = self.to_camera(x_world)
        uv = xc[..., :2] / xc[..., 2:3]
        return uv * np.diag(self.K)[:2] + self.K[:2, 2]

    def undistort(self, px: np.ndarray) -> np.ndarray:
        """Detector pixels ``(..., 2)`` -> undistorted pixels (NaN stays NaN)."""
        if not np.any(self.dist):
            return np.asarray(px, dtype=np.float64)
        import cv2

        a = np.asarray(px, dtype=np.float64)
        flat = a.reshape(-1, 1, 2)
        ok = np.isfinite(flat).all(axis=-1)[:, 0]
        out = np.full_like(flat, np.nan)
        if ok.any():
            out[ok] = cv2.undistortPoints(flat[ok], self.K, self.dist, P=self.K)
        return out.reshape(a.shape)


def read_qca(path) -> List[Camera]:
    """Cameras of a Qualisys ``.qca.txt`` file, in file order. Units there: focal length and principal point in
    1/64 pixel (the principal point minus the video window's left/top), distortion coefficients also in 1/64, the
    ``transform`` x/y/z is the camera position in world mm and its rows r11..r33 map world axes to the camera's
    (z towards the scene, y up); a half turn about x gives OpenCV's y down."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        raise CalibrationError(f"{path}: not a readable Qualisys calibration ({e})") from None
    cams = []
    flip = np.diag([1.0, -1.0, -1.0])
    for i, node in enumerate(root.findall("cameras/camera")):
        where = f"{path}: camera {i} ({node.get('serial')})"
        try:
            fov, intr, tr = node.find("fov_video"), node.find("intrinsic"), node.find("transform")
            left, top = float(fov.get("left")), float(fov.get("top"))
            w = float(fov.get("right")) - left + 1
            h = float(fov.get("bottom")) - top + 1
            fx, fy = float(intr.get("focalLengthU")) / 64, float(intr.get("focalLengthV")) / 64
            cx, cy = float(intr.get("centerPointU")) / 64 - left, float(intr.get("centerPointV")) / 64 - top
            dist = np.array([float(intr.get(k)) / 64 for k in ("radialDistortion1", "radialDistortion2",
                                                                 "tangentalDistortion1", "tangentalDistortion2")])
            rows = np.array([[float(tr.get(f"r{r}{c}")) for c in (1, 2, 3)] for r in (1, 2, 3)])
            pos = np.array([float(tr.get(k)) for k in ("x", "y", "z")])
        except (AttributeError, TypeError, ValueError) as e:
            raise CalibrationError(f"{where}: missing or non-numeric fov_video/intrinsic/transform field ({e})") \
                from None
        if not (fx > 0 and fy > 0 and w > 0 and h > 0) or not np.all(np.isfinite(rows)):
            raise CalibrationError(f"{where}: focal length, image size or rotation out of range")
        R = flip @ rows
        cams.append(Camera(str(node.get("serial") or i), (int(w), int(h)),
                           np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1.0]]), dist, R, -R @ pos))
    if not cams:
        raise CalibrationError(f"{path}: no cameras/camera entries")
    return cams


def triangulate(P: np.ndarray, xy: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted DLT. ``P`` (V, 3, 4), ``xy`` (V, N, 2) undistorted pixels, ``w`` (V, N) weights (0 = unused view)
    -> ``(N, 3)`` world points; a point with fewer than two weighted views is NaN."""
    xy = np.nan_to_num(np.asarray(xy, dtype=np.float64))
    w = np.where(np.isfinite(w), w, 0.0)
    rows_x = xy[..., 0:1] * P[:, None, 2, :] - P[:, None, 0, :]           # (V, N, 4)
    rows_y = xy[..., 1:2] * P[:, None, 2, :] - P[:, None, 1, :]
    # scale rows to unit norm so a far camera does not dominate, then weight
    rows_x /= np.linalg.norm(rows_x, axis=-1, keepdims=True) + 1e-12
    rows_y /= np.linalg.norm(rows_y, axis=-1, keepdims=True) + 1e-12
    A = np.concatenate([rows_x * w[..., None], rows_y * w[..., None]], axis=0).transpose(1, 0, 2)  # (N, 2V, 4)
    _, _, vt = np.linalg.svd(A)
    X = vt[:, -1, :]
    out = X[:, :3] / np.where(np.abs(X[:, 3:]) > 1e-12, X[:, 3:], np.nan)
    out[(w > 0).sum(axis=0) < 2] = np.nan
    return out


def reprojection_px(P: np.ndarray, X: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """``(V, N)`` pixel distance between ``xy`` (V, N, 2) and the projections of ``X`` (N, 3)."""
    Xh = np.concatenate([X, np.ones(X.shape[:-1] + (1,))], axis=-1)
    proj = np.einsum("vij,nj->vni", P, Xh)
    with np.errstate(invalid="ignore", divide="ignore"):
        uv = proj[..., :2] / proj[..., 2:3]
    return np.linalg.norm(uv - xy, axis=-1)


def triangulate_views(P: np.ndarray, xy: np.ndarray, w: np.ndarray, max_px: float = 25.0):
    """Triangulate with outlier views rejected per point (RANSAC over view pairs): every pair of views that see a
    point proposes it, the proposal that the most views reproject within ``max_px`` of wins (ties: the lowest
    summed error of those views), and the point is triangulated again from those views. A point no pair explains
    uses every view that sees it. Returns ``(X (N, 3), used (V, N) bool, err (V, N) px)``."""
    has = w > 0
    n = xy.shape[1]
    best_count = np.full(n, -1)
    best_sum = np.full(n, np.inf)
    used = has.copy()
    for a, b in itertools.combinations(range(P.shape[0]), 2):
        X = triangulate(P[[a, b]], xy[[a, b]], w[[a, b]])
        err = reprojection_px(P, X, xy)
        inl = has & (err < max_px)
        count = inl.sum(axis=0)
        total = np.where(inl, err, 0.0).sum(axis=0)
        better = (count >= 2) & ((count > best_count) | ((count == best_count) & (total < best_sum)))
        used[:, better] = inl[:, better]
        best_count = np.where(better, count, best_count)
        best_sum = np.where(better, total, best_sum)
    X = triangulate(P, xy, np.where(used, w, 0.0))
    return X, used, reprojection_px(P, X, xy)


def _skew(v: np.ndarray) -> np.ndarray:
    return np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])


def fundamental(a: Camera, b: Camera) -> np.ndarray:
    """F with ``x_b^T F x_a = 0`` for undistorted pixels of the same world point."""
    R = b.R @ a.R.T
    t = b.t - R @ a.t
    return np.linalg.inv(b.K).T @ _skew(t) @ R @ np.linalg.inv(a.K)


def epipolar_cost(F: np.ndarray, xa: np.ndarray, xb: np.ndarray, ok: np.ndarray) -> float:
    """Median symmetric point-to-epipolar-line distance (px) over the joints where ``ok``; inf with fewer than 4."""
    if ok.sum() < 4:
        return float("inf")
    ha = np.concatenate([xa[ok], np.ones((ok.sum(), 1))], axis=1)
    hb = np.concatenate([xb[ok], np.ones((ok.sum(), 1))], axis=1)
    lb = ha @ F.T              # lines in b
    la = hb @ F                # lines in a
    num = np.abs(np.sum(hb * lb, axis=1))
    d = 0.5 * (num / np.linalg.norm(lb[:, :2], axis=1) + num / np.linalg.norm(la[:, :2], axis=1))
    return float(np.median(d))


def swap_left_right(xy: np.ndarray, layout: skeleton.Skeleton) -> np.ndarray:
    """The keypoints with every left/right pair exchanged (what a detector's label swap does)."""
    return xy[..., list(layout.flip_permutation()), :]


def estimate_offset(cam_a: Camera, cam_b: Camera, people_a: Sequence, people_b: Sequence, max_offset: int,
                    min_score: float = 0.5, ok_fn=None) -> tuple:
    """The frame offset ``o`` such that frame ``f`` of view a shows the instant of frame ``f + o`` of view b,
    searched in ``[-max_offset, max_offset]``: the offset whose frames' people agree best epipolarly (per frame, each
    frame's best-agreeing pair of people, left/right swaps allowed; median over frames). ``people_*`` are
    per-frame lists of ``(xy (K, 2) undistorted, scores (K,))``. Returns ``(offset, {offset: cost px})``."""
    F = fundamental(cam_a, cam_b)
    costs = {}
    for o in range(-max_offset, max_offset + 1):
        per_frame = []
        for f, pa in enumerate(people_a):
            if not 0 <= f + o < len(people_b) or not pa or not people_b[f + o]:
                continue
            # the best-agreeing pair of the frame: bystanders and missed people do not blur the signal
            best = min(_pair_cost(F, xa, sa, xb, sb, min_score) for xa, sa in pa for xb, sb in people_b[f + o])
            if np.isfinite(best):
                per_frame.append(best)
        costs[o] = float(np.median(per_frame)) if len(per_frame) >= 10 else float("inf")
    return min(costs, key=costs.get), costs


def estimate_offsets(cams: Sequence[Camera], people: Sequence[Sequence], max_offset: int,
                     min_score: float = 0.5) -> tuple:
    """Frame offsets of every view against view 0 (``o[0] = 0``; frame ``f`` of view 0 is frame ``f + o[v]`` of
    view v) that agree best over *all* pairs of views: each pair's epipolar cost per relative offset
    (:func:`estimate_offset`), then the combination minimizing the sum over pairs. Returns ``(offsets, cost)``."""
    V = len(cams)
    tables = {}
    for a, b in itertools.combinations(range(V), 2):
        tables[(a, b)] = estimate_offset(cams[a], cams[b], people[a], people[b], 2 * max_offset, min_score)[1]
    best, best_cost = None, np.inf
    for combo in itertools.product(range(-max_offset, max_offset + 1), repeat=V - 1):
        o = (0,) + combo
        c = sum(t[o[b] - o[a]] for (a, b), t in tables.items())
        if c < best_cost:
            best, best_cost = o, c
    return list(best), float(best_cost)


#: MediaPipe-33 index order with left and right exchanged
_MP_FLIP = list(skeleton.MEDIAPIPE33.flip_permutation())


def _pair_cost(F, xa, sa, xb, sb, min_score):
    """Epipolar cost of two detections, the second taken as it is or with its left/right labels swapped."""
    ok = (sa >= min_score) & (sb >= min_score)
    ok_f = (sa >= min_score) & (sb[_MP_FLIP] >= min_score)
    return min(epipolar_cost(F, xa, xb, ok), epipolar_cost(F, xa, xb[_MP_FLIP], ok_f))


def associate(cams: Sequence[Camera], people: Sequence[Sequence], max_cost_px: float = 30.0,
              min_score: float = 0.5) -> List[dict]:
    """Group one frame's detections across views into people: ``people[v]`` is view v's list of ``(xy, scores)``.
    Greedy: the pair of detections in two views with the lowest epipolar cost (swaps allowed) starts a group,
    detections of the other views join when their mean cost to the group is below ``max_cost_px``; repeat with
    what is left. Returns groups as ``{view: detection index}`` with at least two views."""
    Fs = {(a, b): fundamental(cams[a], cams[b]) for a in range(len(cams)) for b in range(len(cams)) if a != b}
    cost = {}
    for a, b in itertools.combinations(range(len(cams)), 2):
        for i, (xa, sa) in enumerate(people[a]):
            for j, (xb, sb) in enumerate(people[b]):
                c = _pair_cost(Fs[(a, b)], xa, sa, xb, sb, min_score)
                cost[(a, i, b, j)] = cost[(b, j, a, i)] = c
    used = set()
    groups = []
    while True:
        pairs = [(c, k) for k, c in cost.items() if k[0] < k[2] and (k[0], k[1]) not in used
                 and (k[2], k[3]) not in used and c < max_cost_px]
        if not pairs:
            break
        _, (a, i, b, j) = min(pairs)
        group = {a: i, b: j}
        for v in range(len(cams)):
            if v in group:
                continue
            options = [(np.mean([cost[(v, d, g, gi)] for g, gi in group.items()]), d)
                       for d in range(len(people[v])) if (v, d) not in used]
            if options:
                c, d = min(options)
                if c < max_cost_px:
                    group[v] = d
        used.update(group.items())
        groups.append(group)
    return groups


def best_flips(P: np.ndarray, xy: np.ndarray, w: np.ndarray, layout: skeleton.Skeleton) -> np.ndarray:
    """Which views' left/right labels to swap (``(V,)`` bool, view 0 never) so that the views agree best: every
    combination is triangulated and the one with the lowest sum over views of the median reprojection error wins
    (the overall labelling is then settled by :func:`chirality`)."""
    V = xy.shape[0]
    perm = list(layout.flip_permutation())
    best, best_cost = np.zeros(V, bool), np.inf
    for combo in itertools.product((False, True), repeat=V - 1):
        flips = np.array((False,) + combo)
        x = np.where(flips[:, None, None], xy[:, perm], xy)
        ww = np.where(flips[:, None], w[:, perm], w)
        X = triangulate(P, x, ww)
        err = reprojection_px(P, X, x)
        c = sum(np.nanmedian(np.where(ww[v] > 0, err[v], np.nan)) for v in range(V) if (ww[v] > 0).sum() >= 4)
        if c < best_cost:
            best, best_cost = flips, c
    return best


def chirality(X33: np.ndarray) -> float:
    """Signed check that a MediaPipe-33 body in 3D has the subject's left on its left: the forward direction
    (left x up, with left = left hip/shoulder minus right, up = shoulders minus hips) against where the nose points
    from between the ears and the toes from the heels. Positive: labels as the subject's; negative: mirrored."""
    k = skeleton.MEDIAPIPE33.index
    left = (X33[k("left_hip")] - X33[k("right_hip")]) + (X33[k("left_shoulder")] - X33[k("right_shoulder")])
    up = (X33[k("left_shoulder")] + X33[k("right_shoulder")] - X33[k("left_hip")] - X33[k("right_hip")])
    fwd = np.cross(left, up)
    fwd /= np.linalg.norm(fwd) + 1e-9
    face = X33[k("nose")] - 0.5 * (X33[k("left_ear")] + X33[k("right_ear")])
    toes = (X33[k("left_foot_index")] - X33[k("left_heel")]) + (X33[k("right_foot_index")] - X33[k("right_heel")])
    return float(np.nansum([fwd @ face / (np.linalg.norm(face) + 1e-9), fwd @ toes / (np.linalg.norm(toes) + 1e-9)]))
