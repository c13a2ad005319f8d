"""Building blocks of the folded graph (:mod:`graphsh_tf.lite.folded`): a tensor in joint-major and/or
channel-major layout (:class:`Value`), ``FULLY_CONNECTED`` on the last axis (:func:`matmul_last`), a chain of binary
ADDs, and a graph conv with BatchNorm folded in (:class:`Pending`), emitted as *transform* then *mix*
(:func:`emit_graph_conv`).

A graph conv becomes *transform* then *mix*. Per-joint weights (``preagg``/``dc_preagg``) are a grouped 1x1
``CONV_2D`` (groups = joints; one filter per joint and weight set, so the weight count does not grow), shared
weights a ``FULLY_CONNECTED``. The joint mixing with the constant ``[diag(A) | offdiag(A)]`` matrix is a
``FULLY_CONNECTED`` over the joint axis of a channel-major tensor (so it quantizes per channel like any weight).
The bias is added in the transform when every row of the mixing matrix sums to 1 (row-normalized adjacency,
softmax), so the mixing op carries the ReLU alone.
"""
from __future__ import annotations

from typing import Optional

from graphsh_tf.layers import GraphConv
from graphsh_tf.lite.hooks import PLAIN, Hooks
from graphsh_tf.lite.variants import ExportError

import numpy as np
import tensorflow as tf

#: Graph formulations: ``conv`` (the default), and ``bmm`` (per-joint ``BATCH_MATMUL``), ``split_fc`` (one
#: ``FULLY_CONNECTED`` per joint) and ``keras`` (the Keras graph converted as is), kept for
#: ``benchmarks/tflite_formulations.py``.
FORMULATIONS = ("conv", "bmm", "split_fc", "keras")


class Pending:
    """A graph conv not yet emitted: ``relu?(mix @ (transform(x) [* M]) + bias)``, BN folded in on the way.

    ``w``: ``(K, J, Cin, Cout)`` (per-joint) or ``(K, Cin, Cout)`` (shared); ``mix``: ``(J, K*J)``, column
    ``k*J + j`` (:meth:`graphsh_tf.layers.GraphConv.mixing_matrix`); ``mod``: ``(J, Cout)`` or None; ``bias``:
    ``(Cout,)``.
    """

    def __init__(self, x, w, mix, bias, per_joint, mod=None, name: str = "gconv"):
        self.x, self.w, self.mix, self.bias, self.per_joint, self.mod = x, w, mix, bias, per_joint, mod
        self.name = name

    def scale(self, s: np.ndarray, t: np.ndarray) -> "Pending":
        """Fold ``y * s + t`` (per output channel) into the weights and bias."""
        return Pending(self.x, self.w * s, self.mix, self.bias * s + t, self.per_joint, self.mod, self.name)


class Value:
    """A tensor of the rebuilt graph, kept in joint-major ``(N, J, C)`` and/or channel-major ``(N, C, J)``."""

    def __init__(self, jc=None, cj=None):
        self._jc, self._cj = jc, cj

    def jc(self):
        if self._jc is None:
            self._jc = tf.transpose(self._cj, [0, 2, 1])
        return self._jc

    def cj(self):
        if self._cj is None:
            self._cj = tf.transpose(self._jc, [0, 2, 1])
        return self._cj

    @property
    def has_jc(self) -> bool:
        """Whether the joint-major layout exists already (no transpose needed)."""
        return self._jc is not None

    @property
    def has_cj(self) -> bool:
        """Whether the channel-major layout exists already."""
        return self._cj is not None


def matmul_last(x, w: np.ndarray, b: Optional[np.ndarray] = None, relu: bool = False, hooks: Hooks = None,
                key: str = "fc", w_kind: str = "w"):
    """``x (..., In) @ w (In, Out) [+ b]`` on the last axis as one FULLY_CONNECTED (fixed shapes); ``hooks``:
    weights ``key/w``, ``key/b``, output activation ``key``."""
    hooks = hooks or PLAIN
    shape = x.shape.as_list()
    y = tf.matmul(tf.reshape(x, (-1, shape[-1])), hooks.weight(f"{key}/w", w, w_kind))
    if b is not None:
        y = tf.nn.bias_add(y, b if isinstance(b, tf.Tensor) else hooks.weight(f"{key}/b", b, "b"))
    if relu:
        y = tf.nn.relu(y)
    return tf.reshape(hooks.act(key, y), shape[:-1] + [w.shape[1]])


def bn_fold(layer) -> tuple:
    """``(s, t)`` float64 of a BatchNormalization in inference: ``y = x * s + t``."""
    gamma = layer.gamma.numpy() if layer.scale else 1.0
    beta = layer.beta.numpy() if layer.center else 0.0
    s = gamma / np.sqrt(layer.moving_variance.numpy() + layer.epsilon)
    return s.astype(np.float64), (beta - layer.moving_mean.numpy() * s).astype(np.float64)


