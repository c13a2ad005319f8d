"""Moved to the :mod:`graphsh_tf.lite` package (folded graph, calibration, converter, export). Old names kept."""
from graphsh_tf.data.normalize import MM_PER_MODEL_UNIT as MM_PER_M  # noqa: F401
from graphsh_tf.io import atomic_write_bytes as write_atomic  # noqa: F401
from graphsh_tf.lite.calibrate import head_scale  # noqa: F401
from graphsh_tf.lite.convert import convert  # noqa: F401
from graphsh_tf.lite.export import export_run, export_variants  # noqa: F401
from graphsh_tf.lite.folded import (  # noqa: F401
    FORMULATIONS, INPUT_NAME, OUTPUT_NAME, SIGNATURE, ExportError, Hooks, LiftModule, RangeHooks, build_forward,
    fake_quant_weight)
from graphsh_tf.lite.metadata import QAT_WEIGHTS, VARIANTS, variant_filename  # noqa: F401


def run_config(run_dir):
    """The run's config.json as a dict (moved: :meth:`graphsh_tf.run.Run.read_document`)."""
    from graphsh_tf.run import Run

    return Run(run_dir).read_document()


def run_data(config: dict, source: str = "config.json"):
    """The data set of a config.json document (moved: :func:`graphsh_tf.run.load_data` takes the run itself)."""
    from graphsh_tf.config import DataConfig

    data = config.get("data") or {}
    if not data.get("spec"):
        raise ExportError(f"{source}: field 'data.spec' missing; pass --data SPEC (e.g. synthetic)")
    return DataConfig.from_run_section(data, int((config.get("train") or {}).get("seed", 0)), source).load()
