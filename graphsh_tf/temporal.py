"""The temporal lifter on a stream: one frame per call, the last T frames carried between calls.

:class:`TemporalStream` runs a temporal lifter (``ModelConfig.temporal_window`` T > 1) causally: each call takes
one frame's normalized keypoints and returns that frame's 3D, exactly what the model gives for the window of the
last T frames ending at that frame (the first frame repeated before it at start-up, as training and evaluation
build windows: :func:`graphsh_tf.data.temporal.window_index`).

* A Keras model: the per-frame GraphSH runs once per frame and its feature ``(16, F)`` is kept in a ring buffer
  of T entries; the temporal part runs on the buffer (:func:`graphsh_tf.models.temporal_parts`), so a call costs
  one per-frame pass, not T.
* A ``.tflite`` file (or :class:`~graphsh_tf.lite.runtime.TFLitePredictor`) exported by
  :mod:`graphsh_tf.lite.temporal`: the same through its two stream signatures (one frame → its feature; the
  window's features → the newest frame's pose); a file without them gets the last T inputs buffered and the whole
  window run through ``lift``.

Late and dropped frames (variable frame rate), with timestamps ``t`` (seconds) and the stream's frame period
``1 / fps`` (``fps`` given, else the median of the intervals seen so far):

* a frame whose timestamp is not after the last one (late, out of order) is ignored: the call returns the last
  result and the state is unchanged;
* a gap longer than 1.5 frame periods means frames were dropped: the last frame is repeated to fill the
  ``round(gap / period) - 1`` missing frames, then the new frame is added (what the model would have seen had the
  detector repeated its last output);
* a gap of ``reset_frames`` periods or more (default T: the window would hold nothing but repeats) resets the
  stream: the new frame starts it again as the first frame.

Without timestamps every call is the next frame.
"""
from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Optional, Union

from graphsh_tf.contract import model_to_mm
from graphsh_tf.skeleton import NUM_JOINTS

import numpy as np

#: A gap longer than this many frame periods means frames were dropped.
GAP_FRAMES = 1.5


class StreamError(ValueError):
    """A stream was given a model or input it cannot use; the message names it and the fix."""