def graph_conv_params(layer: GraphConv) -> tuple:
    """Eager numpy ``(w, mix, bias, per_joint, mod)`` of a graph conv (see :class:`Pending`)."""
    w = layer.W.numpy().astype(np.float64)
    mix = layer.mixing_matrix()
    bias = layer.bias.numpy().astype(np.float64) if layer.use_bias else np.zeros(layer.units)
    mod = layer.modulation()
    assert mix.shape == (layer.num_joints, w.shape[0] * layer.num_joints)
    return w, mix, bias, layer.per_joint, mod


def _transform(p: Pending, formulation: str, bias_in_transform: bool = True, hooks: Hooks = None):
    """Per-joint or shared feature transform → ``(N, J, K, Cout)`` joint-major (bias added if foldable)."""
    k_sets = p.w.shape[0]
    cout = p.w.shape[-1]
    x = p.x.jc()
    n, j, cin = x.shape.as_list()
    fold_bias = bias_in_transform and p.mod is None and np.allclose(p.mix.sum(axis=1), 1.0, atol=1e-6)
    b = np.tile(p.bias, k_sets) if fold_bias else None                     # (K*Cout,)
    hooks = hooks or PLAIN
    key = f"{p.name}/transform"
    # the one bias variable ``<name>/bias`` (Cout,), tiled in the graph (the converter folds the tile), so QAT
    # trains one bias per channel as the Keras layer has
    bias_t = hooks.weight(f"{p.name}/bias", p.bias, "b") if fold_bias else None
    if not p.per_joint:
        tiled = tf.tile(bias_t, [k_sets]) if fold_bias else None
        y = matmul_last(x, np.concatenate(list(p.w), axis=1), tiled, hooks=hooks, key=key)   # (N, J, K*Cout)
        y = tf.reshape(y, (n, j, k_sets, cout))
    elif formulation == "conv":
        # filter (1, 1, Cin, J*K*Cout): group g (joint g) owns output channels [g*K*Cout, (g+1)*K*Cout)
        f = np.transpose(p.w, (2, 1, 0, 3)).reshape(cin, j * k_sets * cout)[None, None]
        y = tf.nn.conv2d(tf.reshape(x, (n, 1, 1, j * cin)), hooks.weight(f"{key}/w", f, "w"), 1, "VALID")
        if fold_bias:
            y = tf.nn.bias_add(y, tf.tile(bias_t, [k_sets * j]))
        y = tf.reshape(hooks.act(key, y), (n, j, k_sets, cout))
    elif formulation == "bmm":
        wj = np.transpose(p.w, (1, 2, 0, 3)).reshape(j, cin, k_sets * cout)
        y = tf.matmul(tf.transpose(x, [1, 0, 2]), tf.constant(wj.astype(np.float32)))    # (J, N, K*Cout)
        if b is not None:
            y = y + tf.constant(b.astype(np.float32))
        y = tf.transpose(tf.reshape(y, (j, n, k_sets, cout)), [1, 0, 2, 3])
    elif formulation == "split_fc":
        rows = tf.split(x, j, axis=1)
        outs = [matmul_last(rows[i], np.transpose(p.w[:, i], (1, 0, 2)).reshape(cin, k_sets * cout), b)
                for i in range(j)]
        y = tf.reshape(tf.concat(outs, axis=1), (n, j, k_sets, cout))
    else:
        raise ExportError(f"unknown formulation {formulation!r}; choose one of {FORMULATIONS}")
    if p.mod is not None:
        y = hooks.act(f"{p.name}/mod", y * hooks.weight(f"{p.name}/mod/w", p.mod[:, None, :], "const"))
    return y, fold_bias


def emit_graph_conv(p: Pending, relu: bool, formulation: str, bias_in_transform: bool, hooks: Hooks) -> Value:
    """Emit transform + mixing (+ bias) (+ ReLU); result channel-major."""
    y, bias_done = _transform(p, formulation, bias_in_transform, hooks)
    n, j, k_sets, cout = y.shape.as_list()
    yt = tf.reshape(tf.transpose(y, [0, 3, 2, 1]), (n, cout, k_sets * j))        # column k*J + j
    mix_key = f"{p.name}/mix"
    if bias_done:
        out = matmul_last(yt, p.mix.T, relu=relu, hooks=hooks, key=mix_key, w_kind="const")   # (N, Cout, J)
    else:
        out = matmul_last(yt, p.mix.T, hooks=hooks, key=mix_key, w_kind="const")
        out = out + hooks.weight(f"{p.name}/bias", p.bias[:, None], "b")
        out = hooks.act(f"{p.name}/out", tf.nn.relu(out) if relu else out)
    return Value(cj=out)


def add_chain(xs: list):
    """Sum as a chain of binary ADDs (ADD_N has no int8 kernel)."""
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def layer_inputs(layer) -> list:
    """The input tensors of a functional-model layer, as a list."""
    inp = layer.input
    return list(inp) if isinstance(inp, (list, tuple)) else [inp]
