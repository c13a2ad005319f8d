"""THE evaluation: any model as a :class:`Predictor`, and one function from predictions to every metric.

A predictor maps ``x2d (N, 16, 2)`` normalized keypoints to ``(N, 16, 3)`` joints in mm. :func:`as_predictor` makes
one from a tf_keras model (metres out), a ``.tflite`` file, a run directory or ``.h5`` file, or any callable.
:func:`score` turns predictions into the metrics (MPJPE Protocol #1 root-relative, P-MPJPE, PCK@150mm, AUC,
per-action, mean-pose baseline); :func:`evaluate` runs a predictor on a data set's test split and returns an
:class:`Evaluation` (the metrics document and the predictions it scored). ``fit``'s final evaluation,
``training/evaluate.py`` and ``tflite/validate.py`` all go through :func:`score`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Protocol, Tuple, Union

from graphsh_tf import metrics
from graphsh_tf import skeleton as sk
from graphsh_tf.contract import model_to_mm
from graphsh_tf.data import perturb

import numpy as np


class Predictor(Protocol):
    """``x2d (N, 16, 2)`` float32 normalized keypoints → ``(N, 16, 3)`` float32 joints, mm. A predictor of a model
    with a confidence input has the attribute ``takes_confidence = True`` and is called ``predictor(x2d,
    confidence)`` with the per-joint confidences ``(N, 16)`` (None: every joint confidence 1, clean input)."""

    def __call__(self, x2d: np.ndarray) -> np.ndarray: ...


class ModelInputError(ValueError):
    """The MODEL argument is neither a run directory, a Keras .h5 nor a .tflite file."""


def check_input(x2d) -> np.ndarray:
    """``x2d`` as float32 ``(N, 16, 2)``; ValueError naming the shape otherwise."""
    x = np.asarray(x2d, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (sk.NUM_JOINTS, 2):
        raise ValueError(f"predict_mm: keypoints must have shape (N, {sk.NUM_JOINTS}, 2), got {x.shape}")
    return x


def keras_predictor(model, batch_size: int = 2048) -> Predictor:
    """A tf_keras lifter (metres out) as a predictor (mm out), inference mode (no dropout, BN moving stats)."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def _call(x):
        return model(x, training=False)

    takes_confidence = int(model.input_shape[-1]) == 3
    if len(model.input_shape) == 4:
        return _window_predictor(_call, int(model.input_shape[1]), takes_confidence, batch_size)

    def predict_mm(x2d: np.ndarray, confidence=None) -> np.ndarray:
        x2d = check_input(x2d)
        if takes_confidence:
            x2d = np.concatenate([x2d, confidence_channel(confidence, x2d)], -1)
        out = [_call(tf.constant(x2d[i:i + batch_size])).numpy() for i in range(0, len(x2d), batch_size)]
        return model_to_mm(np.concatenate(out) if out else np.zeros((0, x2d.shape[1], 3), np.float32))

    predict_mm.takes_confidence = takes_confidence
    return predict_mm


