"""Moved to :mod:`graphsh_tf.lite.qat`. Old names kept."""
from graphsh_tf.lite.qat import (  # noqa: F401
    FoldedQATHooks, GraphConvQuantizeConfig, NoQuantizeConfig, OutputQuantizeConfig, QuantizeConfig, copy_back,
    folded_to_keras, qat_finetune, quantize_aware_model, quantize_config_for as _config_for, quantize_scope)
