"""TFLite export: an inference graph rebuilt from the trained Keras weights, converted to five variants.

The Keras model is not converted as is. :func:`inference_module` walks the flat functional model and rebuilds
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

Other formulations (``formulation=``) exist for the measurements of ``benchmarks/tflite_formulations.py``:
``"bmm"`` (per-joint ``BATCH_MATMUL``), ``"split_fc"`` (one ``FULLY_CONNECTED`` per joint),
``"keras"`` (the Keras graph converted as is).

Every graph has fixed shapes: signature ``lift`` with input ``keypoints_2d`` ``[batch, 16, 2]`` float32 (or int8)
and output ``joints_3d`` ``[batch, 16, 3]`` in mm.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Dict, Iterable, Optional, Sequence, Union

import numpy as np
import tensorflow as tf
import tf_keras as keras

from graphsh_tf.layers.graph_conv import GraphConv
from graphsh_tf.layers.pooling import SkeletalPool, SkeletalUnpool
from graphsh_tf.tflite_meta import write_atomic  # noqa: F401  (re-exported)

VARIANTS = ("fp32", "fp16", "drq", "int8", "qat_int8")
FORMULATIONS = ("conv", "bmm", "split_fc", "keras")
SIGNATURE = "lift"
INPUT_NAME = "keypoints_2d"
OUTPUT_NAME = "joints_3d"
MM_PER_M = 1000.0
QAT_WEIGHTS = "qat_float.weights.h5"   # the QAT-fine-tuned float weights, saved beside graphsh_qat_int8.tflite
FOLD_BN_DEFAULT = True      # int8: BN folded into the weights (measured better than a MUL after the mixing)
EQUALIZE_DEFAULT = False    # int8: per-joint range equalization (joint_ranges) measured no gain, so off
HEAD_EQUALIZE_DEFAULT = True
POOL_MAX_OP = False
POOL_SPLIT = False          # skeletal pool as one FC + SPLIT (False: two FCs; measured faster, see sk_pool)  # int8: per-channel equalization of the multi-level head (head_scale), measured gain


class ExportError(ValueError):
    """An export request cannot be honoured; the message names the model/option and the fix."""


# --- the folded inference graph ---------------------------------------------------------------------------------

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


def fake_quant_weight(w, narrow: bool = True):
    """TFLite's int8 weight scheme on ``w``: per tensor, symmetric, scale ``max|w| / 127`` (straight-through)."""
    m = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(w)), 1e-8))
    return tf.quantization.fake_quant_with_min_max_vars(w, -m, m, num_bits=8, narrow_range=narrow)


class RangeHooks(Hooks):
    """Fixed int8 ranges: weights fake-quantized as TFLite quantizes them, activations with ``ranges[key] = (lo,
    hi)`` (``FakeQuant`` ops, which the converter uses instead of calibrating). Keys without a range are left to the
    converter's calibration."""

    def __init__(self, ranges: Dict[str, tuple]):
        self.ranges = {k: (float(min(lo, 0.0)), float(max(hi, 0.0, lo + 1e-6))) for k, (lo, hi) in ranges.items()}

    def weight(self, key: str, arr: np.ndarray, kind: str = "w"):
        t = tf.constant(np.asarray(arr, dtype=np.float32))
        return t if kind == "b" else fake_quant_weight(t)

    def act(self, key: str, x):
        if key not in self.ranges:
            return x
        lo, hi = self.ranges[key]
        return tf.quantization.fake_quant_with_min_max_args(x, lo, hi, num_bits=8, narrow_range=False)


