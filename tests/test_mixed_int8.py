"""The mixed-precision int8 export: float32 keypoints in, float32 mm out, the first graph conv and the head in
float32, everything between int8; for 2- and 3-channel (x, y, confidence) inputs, PTQ and QAT."""
import graphsh_tf  # noqa: F401
from graphsh_tf.evaluate import keras_predictor
from graphsh_tf.lite import convert, export, flatbuffer, folded, metadata, runtime, variants
from graphsh_tf.lite.qat import qat_finetune
from graphsh_tf.models import build_model

import numpy as np
import pytest
import tf_keras as keras


def _inputs(n, channels, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.8, 0.8, (n, 16, channels)).astype(np.float32)
    if channels == 3:
        x[..., 2] = rng.uniform(0.0, 1.0, (n, 16))
    return x


def _tiny(channels):
    keras.utils.set_random_seed(0)
    return build_model(gcn="dc_preagg", hid_dim=16, num_stacks=2,
                       confidence_input="channel" if channels == 3 else "none")


def _check_mixed(data: bytes, channels: int, stacks: int = 2):
    """Float32 I/O of the contract's shapes; the first graph conv float, one QUANTIZE into the int8 body, one
    DEQUANTIZE per stack into the float head, the output layer float; the body int8."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=data)
    i, o = interp.get_input_details()[0], interp.get_output_details()[0]
    assert (np.dtype(i["dtype"]), list(i["shape"])) == (np.float32, [1, 16, channels])
    assert (np.dtype(o["dtype"]), list(o["shape"])) == (np.float32, [1, 16, 3])
    rows = flatbuffer.op_tensor_types(data)
    ops = [r[0] for r in rows]
    assert ops.count("QUANTIZE") == 1 and ops.count("DEQUANTIZE") == stacks, ops
    first_conv = next(r for r in rows if r[0] == "CONV_2D")
    assert set(first_conv[1] + first_conv[2]) == {"FLOAT32"}, first_conv        # the input transform in float
    assert rows[-1][0] == "FULLY_CONNECTED" and rows[-1][2] == ["FLOAT32"]        # the output layer in float
    assert rows[-1][1][1] == "FLOAT32"                                            # with float weights
    body = rows[ops.index("QUANTIZE") + 1:ops.index("DEQUANTIZE")]
    assert body and all(set(ins + outs) <= {"INT8", "INT32"} for _, ins, outs in body)
    convs = [r for r in rows if r[0] == "CONV_2D"]
    assert sum("INT8" in r[2] for r in convs) == len(convs) - 1                 # every other transform int8
    return rows


@pytest.mark.parametrize("channels", [2, 3])
def test_default_int8_is_mixed_with_float_io(channels, tmp_path):
    model = _tiny(channels)
    x = _inputs(96, channels)
    path = export.export_variants(model, tmp_path, ["int8"], representative=x)["int8"]
    _check_mixed(path.read_bytes(), channels)
    meta = metadata.read_metadata(path)
    assert meta["input"]["dtype"] == "float32" and meta["input"]["quantization"] is None
    assert meta["input"]["shape"] == [1, 16, channels]
    assert meta["output"]["dtype"] == "float32" and meta["output"]["quantization"] is None
    assert meta["quantization"] == {"activations": "int8", "weights": "int8", "float_parts": ["input", "head"]}
    pred = runtime.TFLitePredictor(path)
    assert pred.input.quant is None and pred.output.quant is None


def test_mixed_int8_tracks_keras_closer_than_all_int8():
    model = _tiny(2)
    rep, x = _inputs(128, 2), _inputs(64, 2, seed=7)
    ref = keras_predictor(model)(x)

    def err(parts):
        from ai_edge_litert.interpreter import Interpreter

        data = convert.convert(model, "int8", rep, float_parts=parts)

        it = Interpreter(model_content=data)
        it.allocate_tensors()
        i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
        out = []
        for row in x:
            it.set_tensor(i, row[None])
            it.invoke()
            out.append(it.get_tensor(o)[0])
        return float(np.abs(np.array(out) - ref).mean())

    mixed, full = err(("input", "head")), err(())
    assert mixed < full
    assert mixed < 0.1 * float(np.abs(ref).mean())


def test_float_layers_names_the_parts():
    model = _tiny(2)
    inp = folded.float_layers(model, ["input"])
    assert inp == {"gconv_input_gconv", "gconv_input_bn", "gconv_input_relu", "gconv_input_dropout"}
    head = folded.float_layers(model, ["head"])
    assert {"conv_layers_0", "conv_layers_1", "concat", "se_blocks_gap", "se_blocks_scale", "gconv_output"} <= head
    assert not any(n.startswith("gconv_layers_") for n in head)
    assert folded.float_layers(model, ()) == frozenset()
    with pytest.raises(variants.ExportError, match="float parts"):
        folded.float_layers(model, ["tail"])


def test_variant_table_ships_mixed_int8():
    for name in ("int8", "qat_int8"):
        assert variants.VARIANTS[name].float_parts == ("input", "head")
    assert all(not v.float_parts for v in variants.VARIANTS.values() if not v.full_integer)


def test_int8_io_export_stays_all_int8():
    """--io int8 (the earlier files' contract) is the all-int8 graph: no float region, int8 tensors in and out."""
    model = _tiny(2)
    rows = flatbuffer.op_tensor_types(convert.convert(model, "int8", _inputs(64, 2), io="int8"))
    assert all(set(i + o) <= {"INT8", "INT32"} for _, i, o in rows)


@pytest.mark.parametrize("channels", [2, 3])
def test_qat_with_float_parts(channels):
    model = _tiny(channels)
    x = _inputs(256, channels)
    y = np.random.default_rng(3).normal(0, 200, (256, 16, 3)).astype(np.float32)
    q = qat_finetune(model, x, y, steps=2, batch_size=32, calib_samples=64, float_parts=("input", "head"))
    keys = set(q.hooks.ranges)
    assert "input" not in keys and not any(k.startswith(("gconv_input_", "conv_layers_", "se_blocks", "concat",
                                                        "gconv_output")) for k in keys)
    _check_mixed(convert.convert(q.model, "qat_int8", x[:64], hooks=q.hooks), channels)


def _result(delta_int8, p999, mx, qat_delta=0.3):
    tail = {"p50": 1.0, "p99": 2.0, "p99_9": p999, "max": mx}
    return {"float": {"mpjpe_mm": 40.0, "num_poses": 100},
            "variants": {"fp32": {"delta_mpjpe_mm": 0.0, "pose_delta_mm": {**tail, "p99_9": 0.0, "max": 0.0}},
                         "int8": {"delta_mpjpe_mm": delta_int8, "pose_delta_mm": tail},
                         "qat_int8": {"delta_mpjpe_mm": -1.0, "own_float_mpjpe_mm": 38.0,
                                      "delta_vs_own_float_mm": qat_delta, "pose_delta_mm": tail,
                                      "own_float_pose_delta_mm": tail}}}


def test_gate_marks_missed_targets():
    from graphsh_tf.validate import gate

    rows = {name: (line, missed) for name, line, missed in gate(_result(0.5, 5.0, 12.0))}
    # 0.5 mm <= 1.5 % of 40 mm
    assert rows["int8"][1] == [] and rows["int8"][0].endswith("within what an int8 file usually costs")
    assert rows["qat_int8"][1] == [] and "of its own float" in rows["qat_int8"][0]  # 0.3 <= max(1 %, 0.5 mm)
    assert rows["fp32"][1] == [] and "target" not in rows["fp32"][0]              # no target for fp32
    rows = {name: (line, missed) for name, line, missed in gate(_result(0.7, 9.0, 25.0, qat_delta=0.6))}
    assert "more than an int8 file usually costs" in rows["int8"][0] and len(rows["int8"][1]) == 3
    assert rows["qat_int8"][1][0].startswith("ΔMPJPE <= 0.50 mm")
