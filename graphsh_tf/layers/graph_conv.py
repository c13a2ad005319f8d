"""Graph convolutions over a fixed skeleton, as tf_keras layers built from constant matrix products.

Every variant maps ``x`` of shape ``(batch, joints, in_dim)`` to ``(batch, joints, units)``. The skeleton enters
only as constant ``float32`` matrices (the row-normalized adjacency ``A`` with self loops, its diagonal and
off-diagonal parts), so the graph converts to TFLite without gathers or dynamic shapes and quantizes to int8.

Conv types (:data:`CONV_TYPES`, one class each carrying its traits; names and weight shapes follow the reference
implementation, tamasino52/GraphSH, so state_dicts map one-to-one):

==============  =========================================  ====================================================
``gcn``          weights                                    output
==============  =========================================  ====================================================
``vanilla``      ``W (1, in, out)``                         ``A (x W0) + b``
``dc_vanilla``   ``W (2, in, out)``                         ``diag(A) (x W0) + offdiag(A) (x W1) + b``
``preagg``       ``W (1, J, in, out)`` (one per joint)      ``A (x_j W0_j) + b``
``dc_preagg``    ``W (2, J, in, out)``                      ``diag(A) (x_j W0_j) + offdiag(A) (x_j W1_j) + b``
``semantic``     ``W (2, in, out)``, ``e (1, nnz(A))``      ``S = softmax_rows(e on A's support)``; decoupled as dc
``modulated``    ``W (2, in, out)``, ``M (J, out)``,        ``Â = sym(A + adj2)``;
                 ``adj2 (J, J)``                            ``diag(Â) (M * x W0) + offdiag(Â) (M * x W1) + b``
==============  =========================================  ====================================================

A conv type is a subclass of :class:`GraphConv` registered with :func:`conv_type`: its class attributes say
whether it is ``decoupled`` (two weight sets: a joint itself / its neighbours) and ``per_joint`` (one weight matrix
per joint), and which ``extra_weights`` it has beside ``W`` and ``bias`` (named as in the reference state_dict);
its methods give the adjacency it mixes with, its output modulation and how many joints its reference tensors
describe. ``config``, ``torch_import`` and the exporter ask these instead of listing names.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

from graphsh_tf import skeleton as sk
from graphsh_tf.layers.initializers import TorchXavierUniform, torch_default_uniform

import numpy as np
import tensorflow as tf
import tf_keras as keras

#: The conv types by name, in the order the README lists them (filled by :func:`conv_type`).
CONV_TYPES: Dict[str, type] = {}


def conv_type(cls):
    """Class decorator: register a :class:`GraphConv` subclass under its ``gcn`` name (and for Keras loading)."""
    if not cls.gcn or cls.gcn in CONV_TYPES:
        raise ValueError(f"conv type {cls.__name__}: gcn name {cls.gcn!r} is empty or taken")
    CONV_TYPES[cls.gcn] = keras.utils.register_keras_serializable(package="graphsh_tf")(cls)
    return cls


def graph_conv(units: int, gcn: str, num_joints: int = sk.NUM_JOINTS, use_bias: bool = True, **kwargs) -> "GraphConv":
    """A graph conv layer of type ``gcn`` (a key of :data:`CONV_TYPES`)."""
    if gcn not in CONV_TYPES:
        raise ValueError(f"GraphConv: unknown gcn {gcn!r}; choose one of {tuple(CONV_TYPES)}")
    return CONV_TYPES[gcn](units, num_joints=num_joints, use_bias=use_bias, **kwargs)


class GraphConv(keras.layers.Layer):
    """Graph convolution on the GraphSH skeleton with ``num_joints`` (16, 8 or 4) joints; the base of the conv types
    (build one with :func:`graph_conv`).

    Input ``(batch, num_joints, in_dim)`` → output ``(batch, num_joints, units)``.
    """

    #: the registry name (``ModelConfig.gcn``)
    gcn: str = ""
    #: separate weight sets for a joint itself and for its neighbours (``W`` holds 2 sets)
    decoupled: bool = False
    #: one weight matrix per joint (``W`` of shape ``(K, J, in, out)``)
    per_joint: bool = False
    #: weights beside ``W`` and ``bias``, named (and shaped) as in the reference state_dict
    extra_weights: Tuple[str, ...] = ()

    def __init__(self, units: int, gcn: Optional[str] = None, num_joints: int = sk.NUM_JOINTS, use_bias: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        if not type(self).gcn or gcn not in (None, type(self).gcn):
            raise ValueError(f"{type(self).__name__}: build a graph conv with graph_conv(units, gcn) "
                             f"(gcn one of {tuple(CONV_TYPES)}), got gcn={gcn!r}")
        self.units = int(units)
        self.num_joints = int(num_joints)
        self.use_bias = bool(use_bias)
        adj = sk.adjacency_for(self.num_joints)
        eye = np.eye(self.num_joints, dtype=np.float32)
        self._adj = adj
        self._adj_self = np.diag(adj).astype(np.float32)          # (J,)
        self._adj_nb = (adj * (1.0 - eye)).astype(np.float32)     # (J, J)

    # -- what the reference's tensors say -----------------------------------------------------------------------------
    @classmethod
    def matches_reference(cls, sd: dict, prefix: str) -> bool:
        """Whether the state_dict tensors ``prefix + name`` are this conv type's: ``W``'s rank and number of sets
        and exactly this type's extra weights."""
        w = sd.get(prefix + "W")
        extra = {k[len(prefix):] for k in sd if k.startswith(prefix) and k[len(prefix):] not in ("W", "bias")}
        return (w is not None and w.ndim == (4 if cls.per_joint else 3) and w.shape[0] == (2 if cls.decoupled else 1)
                and extra == set(cls.extra_weights))

    @classmethod
    def reference_joints(cls, sd: dict, prefix: str) -> Optional[int]:
        """How many joints this type's reference tensors at ``prefix`` are for (None when they do not say)."""
        w = sd.get(prefix + "W")
        return int(w.shape[1]) if cls.per_joint and w is not None else None

    # -- what export reads -------------------------------------------------------------------------------------------
    def mixing_matrix(self) -> np.ndarray:
        """The joint mixing as one constant ``(J, K*J)`` matrix (float64; column ``k*J + j`` weighs weight set k at
        joint j): ``A`` for the plain convs, ``[diag(A) | offdiag(A)]`` for the decoupled ones (softmax / learned
        adjacency evaluated at the current weights). ``out_j = sum_k,i mix[j, k*J+i] (x_i W_k) + b``."""
        if not self.decoupled:
            return np.asarray(self._adj, dtype=np.float64)
        a_self, a_nb = (np.asarray(t, dtype=np.float64) for t in self._adjacency_parts())
        return np.concatenate([np.diag(a_self), a_nb], axis=1)

    def modulation(self) -> Optional[np.ndarray]:
        """``(J, out)`` factors multiplying each joint's transformed features before the mixing, or None."""
        return None

    # -- weights ------------------------------------------------------------------------------------------------
    def build(self, input_shape):
        in_dim = int(input_shape[-1])
        if input_shape[-2] is not None and int(input_shape[-2]) != self.num_joints:
            raise ValueError(f"{self.name}: expected input of shape (batch, {self.num_joints}, {in_dim}), "
                             f"got {tuple(input_shape)}")
        self.in_dim = in_dim
        n_w = 2 if self.decoupled else 1
        if self.per_joint:
            w_shape = (n_w, self.num_joints, in_dim, self.units)
        else:
            w_shape = (n_w, in_dim, self.units)
        self.W = self.add_weight(name="W", shape=w_shape, initializer=TorchXavierUniform(1.414), trainable=True)
        self.build_extra_weights()
        if self.use_bias:
            # The reference draws the bias from U(±1/sqrt(W.size(2))): that is ``out`` for the (n, in, out)
            # weights but ``in`` for the per-joint (n, J, in, out) weights of preagg / dc_preagg.
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        initializer=torch_default_uniform(w_shape[2]), trainable=True)
        super().build(input_shape)

    def build_extra_weights(self) -> None:
        """Add :attr:`extra_weights` (between ``W`` and ``bias``, the reference's order)."""

    # -- math -----------------------------------------------------------------------------------------------------
    @staticmethod
    def _mix(adj, h):
        """Joint mixing ``adj @ h`` for joint-major ``h`` of shape ``(J, B, C)``: one (J, J) @ (J, B*C) matmul."""
        flat = tf.reshape(h, tf.stack([tf.shape(h)[0], -1]))
        return tf.reshape(tf.matmul(tf.cast(adj, h.dtype), flat), tf.shape(h))

    def _adjacency_parts(self):
        """(diagonal (J,), off-diagonal (J, J)) of the adjacency this layer mixes with."""
        return self._adj_self, self._adj_nb

    def _modulate(self, hs):
        """The transformed features of each weight set, each ``(J, B, out)``, before the mixing."""
        return hs

    def call(self, x):
        # Work joint-major, (J, B, C): the per-joint transform is then one batched matmul with the joints as its
        # batch, and the joint mixing is one (J, J) @ (J, B*C) matmul (not B tiny broadcast matmuls). One transpose
        # in, one out. ``tf.unstack`` (not ``W[k]``) keeps the gradient free of full-size StridedSliceGrad zeros.
        xt = tf.transpose(x, [1, 0, 2])                                       # (J, B, in)
        hs = self._modulate([tf.matmul(xt, w) for w in tf.unstack(self.W)])   # each (J, B, out)
        if not self.decoupled:
            out = self._mix(self._adj, hs[0])
        else:
            a_self, a_nb = self._adjacency_parts()
            out = hs[0] * tf.reshape(a_self, (-1, 1, 1)) + self._mix(a_nb, hs[1])
        if self.use_bias:
            out = out + self.bias
        return tf.transpose(out, [1, 0, 2])                                   # (B, J, out)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(tuple(input_shape[:-1]) + (self.units,))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, gcn=self.gcn, num_joints=self.num_joints, use_bias=self.use_bias)
        return cfg


