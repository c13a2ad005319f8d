"""The first layer of a model whose input normalization has a step of its own (``input_norm="pose"``): it applies
:meth:`graphsh_tf.contract.InputContract.model_step_tf`, the TensorFlow twin of what the runtimes apply in front
of a ``.tflite`` (exported graphs start AFTER this layer)."""
from __future__ import annotations

from graphsh_tf.contract import InputContract

import tf_keras as keras


@keras.utils.register_keras_serializable(package="graphsh_tf")
class InputNormalization(keras.layers.Layer):
    """``(B, J, C)`` → the model step of ``normalization`` (a key of :data:`graphsh_tf.contract.NORMALIZATIONS`)."""

    def __init__(self, normalization: str = "pose", **kwargs):
        super().__init__(**kwargs)
        self.contract = InputContract(normalization)

    def call(self, x):
        return self.contract.model_step_tf(x)

    def get_config(self):
        return {**super().get_config(), "normalization": self.contract.normalization}


def model_input_layer(inp, contract: InputContract):
    """The model's view of its input tensor ``inp``: as is, or through an :class:`InputNormalization` layer (named
    ``<normalization>_normalize``) when ``contract`` has a model step."""
    if not contract.has_model_step:
        return inp
    return InputNormalization(contract.normalization, name=f"{contract.normalization}_normalize")(inp)


def input_contract(model: keras.Model) -> InputContract:
    """The input contract of a built Keras model: its :class:`InputNormalization` layer's (``screen`` without one),
    with as many channels as its input has."""
    norm = next((layer.contract.normalization for layer in model.layers if isinstance(layer, InputNormalization)),
                "screen")
    return InputContract.for_model({"input_norm": norm, "in_dim": int(model.input_shape[-1])})
