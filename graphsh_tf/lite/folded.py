"""The folded inference graph: the trained Keras model rebuilt from constants, ready for the TFLite converter.

The Keras model is not converted as is. :func:`build_forward` walks the flat functional model and rebuilds
it from constants, with everything foldable folded:

* BatchNorm after a graph conv is folded into its weights and bias; the bias is folded into the feature transform
  when every row of the mixing matrix sums to 1 (row-normalized adjacency, softmax), so the mixing op carries the
  ReLU alone.
* the metres→millimetres factor (x1000) is folded into the output layer: every ``.tflite`` outputs mm.
* a graph conv becomes *transform* then *mix*. Per-joint weights (``preagg``/``dc_preagg``) are a grouped 1x1
  ``CONV_2D`` (groups = joints; one filter per joint and weight set, so the weight count does not grow), shared
  weights a ``FULLY_CONNECTED``. The joint mixing with the constant ``[diag(A) | offdiag(A)]`` matrix is a
  ``FULLY_CONNECTED`` over the joint axis of a channel-major tensor (so it quantizes per channel like any weight).
  Skeletal pooling and unpooling are ``FULLY_CONNECTED`` with 0/1 weights on the same channel-major layout.

Other formulations (``formulation=``) exist for the measurements of ``benchmarks/tflite_formulations.py`` (they
lost on latency; the default is ``conv``):
``"bmm"`` (per-joint ``BATCH_MATMUL``), ``"split_fc"`` (one ``FULLY_CONNECTED`` per joint),
``"keras"`` (the Keras graph converted as is).

Experiments that lost were removed (their code is in the history): per-joint range equalization of the
transform outputs for int8 (measured no gain; commit 807dacc), BatchNorm kept as a multiply after the mixing
instead of folded into the weights (measured worse for int8; 4b5c228), and the skeletal pool as one
FULLY_CONNECTED + SPLIT or with MAXIMUM (neither is delegated to XNNPACK in int8: the int8 graph fell into 9
partitions instead of 1; c98b355). Head channel equalization won (int8 PTQ ΔMPJPE 6.0 → 4.6 mm; 0769734) and is
on for every full-integer conversion (:func:`graphsh_tf.lite.calibrate.head_scale`).

Every graph has fixed shapes: signature ``lift`` with input ``keypoints_2d`` ``[batch, 16, 2]`` float32 (or int8)
and output ``joints_3d`` ``[batch, 16, 3]`` in mm.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional

import numpy as np
import tensorflow as tf
import tf_keras as keras

from graphsh_tf.data.normalize import MM_PER_MODEL_UNIT, pose_normalize
from graphsh_tf.layers import GraphConv, PoseNormalize, SkeletalPool, SkeletalUnpool
from graphsh_tf.layers.pose_norm import pose_normalize_tf

FORMULATIONS = ("conv", "bmm", "split_fc", "keras")
SIGNATURE = "lift"
INPUT_NAME = "keypoints_2d"
OUTPUT_NAME = "joints_3d"


class ExportError(ValueError):
    """A model cannot be exported (unknown layer, activation, formulation or variant); the message names it and
    the fix."""


# --- where constants are read and activations quantized ------------------------------------------------------------

class Hooks:
    """Where the folded graph reads its constants and where int8 quantizes its activations.

    ``weight(key, arr, kind)``: the tensor for the constant ``arr`` (kind ``"w"``: a learned weight, ``"b"``: a
    bias, ``"const"``: a fixed matrix such as the joint mixing); ``act(key, x)``: the activation ``x`` at a tensor the
    int8 graph quantizes. Keys name the producing layer (``gconv_input_gconv/transform/w``, ``.../mix``, ``.../out``).
    The default: plain constants, no fake quantization (the float graph).
    """

    def weight(self, key: str, arr: np.ndarray, kind: str = "w"):
        return tf.constant(np.asarray(arr, dtype=np.float32))

    def act(self, key: str, x):
        return x


_PLAIN = Hooks()


def fake_quant_weight(w, narrow: bool = True, per_channel: bool = False):
    """TFLite's int8 weight scheme on ``w``: symmetric, scale ``max|w| / 127`` per tensor, or with ``per_channel``
    per output channel for CONV_2D filters (rank 4, channels last: the grouped per-joint transforms, which hold
    nearly all the weights). FULLY_CONNECTED weights stay per tensor: the converter transposes them to
    ``(out, in)`` and refuses a per-channel FakeQuant across that transpose. Straight-through gradients."""
    if per_channel and w.shape.rank == 4:
        m = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(w), axis=[0, 1, 2]), 1e-8))
        return tf.quantization.fake_quant_with_min_max_vars_per_channel(w, -m, m, num_bits=8, narrow_range=narrow)
    m = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(w)), 1e-8))
    return tf.quantization.fake_quant_with_min_max_vars(w, -m, m, num_bits=8, narrow_range=narrow)


class RangeHooks(Hooks):
    """Fixed int8 ranges: weights fake-quantized as TFLite quantizes them, activations with ``ranges[key] = (lo,
    hi)`` (``FakeQuant`` ops, which the converter uses instead of calibrating). Keys without a range are left to the
    converter's calibration."""

    def __init__(self, ranges: Dict[str, tuple], per_channel: bool = False, weights: bool = True):
        self.ranges = {k: (float(min(lo, 0.0)), float(max(hi, 0.0, lo + 1e-6))) for k, (lo, hi) in ranges.items()}
        self.per_channel = bool(per_channel)
        self.weights = bool(weights)        # False: weights stay plain constants (the converter quantizes them)

    def weight(self, key: str, arr: np.ndarray, kind: str = "w"):
        t = tf.constant(np.asarray(arr, dtype=np.float32))
        return t if kind == "b" or not self.weights else fake_quant_weight(t, per_channel=self.per_channel)

    def act(self, key: str, x):
        if key not in self.ranges:
            return x
        lo, hi = self.ranges[key]
        return tf.quantization.fake_quant_with_min_max_args(x, lo, hi, num_bits=8, narrow_range=False)


