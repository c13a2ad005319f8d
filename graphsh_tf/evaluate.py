"""THE evaluation: any model as a :class:`Predictor`, and one function from predictions to every metric.

A predictor maps ``x2d (N, 16, 2)`` normalized keypoints to ``(N, 16, 3)`` joints in mm. :func:`as_predictor` makes
one from a tf_keras model (metres out), a ``.tflite`` file, a run directory or ``.h5`` file, or any callable.
:func:`score` turns predictions into the metrics (MPJPE Protocol #1 root-relative, P-MPJPE, PCK@150mm, AUC,
per-action, mean-pose baseline); :func:`evaluate` runs a predictor on a data set's test split and scores it.
``fit``'s final evaluation, ``training/evaluate.py`` and ``tflite/validate.py`` all go through :func:`score`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Optional, Protocol, Tuple, Union

import numpy as np

from graphsh_tf import metrics
from graphsh_tf import skeleton as sk
from graphsh_tf.data.normalize import model_to_mm


class Predictor(Protocol):
    """``x2d (N, 16, 2)`` float32 normalized keypoints → ``(N, 16, 3)`` float32 joints, mm."""

    def __call__(self, x2d: np.ndarray) -> np.ndarray: ...


#: The plain-function form of a :class:`Predictor` (the name the old ``training_eval`` module used).
PredictFn = Callable[[np.ndarray], np.ndarray]


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

    def predict_mm(x2d: np.ndarray) -> np.ndarray:
        x2d = check_input(x2d)
        out = [_call(tf.constant(x2d[i:i + batch_size])).numpy() for i in range(0, len(x2d), batch_size)]
        return model_to_mm(np.concatenate(out) if out else np.zeros((0, x2d.shape[1], 3), np.float32))

    return predict_mm


def flip_averaged(predict_mm: Predictor, skeleton: sk.Skeleton = sk.H36M16) -> Predictor:
    """Test-time flip augmentation (:func:`graphsh_tf.data.pipeline.flip_test`) around ``predict_mm``."""
    from graphsh_tf.data.pipeline import flip_test

    return lambda x2d: np.asarray(flip_test(predict_mm, x2d, skeleton), dtype=np.float32)


def load_predictor(model_path: Union[str, Path], allow_foreign: bool = False) -> Tuple[Predictor, Dict]:
    """``(predictor, model_config_dict)`` for a run directory, a Keras ``.h5`` model or a ``.tflite`` file
    (``.tflite``: :class:`graphsh_tf.lite.runtime.TFLitePredictor`, outputs already in mm; the config then holds
    the file and its metadata). A ``.tflite`` without our metadata (sidecar or embedded) could expect other
    inputs or give other units, so it is refused unless ``allow_foreign``."""
    path = Path(model_path)
    if path.suffix == ".tflite":
        from graphsh_tf.lite.metadata import MetadataError, read_metadata
        from graphsh_tf.lite.runtime import TFLitePredictor

        if not path.exists():
            raise ModelInputError(f"{path}: .tflite file not found; pass a run directory or an existing .tflite")
        cfg: Dict = {"tflite": str(path)}
        try:
            cfg["sidecar"] = read_metadata(path)
        except MetadataError as e:
            if not allow_foreign:
                raise ModelInputError(f"{path}: not a graphsh-tf model ({e}); its inputs and units are unknown, "
                                      "so it is not scored. Pass --allow-foreign to score it anyway") from None
        return TFLitePredictor(path).predict_mm, cfg
    if not path.exists():
        raise ModelInputError(f"{path}: not found; MODEL is a run directory (training/fit.py --out), a Keras .h5 "
                              "or a .tflite file")
    from graphsh_tf.models import load_model

    model = load_model(path)
    cfg = getattr(model, "graphsh_config", None)
    return keras_predictor(model), (cfg.to_dict() if cfg is not None else {})


def as_predictor(model) -> Predictor:
    """A predictor from a path (run directory, ``.h5``, ``.tflite``), an object with ``predict_mm``, a tf_keras
    model, or a callable already returning mm."""
    if isinstance(model, (str, Path)):
        return load_predictor(model)[0]
    if hasattr(model, "predict_mm"):
        return model.predict_mm
    if hasattr(model, "layers") and hasattr(model, "predict"):
        return keras_predictor(model)
    if callable(model):
        return model
    raise ModelInputError(f"cannot predict with a {type(model).__name__}; pass a Keras model, a .tflite path, a run "
                          "directory or a callable x2d -> mm")


def score(pred_mm, true_mm, actions=None, train_true_mm=None) -> Dict:
    """Every metric of predictions ``pred_mm`` vs ``true_mm`` ``(N, 16, 3)`` mm: the one place predictions become
    numbers. Protocol #1 is root-relative: the network's root output is near, not exactly, 0 (the reference and
    VideoPose3D zero it before scoring too); the targets' root is exactly 0, so predictions are centred on their
    root first. Returns :func:`graphsh_tf.metrics.evaluate_predictions`' dict (``mean_pose_mpjpe_mm`` None
    without training poses) plus ``_pred_mm``, the centred predictions (dropped by :func:`public_result`)."""
    pred = np.asarray(pred_mm, np.float32)
    pred = pred - pred[:, :1]
    result = metrics.evaluate_predictions(pred, true_mm, actions=actions,
                                          train_true_mm=train_true_mm if train_true_mm is not None
                                          and len(train_true_mm) else None)
    result.setdefault("mean_pose_mpjpe_mm", None)
    result["_pred_mm"] = pred
    return result


def evaluate(predictor, data, flip_test: bool = False, model_config: Optional[Dict] = None) -> Dict:
    """Score ``predictor`` (anything :func:`as_predictor` takes) on ``data.test`` (16 joints). Returns the stable
    eval.json document:

    ``{"mpjpe_mm", "p_mpjpe_mm", "mean_pose_mpjpe_mm", "pck150", "auc", "n_poses", "flip_test",
    "per_action": {name: {"mpjpe_mm", "p_mpjpe_mm", "n_poses"}}, "model": {...}}``.
    """
    data = data.to_16_joints()
    fn = as_predictor(predictor)
    if flip_test:
        fn = flip_averaged(fn, data.skeleton)
    result = score(fn(data.test.poses_2d), data.test.poses_3d, data.test.actions, data.train.poses_3d)
    result["flip_test"] = bool(flip_test)
    result["model"] = dict(model_config or {})
    return result


def public_result(result: Dict) -> Dict:
    """``result`` without private (underscore) keys, JSON-ready."""
    return {k: v for k, v in result.items() if not k.startswith("_")}


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
             + (" (flip test)" if result.get("flip_test") else "") + "\n")
    return text


def write_eval(result: Dict, json_path, md_path=None, title: str = "") -> None:
    """eval.json (stable keys, see :func:`evaluate`) and, when ``md_path`` is given, the markdown tables."""
    from graphsh_tf.io import atomic_write_text, write_json

    doc = public_result(result)
    write_json(json_path, doc)
    if md_path is not None:
        atomic_write_text(md_path, eval_markdown(doc, title))
