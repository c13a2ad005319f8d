"""THE input/output contract of a lifter: how detector pixels become the model's input tensor, how its output
tensor becomes millimetres, and how both are written into (and read back from) a ``.tflite`` sidecar.

Everything that normalizes, quantizes or describes a model's input or output asks this module: the data loaders
(the frame), the Keras model's first layer and the folded graph (the model step), the keypoint adapters and the
``Lifter`` (pixels to tensor), the TFLite runtime, the sidecar writer and reader, and the golden vectors that pin
the Java (android_demo/lifter-core) and JavaScript (web_demo/src/lifter_core.js) ports.

Input, in three steps (:class:`InputContract`):

1. **frame** (:mod:`graphsh_tf.frame`): pixels ``(x, y)`` → normalized coordinates: the VideoPose3D screen frame
   without intrinsics, a camera's viewing rays in the training cameras' field of view with them.
2. **normalization** (the model's own step, ``ModelConfig.input_norm``; the Keras model applies it as its first
   layer, a ``.tflite`` starts after it, so runtimes apply it): ``screen`` = none; ``pose`` = centred on the hip
   and divided by the pose's largest absolute hip offset (:func:`pose_normalize`).
3. **channels and codec**: the per-joint channels the tensor carries (today ``("x", "y")``; a model may also take
   ``("x", "y", "confidence")``, the adapters' per-joint confidence in [0, 1]), as float32: every exported
   variant takes float32 ``(1, 16, C)``, the int8 ones included (they quantize inside the graph). An int8 input
   tensor (files exported with ``tflite/convert.py --io int8``) is encoded through its :class:`Int8Codec`.

Output (:class:`OutputContract`): the network predicts root-relative camera-space joints in metres (the
reference's unit); every ``.tflite`` has the x1000 folded in and outputs float32 ``(1, 16, 3)`` mm (int8 with its
codec only from ``--io int8``).

int8 (``--io int8`` tensors; mirrored by the Java/JS ports): ``q = clip(round(x / scale) + zero_point, -128, 127)``,
ties away from zero as TFLite rounds; ``x = (q - zero_point) * scale`` in float64.

Sidecar (``input`` / ``output`` of ``graphsh-tflite/1``): :meth:`LifterContract.to_sidecar`, ``from_sidecar``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Tuple

from graphsh_tf import skeleton
from graphsh_tf.frame import check_intrinsics, normalize_screen_coordinates, normalize_with_intrinsics

import numpy as np

NUM_JOINTS = skeleton.NUM_JOINTS

# --- units -----------------------------------------------------------------------------------------------------------

#: Millimetres per metre; the model's unit is the metre (the reference's), and VideoPose3D 3D files are in metres.
MM_PER_M = 1000.0
MM_PER_MODEL_UNIT = MM_PER_M


def mm_to_model(poses_mm: np.ndarray) -> np.ndarray:
    return (np.asarray(poses_mm, dtype=np.float32) / MM_PER_MODEL_UNIT).astype(np.float32)


def model_to_mm(poses: np.ndarray) -> np.ndarray:
    return (np.asarray(poses, dtype=np.float32) * MM_PER_MODEL_UNIT).astype(np.float32)


class ContractError(ValueError):
    """Input that breaks the contract (pixels, image size, intrinsics, channels) or a sidecar section that does not
    describe a model this runtime can feed; the message names the field and the fix."""


# --- step 2: the model's normalization ------------------------------------------------------------------------------

#: The smallest pose scale :func:`pose_normalize` divides by (a pose with every joint on the hip maps to zeros).
POSE_NORM_EPS = 1e-6


def pose_normalize(x: np.ndarray) -> np.ndarray:
    """Normalized coordinates ``(..., 16, 2)`` → the input of a model with ``input_norm="pose"``: centred on joint 0
    (the hip) and divided by the pose's largest absolute hip offset over joints and both axes,
    ``u = (x - x_hip) / max(max |x - x_hip|, POSE_NORM_EPS)``, so every pose spans [-1, 1] (the hip is at 0).
    Computed in float64, returned as float32 (:func:`pose_normalize_tf` is the TensorFlow twin)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[-1] != 2:
        raise ValueError(f"pose_normalize: expected poses (..., joints, 2), got shape {x.shape}")
    d = x - x[..., :1, :]
    s = np.maximum(np.abs(d).max(axis=(-2, -1), keepdims=True), POSE_NORM_EPS)
    return (d / s).astype(np.float32)