class _Pending:
    """A graph conv not yet emitted: ``relu?(mix @ (transform(x) [* M]) + bias)``, BN folded in on the way.

    ``w``: ``(K, J, Cin, Cout)`` (per-joint) or ``(K, Cin, Cout)`` (shared); ``mix``: ``(J, K*J)``, column
    ``k*J + j`` (:meth:`graphsh_tf.layers.GraphConv.mixing_matrix`); ``mod``: ``(J, Cout)`` or None; ``bias``:
    ``(Cout,)``.
    """

    def __init__(self, x, w, mix, bias, per_joint, mod=None, name: str = "gconv"):
        self.x, self.w, self.mix, self.bias, self.per_joint, self.mod = x, w, mix, bias, per_joint, mod
        self.name = name

    def scale(self, s: np.ndarray, t: np.ndarray) -> "_Pending":
        """Fold ``y * s + t`` (per output channel) into the weights and bias."""
        return _Pending(self.x, self.w * s, self.mix, self.bias * s + t, self.per_joint, self.mod, self.name)


class _Value:
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


def _matmul_last(x, w: np.ndarray, b: Optional[np.ndarray] = None, relu: bool = False, hooks: Hooks = None,
                 key: str = "fc", w_kind: str = "w"):
    """``x (..., In) @ w (In, Out) [+ b]`` on the last axis as one FULLY_CONNECTED (fixed shapes); ``hooks``:
    weights ``key/w``, ``key/b``, output activation ``key``."""
    hooks = hooks or _PLAIN
    shape = x.shape.as_list()
    y = tf.matmul(tf.reshape(x, (-1, shape[-1])), hooks.weight(f"{key}/w", w, w_kind))
    if b is not None:
        y = tf.nn.bias_add(y, b if isinstance(b, tf.Tensor) else hooks.weight(f"{key}/b", b, "b"))
    if relu:
        y = tf.nn.relu(y)
    return tf.reshape(hooks.act(key, y), shape[:-1] + [w.shape[1]])


def _bn_fold(layer) -> tuple:
    gamma = layer.gamma.numpy() if layer.scale else 1.0
    beta = layer.beta.numpy() if layer.center else 0.0
    s = gamma / np.sqrt(layer.moving_variance.numpy() + layer.epsilon)
    return s.astype(np.float64), (beta - layer.moving_mean.numpy() * s).astype(np.float64)


def _graph_conv_params(layer: GraphConv) -> tuple:
    """Eager numpy ``(w, mix, bias, per_joint, mod)`` of a graph conv (see :class:`_Pending`)."""
    w = layer.W.numpy().astype(np.float64)
    mix = layer.mixing_matrix()
    bias = layer.bias.numpy().astype(np.float64) if layer.use_bias else np.zeros(layer.units)
    mod = layer.M.numpy().astype(np.float64) if layer.gcn == "modulated" else None
    assert mix.shape == (layer.num_joints, w.shape[0] * layer.num_joints)
    return w, mix, bias, layer.per_joint, mod