class _Pending:
    """A graph conv not yet emitted: ``relu?(mix @ (transform(x) [* M]) + bias)``, BN folded in on the way.

    ``w``: ``(K, J, Cin, Cout)`` (per-joint) or ``(K, Cin, Cout)`` (shared); ``mix``: ``(J, K*J)``, column
    ``k*J + j``; ``mod``: ``(J, Cout)`` or None; ``bias``: ``(Cout,)``; ``post``: ``(Cout,)`` per-channel scale
    applied after the mixing (BN kept out of the weights) or None.
    """

    def __init__(self, x, w, mix, bias, per_joint, mod=None, post=None, name: str = "gconv"):
        self.x, self.w, self.mix, self.bias, self.per_joint, self.mod = x, w, mix, bias, per_joint, mod
        self.post, self.name = post, name

    def scale(self, s: np.ndarray, t: np.ndarray) -> "_Pending":
        """Fold ``y * s + t`` (per output channel) into the weights and bias."""
        post = None if self.post is None else self.post
        w = self.w * s if post is None else self.w
        post = None if post is None else post * s
        return _Pending(self.x, w, self.mix, self.bias * s + t, self.per_joint, self.mod, post, self.name)

    def scale_after(self, s: np.ndarray, t: np.ndarray) -> "_Pending":
        """``y * s + t`` kept as a per-channel multiply after the mixing (weights unscaled)."""
        post = s if self.post is None else self.post * s
        return _Pending(self.x, self.w, self.mix, self.bias * s + t, self.per_joint, self.mod, post, self.name)


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
        y = tf.nn.bias_add(y, hooks.weight(f"{key}/b", b, "b"))
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
    j = layer.num_joints
    mix = layer.mixing_matrix()
    bias = layer.bias.numpy().astype(np.float64) if layer.use_bias else np.zeros(layer.units)
    mod = layer.M.numpy().astype(np.float64) if layer.gcn == "modulated" else None
    assert mix.shape == (j, w.shape[0] * j)
    return w, mix, bias, layer.per_joint, mod


def _transform(p: _Pending, formulation: str, bias_in_transform: bool = True, hooks: Hooks = None):
    """Per-joint or shared feature transform → ``(N, J, K, Cout)`` joint-major (bias added if foldable)."""
    k_sets = p.w.shape[0]
    cout = p.w.shape[-1]
    x = p.x.jc()
    n, j, cin = x.shape.as_list()
    fold_bias = bias_in_transform and p.post is None and p.mod is None and np.allclose(p.mix.sum(axis=1), 1.0, atol=1e-6)
    b = np.tile(p.bias, k_sets) if fold_bias else None                     # (K*Cout,)
    hooks = hooks or _PLAIN
    key = f"{p.name}/transform"
    if not p.per_joint:
        y = _matmul_last(x, np.concatenate(list(p.w), axis=1), b, hooks=hooks, key=key)   # (N, J, K*Cout)
        y = tf.reshape(y, (n, j, k_sets, cout))
    elif formulation == "conv":
        # filter (1, 1, Cin, J*K*Cout): group g (joint g) owns output channels [g*K*Cout, (g+1)*K*Cout)
        f = np.transpose(p.w, (2, 1, 0, 3)).reshape(cin, j * k_sets * cout)[None, None]
        y = tf.nn.conv2d(tf.reshape(x, (n, 1, 1, j * cin)), hooks.weight(f"{key}/w", f, "w"), 1, "VALID")
        if b is not None:
            y = tf.nn.bias_add(y, hooks.weight(f"{key}/b", np.tile(b, j), "b"))
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


def _equalized(p: _Pending, r: np.ndarray) -> _Pending:
    """Scale the per-joint transform of weight set k, joint j by ``r[k, j]`` and the matching mixing column by
    ``1 / r[k, j]`` — the same function, with every joint's transform output in a similar range (int8: one scale)."""
    k_sets, j = r.shape
    mix = p.mix / r.reshape(1, k_sets * j)
    return _Pending(p.x, p.w * r[:, :, None, None], mix, p.bias, p.per_joint, p.mod, p.post, p.name)


def _emit(p: _Pending, relu: bool, formulation: str, bias_in_transform: bool = True, opts: dict = None) -> _Value:
    """Emit transform + mixing (+ bias) (+ ReLU); result channel-major.

    ``opts``: ``{"equalize": [r (K, J) per per-joint graph conv, in emission order] | None,
    "probe": list collecting the transform outputs | None, "i": counter}``."""
    opts = opts if opts is not None else {}
    idx = opts.get("i", 0)
    opts["i"] = idx + 1
    eq = opts.get("equalize")
    if eq is not None and p.per_joint and eq[idx] is not None:
        p = _equalized(p, eq[idx])
        bias_in_transform = False
    hooks = opts.get("hooks") or _PLAIN
    y, bias_done = _transform(p, formulation, bias_in_transform, hooks)
    if opts.get("probe") is not None:
        opts["probe"].append(y if p.per_joint else None)
    n, j, k_sets, cout = y.shape.as_list()
    yt = tf.reshape(tf.transpose(y, [0, 3, 2, 1]), (n, cout, k_sets * j))        # column k*J + j
    mix_key = f"{p.name}/mix"
    if bias_done:
        out = _matmul_last(yt, p.mix.T, relu=relu, hooks=hooks, key=mix_key, w_kind="const")   # (N, Cout, J)
    else:
        out = _matmul_last(yt, p.mix.T, hooks=hooks, key=mix_key, w_kind="const")
        if p.post is not None:
            out = hooks.act(f"{p.name}/post", out * hooks.weight(f"{p.name}/post/w", p.post[:, None], "const"))
        out = out + hooks.weight(f"{p.name}/bias", p.bias[:, None], "b")
        out = hooks.act(f"{p.name}/out", tf.nn.relu(out) if relu else out)
    return _Value(cj=out)