def pose_normalize_tf(x):
    """:func:`pose_normalize` in TensorFlow, for ``(B, J, 2)`` tensors."""
    import tensorflow as tf

    d = x - x[:, :1, :]
    return d / tf.maximum(tf.reduce_max(tf.abs(d), axis=[1, 2], keepdims=True), POSE_NORM_EPS)


#: The sidecar's ``input.normalization`` text of the screen frame (the intrinsics frame feeds the same model).
SCREEN_NORMALIZATION = "u = 2*x/w - 1, v = 2*y/w - h/w"


@dataclass(frozen=True)
class _Normalization:
    """One model normalization: its sidecar text and its step (numpy, TensorFlow; None = no step)."""

    text: str
    step: Optional[Callable] = None
    step_tf: Optional[Callable] = None


#: The model normalizations by ``ModelConfig.input_norm`` name. ``screen``: the frame's coordinates themselves.
#: ``pose``: those centred on the hip and divided by the pose's largest hip offset, so every pose spans [-1, 1]
#: whatever its size and place in the image: int8 then spends its 256 levels on the person, not on the whole image
#: (benchmarks/README.md, "int8").
NORMALIZATIONS = {
    "screen": _Normalization(SCREEN_NORMALIZATION),
    "pose": _Normalization(SCREEN_NORMALIZATION + "; then pose: p = (p - p_hip) / max|p - p_hip|", pose_normalize,
                           pose_normalize_tf),
}
#: The sidecar text of ``input_norm="pose"`` models.
POSE_NORMALIZATION = NORMALIZATIONS["pose"].text


# --- step 3: channels and the int8 codec ----------------------------------------------------------------------------

#: The per-joint channels a model input may carry, in this order: x and y always, then optionally the adapters'
#: confidence (0 for a filled joint).
CHANNELS = ("x", "y", "confidence")
XY = CHANNELS[:2]


def quantize(x, scale: float, zero_point: int) -> np.ndarray:
    """int8 ``q = clip(round(x / scale) + zero_point, -128, 127)``; ties round away from zero (as TFLite does)."""
    v = np.asarray(x, dtype=np.float64) / float(scale)
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)
    return np.clip(r + int(zero_point), -128, 127).astype(np.int8)


def dequantize(q, scale: float, zero_point: int) -> np.ndarray:
    """``(q - zero_point) * scale`` as float32 (computed in float64)."""
    return ((np.asarray(q, dtype=np.float64) - int(zero_point)) * float(scale)).astype(np.float32)


@dataclass(frozen=True)
class Int8Codec:
    """The int8 codec of one tensor (:func:`quantize` / :func:`dequantize`)."""

    scale: float
    zero_point: int

    def __post_init__(self):
        if not (np.isfinite(self.scale) and self.scale > 0) or int(self.zero_point) != self.zero_point:
            raise ContractError(f"int8 quantization: scale must be > 0 and zero_point an integer, got "
                                f"({self.scale}, {self.zero_point})")

    def encode(self, x) -> np.ndarray:
        return quantize(x, self.scale, self.zero_point)

    def decode(self, q) -> np.ndarray:
        return dequantize(q, self.scale, self.zero_point)

    def to_sidecar(self) -> dict:
        return {"scale": float(self.scale), "zero_point": int(self.zero_point)}

    @classmethod
    def from_dict(cls, d: Optional[dict]) -> Optional["Int8Codec"]:
        """``{"scale", "zero_point"}`` (a sidecar's ``quantization``) → codec; None → None."""
        return None if d is None else cls(float(d["scale"]), int(d["zero_point"]))

    @classmethod
    def from_tensor(cls, detail: dict) -> Optional["Int8Codec"]:
        """A TFLite interpreter tensor detail (``dtype``, ``quantization`` = (scale, zero point)) → codec, or None
        for a float tensor."""
        scale, zero = detail.get("quantization", (0.0, 0))
        if np.dtype(detail["dtype"]) == np.float32 or not scale:
            return None
        return cls(float(scale), int(zero))