@conv_type
class VanillaGraphConv(GraphConv):
    """``A (x W0) + b``: one weight matrix shared by all joints."""

    gcn = "vanilla"


@conv_type
class DecoupledVanillaGraphConv(GraphConv):
    """``diag(A) (x W0) + offdiag(A) (x W1) + b``."""

    gcn, decoupled = "dc_vanilla", True


@conv_type
class PreAggGraphConv(GraphConv):
    """``A (x_j W0_j) + b``: one weight matrix per joint."""

    gcn, per_joint = "preagg", True


@conv_type
class DecoupledPreAggGraphConv(GraphConv):
    """``diag(A) (x_j W0_j) + offdiag(A) (x_j W1_j) + b``: the paper's PreAggr."""

    gcn, decoupled, per_joint = "dc_preagg", True, True


@conv_type
class SemanticGraphConv(GraphConv):
    """SemGConv: learnable edge weights ``e`` on A's support, a masked softmax per row, decoupled."""

    gcn, decoupled, extra_weights = "semantic", True, ("e",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rows, cols = np.nonzero(self._adj > 0)                    # row-major order, as torch's nonzero()
        scatter = np.zeros((len(rows), self.num_joints * self.num_joints), dtype=np.float32)
        scatter[np.arange(len(rows)), rows * self.num_joints + cols] = 1.0
        self._sem_scatter = scatter                               # (nnz, J*J): e @ scatter = e on A's support
        self._sem_fill = np.where(self._adj > 0, 0.0, -9e15).astype(np.float32)

    @classmethod
    def reference_joints(cls, sd: dict, prefix: str) -> Optional[int]:
        e = sd.get(prefix + "e")
        if e is None:
            return None
        return next((j for j in (16, 8, 4) if int(np.count_nonzero(sk.adjacency_for(j) > 0)) == e.shape[1]), None)

    def build_extra_weights(self) -> None:
        self.e = self.add_weight(name="e", shape=(1, self._sem_scatter.shape[0]),
                                 initializer=keras.initializers.Ones(), trainable=True)

    def _adjacency_parts(self):
        j = self.num_joints
        logits = tf.reshape(tf.matmul(self.e, self._sem_scatter), (j, j)) + self._sem_fill
        soft = tf.nn.softmax(logits, axis=1)
        return tf.linalg.diag_part(soft), soft * (1.0 - tf.eye(j))


@conv_type
class ModulatedGraphConv(GraphConv):
    """Weight and affinity modulation: ``Â = sym(A + adj2)``, ``diag(Â) (M * x W0) + offdiag(Â) (M * x W1) + b``."""

    gcn, decoupled, extra_weights = "modulated", True, ("M", "adj2")

    @classmethod
    def reference_joints(cls, sd: dict, prefix: str) -> Optional[int]:
        m = sd.get(prefix + "M")
        return None if m is None else int(m.shape[0])

    def build_extra_weights(self) -> None:
        self.M = self.add_weight(name="M", shape=(self.num_joints, self.units),
                                 initializer=keras.initializers.Ones(), trainable=True)
        self.adj2 = self.add_weight(name="adj2", shape=(self.num_joints, self.num_joints),
                                    initializer=keras.initializers.Constant(1e-6), trainable=True)

    def modulation(self) -> Optional[np.ndarray]:
        return self.M.numpy().astype(np.float64)

    def _modulate(self, hs):
        m = self.M[:, None, :]
        return [h * m for h in hs]

    def _adjacency_parts(self):
        adj = self._adj + self.adj2
        adj = 0.5 * (adj + tf.transpose(adj))
        return tf.linalg.diag_part(adj), adj * (1.0 - tf.eye(self.num_joints))
