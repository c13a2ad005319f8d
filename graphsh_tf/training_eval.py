"""Moved to :mod:`graphsh_tf.evaluate` (the one evaluation path). Old names kept."""
from graphsh_tf.evaluate import (  # noqa: F401
    ModelInputError, PredictFn, evaluate as evaluate_on_data, flip_averaged, keras_predictor as keras_predict_mm,
    load_predictor, public_result)