def _inputs(layer) -> list:
    inp = layer.input
    return list(inp) if isinstance(inp, (list, tuple)) else [inp]


def _build_forward(model: keras.Model, formulation: str, bias_in_transform: bool = True,
                   fold_bn: bool = True, opts: dict = None) -> Callable:
    """A function ``x (N, 16, 2) → (N, 16, 3) mm`` that rebuilds ``model`` from folded constants."""
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
    head = (opts or {}).get("head_scale")
    if head is not None:
        _apply_head_scale(model, params, head)

    hooks = (opts or {}).get("hooks") or _PLAIN

    @tf.autograph.experimental.do_not_convert
    def forward(x):
        vals: Dict[int, object] = {id(model.inputs[0]): _Value(jc=hooks.act("input", x))}
        if opts is not None:
            opts["i"] = 0

        def get(t, relu=False):
            v = vals[id(t)]
            if isinstance(v, _Pending):
                v = _emit(v, relu, formulation, bias_in_transform, opts)
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
                    p = p.scale(np.full(layer.units, MM_PER_M), np.zeros(layer.units))
                vals[out_id] = p
            elif isinstance(layer, keras.layers.BatchNormalization):
                src = vals[id(ins[0])]
                s, t = params[layer.name]
                if isinstance(src, _Pending):
                    vals[out_id] = src.scale(s, t) if fold_bn else src.scale_after(s, t)
                else:
                    vals[out_id] = _Value(jc=src.jc() * s.astype(np.float32) + t.astype(np.float32))
            elif isinstance(layer, keras.layers.ReLU):
                src = vals[id(ins[0])]
                vals[out_id] = get(ins[0], relu=True) if isinstance(src, _Pending) else _Value(
                    cj=tf.nn.relu(src.cj()))
            elif isinstance(layer, keras.layers.Dropout):
                vals[out_id] = vals[id(ins[0])]
            elif isinstance(layer, SkeletalPool):
                xin = get(ins[0]).cj()
                sel_a, sel_b = sk_pool(layer)                                   # (J/2, J_in) each
                if POOL_SPLIT:
                    y = _matmul_last(xin, np.concatenate([sel_a, sel_b], axis=0).T, hooks=hooks, key=layer.name,
                                     w_kind="const")
                    a, b = tf.split(y, 2, axis=-1)
                else:   # two FULLY_CONNECTED: SPLIT is not delegated to XNNPACK in int8 (a partition per pool)
                    a = _matmul_last(xin, sel_a.T, hooks=hooks, key=f"{layer.name}/a", w_kind="const")
                    b = _matmul_last(xin, sel_b.T, hooks=hooks, key=f"{layer.name}/b", w_kind="const")
                if POOL_MAX_OP:
                    vals[out_id] = _Value(cj=tf.maximum(a, b))
                else:   # MAXIMUM has no int8 XNNPACK kernel (a partition per pool): max(a, b) = a + relu(b - a)
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
                    kernel, bias = kernel * MM_PER_M, bias * MM_PER_M
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
                                  "extend graphsh_tf.export._build_forward")
        return get(out_layer.output).jc()

    return forward


def _add(xs: list):
    """Sum as a chain of binary ADDs (ADD_N has no int8 kernel)."""
    out = xs[0]
    for x in xs[1:]:
        out = out + x
    return out


def sk_pool(layer: SkeletalPool) -> tuple:
    """The layer's constant selection matrices ``(S_a, S_b)``, each ``(J/2, J)``."""
    return layer.selections