def _section(meta: dict, key: str, source: str) -> dict:
    spec = meta.get(key) if isinstance(meta, dict) else None
    if not isinstance(spec, dict):
        raise ContractError(f"{source}: field '{key}' missing; re-export the model with tflite/convert.py")
    return spec


def _tensor_codec(spec: dict, key: str, shape: list, batch: Optional[int], source: str) -> Optional[Int8Codec]:
    """Check ``spec``'s shape (``[batch] + shape``; any positive batch when ``batch`` is None) and dtype; its codec."""
    got = list(spec.get("shape", []))
    if not (len(got) == 1 + len(shape) and got[1:] == shape and (got[0] == batch if batch else got[0] >= 1)):
        want = [batch if batch else "N"] + shape
        raise ContractError(f"{source}: field '{key}.shape' is {spec.get('shape')}, expected {want}")
    dtype, quant = spec.get("dtype"), spec.get("quantization")
    if dtype not in ("float32", "int8"):
        raise ContractError(f"{source}: field '{key}.dtype' is {dtype!r}, expected 'float32' or 'int8'")
    if dtype == "float32":
        return None
    try:
        return Int8Codec(float(quant["scale"]), int(quant["zero_point"]))
    except (TypeError, KeyError, ValueError):   # ContractError included: a scale <= 0
        raise ContractError(f"{source}: field '{key}.quantization' must be {{'scale': >0, 'zero_point': int}} "
                            f"for an int8 tensor, got {quant!r}") from None


