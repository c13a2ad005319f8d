"""From 2D detector keypoints (pixels) to the model's H36M-16 joints and their confidences; the tensor they become
is :mod:`graphsh_tf.contract`'s (:func:`prepare_input` joins the two).

Layouts: COCO-17 (MoveNet, ML Kit, YOLO-pose), MediaPipe-33 (BlazePose) and H36M-16 itself (identity). Joint orders
come from :mod:`graphsh_tf.skeleton`. Detector "left" is the subject's left, as in H36M.

Mapping (every target joint is the mean of the *present* source keypoints listed)
--------------------------------------------------------------------------------------
* limbs: RHip, RKnee, RFoot = right hip, knee, ankle (feet are the ankles); likewise left; shoulders, elbows,
  wrists one to one.
* Hip (pelvis) = mean(left hip, right hip); Thorax = mean(left shoulder, right shoulder). Both inputs are required
  for a confident joint: with one of them present, the joint sits on that one with confidence 0.
* Head = mean of the present ones among {nose, left ear, right ear} (nose alone when both ears are missing; the
  ears alone when the nose is missing). One present input is enough. (The H36M "Head" marker is on the top of the
  head, a few cm above this point: a known domain gap of detector keypoints.)
* Spine = midpoint of Hip and Thorax (after the fallbacks below); confidence = min of theirs.

Confidence policy
-----------------
Input ``(..., K, 2)`` with optional ``scores`` ``(..., K)``, or ``(..., K, 3)`` whose last channel is the score
(then ``scores`` must be None). A keypoint is *present* when its coordinates are finite, its score is > 0 and
>= ``min_score``; absent scores mean 1. Output confidence of a joint = min of the scores of the inputs it used, or
0 when a required input is absent. A joint with no present input is *filled* (confidence 0) so the model input
stays finite: Hip with the mean of all present keypoints (the origin when none is), Thorax with the Spine, which
then equals the Hip, every other joint with its H36M-16 parent. The Java port (android_demo/lifter-core) mirrors
this file 1:1; tools/write_golden.py checks both agree.
"""
from __future__ import annotations

from typing import Callable, Dict, Tuple

from graphsh_tf import skeleton
from graphsh_tf.contract import InputContract

import numpy as np


class KeypointError(ValueError):
    """Keypoints or a model sidecar are malformed; the message names the shape or field and the fix."""


H36M = skeleton.H36M16
_HIP, _SPINE, _THORAX = H36M.index("Hip"), H36M.index("Spine"), H36M.index("Thorax")


def _sources(layout: skeleton.Skeleton) -> Dict[int, Tuple[Tuple[int, ...], int]]:
    """For each H36M-16 joint except Spine: (source keypoint indices, number required for confidence)."""
    k = layout.index
    mid = {"Hip": (("left_hip", "right_hip"), 2), "Thorax": (("left_shoulder", "right_shoulder"), 2),
           "Head": (("nose", "left_ear", "right_ear"), 1)}
    one = {"RHip": "right_hip", "RKnee": "right_knee", "RFoot": "right_ankle", "LHip": "left_hip",
           "LKnee": "left_knee", "LFoot": "left_ankle", "LShoulder": "left_shoulder", "LElbow": "left_elbow",
           "LWrist": "left_wrist", "RShoulder": "right_shoulder", "RElbow": "right_elbow", "RWrist": "right_wrist"}
    out = {}
    for j, name in enumerate(H36M.joint_names):
        if name in mid:
            names, required = mid[name]
            out[j] = (tuple(k(n) for n in names), required)
        elif name in one:
            out[j] = ((k(one[name]),), 1)
    return out


#: Source tables, printed into the Java port's KeypointAdapter.
COCO17_SOURCES = _sources(skeleton.COCO17)
MEDIAPIPE33_SOURCES = _sources(skeleton.MEDIAPIPE33)