class LiftModule(tf.Module):
    """``tf.Module`` with the ``lift`` function: ``keypoints_2d (batch, 16, 2)`` → ``{"joints_3d": (batch, 16, 3) mm}``."""

    def __init__(self, model: keras.Model, batch: int = 1, formulation: str = "conv", bias_in_transform: bool = True,
                 fold_bn: bool = True, equalize: Optional[list] = None, hooks: Optional[Hooks] = None,
                 head: Optional[np.ndarray] = None):
        super().__init__(name="graphsh")
        if formulation not in FORMULATIONS:
            raise ExportError(f"unknown formulation {formulation!r}; choose one of {FORMULATIONS}")
        j, c = model.input_shape[1], model.input_shape[2]
        spec = tf.TensorSpec([batch, j, c], tf.float32, name=INPUT_NAME)
        if formulation == "keras":
            self.model = model                              # tracked: its variables are captured

            def forward(x):
                return model(x, training=False) * MM_PER_M
        else:
            forward = _build_forward(model, formulation, bias_in_transform, fold_bn, {"equalize": equalize,
                                                                                      "hooks": hooks, "head_scale": head})
        self._forward = forward

        @tf.autograph.experimental.do_not_convert
        def lift(keypoints_2d):
            return {OUTPUT_NAME: tf.identity(forward(keypoints_2d))}

        self.lift = tf.function(lift, input_signature=[spec])


def _head_layers(model: keras.Model) -> Optional[tuple]:
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


def _apply_head_scale(model: keras.Model, params: dict, r: np.ndarray) -> None:
    """Scale concat channel ``i`` by ``r[i]`` (columns of the Dense layers feeding it) and undo it in the rows of
    the Dense layers reading it (SE squeeze, output layer): the same function, equalized channel ranges."""
    found = _head_layers(model)
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


class _ChannelProbe(Hooks):
    """Records the per-channel ``max |x|`` of the activations ``keys`` (last axis = channels)."""

    def __init__(self, keys):
        self.keys, self.value = set(keys), {}

    def act(self, key: str, x):
        if key in self.keys:
            self.value[key] = np.max(np.abs(x.numpy()).reshape(-1, x.shape[-1]), axis=0).astype(np.float64)
        return x


def head_scale(model: keras.Model, samples: np.ndarray) -> Optional[np.ndarray]:
    """Per-channel factors ``r (C,)`` equalizing the int8 ranges of the multi-level head's concatenated features
    (``max |x|`` over ``samples (M, 16, 2)`` of channel i → the median channel range), or None without such a head.
    The concatenated features, the SE gate's input and the gated features each share one int8 scale; channels
    of small range would otherwise be quantized to a few levels and amplified by the output layer. Measured
    (synthetic PreAggr-64, 6 epochs, int8 PTQ ΔMPJPE on 4000 test poses): none +5.60 mm, concat ranges +4.48,
    gated-feature ranges +5.26, their geometric mean +5.22 — so the concat's ranges."""
    found = _head_layers(model)
    if found is None:
        return None
    probe = _ChannelProbe([found[0].name])
    _build_forward(model, "conv", bias_in_transform=False, opts={"hooks": probe})(
        tf.constant(np.asarray(samples, np.float32)))
    rng = probe.value[found[0].name]
    rng = np.maximum(rng, 1e-6 * max(float(rng.max()), 1e-12))
    return np.median(rng) / rng


def joint_ranges(model: keras.Model, samples: np.ndarray, formulation: str = "conv", quantile: float = 99.99,
                 fold_bn: bool = True) -> list:
    """Equalization factors for int8: per per-joint graph conv, ``r (K, J) = 1 / range`` of its transform output
    for weight set k and joint j over ``samples (M, 16, 2)`` (``quantile`` of |y|), normalized to geometric mean 1;
    None for shared-weight convs. Used by :func:`convert` via ``LiftModule(equalize=...)``."""
    probe: list = []
    forward = _build_forward(model, formulation, bias_in_transform=False, fold_bn=fold_bn,
                             opts={"probe": probe})
    forward(tf.constant(np.asarray(samples, np.float32)))
    out = []
    for y in probe:
        if y is None:
            out.append(None)
            continue
        a = np.abs(y.numpy())                                                 # (M, J, K, C)
        rng = np.percentile(a.transpose(2, 1, 0, 3).reshape(a.shape[2], a.shape[1], -1), quantile, axis=-1)
        rng = np.maximum(rng, 1e-6 * max(rng.max(), 1e-12))                   # (K, J)
        r = 1.0 / rng
        out.append(r / np.exp(np.mean(np.log(r))))
    return out


# --- conversion -------------------------------------------------------------------------------------------------