def _transform(p: _Pending, formulation: str, bias_in_transform: bool = True, hooks: Hooks = None):
    """Per-joint or shared feature transform → ``(N, J, K, Cout)`` joint-major (bias added if foldable)."""
    k_sets = p.w.shape[0]
    cout = p.w.shape[-1]
    x = p.x.jc()
    n, j, cin = x.shape.as_list()
    fold_bias = bias_in_transform and p.mod is None and np.allclose(p.mix.sum(axis=1), 1.0, atol=1e-6)
    b = np.tile(p.bias, k_sets) if fold_bias else None                     # (K*Cout,)
    hooks = hooks or _PLAIN
    key = f"{p.name}/transform"
    # the one bias variable ``<name>/bias`` (Cout,), tiled in the graph (the converter folds the tile), so QAT
    # trains one bias per channel as the Keras layer has
    bias_t = hooks.weight(f"{p.name}/bias", p.bias, "b") if fold_bias else None
    if not p.per_joint:
        tiled = tf.tile(bias_t, [k_sets]) if fold_bias else None
        y = _matmul_last(x, np.concatenate(list(p.w), axis=1), tiled, hooks=hooks, key=key)   # (N, J, K*Cout)
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
        outs = [_matmul_last(rows[i], np.transpose(p.w[:, i], (1, 0, 2)).reshape(cin, k_sets * cout), b)
                for i in range(j)]
        y = tf.reshape(tf.concat(outs, axis=1), (n, j, k_sets, cout))
    else:
        raise ExportError(f"unknown formulation {formulation!r}; choose one of {FORMULATIONS}")
    if p.mod is not None:
        y = hooks.act(f"{p.name}/mod", y * hooks.weight(f"{p.name}/mod/w", p.mod[:, None, :], "const"))
    return y, fold_bias


def _emit(p: _Pending, relu: bool, formulation: str, bias_in_transform: bool, hooks: Hooks) -> _Value:
    """Emit transform + mixing (+ bias) (+ ReLU); result channel-major."""
    y, bias_done = _transform(p, formulation, bias_in_transform, hooks)
    n, j, k_sets, cout = y.shape.as_list()
    yt = tf.reshape(tf.transpose(y, [0, 3, 2, 1]), (n, cout, k_sets * j))        # column k*J + j
    mix_key = f"{p.name}/mix"
    if bias_done:
        out = _matmul_last(yt, p.mix.T, relu=relu, hooks=hooks, key=mix_key, w_kind="const")   # (N, Cout, J)
    else:
        out = _matmul_last(yt, p.mix.T, hooks=hooks, key=mix_key, w_kind="const")
        out = out + hooks.weight(f"{p.name}/bias", p.bias[:, None], "b")
        out = hooks.act(f"{p.name}/out", tf.nn.relu(out) if relu else out)
    return _Value(cj=out)


def _inputs(layer) -> list:
    inp = layer.input
    return list(inp) if isinstance(inp, (list, tuple)) else [inp]


def pose_normalized(model: keras.Model) -> bool:
    """Whether ``model`` starts with :class:`graphsh_tf.layers.PoseNormalize` (``input_norm="pose"``): its exported
    graphs then take the pose-normalized input (:func:`graph_input`)."""
    return any(isinstance(layer, PoseNormalize) for layer in model.layers)


def graph_input(model: keras.Model, x2d: np.ndarray) -> np.ndarray:
    """What an exported graph of ``model`` takes for the normalized 2D ``x2d (N, 16, 2)``: ``x2d`` itself, or
    :func:`graphsh_tf.data.normalize.pose_normalize` of it for ``input_norm="pose"`` models."""
    x2d = np.asarray(x2d, np.float32)
    return pose_normalize(x2d) if pose_normalized(model) else x2d