def split_keypoints(kpts, scores, num_keypoints: int, layout: str) -> Tuple[np.ndarray, np.ndarray]:
    """``(xy (..., K, 2) float64, scores (..., K) float64)`` from the accepted input forms; KeypointError otherwise."""
    a = np.asarray(kpts, dtype=np.float64)
    if a.ndim < 2 or a.shape[-2] != num_keypoints or a.shape[-1] not in (2, 3):
        raise KeypointError(f"{layout} keypoints: expected shape (..., {num_keypoints}, 2) or "
                            f"(..., {num_keypoints}, 3) with scores, got {a.shape}")
    if a.shape[-1] == 3:
        if scores is not None:
            raise KeypointError(f"{layout} keypoints: shape {a.shape} already carries scores in its last channel; "
                                "pass scores=None or (..., K, 2) keypoints")
        return a[..., :2], a[..., 2]
    if scores is None:
        return a, np.ones(a.shape[:-1])
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != a.shape[:-1]:
        raise KeypointError(f"{layout} scores: expected shape {a.shape[:-1]} for keypoints {a.shape}, got {s.shape}")
    return a, s


def adapt_from_sources(xy: np.ndarray, scores: np.ndarray, min_score: float,
                       sources: Dict[int, Tuple[Tuple[int, ...], int]]) -> Tuple[np.ndarray, np.ndarray]:
    """Core of the adapters on validated ``(..., K, D)`` / ``(..., K)`` arrays (float64; D = 2 for pixels, 3 for a
    detector's 3D keypoints): ``sources`` maps each
    H36M-16 joint except Spine to (source keypoint indices, number required for confidence), as
    :data:`COCO17_SOURCES`; joints are built, and filled, as the module doc says."""
    present = np.isfinite(xy).all(axis=-1) & np.isfinite(scores) & (scores > 0) & (scores >= min_score)
    xy0 = np.where(present[..., None], xy, 0.0)
    batch = xy.shape[:-2]
    out = np.zeros(batch + (H36M.num_joints, xy.shape[-1]))
    conf = np.zeros(batch + (H36M.num_joints,))
    count = np.zeros(batch + (H36M.num_joints,), dtype=np.int64)
    for j, (src, required) in sources.items():
        idx = list(src)
        n = present[..., idx].sum(axis=-1)
        total = xy0[..., idx, :].sum(axis=-2)
        out[..., j, :] = total / np.maximum(n, 1)[..., None]
        smin = np.where(present[..., idx], scores[..., idx], np.inf).min(axis=-1)
        conf[..., j] = np.where(n >= required, smin, 0.0)
        count[..., j] = n
    # fills, in joint order (every H36M-16 parent index is smaller than its child's)
    n_all = present.sum(axis=-1)
    centroid = xy0.sum(axis=-2) / np.maximum(n_all, 1)[..., None]
    out[..., _HIP, :] = np.where((count[..., _HIP] > 0)[..., None], out[..., _HIP, :], centroid)
    for j, parent in enumerate(H36M.parents):
        if j == _HIP:
            continue
        if j == _SPINE:
            thorax = np.where((count[..., _THORAX] > 0)[..., None], out[..., _THORAX, :], out[..., _HIP, :])
            out[..., j, :] = 0.5 * (out[..., _HIP, :] + thorax)
            conf[..., j] = np.minimum(conf[..., _HIP], conf[..., _THORAX])
            continue
        out[..., j, :] = np.where((count[..., j] > 0)[..., None], out[..., j, :], out[..., parent, :])
    return out, conf


