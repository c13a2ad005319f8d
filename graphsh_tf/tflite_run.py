"""Moved to :mod:`graphsh_tf.lite.runtime`, :mod:`graphsh_tf.validate`, :mod:`graphsh_tf.lite.bench` and
:mod:`graphsh_tf.evaluate` (predictors). Old names kept."""
from graphsh_tf.evaluate import as_predictor as predictor, keras_predictor  # noqa: F401
from graphsh_tf.lite.bench import (  # noqa: F401
    BenchmarkLogError, benchmark_file, benchmark_markdown, host_info, parse_benchmark_model_log, peak_rss_mb,
    time_interpreter)
from graphsh_tf.lite.metadata import variant_of  # noqa: F401
from graphsh_tf.lite.runtime import (  # noqa: F401
    SIGNATURE, TFLiteModelError, TFLitePredictor, check_lifter, load_interpreter, model_ops, op_names,
    op_tensor_types, tensor_dtypes_of_ops)
from graphsh_tf.validate import validate_files, validate_markdown  # noqa: F401


class KerasPredictor:
    """``predict_mm`` of a tf_keras model whose output is in metres (moved: :func:`graphsh_tf.evaluate.keras_predictor`)."""

    def __init__(self, model, batch_size: int = 256):
        self.model = model
        self.predict_mm = keras_predictor(model, batch_size)
