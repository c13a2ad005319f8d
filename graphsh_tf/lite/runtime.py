"""Running a ``.tflite`` lifter: the LiteRT interpreter, the predictor, and the op lists.

Inputs and outputs are encoded and decoded by the model's contract (:mod:`graphsh_tf.contract`: its normalization,
the one int8 codec).
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Union

from graphsh_tf.contract import CHANNELS, InputContract, Int8Codec, OutputContract
from graphsh_tf.skeleton import NUM_JOINTS

import numpy as np

SIGNATURE = "lift"


class TFLiteModelError(ValueError):
    """A ``.tflite`` file is missing, corrupt, truncated or not a 16-joint GraphSH lifter."""


def load_interpreter(path: Union[str, Path], num_threads: int = 1):
    """A LiteRT interpreter (XNNPACK by default) with tensors allocated; raises TFLiteModelError for bad files."""
    from ai_edge_litert.interpreter import Interpreter

    path = Path(path)
    if not path.is_file():
        raise TFLiteModelError(f"{path}: .tflite file not found")
    data = path.read_bytes()
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise TFLiteModelError(f"{path}: not a TFLite flatbuffer (missing 'TFL3' identifier); the file is corrupt "
                               "or truncated — re-export it with tflite/convert.py")
    from graphsh_tf.quiet import native_stderr_hidden

    try:
        with native_stderr_hidden(replay=False):     # LiteRT's "INFO: Created ... XNNPACK delegate" line
            interp = Interpreter(model_content=data, num_threads=int(num_threads))
            interp.allocate_tensors()
    except Exception as e:  # noqa: BLE001 - the runtime raises RuntimeError/ValueError for corrupt files
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise TFLiteModelError(f"{path}: LiteRT cannot load the model ({msg}); the file is corrupt or truncated — "
                               "re-export it with tflite/convert.py") from None
    return interp


def check_lifter(interp, path: Union[str, Path]) -> tuple:
    """(input detail, output detail) after checking the model maps ``[B, 16, 2]`` (or ``[B, 16, 3]`` with the
    confidence channel; ``[B, T, 16, C]`` for a temporal lifter, the last T frames) → ``[B, 16, 3]``."""
    ins, outs = interp.get_input_details(), interp.get_output_details()
    if len(ins) != 1 or len(outs) != 1:
        raise TFLiteModelError(f"{path}: expected 1 input and 1 output, got {len(ins)} and {len(outs)}; "
                               "not a GraphSH lifter")
    i, o = ins[0], outs[0]
    ishape, oshape = [int(d) for d in i["shape"]], [int(d) for d in o["shape"]]
    if len(ishape) == 4 and ishape[1] > 1:       # a temporal lifter: the frame axis after the batch
        ishape = [ishape[0]] + ishape[2:]
    if len(ishape) != 3 or ishape[1] != NUM_JOINTS or ishape[2] not in (2, 3):
        raise TFLiteModelError(f"{path}: input shape {ishape} is not [batch, {NUM_JOINTS}, 2] or [batch, "
                               f"{NUM_JOINTS}, 3] (H36M-16 x, y[, confidence]); export a 16-joint GraphSH model")
    if len(oshape) != 3 or oshape[1:] != [NUM_JOINTS, 3] or oshape[0] != ishape[0]:
        raise TFLiteModelError(f"{path}: output shape {oshape} is not [{ishape[0]}, {NUM_JOINTS}, 3]; "
                               "export a 16-joint GraphSH model")
    return i, o


def op_names(interp) -> List[str]:
    """Names of the operators of the primary subgraph, in execution order (e.g. ``FULLY_CONNECTED``)."""
    return [d["op_name"] for d in interp._get_ops_details()]


def tensor_dtypes_of_ops(interp) -> List[tuple]:
    """``(op_name, [input dtypes], [output dtypes])`` for every op (constant and variable tensors alike)."""
    details = {d["index"]: d for d in interp.get_tensor_details()}
    rows = []
    for op in interp._get_ops_details():
        ins = [np.dtype(details[t]["dtype"]).name for t in op["inputs"] if t >= 0 and t in details]
        outs = [np.dtype(details[t]["dtype"]).name for t in op["outputs"] if t in details]
        rows.append((op["op_name"], ins, outs))
    return rows


class TFLitePredictor:
    """``predict_mm`` through a ``.tflite`` file (batch fixed by the model; the last partial batch is padded).

    ``input_norm``: the model's input normalization (a key of :data:`graphsh_tf.contract.NORMALIZATIONS`, applied
    here to the normalized keypoints ``predict_mm`` gets); default: from the file's metadata (sidecar or embedded),
    ``"screen"`` when it has none. ``input`` / ``output`` are the contracts the tensors are encoded / decoded with."""

    def __init__(self, path: Union[str, Path], num_threads: int = 1, input_norm: Optional[str] = None):
        self.path = Path(path)
        self.interp = load_interpreter(path, num_threads)
        self._in, self._out = check_lifter(self.interp, path)
        self.batch = int(self._in["shape"][0])
        #: frames per input of a temporal lifter (``predict_mm`` takes windows ``(N, T, 16, 2)``); 1 otherwise
        self.window = int(self._in["shape"][1]) if len(self._in["shape"]) == 4 else 1
        channels = CHANNELS[:int(self._in["shape"][-1])]
        #: whether the model takes the per-joint confidence as third input channel (``predict_mm(x2d, confidence)``)
        self.takes_confidence = len(channels) == 3
        if input_norm is None:
            from graphsh_tf.lite.metadata import MetadataError, SidecarMismatch, read_metadata

            try:
                spec = read_metadata(self.path).get("input") or {}
            except SidecarMismatch as e:   # a sidecar describing another model is an error, not "no metadata"
                raise TFLiteModelError(str(e)) from None
            except MetadataError:
                spec = {}
            input_norm = InputContract.normalization_from_sidecar(spec, str(self.path))
        self.input = InputContract(input_norm, channels, quant=Int8Codec.from_tensor(self._in))
        self.output = OutputContract(Int8Codec.from_tensor(self._out))

    @property
    def ops(self) -> List[str]:
        return op_names(self.interp)

    def _encode(self, x: np.ndarray, confidence: Optional[np.ndarray] = None) -> np.ndarray:
        if self.takes_confidence and confidence is None:
            confidence = np.ones(x.shape[:2], np.float32)
        return self.input.encode_normalized(x, confidence if self.takes_confidence else None)

    def _decode(self, y: np.ndarray) -> np.ndarray:
        return self.output.decode(y)

    def predict_mm(self, x2d: np.ndarray, confidence: Optional[np.ndarray] = None) -> np.ndarray:
        """Normalized keypoints ``(N, 16, 2)`` (and, for a model with a confidence channel, the per-joint
        confidences ``(N, 16)``; None = all 1) → ``(N, 16, 3)`` mm. A temporal lifter takes windows
        ``(N, T, 16, 2)`` (and ``(N, T, 16)``) and returns their newest frames'."""
        if self.window > 1:
            return self._predict_windows(x2d, confidence)
        x = np.asarray(x2d, dtype=np.float32)
        if x.ndim != 3 or x.shape[1:] != (NUM_JOINTS, 2):
            raise ValueError(f"predict_mm: keypoints must have shape (N, {NUM_JOINTS}, 2), got {x.shape}")
        c = np.ones(x.shape[:2], np.float32) if confidence is None else np.asarray(confidence, np.float32)
        if c.shape != x.shape[:2]:
            raise ValueError(f"predict_mm: confidence must have shape {x.shape[:2]}, got {c.shape}")
        return self._run_batches(x, c)

    def _predict_windows(self, x2d, confidence=None) -> np.ndarray:
        x = np.asarray(x2d, dtype=np.float32)
        t = self.window
        if x.ndim != 4 or x.shape[1:] != (t, NUM_JOINTS, 2):
            raise ValueError(f"predict_mm: {self.path} is a temporal lifter; it takes windows of shape (N, {t}, "
                             f"{NUM_JOINTS}, 2) (the last {t} frames, oldest first), got {x.shape}")
        c = np.ones(x.shape[:3], np.float32) if confidence is None else np.asarray(confidence, np.float32)
        if c.shape != x.shape[:3]:
            raise ValueError(f"predict_mm: confidence must have shape {x.shape[:3]}, got {c.shape}")
        return self._run_batches(x, c)

    def _run_batches(self, x: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Validated keypoints ``(N, [T,] 16, 2)`` and confidences ``(N, [T,] 16)`` through the interpreter in
        batches of ``self.batch`` (the last one padded), encoded per frame -> ``(N, 16, 3)`` mm."""
        n, b = len(x), self.batch
        out = np.empty((n, NUM_JOINTS, 3), np.float32)
        for s in range(0, n, b):
            chunk, cc = x[s:s + b], c[s:s + b]
            m = len(chunk)
            if m < b:
                chunk = np.concatenate([chunk, np.zeros((b - m,) + chunk.shape[1:], np.float32)])
                cc = np.concatenate([cc, np.ones((b - m,) + cc.shape[1:], np.float32)])
            enc = self._encode(chunk.reshape(-1, NUM_JOINTS, 2), cc.reshape(-1, NUM_JOINTS))
            self.interp.set_tensor(self._in["index"], enc.reshape(chunk.shape[:-2] + enc.shape[1:]))
            self.interp.invoke()
            out[s:s + m] = self._decode(self.interp.get_tensor(self._out["index"]))[:m]
        return out