# --- the input ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InputContract:
    """What a model takes: ``normalization`` (a key of :data:`NORMALIZATIONS`), ``channels`` (``("x", "y")`` or
    ``("x", "y", "confidence")``), ``quant`` (an :class:`Int8Codec` for an int8 tensor, None for float32) and the
    tensor's ``name`` in the ``lift`` signature."""

    normalization: str = "screen"
    channels: Tuple[str, ...] = XY
    quant: Optional[Int8Codec] = None
    name: str = "keypoints_2d"

    def __post_init__(self):
        if self.normalization not in NORMALIZATIONS:
            raise ContractError(f"input normalization {self.normalization!r} is not one of {tuple(NORMALIZATIONS)}")
        object.__setattr__(self, "channels", tuple(self.channels))
        if self.channels not in (CHANNELS[:2], CHANNELS):
            raise ContractError(f"input channels {list(self.channels)}: expected {list(XY)} or {list(CHANNELS)}")

    @classmethod
    def for_model(cls, model_config, quant: Optional[Int8Codec] = None, name: str = "keypoints_2d") -> "InputContract":
        """The contract of a model built from ``model_config`` (a ``ModelConfig`` or its dict): its ``input_norm``,
        and ``in_dim`` channels."""
        get = model_config.get if isinstance(model_config, dict) else lambda k, d=None: getattr(model_config, k, d)
        in_dim = int(get("in_dim", 2))
        if not 2 <= in_dim <= len(CHANNELS):
            raise ContractError(f"model in_dim={in_dim}: the input carries {list(XY)} or {list(CHANNELS)}")
        return cls(get("input_norm", "screen") or "screen", CHANNELS[:in_dim], quant, name)

    @property
    def num_channels(self) -> int:
        return len(self.channels)

    @property
    def text(self) -> str:
        """The sidecar's ``input.normalization``."""
        return NORMALIZATIONS[self.normalization].text

    @property
    def has_model_step(self) -> bool:
        """Whether the normalization has a step of its own (applied by the Keras model's first layer and by the
        runtimes in front of a ``.tflite``)."""
        return NORMALIZATIONS[self.normalization].step is not None

    # numbers

    def frame(self, xy_px, image_size: Sequence[float], intrinsics=None) -> np.ndarray:
        """Pixels ``(16, 2)`` / ``(N, 16, 2)`` → ``(N, 16, 2)`` float32 in the screen frame, or through ``intrinsics``
        (``(fx, fy, cx, cy)`` or a 3x3 matrix). ContractError naming the image size, shape or intrinsics."""
        try:
            w, h = (float(v) for v in image_size)
        except (TypeError, ValueError):
            raise ContractError(f"image_size: expected (width, height) in pixels, got {image_size!r}") from None
        if not (np.isfinite(w) and np.isfinite(h) and w > 0 and h > 0):
            raise ContractError(f"image_size: width and height must be positive pixels, got ({w}, {h})")
        xy = np.asarray(xy_px, dtype=np.float64)
        if xy.ndim == 2:
            xy = xy[None]
        if xy.ndim != 3 or xy.shape[1:] != (NUM_JOINTS, 2):
            raise ContractError(f"keypoints: expected H36M-{NUM_JOINTS} pixels ({NUM_JOINTS}, 2) or "
                                f"(N, {NUM_JOINTS}, 2), got {xy.shape}")
        if intrinsics is None:
            return normalize_screen_coordinates(xy, w, h)
        try:
            return normalize_with_intrinsics(xy, check_intrinsics(intrinsics, (w, h)))
        except ValueError as e:
            raise ContractError(str(e) if str(e).startswith("intrinsics") else f"intrinsics: {e}") from None

    def model_step(self, u) -> np.ndarray:
        """Frame coordinates ``(N, 16, 2)`` → what the ``.tflite`` takes for x, y (float32). Further channels
        (``(N, 16, 3)`` with the confidence) pass through unchanged."""
        step = NORMALIZATIONS[self.normalization].step
        u = np.asarray(u, dtype=np.float32)
        if step is None:
            return u
        return step(u) if u.shape[-1] == 2 else np.concatenate([step(u[..., :2]), u[..., 2:]], -1)

    def model_step_tf(self, x):
        """:meth:`model_step` in TensorFlow (the Keras model's first layer, the folded graph)."""
        step = NORMALIZATIONS[self.normalization].step_tf
        if step is None:
            return x
        if x.shape[-1] == 2:
            return step(x)
        import tensorflow as tf

        return tf.concat([step(x[..., :2]), x[..., 2:]], axis=-1)

    def encode_normalized(self, u, confidence=None) -> np.ndarray:
        """Frame coordinates ``(N, 16, 2)`` (what data sets store) and, for a confidence channel, the confidences
        ``(N, 16)`` → the model's input tensor ``(N, 16, C)``, float32 or int8."""
        x = self.model_step(u)
        if "confidence" in self.channels:
            if confidence is None:
                raise ContractError("this model's input has a 'confidence' channel: pass the per-joint confidences "
                                    "(the adapters' second output)")
            c = np.clip(np.asarray(confidence, dtype=np.float32), 0.0, 1.0)
            if c.shape != x.shape[:-1]:
                raise ContractError(f"confidence: expected shape {x.shape[:-1]}, got {c.shape}")
            x = np.concatenate([x, c[..., None]], axis=-1)
        return x.astype(np.float32) if self.quant is None else self.quant.encode(x)

    def encode(self, xy_px, confidence, image_size: Sequence[float], intrinsics=None) -> np.ndarray:
        """Adapted H36M-16 pixels ``(16, 2)`` / ``(N, 16, 2)`` and their confidences → the model's input tensor
        ``(N, 16, C)`` (:meth:`frame`, then :meth:`encode_normalized`)."""
        u = self.frame(xy_px, image_size, intrinsics)
        if confidence is not None:
            confidence = np.asarray(confidence).reshape(u.shape[:-1])
        return self.encode_normalized(u, confidence)

    # the sidecar

    def to_sidecar(self, batch: int = 1) -> dict:
        return {"name": self.name, "shape": [int(batch), NUM_JOINTS, self.num_channels],
                "dtype": "float32" if self.quant is None else "int8",
                "quantization": None if self.quant is None else self.quant.to_sidecar(),
                "normalization": self.text, "channels": list(self.channels)}

    @staticmethod
    def normalization_from_sidecar(spec: dict, source: str) -> str:
        """The ``input_norm`` name of a sidecar ``input`` section's ``normalization`` (absent: ``screen``; spaces are
        ignored); anything else is a ContractError naming ``source`` and the field."""
        text = str(spec.get("normalization", SCREEN_NORMALIZATION)).replace(" ", "")
        for name, norm in NORMALIZATIONS.items():
            if norm.text.replace(" ", "") == text:
                return name
        raise ContractError(f"{source}: field 'input.normalization' is {spec.get('normalization')!r}; this runtime "
                            f"implements {' and '.join(repr(n.text) for n in NORMALIZATIONS.values())}")

    @staticmethod
    def channels_from_sidecar(spec: dict, source: str) -> Tuple[str, ...]:
        """The channels of a sidecar ``input`` section's ``channels`` (absent: ``x, y``, the contract of models
        exported before the confidence channel); anything but ``["x", "y"]`` or ``["x", "y", "confidence"]`` is a
        ContractError naming ``source`` and the field."""
        channels = spec.get("channels", list(XY))
        if not isinstance(channels, list) or tuple(channels) not in (XY, CHANNELS):
            raise ContractError(f"{source}: field 'input.channels' is {channels!r}, expected {list(XY)} or "
                                f"{list(CHANNELS)}")
        return tuple(channels)

    @classmethod
    def from_sidecar(cls, meta: dict, source: str, batch: Optional[int] = 1) -> "InputContract":
        """The validated ``input`` section of a sidecar dict (``batch`` None: any batch)."""
        spec = _section(meta, "input", source)
        channels = cls.channels_from_sidecar(spec, source)
        quant = _tensor_codec(spec, "input", [NUM_JOINTS, len(channels)], batch, source)
        return cls(cls.normalization_from_sidecar(spec, source), tuple(channels), quant,
                   str(spec.get("name", "keypoints_2d")))


