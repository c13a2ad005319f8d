"""The phone runtime in Python: one object from a ``.tflite`` + sidecar that goes from detector pixels to
root-relative 3D joints in mm (what android_demo/lifter-core mirrors); each call returns a :class:`LiftResult`."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np

from graphsh_tf.keypoints import ADAPTERS, H36M, KeypointError, adapt, decode_output, encode_input
from graphsh_tf.lite.metadata import input_norm, lifter_io, read_metadata, sidecar_path


def read_sidecar(tflite_path) -> dict:
    """Validated sidecar JSON of a ``.tflite`` file (a sidecar is required); adds ``"_input_quant"`` and
    ``"_output_quant"`` (``{"scale", "zero_point"}`` or None). Raises :class:`graphsh_tf.lite.metadata.MetadataError`."""
    meta = read_metadata(tflite_path, embedded=False)
    meta["_input_quant"], meta["_output_quant"] = lifter_io(meta, str(sidecar_path(tflite_path)))
    meta["_input_norm"] = input_norm(meta, str(sidecar_path(tflite_path)))
    return meta


def _frozen(a: Optional[np.ndarray]) -> Optional[np.ndarray]:
    if a is not None:
        a.setflags(write=False)
    return a


@dataclass(frozen=True)
class LiftResult:
    """What one :class:`Lifter` call returns. For a batch of N poses every array field has a leading N axis.

    * ``joints_mm`` ``(16, 3)`` float32: the H36M-16 joints in mm, root-relative (the Hip at 0), camera axes
      (x right, y down, z forward). Always finite.
    * ``confidence`` ``(16,)`` float64: the adapters' per-joint confidence (the detector score of the keypoints a
      joint was built from; 0 for a joint that was filled, see :mod:`graphsh_tf.keypoints`).
    * ``valid`` ``bool`` (``(N,)`` bool for a batch): whether the pose is worth showing. At least
      :attr:`Lifter.MIN_PRESENT_JOINTS` of the 16 joints have confidence > 0 and no such joint lies more than half
      an image outside the image. A pose that is not valid is still lifted (the missing joints filled), never NaN.
    * ``root_mm`` ``(3,)`` float64 or None: with intrinsics, the pelvis in camera coordinates (mm), solved from the
      keypoints, ``joints_mm`` and the intrinsics (:func:`graphsh_tf.root.solve_root`, weighted by ``confidence``;
      NaN when fewer than two joints were seen); None without intrinsics. ``joints_mm + root_mm[..., None, :]`` is
      the skeleton in camera space.
    * ``keypoints_px`` ``(16, 2)`` float64: the adapted H36M-16 keypoints in pixels (what the model was fed, before
      normalization).

    The arrays are read-only.
    """

    joints_mm: np.ndarray
    confidence: np.ndarray
    valid: Union[bool, np.ndarray]
    root_mm: Optional[np.ndarray]
    keypoints_px: np.ndarray

    def __post_init__(self):
        for name in ("joints_mm", "confidence", "root_mm", "keypoints_px"):
            _frozen(getattr(self, name))
        if isinstance(self.valid, np.ndarray):
            _frozen(self.valid)


class Lifter:
    """One call from detector pixels to root-relative 3D joints in mm, with a ``.tflite`` + sidecar JSON.

    >>> lifter = Lifter("runs/x/graphsh_fp32.tflite", layout="coco17")
    >>> result = lifter(keypoints_px, image_size=(1280, 720), scores=scores)
    >>> result.joints_mm, result.confidence, result.valid       # (16, 3) mm, (16,), bool

    Every call returns a :class:`LiftResult`; the lifter keeps no per-call state. Non-finite model outputs raise
    :class:`KeypointError`.

    With ``intrinsics=(fx, fy, cx, cy)`` (pixels; or a 3x3 camera matrix) the keypoints are normalized through the
    camera (its viewing rays in the training cameras' field of view: a phone's wide-angle view then looks to the model
    like the Human3.6M cameras' view it learnt from; measured in benchmarks/README.md), and the result carries
    ``root_mm``, the pelvis position in camera coordinates.
    """

    MIN_PRESENT_JOINTS = 8

    def __init__(self, tflite_path, layout: str = "coco17", num_threads: int = 1, min_score: float = 0.0):
        if layout not in ADAPTERS:
            raise KeypointError(f"unknown keypoint layout {layout!r}; use one of {sorted(ADAPTERS)}")
        if not os.path.isfile(tflite_path):
            raise KeypointError(f"{tflite_path}: model file not found")
        self.meta = read_sidecar(tflite_path)
        self.layout = layout
        self.min_score = float(min_score)
        from ai_edge_litert.interpreter import Interpreter

        try:
            self._interpreter = Interpreter(model_path=str(tflite_path), num_threads=int(num_threads))
        except (ValueError, RuntimeError) as e:
            raise KeypointError(f"{tflite_path}: not a loadable .tflite model ({' '.join(str(e).split())[:200]}); "
                                "re-export it with tflite/convert.py") from None
        try:
            self._runner = self._interpreter.get_signature_runner("lift")
        except ValueError as e:
            raise KeypointError(f"{tflite_path}: no signature 'lift' ({e}); re-export the model") from None
        self._in_name = self.meta["input"].get("name", "keypoints_2d")
        self._out_name = self.meta["output"].get("name", "joints_3d")
        self._check_signature(tflite_path)
        self._path = str(tflite_path)

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

    def __call__(self, keypoints_px, image_size: Sequence[float], scores=None, intrinsics=None) -> LiftResult:
        """``(K, 2|3)`` keypoints of one pose, or ``(N, K, 2|3)`` of N poses (run one at a time) → a
        :class:`LiftResult`."""
        try:
            w, h = (float(v) for v in image_size)
        except (TypeError, ValueError):
            raise KeypointError(f"image_size: expected (width, height) in pixels, got {image_size!r}") from None
        single = np.ndim(keypoints_px) == 2
        k = None
        if intrinsics is not None:
            from graphsh_tf.root import intrinsics_matrix

            try:
                k = intrinsics_matrix(intrinsics)
            except ValueError as e:
                raise KeypointError(str(e)) from None
        xy, conf = adapt(keypoints_px, self.layout, scores=scores, min_score=self.min_score)   # once per call
        x = encode_input(xy, w, h, self.meta["_input_quant"], k, self.layout, self.meta["_input_norm"])
        present = conf > 0
        outside = (xy[..., 0] < -0.5 * w) | (xy[..., 0] > 1.5 * w) | (xy[..., 1] < -0.5 * h) | (xy[..., 1] > 1.5 * h)
        valid = (present.sum(axis=-1) >= self.MIN_PRESENT_JOINTS) & ~(outside & present).any(axis=-1)
        out = np.empty((x.shape[0], H36M.num_joints, 3), dtype=np.float32)
        for i in range(x.shape[0]):
            raw = self._runner(**{self._in_name: x[i:i + 1]})[self._out_name]
            out[i] = decode_output(raw, self.meta["_output_quant"])[0]
        if not np.isfinite(out).all():
            raise KeypointError(f"{self._path}: the model returned NaN/inf joints (its weights are not finite, or "
                                "the input was); re-export it from a finite run")
        roots = None
        if k is not None:
            from graphsh_tf.root import solve_root

            xy_b, conf_b = (xy[None], conf[None]) if single else (xy, conf)
            roots = np.full((len(out), 3), np.nan)
            for i in range(len(out)):
                if (conf_b[i] > 0).sum() >= 2:
                    roots[i] = solve_root(xy_b[i], out[i], k, conf_b[i])
        if single:
            return LiftResult(out[0], conf, bool(valid), None if roots is None else roots[0], xy)
        return LiftResult(out, conf, valid, roots, xy)
