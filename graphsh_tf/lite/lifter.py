"""The phone runtime in Python: one object from a ``.tflite`` + sidecar that goes from detector pixels to
root-relative 3D joints in mm (what android_demo/lifter-core mirrors); each call returns a :class:`LiftResult`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

from graphsh_tf.contract import ContractError, LifterContract
from graphsh_tf.frame import check_intrinsics
from graphsh_tf.io import require_file
from graphsh_tf.keypoints import ADAPTERS, H36M, KeypointError, adapt, check_min_score
from graphsh_tf.lite.metadata import read_metadata, sidecar_path

import numpy as np


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
      NaN when fewer than two joints were seen or all seen joints lie on one viewing ray, e.g. at one pixel: the
      depth is then undetermined); None without intrinsics. ``joints_mm + root_mm[..., None, :]`` is
      the skeleton in camera space.
    * ``keypoints_px`` ``(16, 2)`` float64: the adapted H36M-16 keypoints in pixels (what the model was fed, before
      normalization).
    * ``in_image`` ``(16,)`` bool: the joint was seen (confidence > 0) and its keypoint lies inside the image. A
      joint that is not (a desk webcam's legs below the frame, a detector's guess beyond the edge) is lifted like
      the others but should be drawn as unseen.

    The arrays are read-only.
    """

    joints_mm: np.ndarray
    confidence: np.ndarray
    valid: Union[bool, np.ndarray]
    root_mm: Optional[np.ndarray]
    keypoints_px: np.ndarray
    in_image: Optional[np.ndarray] = None

    def __post_init__(self):
        for name in ("joints_mm", "confidence", "root_mm", "keypoints_px", "in_image"):
            _frozen(getattr(self, name))
        if isinstance(self.valid, np.ndarray):
            _frozen(self.valid)


class Lifter:
    """One call from detector pixels to root-relative 3D joints in mm, with a ``.tflite`` + sidecar JSON.

    >>> lifter = Lifter("runs/x/graphsh_fp32.tflite", layout="coco17")
    >>> result = lifter(keypoints_px, image_size=(1280, 720), scores=scores)
    >>> result.joints_mm, result.confidence, result.valid       # (16, 3) mm, (16,), bool

    Every call returns a :class:`LiftResult`; the lifter keeps no per-call state. Non-finite model outputs raise
    :class:`KeypointError`. A model whose sidecar input has the channels ``x, y, confidence`` (trained with
    ``fit.py --confidence-input channel``) is fed the adapters' confidences (``LiftResult.confidence``) beside the
    positions; ``scores`` then matter to the 3D, not only to the adapters' fill.

    With ``intrinsics=(fx, fy, cx, cy)`` (pixels; or a 3x3 camera matrix) the keypoints are normalized through the
    camera (its viewing rays in the training cameras' field of view: a phone's wide-angle view then looks to the model
    like the Human3.6M cameras' view it learnt from; measured in benchmarks/README.md), and the result carries
    ``root_mm``, the pelvis position in camera coordinates. Intrinsics that cannot be this image's (a principal
    point far outside it, a focal length of another scale) are a :class:`KeypointError` naming ``intrinsics``, as is
    a ``min_score`` outside [0, 1] (or NaN) at construction.
    """

    MIN_PRESENT_JOINTS = 8

    def __init__(self, tflite_path, layout: str = "coco17", num_threads: int = 1, min_score: float = 0.0):
        if layout not in ADAPTERS:
            raise KeypointError(f"unknown keypoint layout {layout!r}; use one of {sorted(ADAPTERS)}")
        if isinstance(num_threads, bool) or not isinstance(num_threads, (int, np.integer)) or \
                not (num_threads >= 1 or num_threads == -1):
            raise KeypointError(f"num_threads={num_threads!r}: pass a whole number >= 1 (or -1: LiteRT's default)")
        min_score = check_min_score(min_score)
        require_file(tflite_path, KeypointError, "pass the .tflite file written by tflite/convert.py")
        try:
            #: the sidecar JSON as written (checked against the model's embedded metadata), and its contract
            self.meta = read_metadata(tflite_path, embedded=False)
            self.contract = LifterContract.from_sidecar(self.meta, str(sidecar_path(tflite_path)))
        except ContractError as e:   # a MetadataError too
            raise KeypointError(str(e)) from None
        self.layout = layout
        self.min_score = min_score
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
        self._check_signature(tflite_path)
        self._path = str(tflite_path)

    def _check_signature(self, tflite_path) -> None:
        """The sidecar's tensor names and dtypes must be those of the model's "lift" signature."""
        for key, side, details in (("input", self.contract.input, self._runner.get_input_details()),
                                   ("output", self.contract.output, self._runner.get_output_details())):
            if side.name not in details:
                raise KeypointError(f"{sidecar_path(tflite_path)}: field '{key}.name' is {side.name!r} but the "
                                    f"'lift' signature has {sorted(details)}; re-export the model")
            actual = np.dtype(details[side.name]["dtype"]).name
            stated = "float32" if side.quant is None else "int8"
            if actual != stated:
                raise KeypointError(f"{sidecar_path(tflite_path)}: field '{key}.dtype' is {stated!r} but the "
                                    f"model's tensor is {actual!r}")

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
            try:
                k = check_intrinsics(intrinsics, (w, h))
            except ValueError as e:
                raise KeypointError(str(e)) from None
        xy, conf = adapt(keypoints_px, self.layout, scores=scores, min_score=self.min_score)   # once per call
        try:
            x = self.contract.input.encode(xy, conf, (w, h), k)
        except ContractError as e:
            raise KeypointError(str(e)) from None
        if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
            raise KeypointError(f"image_size ({w:g}, {h:g}): far too small for these keypoints (their normalized "
                                "coordinates overflow); pass the width and height in pixels of the image the "
                                "keypoints were detected in")
        present = conf > 0
        outside = (xy[..., 0] < -0.5 * w) | (xy[..., 0] > 1.5 * w) | (xy[..., 1] < -0.5 * h) | (xy[..., 1] > 1.5 * h)
        valid = (present.sum(axis=-1) >= self.MIN_PRESENT_JOINTS) & ~(outside & present).any(axis=-1)
        out = np.empty((x.shape[0], H36M.num_joints, 3), dtype=np.float32)
        for i in range(x.shape[0]):
            raw = self._runner(**{self.contract.input.name: x[i:i + 1]})[self.contract.output.name]
            out[i] = self.contract.output.decode(raw)[0]
        if not np.isfinite(out).all() and (min(w, h) < 16 or np.abs(np.nan_to_num(xy)).max() > 1e3 * max(w, h)):
            raise KeypointError(f"image_size ({w:g}, {h:g}): the keypoints lie up to "
                                f"{np.abs(np.nan_to_num(xy)).max() / max(w, h):.3g} image widths away, so the model "
                                "returned NaN/inf; pass the width and height in pixels of the image the keypoints "
                                "were detected in")
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
        in_image = present & (xy[..., 0] >= 0) & (xy[..., 0] <= w) & (xy[..., 1] >= 0) & (xy[..., 1] <= h)
        if single:
            return LiftResult(out[0], conf, bool(valid), None if roots is None else roots[0], xy, in_image)
        return LiftResult(out, conf, valid, roots, xy, in_image)
