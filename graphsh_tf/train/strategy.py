"""Distribution strategy from a name and ``TF_CONFIG``.

``default`` = one device; ``mirrored`` = MirroredStrategy over all local GPUs (or logical CPUs); ``multiworker`` =
MultiWorkerMirroredStrategy configured by ``TF_CONFIG``; ``auto`` = multiworker when ``TF_CONFIG`` names more than
one task, else mirrored when more than one GPU is visible, else default. Only the chief writes the run directory.
"""
from __future__ import annotations

import json
import os
from typing import Dict, Optional

import graphsh_tf  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf


class TrainingError(ValueError):
    """A training setup problem (strategy, TF_CONFIG, run dir); the message names the field and the fix."""


# --- strategy ---------------------------------------------------------------------------------------------------

def parse_tf_config(env: Optional[str] = None) -> Dict:
    """The ``TF_CONFIG`` JSON as a dict ({} when unset); :class:`TrainingError` when unparsable or incomplete."""
    text = os.environ.get("TF_CONFIG", "") if env is None else env
    if not text.strip():
        return {}
    try:
        cfg = json.loads(text)
    except json.JSONDecodeError as e:
        raise TrainingError(f"TF_CONFIG: not valid JSON ({e}); set it to "
                            '{"cluster": {"worker": ["host:port", ...]}, '
                            '"task": {"type": "worker", "index": 0}}') from None
    cluster, task = (cfg.get("cluster"), cfg.get("task")) if isinstance(cfg, dict) else (None, None)
    if not isinstance(cluster, dict) or not cluster or not isinstance(task, dict):
        raise TrainingError("TF_CONFIG: needs a non-empty 'cluster' object and a 'task' object "
                            '(e.g. {"cluster": {"worker": ["10.0.0.1:12345"]}, '
                            '"task": {"type": "worker", "index": 0}})')
    ttype, index = task.get("type"), task.get("index")
    if ttype not in cluster or not isinstance(index, int) or not 0 <= index < len(cluster[ttype]):
        raise TrainingError(f"TF_CONFIG: task {task} is not in cluster {sorted(cluster)}; "
                            "task.type must be a cluster job name and task.index an index into its address list")
    return cfg


def is_chief_task(tf_config: Dict) -> bool:
    """True for the task that writes the run dir: type 'chief', or worker 0 when the cluster has no chief."""
    if not tf_config:
        return True
    task = tf_config["task"]
    if task["type"] == "chief":
        return True
    return task["type"] == "worker" and task["index"] == 0 and "chief" not in tf_config["cluster"]


def select_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """The tf.distribute strategy for ``name`` (see module docstring). Create it before any other TF op."""
    if name == "multiworker":
        tf_config = parse_tf_config()
        if not tf_config:
            raise TrainingError("--strategy multiworker needs TF_CONFIG (cluster + task) in the environment of "
                                "every worker; see the README section on multi-worker training")
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        if not tf.config.list_physical_devices("GPU"):
            cpus = tf.config.list_logical_devices("CPU")
            if len(cpus) > 1:  # e.g. tf.config.set_logical_device_configuration split a CPU (tests)
                return tf.distribute.MirroredStrategy([d.name for d in cpus])
        return tf.distribute.MirroredStrategy()
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "auto":
        tf_config = parse_tf_config()
        if tf_config and sum(len(v) for v in tf_config["cluster"].values()) > 1:
            return tf.distribute.MultiWorkerMirroredStrategy()
        if len(tf.config.list_physical_devices("GPU")) > 1:
            return tf.distribute.MirroredStrategy()
        return tf.distribute.get_strategy()
    raise TrainingError(f"strategy={name!r} is not one of auto, default, mirrored, multiworker")
