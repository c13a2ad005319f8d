"""The phone runtime in Python: one object from a ``.tflite`` + sidecar that goes from detector pixels to
root-relative 3D joints in mm (what android_demo/lifter-core mirrors)."""
from __future__ import annotations

import os
from typing import Optional, Sequence

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


class Lifter:
    """One call from detector pixels to root-relative 3D joints in mm, with a ``.tflite`` + sidecar JSON.

    >>> lifter = Lifter("runs/x/graphsh_fp32.tflite", layout="coco17")
    >>> joints_mm = lifter(keypoints_px, image_size=(1280, 720), scores=scores)   # (16, 3)

    ``last_confidence`` holds the per-joint confidences ``(16,)`` / ``(N, 16)`` of the last call, and
    ``last_valid`` (``bool`` / ``(N,)``) says whether each pose is worth showing: at least
    :attr:`MIN_PRESENT_JOINTS` of the 16 joints came from present keypoints (finite, score > 0 and >= min_score) and
    no present keypoint lies more than half an image outside the image. A pose that is not valid is still returned
    (the missing joints filled as the adapters fill them), never NaN: the app decides. Non-finite model outputs
    raise :class:`KeypointError`.

    With ``intrinsics=(fx, fy, cx, cy)`` (pixels; or a 3x3 camera matrix) the keypoints are normalized through the
    camera (its viewing rays in the training cameras' field of view: a phone's wide-angle view then looks to the model
    like the Human3.6M cameras' view it learnt from; measured in benchmarks/README.md), and a call also sets
    ``last_root_mm``: the pelvis position in camera coordinates (x right, y down, z forward; mm), solved from the
    keypoints, the lifted pose and the intrinsics (:func:`graphsh_tf.root.solve_root`, weighted by confidence; NaN when fewer than two
    joints were seen). Add it to the returned joints for the skeleton in camera space.
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
        self.last_confidence: Optional[np.ndarray] = None
        self.last_valid = None
        self.last_root_mm = None
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

    def __call__(self, keypoints_px, image_size: Sequence[float], scores=None, intrinsics=None) -> np.ndarray:
        """``(K, 2|3)`` → ``(16, 3)`` mm, or ``(N, K, 2|3)`` → ``(N, 16, 3)`` (run one pose at a time)."""
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
        self.last_confidence, self.last_valid = conf, (bool(valid) if single else valid)
        out = np.empty((x.shape[0], H36M.num_joints, 3), dtype=np.float32)
        for i in range(x.shape[0]):
            raw = self._runner(**{self._in_name: x[i:i + 1]})[self._out_name]
            out[i] = decode_output(raw, self.meta["_output_quant"])[0]
        if not np.isfinite(out).all():
            raise KeypointError(f"{self._path}: the model returned NaN/inf joints (its weights are not finite, or "
                                "the input was); re-export it from a finite run")
        self.last_root_mm = None
        if intrinsics is not None:
            from graphsh_tf.root import solve_root

            xy_b, conf_b = (xy[None], conf[None]) if single else (xy, conf)
            roots = np.full((len(out), 3), np.nan)
            for i in range(len(out)):
                if (conf_b[i] > 0).sum() >= 2:
                    roots[i] = solve_root(xy_b[i], out[i], intrinsics, conf_b[i])
            self.last_root_mm = roots[0] if single else roots
        return out[0] if single else out
