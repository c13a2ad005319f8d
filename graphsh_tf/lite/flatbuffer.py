"""What a ``.tflite`` flatbuffer holds, read from the file itself without an interpreter (and so before any
delegate rewrites the graph): the builtin op of every op and the tensor types around it."""
from __future__ import annotations

from typing import List


def model_ops(data: bytes) -> List[str]:
    """Builtin operator names of every op of the flatbuffer's first subgraph, read from the file itself (before any
    delegate rewrites the graph)."""
    from tensorflow.lite.python import schema_py_generated as schema

    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    model = schema.Model.GetRootAsModel(data, 0)
    codes = []
    for i in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(i)
        code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
        codes.append(names.get(code, f"CUSTOM:{oc.CustomCode()}") if code != 32 else f"CUSTOM:{oc.CustomCode()}")
    sub = model.Subgraphs(0)
    return [codes[sub.Operators(k).OpcodeIndex()] for k in range(sub.OperatorsLength())]


def op_tensor_types(data: bytes) -> List[tuple]:
    """``(op_name, [input tensor types], [output tensor types])`` per op of subgraph 0, types like ``"INT8"``."""
    from tensorflow.lite.python import schema_py_generated as schema

    tnames = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    model = schema.Model.GetRootAsModel(data, 0)
    sub = model.Subgraphs(0)
    ops = model_ops(data)
    rows = []
    for k in range(sub.OperatorsLength()):
        op = sub.Operators(k)
        ins = [tnames[sub.Tensors(t).Type()] for t in op.InputsAsNumpy() if t >= 0]
        outs = [tnames[sub.Tensors(t).Type()] for t in op.OutputsAsNumpy()]
        rows.append((ops[k], ins, outs))
    return rows