def _representative(samples: np.ndarray, batch: int) -> Callable[[], Iterable]:
    samples = np.asarray(samples, dtype=np.float32)

    def gen():
        for i in range(0, len(samples) - batch + 1, batch):
            yield {INPUT_NAME: samples[i:i + batch]}
    return gen


def convert(model: keras.Model, variant: str, representative: Optional[np.ndarray] = None, io: str = "float",
            batch: int = 1, formulation: str = "conv", per_channel: bool = False,
            fold_bn: Optional[bool] = None, equalize: Optional[bool] = None, hooks: Optional[Hooks] = None,
            head: Optional[bool] = None) -> bytes:
    """Convert ``model`` to one TFLite variant; returns the flatbuffer bytes (no metadata yet).

    ``variant``: fp32, fp16, drq (dynamic-range int8 weights), int8 / qat_int8 (full integer; needs
    ``representative`` ``(M, 16, 2)`` float32 inputs, a few hundred). ``io``: "float" or "int8" input/output of
    the full-integer variants. ``per_channel``: per-channel int8 weight scales (default off: the grouped per-joint
    convolutions have ``joints x units`` output channels, and 28 bytes of scales/zero points/int32 bias per channel
    would grow the int8 file ~30 % over one byte per parameter; per-tensor scales and the bias added after the
    joint mixing keep it at ~1.0x).
    """
    full_int = variant in ("int8", "qat_int8")
    if variant not in VARIANTS:
        raise ExportError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    if io not in ("float", "int8"):
        raise ExportError(f"io={io!r}: use 'float' or 'int8'")
    if fold_bn is None:
        fold_bn = FOLD_BN_DEFAULT if full_int else True
    if equalize is None:
        equalize = EQUALIZE_DEFAULT and full_int
    factors = joint_ranges(model, representative, formulation, fold_bn=fold_bn) if equalize else None
    if head is None:
        head = HEAD_EQUALIZE_DEFAULT and full_int and hooks is None and representative is not None
    head_r = head_scale(model, representative) if head else None
    if hooks is not None and (not full_int or formulation != "conv" or per_channel or equalize or not fold_bn):
        raise ExportError("hooks (fixed int8 ranges from quantization-aware training) apply to the int8 variants of "
                          "the default graph only (formulation conv, per-tensor, BN folded, no equalization)")
    module = LiftModule(model, batch=batch, formulation=formulation, bias_in_transform=not full_int or per_channel,
                        fold_bn=fold_bn, equalize=factors, hooks=hooks, head=head_r)
    tmp = tempfile.mkdtemp(prefix="graphsh_sm_")
    try:
        concrete = module.lift.get_concrete_function()
        tf.saved_model.save(module, tmp, signatures={SIGNATURE: concrete})
        conv = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=[SIGNATURE])
        if variant == "fp16":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.target_spec.supported_types = [tf.float16]
        elif variant == "drq":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
        elif variant in ("int8", "qat_int8"):
            if representative is None or len(representative) < batch:
                raise ExportError(f"variant {variant}: full-integer quantization needs representative inputs "
                                  "(a few hundred training poses)")
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.representative_dataset = _representative(representative, batch)
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            conv._experimental_disable_per_channel = not per_channel
            if io == "int8":
                conv.inference_input_type = tf.int8
                conv.inference_output_type = tf.int8
        return bytes(conv.convert())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def variant_filename(variant: str, batch: int = 1) -> str:
    return f"graphsh_{variant}.tflite" if batch == 1 else f"graphsh_{variant}_b{batch}.tflite"