class TemporalStream:
    """``stream(x2d (16, 2) normalized[, confidence (16,)], t=None) -> (16, 3) mm``, one frame per call.

    Args:
        model: a temporal tf_keras lifter, a ``.tflite`` path of one, or a
            :class:`~graphsh_tf.lite.runtime.TFLitePredictor`.
        fps: the stream's frame rate (for the gap rules); None: the median of the observed intervals.
        reset_frames: a gap of this many frame periods or more restarts the stream (default: the window T).

    Attributes:
        window: T, the frames the model sees.
        frames: frames pushed so far (repeats filling gaps included) since the last reset.
        caches_features: the buffer keeps per-frame features (Keras, and ``.tflite`` files with the stream
            signatures), not inputs.
        filled: frames repeated to fill gaps since construction; ``resets``: restarts after long gaps.
    """

    def __init__(self, model, fps: Optional[float] = None, reset_frames: Optional[int] = None):
        if isinstance(model, (str, Path)):
            from graphsh_tf.lite.runtime import TFLitePredictor

            model = TFLitePredictor(model)
        if hasattr(model, "predict_mm"):               # a TFLite lifter: buffer features (or inputs)
            self.window = int(getattr(model, "window", 1))
            self._lite, self._frame, self._head = model, None, None
            if self.window > 1:
                self._frame, self._head = _lite_halves(model)
        elif hasattr(model, "layers") and len(model.input_shape) == 4:
            from graphsh_tf.models import temporal_parts

            self.window = int(model.input_shape[1])
            self._lite = None
            self._frame, self._head = (_compiled(m) for m in temporal_parts(model))
        else:
            self.window = 1
        if self.window <= 1:
            raise StreamError(f"TemporalStream: {type(model).__name__} is not a temporal lifter (its input is one "
                              "frame); use it per frame (graphsh_tf.Lifter, graphsh_tf.smoothing.LifterStream), or "
                              "train one with fit.py --temporal-window 27")
        if fps is not None and not fps > 0:
            raise StreamError(f"TemporalStream: fps={fps!r} must be > 0 (frames per second), or None to measure it")
        #: whether the buffer keeps per-frame features (one per-frame pass per call) rather than inputs
        self.caches_features = self._frame is not None
        self.fps = fps
        self.reset_frames = int(reset_frames or self.window)
        self.takes_confidence = bool(getattr(model, "takes_confidence", False)) or (
            self._lite is None and int(model.input_shape[-1]) == 3)
        self.filled = self.resets = 0
        self._intervals: deque = deque(maxlen=32)
        self.reset()

    def reset(self) -> None:
        """Forget every frame: the next call starts the stream (its frame repeated over the window)."""
        self._buffer: Optional[np.ndarray] = None   # (T, ...) ring buffer; self._oldest indexes its oldest entry
        self._oldest = 0
        self._last_t: Optional[float] = None
        self._last_out: Optional[np.ndarray] = None
        self.frames = 0

    @property
    def period(self) -> Optional[float]:
        """The frame period in seconds (from ``fps``, else the median observed interval; None before two frames)."""
        if self.fps:
            return 1.0 / self.fps
        return float(np.median(self._intervals)) if self._intervals else None

    def __call__(self, x2d, confidence=None, t: Optional[float] = None) -> np.ndarray:
        repeats = 0
        if t is not None and self._last_t is not None:
            gap = float(t) - self._last_t
            if not gap > 0:                      # late or duplicate: keep the state, answer as before
                return self._last_out.copy()
            period = self.period
            if period is not None and gap > GAP_FRAMES * period:
                missing = int(round(gap / period)) - 1
                if missing + 1 >= self.reset_frames:
                    self.resets += 1
                    self.reset()
                else:
                    repeats = missing
            else:
                self._intervals.append(gap)
        if self._buffer is not None and repeats:
            last = self._buffer[(self._oldest - 1) % self.window].copy()
            for _ in range(repeats):
                self._push(last)
            self.filled += repeats
        self._push(self._entry(x2d, confidence))   # the per-frame pass, only for a frame that enters the window
        if t is not None:
            self._last_t = float(t)
        self._last_out = self._predict()
        return self._last_out.copy()

    def lift_pixels(self, keypoints_px, image_size, layout: str = "coco17", scores=None, t: Optional[float] = None,
                    intrinsics=None, min_score: float = 0.0) -> np.ndarray:
        """One frame from a 2D detector: its keypoints in pixels ``(K, 2)`` of ``layout`` (``coco17``,
        ``mediapipe33``, ``h36m16``) with their ``scores`` → the frame's ``(16, 3)`` mm, through the keypoint
        adapters (:func:`graphsh_tf.keypoints.adapt`: missing joints filled, the adapters' confidences) and the
        contract's frame (:meth:`graphsh_tf.contract.InputContract.frame`: the screen frame, or the camera's rays
        with ``intrinsics`` ``(fx, fy, cx, cy)``), as :class:`graphsh_tf.Lifter` prepares one pose."""
        from graphsh_tf.contract import InputContract
        from graphsh_tf.keypoints import adapt

        xy, conf = adapt(keypoints_px, layout, scores=scores, min_score=min_score)
        u = InputContract().frame(xy, image_size, intrinsics)
        return self(u[0], np.asarray(conf, np.float32).reshape(NUM_JOINTS), t)

    # --- the ring buffer ------------------------------------------------------------------------------------------

    def _entry(self, x2d, confidence) -> np.ndarray:
        """What the buffer keeps for one frame: the per-frame feature (Keras) or the input (TFLite)."""
        x = np.asarray(x2d, np.float32)
        if x.shape != (NUM_JOINTS, 2):
            raise StreamError(f"TemporalStream: keypoints must have shape ({NUM_JOINTS}, 2) (one frame, normalized), "
                              f"got {x.shape}")
        c = np.ones(NUM_JOINTS, np.float32) if confidence is None else np.asarray(confidence, np.float32)
        if c.shape != (NUM_JOINTS,):
            raise StreamError(f"TemporalStream: confidence must have shape ({NUM_JOINTS},), got {c.shape}")
        if self._lite is not None and self._frame is None:
            return np.concatenate([x, np.clip(c, 0.0, 1.0)[:, None]], -1)
        if self._lite is not None:
            return self._frame(x, c)
        row = np.concatenate([x, np.clip(c, 0.0, 1.0)[:, None]], -1) if self.takes_confidence else x
        return self._frame(row[None])[0]

    def _push(self, entry: np.ndarray) -> None:
        if self._buffer is None:                 # start-up: the first frame fills the window
            self._buffer = np.repeat(entry[None], self.window, axis=0)
            self._oldest = 0
        else:
            self._buffer[self._oldest] = entry
            self._oldest = (self._oldest + 1) % self.window
        self.frames += 1

    def ordered(self) -> np.ndarray:
        """The buffer, oldest first ``(T, ...)``."""
        return np.concatenate([self._buffer[self._oldest:], self._buffer[:self._oldest]])

    def _predict(self) -> np.ndarray:
        window = self.ordered()
        if self._lite is not None and self._head is not None:
            return self._head(window)
        if self._lite is not None:
            conf = window[None, ..., 2] if self.takes_confidence else None
            return np.asarray(self._lite.predict_mm(window[None, ..., :2], conf)[0], np.float32)
        return model_to_mm(self._head(window[None]))[0]


