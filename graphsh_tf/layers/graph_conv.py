"""Graph convolutions over a fixed skeleton, as tf_keras layers built from constant matrix products.

Every variant maps ``x`` of shape ``(batch, joints, in_dim)`` to ``(batch, joints, units)``. The skeleton enters
only as constant ``float32`` matrices (the row-normalized adjacency ``A`` with self loops, its diagonal and
off-diagonal parts), so the graph converts to TFLite without gathers or dynamic shapes and quantizes to int8.

Variants (names and weight shapes follow the reference implementation, tamasino52/GraphSH, so state_dicts map
one-to-one):

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
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
import tf_keras as keras

from graphsh_tf import skeleton as sk
from graphsh_tf.config import GCN_TYPES, is_decoupled, is_per_joint
from graphsh_tf.layers.initializers import TorchXavierUniform, torch_default_uniform  # noqa: F401  (also re-exported)



@keras.utils.register_keras_serializable(package="graphsh_tf")
class GraphConv(keras.layers.Layer):
    """Graph convolution of type ``gcn`` on the GraphSH skeleton with ``num_joints`` (16, 8 or 4) joints.

    Input ``(batch, num_joints, in_dim)`` → output ``(batch, num_joints, units)``.
    """

    def __init__(self, units: int, gcn: str = "dc_preagg", num_joints: int = sk.NUM_JOINTS, use_bias: bool = True, **kwargs):
        super().__init__(**kwargs)
        if gcn not in GCN_TYPES:
            raise ValueError(f"GraphConv: unknown gcn {gcn!r}; choose one of {GCN_TYPES}")
        self.units = int(units)
        self.gcn = gcn
        self.num_joints = int(num_joints)
        self.use_bias = bool(use_bias)
        adj = sk.adjacency_for(self.num_joints)
        eye = np.eye(self.num_joints, dtype=np.float32)
        self._adj = adj
        self._adj_self = np.diag(adj).astype(np.float32)          # (J,)
        self._adj_nb = (adj * (1.0 - eye)).astype(np.float32)     # (J, J)
        if gcn == "semantic":
            rows, cols = np.nonzero(adj > 0)                      # row-major order, as torch's nonzero()
            scatter = np.zeros((len(rows), self.num_joints * self.num_joints), dtype=np.float32)
            scatter[np.arange(len(rows)), rows * self.num_joints + cols] = 1.0
            self._sem_scatter = scatter                           # (nnz, J*J): e @ scatter = e on A's support
            self._sem_fill = np.where(adj > 0, 0.0, -9e15).astype(np.float32)

    # -- what export reads -------------------------------------------------------------------------------------------
    @property
    def decoupled(self) -> bool:
        """Separate weight sets for a joint itself and for its neighbours (``W`` holds 2 sets)."""
        return is_decoupled(self.gcn)

    @property
    def per_joint(self) -> bool:
        """One weight matrix per joint (``W`` of shape ``(K, J, in, out)``)."""
        return is_per_joint(self.gcn)

    def mixing_matrix(self) -> np.ndarray:
        """The joint mixing as one constant ``(J, K*J)`` matrix (float64; column ``k*J + j`` weighs weight set k at
        joint j): ``A`` for the plain convs, ``[diag(A) | offdiag(A)]`` for the decoupled ones (softmax / learned
        adjacency evaluated at the current weights). ``out_j = sum_k,i mix[j, k*J+i] (x_i W_k) + b``."""
        if not self.decoupled:
            return np.asarray(self._adj, dtype=np.float64)
        a_self, a_nb = (np.asarray(t, dtype=np.float64) for t in self._adjacency_parts())
        return np.concatenate([np.diag(a_self), a_nb], axis=1)

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
        if self.gcn == "semantic":
            self.e = self.add_weight(name="e", shape=(1, self._sem_scatter.shape[0]),
                                     initializer=keras.initializers.Ones(), trainable=True)
        if self.gcn == "modulated":
            self.M = self.add_weight(name="M", shape=(self.num_joints, self.units),
                                     initializer=keras.initializers.Ones(), trainable=True)
            self.adj2 = self.add_weight(name="adj2", shape=(self.num_joints, self.num_joints),
                                        initializer=keras.initializers.Constant(1e-6), trainable=True)
        if self.use_bias:
            # The reference draws the bias from U(±1/sqrt(W.size(2))): that is ``out`` for the (n, in, out)
            # weights but ``in`` for the per-joint (n, J, in, out) weights of preagg / dc_preagg.
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        initializer=torch_default_uniform(w_shape[2]), trainable=True)
        super().build(input_shape)

    # -- math -----------------------------------------------------------------------------------------------------
    @staticmethod
    def _mix(adj, h):
        """Joint mixing ``adj @ h`` for joint-major ``h`` of shape ``(J, B, C)``: one (J, J) @ (J, B*C) matmul."""
        flat = tf.reshape(h, tf.stack([tf.shape(h)[0], -1]))
        return tf.reshape(tf.matmul(tf.cast(adj, h.dtype), flat), tf.shape(h))

    def _adjacency_parts(self):
        """(diagonal (J,), off-diagonal (J, J)) of the adjacency this layer mixes with."""
        if self.gcn == "semantic":
            j = self.num_joints
            logits = tf.reshape(tf.matmul(self.e, self._sem_scatter), (j, j)) + self._sem_fill
            soft = tf.nn.softmax(logits, axis=1)
            eye = tf.eye(j)
            return tf.linalg.diag_part(soft), soft * (1.0 - eye)
        if self.gcn == "modulated":
            adj = self._adj + self.adj2
            adj = 0.5 * (adj + tf.transpose(adj))
            eye = tf.eye(self.num_joints)
            return tf.linalg.diag_part(adj), adj * (1.0 - eye)
        return self._adj_self, self._adj_nb

    def call(self, x):
        # Work joint-major, (J, B, C): the per-joint transform is then one batched matmul with the joints as its
        # batch, and the joint mixing is one (J, J) @ (J, B*C) matmul (not B tiny broadcast matmuls). One transpose
        # in, one out. ``tf.unstack`` (not ``W[k]``) keeps the gradient free of full-size StridedSliceGrad zeros.
        xt = tf.transpose(x, [1, 0, 2])                                       # (J, B, in)
        hs = [tf.matmul(xt, w) for w in tf.unstack(self.W)]                   # each (J, B, out)
        if self.gcn == "modulated":
            m = self.M[:, None, :]
            hs = [h * m for h in hs]
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