def coco17_to_h36m16(kpts, scores=None, min_score: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """COCO-17 pixels ``(..., 17, 2|3)`` → H36M-16 pixels ``(..., 16, 2)`` and confidences ``(..., 16)`` (float64)."""
    xy, s = split_keypoints(kpts, scores, skeleton.COCO17.num_joints, "coco17")
    return adapt_from_sources(xy, s, min_score, COCO17_SOURCES)


def mediapipe33_to_h36m16(kpts, scores=None, min_score: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """MediaPipe-33 pixels ``(..., 33, 2|3)`` (convert its [0, 1] image coordinates to pixels first; use its
    visibility as score) → H36M-16 pixels ``(..., 16, 2)`` and confidences ``(..., 16)`` (float64)."""
    xy, s = split_keypoints(kpts, scores, skeleton.MEDIAPIPE33.num_joints, "mediapipe33")
    return adapt_from_sources(xy, s, min_score, MEDIAPIPE33_SOURCES)


def points_to_h36m16(points, layout: str, scores=None) -> Tuple[np.ndarray, np.ndarray]:
    """A detector's keypoints in any number of dimensions ``(..., K, D)`` (e.g. BlazePose's 3D world landmarks, D =
    3) → H36M-16 ``(..., 16, D)`` and confidences by the same rules as the 2D adapters (hip and thorax the mean of
    the two hips and shoulders, head the mean of nose and ears, spine the midpoint), so a detector's own 3D has the
    joint definitions the lifter's input has."""
    sources = {"coco17": COCO17_SOURCES, "mediapipe33": MEDIAPIPE33_SOURCES}
    if layout not in sources:
        raise KeypointError(f"unknown keypoint layout {layout!r} for points; use one of {sorted(sources)}")
    a = np.asarray(points, dtype=np.float64)
    k = skeleton.COCO17.num_joints if layout == "coco17" else skeleton.MEDIAPIPE33.num_joints
    if a.ndim < 2 or a.shape[-2] != k:
        raise KeypointError(f"{layout} points: expected shape (..., {k}, D), got {a.shape}")
    s = np.ones(a.shape[:-1]) if scores is None else np.asarray(scores, dtype=np.float64)
    return adapt_from_sources(a, s, 0.0, sources[layout])


def h36m16_identity(kpts, scores=None, min_score: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """H36M-16 pixels pass through; confidences are the scores (0 below ``min_score``)."""
    xy, s = split_keypoints(kpts, scores, H36M.num_joints, "h36m16")
    present = np.isfinite(xy).all(axis=-1) & np.isfinite(s) & (s > 0) & (s >= min_score)
    if not np.isfinite(xy).all():
        raise KeypointError(f"h36m16 keypoints: non-finite coordinates in {xy.shape}; the identity layout has no "
                            "fallbacks, so pass finite pixels for all 16 joints")
    return xy.copy(), np.where(present, s, 0.0)


ADAPTERS: Dict[str, Callable] = {"coco17": coco17_to_h36m16, "mediapipe33": mediapipe33_to_h36m16,
                                 "h36m16": h36m16_identity}


def check_min_score(min_score) -> float:
    """``min_score`` as a float in [0, 1]; :class:`KeypointError` naming it otherwise (a NaN would silently treat
    every keypoint as missing, a value above 1 every detector score)."""
    try:
        value = float(min_score)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(min_score, bool) or not 0.0 <= value <= 1.0:
        raise KeypointError(f"min_score={min_score!r}: must be a number between 0 and 1 (the detector score below "
                            "which a keypoint counts as missing; 0 keeps every keypoint with a positive score)")
    return value


def adapt(kpts, layout: str, scores=None, min_score: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """Dispatch on ``layout`` (a key of :data:`ADAPTERS`); ``min_score`` outside [0, 1] is a KeypointError."""
    if layout not in ADAPTERS:
        raise KeypointError(f"unknown keypoint layout {layout!r}; use one of {sorted(ADAPTERS)}")
    return ADAPTERS[layout](kpts, scores=scores, min_score=check_min_score(min_score))


# --- model input ---------------------------------------------------------------------------------------------------

def prepare_input(kpts_px, w: float, h: float, layout: str = "coco17", scores=None, min_score: float = 0.0,
                  contract: InputContract = InputContract(),  # noqa: B008 (frozen, immutable)
                  intrinsics=None) -> np.ndarray:
    """Detector pixels ``(K, 2|3)`` of one pose or ``(N, K, 2|3)`` → the model input ``(N, 16, C)`` of ``contract``
    (:meth:`graphsh_tf.contract.InputContract.encode`: the screen frame, or the camera's rays with ``intrinsics``
    ``(fx, fy, cx, cy)``; the model's normalization; its channels; float32 or int8). Bad image sizes, shapes or
    intrinsics are a :class:`graphsh_tf.contract.ContractError` naming them."""
    xy, conf = adapt(kpts_px, layout, scores=scores, min_score=min_score)
    return contract.encode(xy, conf, (w, h), intrinsics)