def export_variants(model: keras.Model, out_dir: Union[str, Path], variants: Sequence[str] = VARIANTS,
                    representative: Optional[np.ndarray] = None, io: str = "float", batch: int = 1,
                    qat_model: Optional[keras.Model] = None, config: Optional[dict] = None,
                    formulation: str = "conv", log: Callable[[str], None] = lambda s: None) -> Dict[str, Path]:
    """Convert ``model`` to each variant into ``out_dir`` (``graphsh_<variant>.tflite`` + ``.json`` sidecar, metadata
    embedded). ``qat_model``: the float model after quantization-aware fine-tuning (for ``qat_int8``)."""
    from graphsh_tf import tflite_meta

    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ExportError(f"unknown variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    written = {}
    for variant in variants:
        src = model
        if variant == "qat_int8":
            if qat_model is None:
                raise ExportError("variant qat_int8 needs the quantization-aware fine-tuned model (qat_model=)")
            src = qat_model
        hooks = getattr(src, "qat_hooks", None) if variant == "qat_int8" and formulation == "conv" else None
        data = convert(src, variant, representative, io=io, batch=batch, formulation=formulation, hooks=hooks)
        cfg = config if config is not None else _config_dict(model)
        meta = tflite_meta.build_metadata(data, variant, cfg)
        data = tflite_meta.embed_metadata(data, meta)
        path = write_atomic(Path(out_dir) / variant_filename(variant, batch), data)
        tflite_meta.write_sidecar(path, meta)
        written[variant] = path
        log(f"{variant}: {path} ({len(data)} bytes)")
    return written


def _config_dict(model: keras.Model) -> dict:
    cfg = getattr(model, "graphsh_config", None)
    return cfg.to_dict() if cfg is not None else {}


# --- a training run → its .tflite files -------------------------------------------------------------------------

def run_config(run_dir: Union[str, Path]) -> dict:
    """The run's ``config.json`` as a dict (``{"model": ..., "train": ..., "data": ...}``)."""
    import json

    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise ExportError(f"{run_dir}: no config.json; pass a run directory written by training/fit.py")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ExportError(f"{path}: not valid JSON ({e}); fix or re-create the run") from None


def run_data(config: dict, source: str = "config.json"):
    """The run's data set at 16 joints, rebuilt from config.json exactly as training loaded it (data seed and loader
    options included; :meth:`graphsh_tf.config.DataConfig.from_run_section`)."""
    from graphsh_tf.config import DataConfig

    data = config.get("data") or {}
    if not data.get("spec"):
        raise ExportError(f"{source}: field 'data.spec' missing; pass --data SPEC (e.g. synthetic)")
    train_seed = int((config.get("train") or {}).get("seed", 0))
    return DataConfig.from_run_section(data, train_seed, source).load()


def export_run(run_dir: Union[str, Path], out_dir: Union[str, Path, None] = None, variants: Sequence[str] = VARIANTS,
               io: str = "float", batch: int = 1, qat_steps: int = 300, calib_samples: int = 500,
               data_spec: Optional[str] = None, formulation: str = "conv", seed: int = 0,
               log: Callable[[str], None] = lambda s: None, qat_method: str = "folded") -> Dict[str, Path]:
    """Export a training run's best model to ``out_dir`` (default ``RUN_DIR/tflite``): the conversions of
    :func:`export_variants`; int8 calibration and QAT fine-tuning use the run's training split. ``qat_method``:
    ``folded`` (fake quantization on the exported graph) or ``tfmot`` (tfmot QuantizeConfigs on the Keras layers),
    see :func:`graphsh_tf.quantize.qat_finetune`."""
    from graphsh_tf.models import load_model

    run_dir = Path(run_dir)
    cfg = run_config(run_dir)
    if data_spec:
        cfg = {**cfg, "data": {**(cfg.get("data") or {}), "spec": data_spec}}
    model = load_model(run_dir)
    out_dir = Path(out_dir) if out_dir else run_dir / "tflite"
    rep = qat = None
    if any(v in ("int8", "qat_int8") for v in variants):
        train = run_data(cfg, str(run_dir / "config.json")).train
        rng = np.random.default_rng(seed)
        pick = rng.choice(len(train.poses_2d), size=min(calib_samples, len(train.poses_2d)), replace=False)
        rep = train.poses_2d[np.sort(pick)]
        if "qat_int8" in variants:
            from graphsh_tf.quantize import qat_finetune

            log(f"quantization-aware fine-tuning ({qat_method}): {qat_steps} steps")
            qat = qat_finetune(model, train.poses_2d, train.poses_3d, steps=qat_steps, seed=seed, log=log,
                               method=qat_method)
            out_dir.mkdir(parents=True, exist_ok=True)
            tmp = out_dir / f".tmp{os.getpid()}.{QAT_WEIGHTS}"      # keeps the .weights.h5 suffix (its format)
            qat.save_weights(str(tmp))                  # validate.py measures qat_int8 against these float weights
            os.replace(tmp, out_dir / QAT_WEIGHTS)
    model_cfg = cfg.get("model") or _config_dict(model)
    return export_variants(model, out_dir, variants, representative=rep, io=io, batch=batch, qat_model=qat,
                           config=model_cfg, formulation=formulation, log=log)