def _lite_halves(lite):
    """``(frame, head)`` calls of a temporal ``.tflite``'s stream signatures (:mod:`graphsh_tf.lite.temporal`):
    ``frame(x (16, 2), confidence (16,)) -> (16, F)`` and ``head(features (T, 16, F)) -> (16, 3)`` mm; ``(None,
    None)`` for a file without them (the stream then buffers inputs and runs ``lift`` on the window)."""
    from graphsh_tf.lite.runtime import load_interpreter
    from graphsh_tf.lite.temporal import FEATURES_NAME, STREAM_FRAME, STREAM_WINDOW

    names = lite.interp.get_signature_list()
    if STREAM_FRAME not in names or STREAM_WINDOW not in names:
        return None, None
    interp = load_interpreter(lite.path)     # its own interpreter: the predictor's stays usable beside the stream
    frame_run, window_run = interp.get_signature_runner(STREAM_FRAME), interp.get_signature_runner(STREAM_WINDOW)
    key_in = names[STREAM_FRAME]["inputs"][0]
    out_name = names[STREAM_WINDOW]["outputs"][0]
    conf = lite.takes_confidence

    def frame(x, c):
        enc = lite.input.encode_normalized(x[None], c[None] if conf else None)
        return np.asarray(frame_run(**{key_in: enc})[FEATURES_NAME][0], np.float32)

    def head(features):
        y = window_run(**{names[STREAM_WINDOW]["inputs"][0]: np.asarray(features, np.float32)[None]})[out_name]
        return np.asarray(lite.output.decode(y)[0], np.float32)

    return frame, head


def _compiled(model):
    """``numpy -> numpy`` through a traced inference call of ``model`` (no dropout, BatchNorm moving statistics)."""
    import tensorflow as tf

    call = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    return lambda x: call(tf.constant(np.asarray(x, np.float32))).numpy()


def stream_sequence(stream: TemporalStream, x2d, confidence=None, t=None) -> np.ndarray:
    """Every frame of one sequence ``(N, 16, 2)`` through ``stream`` (confidences ``(N, 16)``, timestamps ``(N,)``
    optional) → ``(N, 16, 3)`` mm, one call per frame."""
    x2d = np.asarray(x2d, np.float32)
    out = np.empty((len(x2d), NUM_JOINTS, 3), np.float32)
    for i in range(len(x2d)):
        out[i] = stream(x2d[i], None if confidence is None else confidence[i], None if t is None else t[i])
    return out


def open_stream(model: Union[str, Path, object], **kwargs) -> TemporalStream:
    """A :class:`TemporalStream` of a run directory, ``.h5``, ``.tflite`` or model (``kwargs``: its options)."""
    if isinstance(model, (str, Path)) and Path(model).suffix != ".tflite":
        from graphsh_tf.model_io import load_model

        model = load_model(model)
    return TemporalStream(model, **kwargs)