def _window_predictor(call, window: int, takes_confidence: bool, batch_size: int) -> Predictor:
    """The predictor of a temporal lifter's call (metres out): windows ``(N, T, 16, 2)`` (and confidences
    ``(N, T, 16)``) → the newest frames' ``(N, 16, 3)`` mm; attribute ``window`` = T."""
    import tensorflow as tf

    batch_size = max(1, batch_size // window)

    def predict_mm(x: np.ndarray, confidence=None) -> np.ndarray:
        x = np.asarray(x, np.float32)
        if x.ndim != 4 or x.shape[1:] != (window, sk.NUM_JOINTS, 2):
            raise ValueError(f"predict_mm: a temporal lifter takes windows of shape (N, {window}, {sk.NUM_JOINTS}, 2) "
                             f"(the last {window} frames, oldest first), got {x.shape}; per-frame rows go through "
                             "graphsh_tf.evaluate.sequence_predictor")
        if takes_confidence:
            c = np.ones(x.shape[:3], np.float32) if confidence is None else np.asarray(confidence, np.float32)
            if c.shape != x.shape[:3]:
                raise ValueError(f"predict_mm: confidence must have shape {x.shape[:3]}, got {c.shape}")
            x = np.concatenate([x, np.clip(c, 0.0, 1.0)[..., None]], -1)
        out = [call(tf.constant(x[i:i + batch_size])).numpy() for i in range(0, len(x), batch_size)]
        return model_to_mm(np.concatenate(out) if out else np.zeros((0, sk.NUM_JOINTS, 3), np.float32))

    predict_mm.takes_confidence = takes_confidence
    predict_mm.window = window
    return predict_mm


def sequence_predictor(predict_windows: Predictor, sequences) -> Predictor:
    """A temporal lifter's predictor (``window`` = T, taking windows) as a per-row predictor for rows labelled
    ``sequences``: ``x2d (N, 16, 2)`` (and confidences ``(N, 16)``), the rows of whole sequences in frame order →
    one prediction per row from the window of its sequence's last T frames
    (:func:`graphsh_tf.data.temporal.window_index`: the first frame repeated at a sequence's start). A predictor
    without a window is returned as it is."""
    from graphsh_tf.data.temporal import window_index

    window = int(getattr(predict_windows, "window", 1))
    if window <= 1:
        return predict_windows
    if sequences is None:
        raise ValueError(f"a temporal lifter (window {window}) predicts from sequences: pass the rows' sequence "
                         "labels (PoseSet.sequences)")
    labels = np.asarray(sequences)
    takes_confidence = getattr(predict_windows, "takes_confidence", False)

    def predict_mm(x2d: np.ndarray, confidence=None) -> np.ndarray:
        x2d = check_input(x2d)
        if len(x2d) != len(labels):
            raise ValueError(f"predict_mm: {len(x2d)} rows but {len(labels)} sequence labels; a temporal lifter "
                             "predicts the rows of the sequences it was given, all of them, in order")
        index = window_index(labels, window)
        if takes_confidence:
            c = np.ones(x2d.shape[:2], np.float32) if confidence is None else np.asarray(confidence, np.float32)
            return predict_windows(x2d[index], c[index])
        return predict_windows(x2d[index])

    predict_mm.takes_confidence = takes_confidence
    return predict_mm


def confidence_channel(confidence, x2d: np.ndarray) -> np.ndarray:
    """The confidences ``(N, 16)`` (None: all 1) of inputs ``x2d (N, 16, 2)`` as a float32 ``(N, 16, 1)`` channel
    in [0, 1]; ValueError naming the shape otherwise."""
    if confidence is None:
        return np.ones(x2d.shape[:2] + (1,), np.float32)
    c = np.asarray(confidence, np.float32)
    if c.shape != x2d.shape[:2]:
        raise ValueError(f"predict_mm: confidence must have shape {x2d.shape[:2]}, got {c.shape}")
    return np.clip(c, 0.0, 1.0)[..., None]


def flip_averaged(predict_mm: Predictor, skeleton: sk.Skeleton = sk.H36M16) -> Predictor:
    """Test-time flip augmentation (:func:`graphsh_tf.data.pipeline.flip_test`) around ``predict_mm`` (a predictor
    taking confidences gets them mirrored with the joints)."""
    from graphsh_tf.data.pipeline import flip_test

    if not getattr(predict_mm, "takes_confidence", False):
        return lambda x2d: np.asarray(flip_test(predict_mm, x2d, skeleton), dtype=np.float32)
    perm = skeleton.flip_permutation()

    def averaged(x2d, confidence=None):
        from graphsh_tf.data.pipeline import flip_poses

        x2d = check_input(x2d)
        c = np.ones(x2d.shape[:2], np.float32) if confidence is None else np.asarray(confidence, np.float32)
        pred = np.asarray(predict_mm(x2d, c), np.float64)
        _, mirrored = flip_poses(None, np.asarray(predict_mm(flip_poses(x2d, None, skeleton)[0], c[:, perm]),
                                                  np.float64), skeleton)
        return ((pred + mirrored) / 2.0).astype(np.float32)

    averaged.takes_confidence = True
    return averaged


def scoring_predictor(predictor, flip_test: bool = False, sequences=None) -> Predictor:
    """:func:`as_predictor` (per row of the sequences ``sequences`` for a temporal lifter:
    :func:`sequence_predictor`), flip-averaged when ``flip_test``: what the robustness table scores."""
    fn = sequence_predictor(as_predictor(predictor), sequences)
    return flip_averaged(fn) if flip_test else fn


def load_predictor(model_path: Union[str, Path], allow_foreign: bool = False) -> Tuple[Predictor, Dict]:
    """``(predictor, model_config_dict)`` for a run directory, a Keras ``.h5`` model or a ``.tflite`` file
    (``.tflite``: :class:`graphsh_tf.lite.runtime.TFLitePredictor`, outputs already in mm; the config then holds
    the file and its metadata). A ``.tflite`` without our metadata (sidecar or embedded) could expect other
    inputs or give other units, so it is refused unless ``allow_foreign``."""
    path = Path(model_path)
    if path.suffix == ".tflite":
        from graphsh_tf.io import require_file
        from graphsh_tf.lite.metadata import MetadataError, SidecarMismatch, read_metadata
        from graphsh_tf.lite.runtime import TFLitePredictor

        require_file(path, ModelInputError, "pass a run directory or an existing .tflite")
        cfg: Dict = {"tflite": str(path)}
        try:
            cfg["sidecar"] = read_metadata(path)
        except SidecarMismatch as e:   # a sidecar that describes another model is never scored, foreign or not
            raise ModelInputError(str(e)) from None
        except MetadataError as e:
            if not allow_foreign:
                raise ModelInputError(f"{path}: not a graphsh-tf model ({e}); its inputs and units are unknown, "
                                      "so it is not scored. Pass --allow-foreign to score it anyway") from None
        return method_predictor(TFLitePredictor(path)), cfg
    if not path.exists():
        raise ModelInputError(f"{path}: not found; MODEL is a run directory (training/fit.py --out), a Keras .h5 "
                              "or a .tflite file")
    from graphsh_tf.model_io import load_model

    model = load_model(path)
    cfg = getattr(model, "graphsh_config", None)
    return keras_predictor(model), (cfg.to_dict() if cfg is not None else {})


def method_predictor(obj) -> Predictor:
    """``obj.predict_mm`` as a predictor, marked ``takes_confidence`` when ``obj`` is (e.g. a
    :class:`graphsh_tf.lite.runtime.TFLitePredictor` of a model with a confidence channel) and with its ``window``
    when it is a temporal lifter."""
    window = int(getattr(obj, "window", 1))
    if not getattr(obj, "takes_confidence", False) and window <= 1:
        return obj.predict_mm

    def predict_mm(x2d, confidence=None):
        return obj.predict_mm(x2d, confidence)

    predict_mm.takes_confidence = bool(getattr(obj, "takes_confidence", False))
    predict_mm.window = window        # > 1: a temporal lifter, taking windows (sequence_predictor)
    return predict_mm


def as_predictor(model) -> Predictor:
    """A predictor from a path (run directory, ``.h5``, ``.tflite``), an object with ``predict_mm``, a tf_keras
    model, or a callable already returning mm."""
    if isinstance(model, (str, Path)):
        return load_predictor(model)[0]
    if hasattr(model, "predict_mm"):
        return method_predictor(model)
    if hasattr(model, "layers") and hasattr(model, "predict"):
        return keras_predictor(model)
    if callable(model):
        return model
    raise ModelInputError(f"cannot predict with a {type(model).__name__}; pass a Keras model, a .tflite path, a run "
                          "directory or a callable x2d -> mm")


def root_centred(pred_mm) -> np.ndarray:
    """Predictions ``(N, 16, 3)`` shifted so that each pose's root joint is exactly 0 (float32)."""
    pred = np.asarray(pred_mm, np.float32)
    return pred - pred[:, :1]


def score(pred_mm, true_mm, actions=None, train_true_mm=None, sequences=None) -> Dict:
    """Every metric of predictions ``pred_mm`` vs ``true_mm`` ``(N, 16, 3)`` mm: the one place predictions become
    numbers. Protocol #1 is root-relative: the network's root output is near, not exactly, 0 (the reference and
    VideoPose3D zero it before scoring too); the targets' root is exactly 0, so predictions are centred on their
    root first (:func:`root_centred`). ``sequences``: one label per pose (the rows of whole sequences, in frame
    order) adds the velocity and acceleration errors ``mpjve_mm`` and ``accel_mm`` over consecutive frames of each
    sequence. Returns :func:`graphsh_tf.metrics.evaluate_predictions`' dict (``mean_pose_mpjpe_mm`` None without
    training poses)."""
    result = metrics.evaluate_predictions(root_centred(pred_mm), true_mm, actions=actions,
                                          train_true_mm=train_true_mm if train_true_mm is not None
                                          and len(train_true_mm) else None, sequences=sequences)
    result.setdefault("mean_pose_mpjpe_mm", None)
    return result


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate` returns.

    Attributes:
        metrics: the eval.json document (see :func:`evaluate`), JSON-ready.
        pred_mm: ``(N, 16, 3)`` float32 root-centred predictions on the test split, in mm (the poses scored).
    """

    metrics: Dict
    pred_mm: np.ndarray


#: Joints a test-time occlusion may remove (limbs below the hips and shoulders), each filled with its parent.
DROPPABLE_JOINTS = perturb.DROPPABLE_JOINTS


def corrupt_inputs(x2d: np.ndarray, image_width, noise_px: float = 0.0, drop_joints: int = 0,
                   skeleton: sk.Skeleton = sk.H36M16, seed: int = 0) -> np.ndarray:
    """Test-time 2D corruption, as real detectors make it: ``drop_joints`` distinct limb joints per pose
    (:data:`DROPPABLE_JOINTS`) missing and filled as the keypoint adapters fill a missed joint
    (:func:`graphsh_tf.data.perturb.drop_limb_joints`), then Gaussian jitter of ``noise_px`` pixels per coordinate
    (normalized units are 2/width per pixel, ``image_width`` per row or one number). Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    x, _ = perturb.drop_limb_joints(x2d, drop_joints, rng, skeleton)
    if noise_px:
        width = np.broadcast_to(np.asarray(image_width, np.float64).reshape(-1), (len(x),))
        x = perturb.gaussian_noise(x, noise_px * 2.0 / width, rng)
    return x.astype(np.float32)


def evaluate(predictor, data, flip_test: bool = False, model_config: Optional[Dict] = None,
             noise_px: float = 0.0, drop_joints: int = 0, seed: int = 0, swap_limbs: int = 0,
             corruption: Optional[str] = None) -> Evaluation:
    """Score ``predictor`` (anything :func:`as_predictor` takes) on ``data.test`` (16 joints), optionally on inputs
    corrupted by :func:`graphsh_tf.robustness.corrupt_test_inputs` (``corruption``: a detector-mix spec,
    :meth:`graphsh_tf.data.corrupt.CorruptionParams.parse`). Returns an :class:`Evaluation` whose ``metrics``
    is the stable eval.json document:

    ``{"mpjpe_mm", "p_mpjpe_mm", "mean_pose_mpjpe_mm", "pck150", "auc", "n_poses", "flip_test", "noise_px",
    "drop_joints", "swap_limbs", "corruption", "per_action": {name: {"mpjpe_mm", "p_mpjpe_mm", "n_poses"}},
    "mpjve_mm", "accel_mm", "model": {...}}`` (velocity and acceleration errors over consecutive frames of each test
    sequence, :func:`graphsh_tf.metrics.mpjve`; a temporal lifter predicts every frame from its sequence's window),
    and ``"robustness"`` (:func:`graphsh_tf.robustness.robustness_table`) where the caller adds it.
    """
    data = data.to_16_joints()
    fn = sequence_predictor(as_predictor(predictor), data.test.sequences)   # a temporal lifter: whole sequences
    if flip_test:
        fn = flip_averaged(fn, data.skeleton)
    x = data.test.poses_2d
    if noise_px or drop_joints or swap_limbs or corruption:
        from graphsh_tf.robustness import corrupt_test_inputs

        x, conf = corrupt_test_inputs(x, data.test.image_size, noise_px, drop_joints, swap_limbs, corruption, seed)
    else:
        conf = np.ones(x.shape[:2], np.float32)
    pred = root_centred(fn(x, conf) if getattr(fn, "takes_confidence", False) else fn(x))
    result = score(pred, data.test.poses_3d, data.test.actions, data.train.poses_3d, data.test.sequences)
    result["flip_test"] = bool(flip_test)
    result["noise_px"], result["drop_joints"] = float(noise_px), int(drop_joints)
    result["swap_limbs"], result["corruption"] = int(swap_limbs), corruption
    result["model"] = dict(model_config or {})
    return Evaluation(result, pred)


def summary_line(result: Dict) -> str:
    """``MPJPE x mm, P-MPJPE y mm[, mean-pose baseline z mm]``."""
    mp = result.get("mean_pose_mpjpe_mm")
    return (f"MPJPE {result['mpjpe_mm']:.1f} mm, P-MPJPE {result['p_mpjpe_mm']:.1f} mm"
            + (f", mean-pose baseline {mp:.1f} mm" if mp is not None else ""))


def eval_markdown(result: Dict, title: str = "") -> str:
    """Per-action table (paper Tables 4-5 layout) plus one line of pooled numbers."""
    text = metrics.per_action_markdown(result, title)
    mean_pose = result.get("mean_pose_mpjpe_mm")
    text += (f"\nPooled over {result['n_poses']} poses: MPJPE {result['mpjpe_mm']:.1f} mm, "
             f"P-MPJPE {result['p_mpjpe_mm']:.1f} mm, PCK@150mm {result['pck150']:.1f} %, AUC {result['auc']:.1f}"
             + (f", mean-pose baseline {mean_pose:.1f} mm" if mean_pose is not None else "")
             + (f", MPJVE {result['mpjve_mm']:.2f} mm/frame" if result.get("mpjve_mm") is not None else "")
             + (f", acceleration error {result['accel_mm']:.2f} mm/frame²" if result.get("accel_mm") is not None
                else "")
             + (" (flip test)" if result.get("flip_test") else "") + "\n")
    if result.get("robustness"):
        from graphsh_tf.robustness import robustness_markdown

        text += "\n" + robustness_markdown(result["robustness"])
    return text


def write_eval(result: Dict, json_path, md_path=None, title: str = "") -> None:
    """eval.json (stable keys, see :func:`evaluate`) and, when ``md_path`` is given, the markdown tables."""
    from graphsh_tf.io import atomic_write_text, write_json

    write_json(json_path, result)
    if md_path is not None:
        atomic_write_text(md_path, eval_markdown(result, title))
