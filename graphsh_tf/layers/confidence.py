"""Where a model takes the per-joint confidence: the one swappable place between the model's input and its first
graph conv.

A model with ``ModelConfig.confidence_input`` other than ``none`` takes ``(B, 16, 3)``: the normalized ``x, y``
and the adapters' confidence ``c`` in [0, 1] (the detector score of the keypoints a joint was built from, 0 for a
joint the adapters filled). :data:`CONFIDENCE_ENTRIES` maps each ``confidence_input`` name to a function
``entry(x) -> tensor`` giving what the first graph conv reads:

* ``channel``: ``(x, y, c)`` as they are; the first graph conv's weights get a third input row, so the network
  learns per joint how much to believe a position from its confidence. No new layer, so the folded graph and
  every TFLite variant take it as they take the 2-channel input.

Another entry (a gate or a mask computed from ``c``) is a function here plus its name in
:data:`graphsh_tf.config.CONFIDENCE_INPUTS`; a new Keras layer in it also needs an emitter in
:mod:`graphsh_tf.lite.folded` for the export.
"""
from __future__ import annotations

from typing import Callable, Dict


def _channel(x):
    return x


CONFIDENCE_ENTRIES: Dict[str, Callable] = {"channel": _channel}


def confidence_entry(x, confidence_input: str):
    """What the first graph conv of a model with ``confidence_input`` reads of its (normalized) input ``x``."""
    if confidence_input == "none":
        return x
    if confidence_input not in CONFIDENCE_ENTRIES:
        raise ValueError(f"confidence_input={confidence_input!r}: not one of {['none', *CONFIDENCE_ENTRIES]}")
    return CONFIDENCE_ENTRIES[confidence_input](x)