def build_forward(model: keras.Model, formulation: str = "conv", bias_in_transform: bool = True,
                  hooks: Optional[Hooks] = None, head_scale: Optional[np.ndarray] = None,
                  prenormalized: bool = False) -> Callable:
    """A function ``x (N, 16, 2) → (N, 16, 3) mm`` that rebuilds ``model`` from folded constants.

    ``prenormalized``: for ``input_norm="pose"`` models, ``x`` is already pose-normalized (:func:`graph_input`; the
    exported graphs); otherwise the function normalizes it first, in float, before the ``input`` activation.

    ``hooks``: where constants are read and activations quantized (:class:`Hooks`; default plain constants).
    ``head_scale``: per-channel factors equalizing the multi-level head (:func:`apply_head_scale`) or None.
    ``bias_in_transform``: add the bias in the feature transform where the mixing rows sum to 1 (every variant;
    ``False``, the bias after the mixing, cost int8 21 ADDs and quantized tensors: +2.28 vs +1.72 mm ΔMPJPE and
    80 vs 63 µs on the real-mocap pose-input model)."""
    out_layer = model.layers[-1]
    params = {}
    for layer in model.layers:                    # numpy weights, read eagerly before tracing
        if isinstance(layer, GraphConv):
            params[layer.name] = _graph_conv_params(layer)
        elif isinstance(layer, keras.layers.BatchNormalization):
            params[layer.name] = _bn_fold(layer)
        elif isinstance(layer, keras.layers.Dense):
            kernel = layer.kernel.numpy()
            bias = layer.bias.numpy() if layer.use_bias else np.zeros(kernel.shape[1], np.float32)
            params[layer.name] = (kernel, bias)
    if head_scale is not None:
        apply_head_scale(model, params, head_scale)
    hooks = hooks or _PLAIN

    normalize = pose_normalized(model) and not prenormalized

    @tf.autograph.experimental.do_not_convert
    def forward(x):
        if normalize:
            x = pose_normalize_tf(x)
        vals: Dict[int, object] = {id(model.inputs[0]): _Value(jc=hooks.act("input", x))}

        def get(t, relu=False):
            v = vals[id(t)]
            if isinstance(v, _Pending):
                v = _emit(v, relu, formulation, bias_in_transform, hooks)
                if not relu:
                    vals[id(t)] = v
            return v

        for layer in model.layers:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            ins = _inputs(layer)
            out_id = id(layer.output)
            if isinstance(layer, GraphConv):
                w, mix, bias, per_joint, mod = params[layer.name]
                p = _Pending(get(ins[0]), w, mix, bias, per_joint, mod, name=layer.name)
                if layer is out_layer:
                    p = p.scale(np.full(layer.units, MM_PER_MODEL_UNIT), np.zeros(layer.units))
                vals[out_id] = p
            elif isinstance(layer, keras.layers.BatchNormalization):
                src = vals[id(ins[0])]
                s, t = params[layer.name]
                if isinstance(src, _Pending):
                    vals[out_id] = src.scale(s, t)
                else:
                    vals[out_id] = _Value(jc=src.jc() * s.astype(np.float32) + t.astype(np.float32))
            elif isinstance(layer, keras.layers.ReLU):
                src = vals[id(ins[0])]
                vals[out_id] = get(ins[0], relu=True) if isinstance(src, _Pending) else _Value(
                    cj=tf.nn.relu(src.cj()))
            elif isinstance(layer, (keras.layers.Dropout, PoseNormalize)):   # PoseNormalize: done above / by caller
                vals[out_id] = vals[id(ins[0])]
            elif isinstance(layer, SkeletalPool):
                xin = get(ins[0]).cj()
                sel_a, sel_b = layer.selections                                 # (J/2, J_in) each
                # two FULLY_CONNECTED (SPLIT is not delegated to XNNPACK in int8: a partition per pool), and
                # max(a, b) = a + relu(b - a) (MAXIMUM has no int8 XNNPACK kernel)
                a = _matmul_last(xin, sel_a.T, hooks=hooks, key=f"{layer.name}/a", w_kind="const")
                b = _matmul_last(xin, sel_b.T, hooks=hooks, key=f"{layer.name}/b", w_kind="const")
                d = hooks.act(f"{layer.name}/diff", tf.nn.relu(b - a))
                vals[out_id] = _Value(cj=hooks.act(layer.name, a + d))
            elif isinstance(layer, SkeletalUnpool):
                vals[out_id] = _Value(cj=_matmul_last(get(ins[0]).cj(), layer.copy_matrix.T, hooks=hooks, key=layer.name,
                                                      w_kind="const"))
            elif isinstance(layer, keras.layers.Add):
                vs = [get(t) for t in ins]
                if all(v._jc is not None for v in vs) and not all(v._cj is not None for v in vs):
                    vals[out_id] = _Value(jc=hooks.act(layer.name, _add([v.jc() for v in vs])))
                else:
                    vals[out_id] = _Value(cj=hooks.act(layer.name, _add([v.cj() for v in vs])))
            elif isinstance(layer, keras.layers.Concatenate):
                vals[out_id] = _Value(jc=hooks.act(layer.name, tf.concat([get(t).jc() for t in ins], axis=-1)))
            elif isinstance(layer, keras.layers.Dense):
                kernel, bias = params[layer.name]
                if layer is out_layer:
                    kernel, bias = kernel * MM_PER_MODEL_UNIT, bias * MM_PER_MODEL_UNIT
                act = keras.activations.serialize(layer.activation)
                y = _matmul_last(get(ins[0]).jc(), kernel, bias, relu=act == "relu", hooks=hooks, key=layer.name)
                if act == "sigmoid":
                    y = tf.sigmoid(y)
                elif act not in ("linear", "relu"):
                    raise ExportError(f"layer {layer.name}: activation {act!r} is not supported by the exporter")
                vals[out_id] = _Value(jc=y)
            elif isinstance(layer, keras.layers.GlobalAveragePooling1D):
                vals[out_id] = _Value(jc=hooks.act(layer.name, tf.reduce_mean(get(ins[0]).jc(), axis=1, keepdims=True)))
            elif isinstance(layer, keras.layers.Reshape):
                src = get(ins[0]).jc()
                vals[out_id] = _Value(jc=tf.reshape(src, [src.shape[0]] + list(layer.target_shape)))
            elif isinstance(layer, keras.layers.Multiply):
                vs = [get(t).jc() for t in ins]
                vals[out_id] = _Value(jc=hooks.act(layer.name, vs[0] * vs[1]))
            else:
                raise ExportError(f"layer {layer.name} ({type(layer).__name__}) is not supported by the exporter; "
                                  "extend graphsh_tf.lite.folded.build_forward")
        return get(out_layer.output).jc()

    return forward