# --- the output ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OutputContract:
    """What a ``.tflite`` returns: H36M-16 joints ``(N, 16, 3)`` in mm, root-relative (the Hip at 0), camera axes;
    float32, or int8 through ``quant``. The Keras model returns metres (:func:`model_to_mm`)."""

    quant: Optional[Int8Codec] = None
    name: str = "joints_3d"
    unit = "mm"
    root_joint = skeleton.H36M16.joint_names[0]

    def decode(self, raw) -> np.ndarray:
        """Model output ``(..., 16, 3)`` → float32 mm."""
        a = np.asarray(raw)
        if a.ndim < 2 or a.shape[-2:] != (NUM_JOINTS, 3):
            raise ContractError(f"model output: expected shape (..., {NUM_JOINTS}, 3), got {a.shape}")
        return a.astype(np.float32) if self.quant is None else self.quant.decode(a)

    def to_sidecar(self, batch: int = 1) -> dict:
        return {"name": self.name, "shape": [int(batch), NUM_JOINTS, 3],
                "dtype": "float32" if self.quant is None else "int8",
                "quantization": None if self.quant is None else self.quant.to_sidecar(),
                "unit": self.unit, "root_relative": True, "root_joint": self.root_joint}

    @classmethod
    def from_sidecar(cls, meta: dict, source: str, batch: Optional[int] = 1) -> "OutputContract":
        spec = _section(meta, "output", source)
        quant = _tensor_codec(spec, "output", [NUM_JOINTS, 3], batch, source)
        if spec.get("unit", "mm") != cls.unit:
            raise ContractError(f"{source}: field 'output.unit' is {spec.get('unit')!r}, expected {cls.unit!r}")
        return cls(quant, str(spec.get("name", "joints_3d")))


@dataclass(frozen=True)
class LifterContract:
    """A lifter's whole contract: the H36M-16 layout, its input and its output."""

    input: InputContract = InputContract()
    output: OutputContract = OutputContract()

    def to_sidecar(self, batch: int = 1) -> dict:
        """The sidecar fields the contract owns: ``layout``, ``joint_names``, ``input``, ``output``."""
        return {"layout": skeleton.H36M16.name, "joint_names": list(skeleton.H36M16.joint_names),
                "input": self.input.to_sidecar(batch), "output": self.output.to_sidecar(batch)}

    @classmethod
    def from_sidecar(cls, meta: dict, source: str, batch: Optional[int] = 1) -> "LifterContract":
        """THE reader of a sidecar's contract fields: a batch-``batch`` (None: any) H36M-16 lifter in mm with an
        input this runtime can produce; a ContractError naming ``source`` and the field otherwise."""
        if not isinstance(meta, dict) or meta.get("layout") != skeleton.H36M16.name:
            got = meta.get("layout") if isinstance(meta, dict) else None
            raise ContractError(f"{source}: field 'layout' is {got!r}, expected {skeleton.H36M16.name!r}")
        return cls(InputContract.from_sidecar(meta, source, batch), OutputContract.from_sidecar(meta, source, batch))
