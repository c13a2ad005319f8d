"""The folded inference graph: the trained Keras model rebuilt from constants, ready for the TFLite converter.

The Keras model is not converted as is. :func:`build_forward` walks the flat functional model and rebuilds it from
constants, one *emitter* per layer type (registered with :func:`emits`), with everything foldable folded:

* BatchNorm after a graph conv is folded into its weights and bias, and the bias into the feature transform where
  the mixing rows sum to 1 (:mod:`graphsh_tf.lite.fold_ops`: transform, then joint mixing).
* the metres→millimetres factor (x1000) is folded into the output layer: every ``.tflite`` outputs mm.
* skeletal pooling and unpooling are ``FULLY_CONNECTED`` with 0/1 weights on the channel-major layout; the pool's
  maximum is ``a + relu(b - a)`` over two of them (SPLIT and MAXIMUM have no int8 XNNPACK kernels).
* the multi-level head can be equalized per channel (:mod:`graphsh_tf.lite.head`), on for every calibrated
  conversion (:func:`graphsh_tf.lite.calibrate.head_scale`).

Where constants are read and activations quantized is up to the :mod:`~graphsh_tf.lite.hooks` (float constants,
fixed int8 ranges, or the trainable fake-quantized graph of :mod:`graphsh_tf.lite.qat`). Other formulations than
``conv`` (:data:`~graphsh_tf.lite.fold_ops.FORMULATIONS`) serve ``benchmarks/tflite_formulations.py``.

Every graph has fixed shapes: signature ``lift`` with input ``keypoints_2d`` ``[batch, 16, 2]`` float32 (or int8)
and output ``joints_3d`` ``[batch, 16, 3]`` in mm.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import Callable, Dict, FrozenSet, Optional, Sequence

from graphsh_tf.contract import MM_PER_MODEL_UNIT
from graphsh_tf.layers import GraphConv, InputNormalization, SkeletalPool, SkeletalUnpool, input_contract
from graphsh_tf.lite.fold_ops import (
    FORMULATIONS,
    Pending,
    Value,
    add_chain,
    bn_fold,
    emit_graph_conv,
    graph_conv_params,
    layer_inputs,
    matmul_last,
)
from graphsh_tf.lite.head import apply_head_scale
from graphsh_tf.lite.hooks import PLAIN, FloatHooks, Hooks
from graphsh_tf.lite.variants import ExportError

import numpy as np
import tensorflow as tf
import tf_keras as keras

SIGNATURE = "lift"
INPUT_NAME = "keypoints_2d"
OUTPUT_NAME = "joints_3d"
#: The name scope of the ops a mixed-precision int8 graph keeps in float (:func:`float_layers`); the converter
#: leaves every op whose output tensor name holds it unquantized (:func:`graphsh_tf.lite.convert.convert`).
FLOAT_SCOPE = "float_region"
#: The parts of the graph a mixed-precision int8 export can keep in float: ``input``, the first graph conv block (its
#: input tensor, per-joint transform and joint mixing: the int8 input grid and the first transform output are the
#: largest single int8 errors); ``head``, the multi-level head (the per-stack Dense layers, their concatenation,
#: the squeeze-and-excitation gate and the output layer: the output tensor in mm would otherwise share one int8
#: scale over +-1 m).
FLOAT_PARTS = ("input", "head")


# --- the emitter registry -------------------------------------------------------------------------------------------

class _Emitter:
    def __init__(self, emit: Callable, params: Optional[Callable]):
        self.emit, self.params = emit, params


_EMITTERS: Dict[type, _Emitter] = {}


def emits(*layer_types: type, params: Optional[Callable] = None) -> Callable:
    """Register the decorated ``emit(layer, ins, g) -> Pending | Value`` for ``layer_types`` (and subclasses):
    ``ins`` are the layer's input tensors, ``g`` the :class:`Rebuild` in progress. ``params(layer)``: the layer's
    numpy constants, read eagerly before tracing (``g.params[layer.name]``)."""
    def register(emit: Callable) -> Callable:
        for t in layer_types:
            _EMITTERS[t] = _Emitter(emit, params)
        return emit
    return register


def _emitter(layer) -> Optional[_Emitter]:
    for cls in type(layer).__mro__:
        if cls in _EMITTERS:
            return _EMITTERS[cls]
    return None


class Rebuild:
    """The state of one trace of :func:`build_forward`: the rebuilt value of each Keras tensor (a :class:`Value`, or a
    graph conv still :class:`Pending` so a following BatchNorm or ReLU folds into it), the numpy constants, the
    hooks and the formulation."""

    def __init__(self, model: keras.Model, params: dict, hooks: Hooks, formulation: str, bias_in_transform: bool):
        self.out_layer = model.layers[-1]
        self.params, self.hooks = params, hooks
        self.formulation, self.bias_in_transform = formulation, bias_in_transform
        self.vals: Dict[int, object] = {}

    def raw(self, t):
        """The rebuilt value of Keras tensor ``t`` as stored (a :class:`Pending` graph conv is not emitted)."""
        return self.vals[id(t)]

    def get(self, t, relu: bool = False) -> Value:
        """The value of ``t``, emitting a pending graph conv (with its ReLU when ``relu``; cached without)."""
        v = self.vals[id(t)]
        if isinstance(v, Pending):
            v = emit_graph_conv(v, relu, self.formulation, self.bias_in_transform, self.hooks)
            if not relu:
                self.vals[id(t)] = v
        return v


def pose_normalized(model: keras.Model) -> bool:
    """Whether ``model``'s input contract has a model step (``input_norm="pose"``; its first layer is a
    :class:`graphsh_tf.layers.InputNormalization`): its exported graphs then take the normalized input
    (:func:`graph_input`)."""
    return input_contract(model).has_model_step


def graph_input(model: keras.Model, x2d: np.ndarray) -> np.ndarray:
    """What an exported graph of ``model`` takes for the normalized 2D ``x2d (N, 16, 2)``: the model step of its input
    contract (:meth:`graphsh_tf.contract.InputContract.model_step`; ``x2d`` itself for ``screen`` models)."""
    return input_contract(model).model_step(x2d)


def float_layers(model: keras.Model, parts: Sequence[str]) -> FrozenSet[str]:
    """The names of ``model`` 's layers in the float ``parts`` (of :data:`FLOAT_PARTS`): ``input``, every layer
    before the second graph conv (the first graph conv with its BatchNorm, ReLU and dropout); ``head``, the
    Dense and global-average-pooling layers, the output layer, and every layer downstream of them."""
    unknown = sorted(set(parts) - set(FLOAT_PARTS))
    if unknown:
        raise ExportError(f"float parts {unknown}: choose from {', '.join(FLOAT_PARTS)}")
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    names = set()
    if "input" in parts:
        convs = 0
        for layer in layers:
            convs += isinstance(layer, GraphConv)
            if convs > 1:
                break
            names.add(layer.name)
    if "head" in parts:
        head = {id(layer.output) for layer in layers
                if isinstance(layer, (keras.layers.Dense, keras.layers.GlobalAveragePooling1D))
                or layer is model.layers[-1]}
        for layer in layers:
            if id(layer.output) in head or any(id(t) in head for t in layer_inputs(layer)):
                head.add(id(layer.output))
                names.add(layer.name)
    return frozenset(names)


def build_forward(model: keras.Model, formulation: str = "conv", bias_in_transform: bool = True,
                  hooks: Optional[Hooks] = None, head_scale: Optional[np.ndarray] = None,
                  prenormalized: bool = False, float_parts: Sequence[str] = ()) -> Callable:
    """A function ``x (N, 16, 2) → (N, 16, 3) mm`` that rebuilds ``model`` from folded constants.

    ``prenormalized``: for ``input_norm="pose"`` models, ``x`` is already pose-normalized (:func:`graph_input`; the
    exported graphs); otherwise the function normalizes it first, in float, before the ``input`` activation.

    ``hooks``: where constants are read and activations quantized (:class:`graphsh_tf.lite.hooks.Hooks`; default
    plain constants). ``head_scale``: per-channel factors equalizing the multi-level head
    (:func:`graphsh_tf.lite.head.apply_head_scale`) or None. ``bias_in_transform``: add the bias in the feature
    transform where the mixing rows sum to 1 (every variant does; ``False`` adds it after the mixing, which for
    int8 costs 21 ADDs and quantized tensors: +2.28 vs +1.72 mm ΔMPJPE and 80 vs 63 µs on the real-mocap
    pose-input model). ``float_parts``: parts of :data:`FLOAT_PARTS` kept in float in a mixed-precision int8
    graph: their ops are emitted in the name scope :data:`FLOAT_SCOPE` with :class:`graphsh_tf.lite.hooks.FloatHooks`
    (no fake quantization there). A layer type without an emitter is an :class:`ExportError`."""
    emitters = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        emitters[layer.name] = _emitter(layer)
        if emitters[layer.name] is None:
            raise ExportError(f"layer {layer.name} ({type(layer).__name__}) is not supported by the exporter; "
                              "register an emitter for it with @emits in graphsh_tf.lite.folded")
    params = {layer.name: emitters[layer.name].params(layer)       # numpy weights, read eagerly before tracing
              for layer in model.layers if emitters.get(layer.name) and emitters[layer.name].params}
    if head_scale is not None:
        apply_head_scale(model, params, head_scale)
    hooks = hooks or PLAIN
    float_hooks = FloatHooks(hooks)
    in_float = float_layers(model, float_parts)
    normalize = None if prenormalized else input_contract(model).model_step_tf

    @tf.autograph.experimental.do_not_convert
    def forward(x):
        if normalize is not None:
            x = normalize(x)
        g = Rebuild(model, params, hooks, formulation, bias_in_transform)
        g.vals[id(model.inputs[0])] = Value(jc=x if "input" in float_parts else hooks.act("input", x))
        for layer in model.layers:
            if layer.name in emitters:
                g.hooks = float_hooks if layer.name in in_float else hooks
                with tf.name_scope(FLOAT_SCOPE) if layer.name in in_float else nullcontext():
                    g.vals[id(layer.output)] = emitters[layer.name].emit(layer, layer_inputs(layer), g)
        g.hooks = float_hooks if g.out_layer.name in in_float else hooks
        with tf.name_scope(FLOAT_SCOPE) if g.out_layer.name in in_float else nullcontext():
            return g.get(g.out_layer.output).jc()

    return forward


# --- emitters, one per layer type ----------------------------------------------------------------------------------

@emits(GraphConv, params=graph_conv_params)
def _graph_conv(layer, ins, g: Rebuild):
    w, mix, bias, per_joint, mod = g.params[layer.name]
    p = Pending(g.get(ins[0]), w, mix, bias, per_joint, mod, name=layer.name)
    if layer is g.out_layer:
        p = p.scale(np.full(layer.units, MM_PER_MODEL_UNIT), np.zeros(layer.units))
    return p


@emits(keras.layers.BatchNormalization, params=bn_fold)
def _batch_norm(layer, ins, g: Rebuild):
    src = g.raw(ins[0])
    s, t = g.params[layer.name]
    if isinstance(src, Pending):
        return src.scale(s, t)
    return Value(jc=src.jc() * s.astype(np.float32) + t.astype(np.float32))


@emits(keras.layers.ReLU)
def _relu(layer, ins, g: Rebuild):
    if isinstance(g.raw(ins[0]), Pending):
        return g.get(ins[0], relu=True)
    return Value(cj=tf.nn.relu(g.raw(ins[0]).cj()))


@emits(keras.layers.Dropout, InputNormalization)   # InputNormalization: applied before the graph (or by the caller)
def _identity(layer, ins, g: Rebuild):
    return g.raw(ins[0])


@emits(SkeletalPool)
def _skeletal_pool(layer, ins, g: Rebuild):
    xin = g.get(ins[0]).cj()
    sel_a, sel_b = layer.selections                                 # (J/2, J_in) each
    # two FULLY_CONNECTED (SPLIT is not delegated to XNNPACK in int8: a partition per pool), and
    # max(a, b) = a + relu(b - a) (MAXIMUM has no int8 XNNPACK kernel)
    a = matmul_last(xin, sel_a.T, hooks=g.hooks, key=f"{layer.name}/a", w_kind="const")
    b = matmul_last(xin, sel_b.T, hooks=g.hooks, key=f"{layer.name}/b", w_kind="const")
    d = g.hooks.act(f"{layer.name}/diff", tf.nn.relu(b - a))
    return Value(cj=g.hooks.act(layer.name, a + d))


@emits(SkeletalUnpool)
def _skeletal_unpool(layer, ins, g: Rebuild):
    return Value(cj=matmul_last(g.get(ins[0]).cj(), layer.copy_matrix.T, hooks=g.hooks, key=layer.name,
                                w_kind="const"))


@emits(keras.layers.Add)
def _add(layer, ins, g: Rebuild):
    vs = [g.get(t) for t in ins]
    if all(v.has_jc for v in vs) and not all(v.has_cj for v in vs):
        return Value(jc=g.hooks.act(layer.name, add_chain([v.jc() for v in vs])))
    return Value(cj=g.hooks.act(layer.name, add_chain([v.cj() for v in vs])))


@emits(keras.layers.Concatenate)
def _concatenate(layer, ins, g: Rebuild):
    return Value(jc=g.hooks.act(layer.name, tf.concat([g.get(t).jc() for t in ins], axis=-1)))


def _dense_params(layer) -> tuple:
    kernel = layer.kernel.numpy()
    return kernel, (layer.bias.numpy() if layer.use_bias else np.zeros(kernel.shape[1], np.float32))


@emits(keras.layers.Dense, params=_dense_params)
def _dense(layer, ins, g: Rebuild):
    kernel, bias = g.params[layer.name]
    if layer is g.out_layer:
        kernel, bias = kernel * MM_PER_MODEL_UNIT, bias * MM_PER_MODEL_UNIT
    act = keras.activations.serialize(layer.activation)
    y = matmul_last(g.get(ins[0]).jc(), kernel, bias, relu=act == "relu", hooks=g.hooks, key=layer.name)
    if act == "sigmoid":
        y = tf.sigmoid(y)
    elif act not in ("linear", "relu"):
        raise ExportError(f"layer {layer.name}: activation {act!r} is not supported by the exporter")
    return Value(jc=y)


@emits(keras.layers.GlobalAveragePooling1D)
def _global_average(layer, ins, g: Rebuild):
    return Value(jc=g.hooks.act(layer.name, tf.reduce_mean(g.get(ins[0]).jc(), axis=1, keepdims=True)))


@emits(keras.layers.Reshape)
def _reshape(layer, ins, g: Rebuild):
    src = g.get(ins[0]).jc()
    return Value(jc=tf.reshape(src, [src.shape[0]] + list(layer.target_shape)))


@emits(keras.layers.Multiply)
def _multiply(layer, ins, g: Rebuild):
    vs = [g.get(t).jc() for t in ins]
    return Value(jc=g.hooks.act(layer.name, vs[0] * vs[1]))


# --- the converter's module -----------------------------------------------------------------------------------------

class LiftModule(tf.Module):
    """``tf.Module`` with the ``lift`` function: ``keypoints_2d (batch, 16, 2)`` →
    ``{"joints_3d": (batch, 16, 3) mm}``."""

    def __init__(self, model: keras.Model, batch: int = 1, formulation: str = "conv", bias_in_transform: bool = True,
                 hooks: Optional[Hooks] = None, head: Optional[np.ndarray] = None, float_parts: Sequence[str] = ()):
        super().__init__(name="graphsh")
        if formulation not in FORMULATIONS:
            raise ExportError(f"unknown formulation {formulation!r}; choose one of {FORMULATIONS}")
        j, c = model.input_shape[1], model.input_shape[2]
        spec = tf.TensorSpec([batch, j, c], tf.float32, name=INPUT_NAME)
        if formulation == "keras":
            if pose_normalized(model):
                raise ExportError("formulation 'keras' converts the Keras graph as is, InputNormalization included; "
                                  "input_norm='pose' models export with the folded formulations (conv, bmm, split_fc)")
            self.model = model                              # tracked: its variables are captured

            def forward(x):
                return model(x, training=False) * MM_PER_MODEL_UNIT
        else:
            forward = build_forward(model, formulation, bias_in_transform, hooks, head, prenormalized=True,
                                    float_parts=float_parts)
        self._forward = forward

        @tf.autograph.experimental.do_not_convert
        def lift(keypoints_2d):
            return {OUTPUT_NAME: tf.identity(forward(keypoints_2d))}

        self.lift = tf.function(lift, input_signature=[spec])
