"""How pixels become model inputs and model outputs become millimetres.

Inputs: 2D keypoints in pixels are mapped to the screen-normalized frame of VideoPose3D: ``x`` in [-1, 1] across
the image width, ``y`` scaled by the same factor (``w / 2``) so the aspect ratio is kept:
``u = 2 * x / w - 1``, ``v = 2 * y / w - h / w``.

Outputs: the network (like the reference) predicts root-relative camera-space joints in metres; data sets carry
millimetres. ``MM_PER_MODEL_UNIT`` converts between them (every ``.tflite`` has it folded in: it outputs mm).

int8 tensors (the one codec, used by the TFLite runtime, the keypoint adapters' model input and, mirrored, by the
Java port android_demo/lifter-core ``Quantization`` and the golden vectors of tools/write_golden.py):
``q = clip(round(x / scale) + zero_point, -128, 127)`` with ties rounded AWAY FROM ZERO (``sign(v) * floor(|v| +
0.5)``, as TFLite's reference kernels round), and ``x = (q - zero_point) * scale`` computed in float64.
"""
from __future__ import annotations

import numpy as np

#: Millimetres per metre; the model's unit is the metre (the reference's), and VideoPose3D 3D files are in metres.
MM_PER_M = 1000.0
MM_PER_MODEL_UNIT = MM_PER_M


def normalize_screen_coordinates(xy: np.ndarray, w: float, h: float) -> np.ndarray:
    """Pixels ``(..., 2)`` → normalized screen coordinates (x in [-1, 1], aspect kept)."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.shape[-1] != 2:
        raise ValueError(f"expected 2D points with last dimension 2, got shape {xy.shape}")
    return (xy / w * 2.0 - np.array([1.0, h / w])).astype(np.float32)


#: The Human3.6M cameras' focal length in the normalized frame above (``2 f / w``: fx ≈ 1147 px at w = 1000 px).
#: A model trained on Human3.6M (or on BVH / synthetic data through its cameras) has learnt this field of view.
H36M_FOCAL_NORM = 2.0 * 1147.0 / 1000.0


def normalize_with_intrinsics(xy: np.ndarray, intrinsics, focal_norm: float = H36M_FOCAL_NORM) -> np.ndarray:
    """Pixels ``(..., 2)`` of a camera with ``intrinsics`` ``(fx, fy, cx, cy)`` → the normalized coordinates the same
    viewing RAYS would have in a camera of normalized focal ``focal_norm`` centred on its image:
    ``u = focal_norm (x - cx) / fx``, ``v = focal_norm (y - cy) / fy``. A phone's wide-angle image of a person thus
    looks to the model as the training cameras would have seen that person at the same place."""
    xy = np.asarray(xy, dtype=np.float64)
    k = np.asarray(intrinsics, dtype=np.float64).reshape(-1)
    if xy.shape[-1] != 2 or k.shape != (4,) or not np.all(np.isfinite(k)) or k[0] <= 0 or k[1] <= 0:
        raise ValueError(f"normalize_with_intrinsics: points (..., 2) and intrinsics (fx, fy, cx, cy) with fx, fy > 0; "
                         f"got {xy.shape} and {k.tolist()}")
    return (focal_norm * (xy - k[2:]) / k[:2]).astype(np.float32)


#: The smallest pose scale :func:`pose_normalize` divides by (a pose with every joint on the hip maps to zeros).
POSE_NORM_EPS = 1e-6


def pose_normalize(x: np.ndarray) -> np.ndarray:
    """Normalized coordinates ``(..., 16, 2)`` → the input of a model with ``input_norm="pose"``: centred on joint 0
    (the hip) and divided by the pose's largest absolute hip offset over joints and both axes,
    ``u = (x - x_hip) / max(max |x - x_hip|, POSE_NORM_EPS)``, so every pose spans [-1, 1] (the hip is at 0).
    Computed in float64, returned as float32. The model's first layer (:class:`graphsh_tf.layers.PoseNormalize`)
    computes the same in TensorFlow; its ``.tflite`` files start after it, so runtimes apply this function (the
    Java / JavaScript ports mirror it)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[-1] != 2:
        raise ValueError(f"pose_normalize: expected poses (..., joints, 2), got shape {x.shape}")
    d = x - x[..., :1, :]
    s = np.maximum(np.abs(d).max(axis=(-2, -1), keepdims=True), POSE_NORM_EPS)
    return (d / s).astype(np.float32)


def image_coordinates(uv: np.ndarray, w: float, h: float) -> np.ndarray:
    """Inverse of :func:`normalize_screen_coordinates`: normalized coordinates ``(..., 2)`` → pixels."""
    uv = np.asarray(uv, dtype=np.float64)
    if uv.shape[-1] != 2:
        raise ValueError(f"expected 2D points with last dimension 2, got shape {uv.shape}")
    return ((uv + np.array([1.0, h / w])) * w / 2.0).astype(np.float32)


def mm_to_model(poses_mm: np.ndarray) -> np.ndarray:
    return (np.asarray(poses_mm, dtype=np.float32) / MM_PER_MODEL_UNIT).astype(np.float32)


def model_to_mm(poses: np.ndarray) -> np.ndarray:
    return (np.asarray(poses, dtype=np.float32) * MM_PER_MODEL_UNIT).astype(np.float32)


def quantize(x, scale: float, zero_point: int) -> np.ndarray:
    """int8 ``q = clip(round(x / scale) + zero_point, -128, 127)``; ties round away from zero (as TFLite does)."""
    v = np.asarray(x, dtype=np.float64) / float(scale)
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)
    return np.clip(r + int(zero_point), -128, 127).astype(np.int8)


def dequantize(q, scale: float, zero_point: int) -> np.ndarray:
    """``(q - zero_point) * scale`` as float32 (computed in float64)."""
    return ((np.asarray(q, dtype=np.float64) - int(zero_point)) * float(scale)).astype(np.float32)
