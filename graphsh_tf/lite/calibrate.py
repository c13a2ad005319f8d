"""Int8 calibration inputs: the representative poses for the converter and the head-equalization factors.

Both come from the run's TRAINING split (never the test split that validation scores).
"""
from __future__ import annotations

from typing import Callable, Iterable, Optional, Sequence

from graphsh_tf.lite.folded import INPUT_NAME, build_forward
from graphsh_tf.lite.head import head_layers
from graphsh_tf.lite.hooks import Hooks

import numpy as np
import tensorflow as tf
import tf_keras as keras


def representative_poses(x2d: np.ndarray, count: int = 500, seed=0) -> np.ndarray:
    """``count`` poses of ``x2d (N, 16, 2)`` drawn without replacement, in their original order. ``seed``: an int
    or a ``np.random.Generator`` (which the draw advances)."""
    x2d = np.asarray(x2d, np.float32)
    pick = np.random.default_rng(seed).choice(len(x2d), size=min(int(count), len(x2d)), replace=False)
    return x2d[np.sort(pick)]


def representative_dataset(samples: np.ndarray, batch: int) -> Callable[[], Iterable]:
    """The converter's ``representative_dataset``: ``samples`` in batches of ``batch`` (the graph's fixed batch)."""
    samples = np.asarray(samples, dtype=np.float32)

    def gen():
        for i in range(0, len(samples) - batch + 1, batch):
            yield {INPUT_NAME: samples[i:i + batch]}
    return gen


class _ChannelProbe(Hooks):
    """Records the per-channel ``max |x|`` of the activations ``keys`` (last axis = channels)."""

    def __init__(self, keys):
        self.keys, self.value = set(keys), {}

    def act(self, key: str, x):
        if key in self.keys:
            self.value[key] = np.max(np.abs(x.numpy()).reshape(-1, x.shape[-1]), axis=0).astype(np.float64)
        return x


class _RangeProbe(Hooks):
    """Records the ``(min, max)`` of every activation the int8 graph quantizes."""

    def __init__(self):
        self.value = {}

    def act(self, key: str, x):
        lo, hi = float(np.min(x.numpy())), float(np.max(x.numpy()))
        old = self.value.get(key, (lo, hi))
        self.value[key] = (min(old[0], lo), max(old[1], hi))
        return x


#: An activation whose calibrated range is below this fraction of the median range gets that much range.
MIN_RELATIVE_RANGE = 1e-3


def _minmax_ranges(model, samples, bias_in_transform, head, float_parts=(), batch=100) -> dict:
    probe = _RangeProbe()
    forward = build_forward(model, "conv", bias_in_transform=bias_in_transform, hooks=probe, head_scale=head,
                            float_parts=float_parts)
    samples = np.asarray(samples, np.float32)
    for i in range(0, len(samples), batch):
        forward(tf.constant(samples[i:i + batch]))
    return {k: (min(lo, 0.0), max(hi, 0.0)) for k, (lo, hi) in probe.value.items()}


def widen_degenerate(ranges: dict) -> dict:
    """``ranges`` ``{key: (lo, hi)}`` with every range narrower than :data:`MIN_RELATIVE_RANGE` x the median range
    widened to that (see :func:`degenerate_ranges` for why)."""
    if not ranges:
        return {}
    floor = MIN_RELATIVE_RANGE * float(np.median([hi - lo for lo, hi in ranges.values()]))
    return {k: (lo, max(hi, lo + floor)) for k, (lo, hi) in ranges.items()}


def degenerate_ranges(model: keras.Model, samples: np.ndarray, bias_in_transform: bool = True,
                      head: Optional[np.ndarray] = None, float_parts: Sequence[str] = ()) -> dict:
    """``{key: (lo, hi)}`` for the activations whose range over ``samples`` is (nearly) empty, widened to
    :data:`MIN_RELATIVE_RANGE` x the median range. Such a tensor (e.g. a squeeze-and-excitation unit that stays 0
    on every calibration pose) gets a near-zero int8 scale, and XNNPACK then refuses the op that produces it (its
    requantization scale ``input x weight / output`` exceeds 256: "failed to prepare", measured on dc_preagg hid
    8 x 1 and hid 16 x 4 with random weights). Widening the range keeps the tensor exact (it holds ~0) and the op
    delegable."""
    raw = _minmax_ranges(model, samples, bias_in_transform, head, float_parts)
    return {k: r for k, r in widen_degenerate(raw).items() if r != raw[k]}


def head_scale(model: keras.Model, samples: np.ndarray) -> Optional[np.ndarray]:
    """Per-channel factors ``r (C,)`` equalizing the int8 ranges of the multi-level head's concatenated features
    (``max |x|`` over ``samples (M, 16, 2)`` of channel i → the median channel range), or None without such a head.
    The concatenated features, the SE gate's input and the gated features each share one int8 scale; channels
    of small range would otherwise be quantized to a few levels and amplified by the output layer. Measured
    (synthetic PreAggr-64, 6 epochs, int8 PTQ ΔMPJPE on 4000 test poses): none +5.60 mm, concat ranges +4.48,
    gated-feature ranges +5.26, their geometric mean +5.22 — so the concat's ranges."""
    found = head_layers(model)
    if found is None:
        return None
    probe = _ChannelProbe([found[0].name])
    build_forward(model, "conv", bias_in_transform=False, hooks=probe)(
        tf.constant(np.asarray(samples, np.float32)))
    rng = probe.value[found[0].name]
    rng = np.maximum(rng, 1e-6 * max(float(rng.max()), 1e-12))
    return np.median(rng) / rng