def _add(xs: list):
    """Sum as a chain of binary ADDs (ADD_N has no int8 kernel)."""
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def head_layers(model: keras.Model) -> Optional[tuple]:
    """``(concat, [dense feeding it, in order], [dense reading the concat's channels])`` of a multi-level head
    (Dense per stack → Concatenate → [SE: GAP → Dense, Multiply] → Dense), or None."""
    concat = [layer for layer in model.layers if isinstance(layer, keras.layers.Concatenate)]
    if len(concat) != 1:
        return None
    concat = concat[0]
    feeders = [t._keras_history.layer for t in _inputs(concat)]
    if not all(isinstance(f, keras.layers.Dense) and keras.activations.serialize(f.activation) == "linear"
               for f in feeders):
        return None
    scaled, readers = {id(concat.output)}, []
    for layer in model.layers:
        ins = [id(t) for t in _inputs(layer)] if not isinstance(layer, keras.layers.InputLayer) else []
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


class LiftModule(tf.Module):
    """``tf.Module`` with the ``lift`` function: ``keypoints_2d (batch, 16, 2)`` → ``{"joints_3d": (batch, 16, 3) mm}``."""

    def __init__(self, model: keras.Model, batch: int = 1, formulation: str = "conv", bias_in_transform: bool = True,
                 hooks: Optional[Hooks] = None, head: Optional[np.ndarray] = None):
        super().__init__(name="graphsh")
        if formulation not in FORMULATIONS:
            raise ExportError(f"unknown formulation {formulation!r}; choose one of {FORMULATIONS}")
        j, c = model.input_shape[1], model.input_shape[2]
        spec = tf.TensorSpec([batch, j, c], tf.float32, name=INPUT_NAME)
        if formulation == "keras":
            if pose_normalized(model):
                raise ExportError("formulation 'keras' converts the Keras graph as is, PoseNormalize included; "
                                  "input_norm='pose' models export with the folded formulations (conv, bmm, split_fc)")
            self.model = model                              # tracked: its variables are captured

            def forward(x):
                return model(x, training=False) * MM_PER_MODEL_UNIT
        else:
            forward = build_forward(model, formulation, bias_in_transform, hooks, head, prenormalized=True)
        self._forward = forward

        @tf.autograph.experimental.do_not_convert
        def lift(keypoints_2d):
            return {OUTPUT_NAME: tf.identity(forward(keypoints_2d))}

        self.lift = tf.function(lift, input_signature=[spec])
