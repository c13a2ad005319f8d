"""Head equalization: the multi-level head (Dense per stack → Concatenate → [SE: GAP → Dense, Multiply] → Dense)
rescaled per concat channel so int8 spends its levels evenly; the same float function
(:func:`graphsh_tf.lite.calibrate.head_scale` measures the factors, :func:`graphsh_tf.lite.folded.build_forward`
applies them).
"""
from __future__ import annotations

from typing import Optional

from graphsh_tf.lite.fold_ops import layer_inputs
from graphsh_tf.lite.variants import ExportError

import numpy as np
import tf_keras as keras


def head_layers(model: keras.Model) -> Optional[tuple]:
    """``(concat, [dense feeding it, in order], [dense reading the concat's channels])`` of a multi-level head
    (Dense per stack → Concatenate → [SE: GAP → Dense, Multiply] → Dense), or None."""
    concat = [layer for layer in model.layers if isinstance(layer, keras.layers.Concatenate)]
    if len(concat) != 1:
        return None
    concat = concat[0]
    feeders = [t._keras_history.layer for t in layer_inputs(concat)]
    if not all(isinstance(f, keras.layers.Dense) and keras.activations.serialize(f.activation) == "linear"
               for f in feeders):
        return None
    scaled, readers = {id(concat.output)}, []
    for layer in model.layers:
        ins = [id(t) for t in layer_inputs(layer)] if not isinstance(layer, keras.layers.InputLayer) else []
        hit = [i in scaled for i in ins]
        if not any(hit):
            continue
        if isinstance(layer, keras.layers.Dense):
            readers.append(layer)
        elif isinstance(layer, keras.layers.GlobalAveragePooling1D) or (
                isinstance(layer, keras.layers.Multiply) and sum(hit) == 1):
            scaled.add(id(layer.output))
        else:
            return None                   # a consumer that does not commute with per-channel scaling
    return concat, feeders, readers


def apply_head_scale(model: keras.Model, params: dict, r: np.ndarray) -> None:
    """Scale concat channel ``i`` by ``r[i]`` (columns of the Dense layers feeding it) and undo it in the rows of
    the Dense layers reading it (SE squeeze, output layer): the same function, equalized channel ranges."""
    found = head_layers(model)
    if found is None:
        raise ExportError("head_scale: the model has no multi-level Dense/Concatenate head to equalize")
    _, feeders, readers = found
    off = 0
    for f in feeders:
        k, b = params[f.name]
        n = k.shape[1]
        params[f.name] = (k * r[off:off + n], b * r[off:off + n])
        off += n
    for d in readers:
        k, b = params[d.name]
        params[d.name] = (k / r[:, None], b)
