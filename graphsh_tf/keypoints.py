"""From 2D detector keypoints (pixels) to the model's H36M-16 input, and from model output to millimetres.

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

import json
import os
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np

from graphsh_tf import skeleton
from graphsh_tf.data.normalize import normalize_screen_coordinates


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


def _adapt(xy: np.ndarray, scores: np.ndarray, min_score: float,
           sources: Dict[int, Tuple[Tuple[int, ...], int]]) -> Tuple[np.ndarray, np.ndarray]:
    """Core of the adapters on validated ``(..., K, 2)`` / ``(..., K)`` arrays (float64)."""
    present = np.isfinite(xy).all(axis=-1) & np.isfinite(scores) & (scores > 0) & (scores >= min_score)
    xy0 = np.where(present[..., None], xy, 0.0)
    batch = xy.shape[:-2]
    out = np.zeros(batch + (H36M.num_joints, 2))
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
    return _adapt(xy, s, min_score, COCO17_SOURCES)


def mediapipe33_to_h36m16(kpts, scores=None, min_score: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """MediaPipe-33 pixels ``(..., 33, 2|3)`` (convert its [0, 1] image coordinates to pixels first; use its
    visibility as score) → H36M-16 pixels ``(..., 16, 2)`` and confidences ``(..., 16)`` (float64)."""
    xy, s = split_keypoints(kpts, scores, skeleton.MEDIAPIPE33.num_joints, "mediapipe33")
    return _adapt(xy, s, min_score, MEDIAPIPE33_SOURCES)


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


def adapt(kpts, layout: str, scores=None, min_score: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """Dispatch on ``layout`` (a key of :data:`ADAPTERS`)."""
    if layout not in ADAPTERS:
        raise KeypointError(f"unknown keypoint layout {layout!r}; use one of {sorted(ADAPTERS)}")
    return ADAPTERS[layout](kpts, scores=scores, min_score=min_score)


# --- model input / output ----------------------------------------------------------------------------------------

def quantize(x, scale: float, zero_point: int) -> np.ndarray:
    """int8 ``q = clip(round(x / scale) + zero_point, -128, 127)``; ties round away from zero (as TFLite does)."""
    v = np.asarray(x, dtype=np.float64) / float(scale)
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)
    return np.clip(r + int(zero_point), -128, 127).astype(np.int8)


def dequantize(q, scale: float, zero_point: int) -> np.ndarray:
    """``(q - zero_point) * scale`` as float32 (computed in float64)."""
    return ((np.asarray(q, dtype=np.float64) - int(zero_point)) * float(scale)).astype(np.float32)


def prepare_input(kpts_px, w: float, h: float, layout: str = "coco17", scores=None, min_score: float = 0.0,
                  quant: Optional[dict] = None) -> np.ndarray:
    """Detector pixels → model input.

    ``kpts_px``: ``(K, 2|3)`` for one pose or ``(N, K, 2|3)``. Returns ``(1, 16, 2)`` / ``(N, 16, 2)``: float32
    normalized screen coordinates (``u = 2x/w - 1``, ``v = 2y/w - h/w``), or int8 when ``quant`` is
    ``{"scale": float, "zero_point": int}``.
    """
    if not (np.isfinite(w) and np.isfinite(h) and w > 0 and h > 0):
        raise KeypointError(f"image_size: width and height must be positive pixels, got ({w}, {h})")
    xy, _ = adapt(kpts_px, layout, scores=scores, min_score=min_score)
    if xy.ndim == 2:
        xy = xy[None]
    if xy.ndim != 3:
        raise KeypointError(f"{layout} keypoints: expected one pose (K, C) or a batch (N, K, C), got {xy.shape}")
    u = normalize_screen_coordinates(xy, w, h)
    if quant is None:
        return u.astype(np.float32)
    return quantize(u.astype(np.float64), quant["scale"], quant["zero_point"])


def decode_output(raw, quant: Optional[dict] = None) -> np.ndarray:
    """Model output ``(..., 16, 3)`` (already mm) → float32 mm; int8 outputs are dequantized with ``quant``."""
    a = np.asarray(raw)
    if a.ndim < 2 or a.shape[-2:] != (H36M.num_joints, 3):
        raise KeypointError(f"model output: expected shape (..., 16, 3), got {a.shape}")
    if quant is None:
        return a.astype(np.float32)
    return dequantize(a, quant["scale"], quant["zero_point"])


# --- sidecar + Lifter ---------------------------------------------------------------------------------------------

SIDECAR_FORMAT = "graphsh-tflite/1"
NORMALIZATION = "u = 2*x/w - 1, v = 2*y/w - h/w"


def sidecar_path(tflite_path) -> Path:
    """``graphsh_fp32.tflite`` → ``graphsh_fp32.json``."""
    return Path(tflite_path).with_suffix(".json")


def _tensor_spec(meta: dict, key: str, shape: list, source: str) -> Optional[dict]:
    """Validated quantization dict (or None) of ``meta[key]``."""
    spec = meta.get(key)
    if not isinstance(spec, dict):
        raise KeypointError(f"{source}: field '{key}' missing; re-export the model with tflite/convert.py")
    if list(spec.get("shape", [])) != shape:
        raise KeypointError(f"{source}: field '{key}.shape' is {spec.get('shape')}, expected {shape}")
    dtype = spec.get("dtype")
    quant = spec.get("quantization")
    if dtype not in ("float32", "int8"):
        raise KeypointError(f"{source}: field '{key}.dtype' is {dtype!r}, expected 'float32' or 'int8'")
    if dtype == "int8":
        if not (isinstance(quant, dict) and "scale" in quant and "zero_point" in quant and float(quant["scale"]) > 0):
            raise KeypointError(f"{source}: field '{key}.quantization' must be {{'scale': >0, 'zero_point': int}} "
                                f"for an int8 tensor, got {quant!r}")
        return {"scale": float(quant["scale"]), "zero_point": int(quant["zero_point"])}
    return None


def read_sidecar(tflite_path) -> dict:
    """Validated sidecar JSON of a ``.tflite`` file; adds ``"_input_quant"`` and ``"_output_quant"``."""
    path = sidecar_path(tflite_path)
    if not path.is_file():
        raise KeypointError(f"{path}: sidecar JSON not found next to {tflite_path}; export writes it (copy it along)")
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise KeypointError(f"{path}: not valid JSON ({e}); re-export the model") from None
    if not isinstance(meta, dict) or meta.get("format") != SIDECAR_FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else None
        raise KeypointError(f"{path}: field 'format' is {got!r}, expected {SIDECAR_FORMAT!r}")
    if meta.get("layout") != "h36m16":
        raise KeypointError(f"{path}: field 'layout' is {meta.get('layout')!r}, expected 'h36m16'")
    meta["_input_quant"] = _tensor_spec(meta, "input", [1, H36M.num_joints, 2], str(path))
    meta["_output_quant"] = _tensor_spec(meta, "output", [1, H36M.num_joints, 3], str(path))
    norm = str(meta["input"].get("normalization", NORMALIZATION)).replace(" ", "")
    if norm != NORMALIZATION.replace(" ", ""):
        raise KeypointError(f"{path}: field 'input.normalization' is {meta['input'].get('normalization')!r}; "
                            f"this runtime implements only {NORMALIZATION!r}")
    if meta["output"].get("unit", "mm") != "mm":
        raise KeypointError(f"{path}: field 'output.unit' is {meta['output'].get('unit')!r}, expected 'mm'")
    return meta


class Lifter:
    """One call from detector pixels to root-relative 3D joints in mm, with a ``.tflite`` + sidecar JSON.

    >>> lifter = Lifter("runs/x/graphsh_fp32.tflite", layout="coco17")
    >>> joints_mm = lifter(keypoints_px, image_size=(1280, 720), scores=scores)   # (16, 3)

    ``last_confidence`` holds the per-joint confidences ``(16,)`` / ``(N, 16)`` of the last call.
    """

    def __init__(self, tflite_path, layout: str = "coco17", num_threads: int = 1, min_score: float = 0.0):
        if layout not in ADAPTERS:
            raise KeypointError(f"unknown keypoint layout {layout!r}; use one of {sorted(ADAPTERS)}")
        if not os.path.isfile(tflite_path):
            raise KeypointError(f"{tflite_path}: model file not found")
        self.meta = read_sidecar(tflite_path)
        self.layout = layout
        self.min_score = float(min_score)
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=str(tflite_path), num_threads=int(num_threads))
        try:
            self._runner = self._interpreter.get_signature_runner("lift")
        except ValueError as e:
            raise KeypointError(f"{tflite_path}: no signature 'lift' ({e}); re-export the model") from None
        self._in_name = self.meta["input"].get("name", "keypoints_2d")
        self._out_name = self.meta["output"].get("name", "joints_3d")
        self._check_signature(tflite_path)
        self.last_confidence: Optional[np.ndarray] = None

    def _check_signature(self, tflite_path) -> None:
        """The sidecar's tensor names and dtypes must be those of the model's "lift" signature."""
        for key, details in (("input", self._runner.get_input_details()),
                             ("output", self._runner.get_output_details())):
            name = self.meta[key].get("name", "keypoints_2d" if key == "input" else "joints_3d")
            if name not in details:
                raise KeypointError(f"{sidecar_path(tflite_path)}: field '{key}.name' is {name!r} but the 'lift' "
                                    f"signature has {sorted(details)}; re-export the model")
            actual = np.dtype(details[name]["dtype"]).name
            if actual != self.meta[key]["dtype"]:
                raise KeypointError(f"{sidecar_path(tflite_path)}: field '{key}.dtype' is "
                                    f"{self.meta[key]['dtype']!r} but the model's tensor is {actual!r}")

    def __call__(self, keypoints_px, image_size: Sequence[float], scores=None) -> np.ndarray:
        """``(K, 2|3)`` → ``(16, 3)`` mm, or ``(N, K, 2|3)`` → ``(N, 16, 3)`` (run one pose at a time)."""
        if len(image_size) != 2:
            raise KeypointError(f"image_size: expected (width, height) in pixels, got {image_size!r}")
        w, h = float(image_size[0]), float(image_size[1])
        single = np.ndim(keypoints_px) == 2
        x = prepare_input(keypoints_px, w, h, self.layout, scores, self.min_score, self.meta["_input_quant"])
        _, conf = adapt(keypoints_px, self.layout, scores=scores, min_score=self.min_score)
        self.last_confidence = conf
        out = np.empty((x.shape[0], H36M.num_joints, 3), dtype=np.float32)
        for i in range(x.shape[0]):
            raw = self._runner(**{self._in_name: x[i:i + 1]})[self._out_name]
            out[i] = decode_output(raw, self.meta["_output_quant"])[0]
        return out[0] if single else out
