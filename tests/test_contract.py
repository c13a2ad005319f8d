"""The input/output contract (graphsh_tf.contract): frame, model step, channels, the int8 codec, and the sidecar
sections written and read back by one validating reader."""
from graphsh_tf.config import ModelConfig
from graphsh_tf.contract import (
    NORMALIZATIONS,
    POSE_NORMALIZATION,
    SCREEN_NORMALIZATION,
    ContractError,
    InputContract,
    Int8Codec,
    LifterContract,
    OutputContract,
    dequantize,
    normalize_screen_coordinates,
    normalize_with_intrinsics,
    pose_normalize,
    quantize,
)

import numpy as np
import pytest


def _pose_px(seed=0, n=None):
    rng = np.random.default_rng(seed)
    return rng.uniform([100, 50], [500, 430], size=(16, 2) if n is None else (n, 16, 2))


def test_quantize_roundtrip_and_clipping():
    q = quantize([0.0, 0.125, -0.125, 0.375, 0.3, 100.0, -100.0], scale=0.25, zero_point=3)
    assert q.dtype == np.int8
    assert q.tolist() == [3, 4, 2, 5, 4, 127, -128]  # ties (0.5, 1.5) round away from zero, then clip
    np.testing.assert_allclose(dequantize(np.array([3, 13], np.int8), 0.1, 3), [0.0, 1.0], atol=1e-7)
    codec = Int8Codec(0.25, 3)
    assert codec.encode([0.125]).tolist() == [4] and codec.decode(np.int8([4])).tolist() == [0.25]
    for bad in ((0.0, 0), (-1.0, 0), (float("nan"), 0), (0.1, 0.5)):
        with pytest.raises(ContractError, match="scale"):
            Int8Codec(*bad)


def test_encode_is_frame_then_model_step_then_codec():
    xy = _pose_px(1, n=3)
    screen = InputContract().encode(xy, None, (640, 480))
    assert screen.shape == (3, 16, 2) and screen.dtype == np.float32
    np.testing.assert_array_equal(screen, normalize_screen_coordinates(xy, 640, 480))
    k = (500.0, 510.0, 320.0, 240.0)
    np.testing.assert_array_equal(InputContract().encode(xy, None, (640, 480), k), normalize_with_intrinsics(xy, k))
    kmat = [[500.0, 0, 320.0], [0, 510.0, 240.0], [0, 0, 1]]
    np.testing.assert_array_equal(InputContract().encode(xy, None, (640, 480), kmat),
                                  normalize_with_intrinsics(xy, k))
    pose = InputContract("pose").encode(xy, None, (640, 480))
    np.testing.assert_array_equal(pose, pose_normalize(screen))
    q = InputContract("pose", quant=Int8Codec(1 / 127, 0)).encode(xy[0], None, (640, 480))
    assert q.shape == (1, 16, 2) and q.dtype == np.int8
    np.testing.assert_array_equal(q, quantize(pose[:1], 1 / 127, 0))


def test_encode_errors_name_the_input():
    c = InputContract()
    for size in ((0, 480), (640, float("inf")), ("a", 1), (640,)):
        with pytest.raises(ContractError, match="image_size"):
            c.encode(_pose_px(), None, size)
    with pytest.raises(ContractError, match="keypoints"):
        c.encode(np.zeros((17, 2)), None, (640, 480))
    with pytest.raises(ContractError, match="intrinsics"):
        c.encode(_pose_px(), None, (640, 480), (0.0, 1.0, 2.0, 3.0))


def test_confidence_channel():
    xy, conf = _pose_px(2, n=2), np.random.default_rng(2).uniform(0, 1, (2, 16))
    conf[0, 3] = 0.0
    c = InputContract(channels=("x", "y", "confidence"))
    x = c.encode(xy, conf, (640, 480))
    assert x.shape == (2, 16, 3) and c.num_channels == 3
    np.testing.assert_array_equal(x[..., :2], InputContract().encode(xy, None, (640, 480)))
    np.testing.assert_array_equal(x[..., 2], conf.astype(np.float32))
    q = InputContract(channels=("x", "y", "confidence"), quant=Int8Codec(1 / 127, 0)).encode(xy, conf, (640, 480))
    assert q[0, 3, 2] == 0 and q[..., 2].max() <= 127     # a filled joint stays exactly 0 in int8
    with pytest.raises(ContractError, match="confidence"):
        c.encode(xy, None, (640, 480))
    with pytest.raises(ContractError, match="channels"):
        InputContract(channels=("x", "confidence"))


@pytest.mark.parametrize("contract", [
    LifterContract(),
    LifterContract(InputContract("pose", quant=Int8Codec(0.0078125, -3)), OutputContract(Int8Codec(7.5, 2))),
    LifterContract(InputContract("screen", ("x", "y", "confidence"), name="kp"), OutputContract(name="j")),
])
def test_sidecar_round_trip(contract):
    side = contract.to_sidecar()
    assert side["layout"] == "h36m16" and len(side["joint_names"]) == 16
    assert side["input"]["shape"] == [1, 16, contract.input.num_channels]
    assert side["input"]["normalization"] == NORMALIZATIONS[contract.input.normalization].text
    assert LifterContract.from_sidecar(side, "side.json") == contract
    side4 = contract.to_sidecar(batch=4)
    assert LifterContract.from_sidecar(side4, "side.json", batch=None) == contract
    with pytest.raises(ContractError, match=r"side.json: field 'input.shape'"):
        LifterContract.from_sidecar(side4, "side.json")


def test_sidecar_reader_names_the_field():
    good = LifterContract().to_sidecar()

    def broken(path, value):
        side = {k: (dict(v) if isinstance(v, dict) else v) for k, v in good.items()}
        *keys, last = path.split(".")
        d = side
        for key in keys:
            d = d[key]
        if value is None:
            del d[last]
        else:
            d[last] = value
        return side

    for path, value, field in (("layout", "coco17", "layout"), ("input", None, "input"),
                               ("input.dtype", "int16", "input.dtype"), ("input.shape", [1, 16, 3], "input.shape"),
                               ("input.dtype", "int8", "input.quantization"),
                               ("input.channels", ["x", "y", "z"], "input.channels"),
                               ("input.normalization", "u = x / w", "input.normalization"),
                               ("output.unit", "m", "output.unit"), ("output.shape", [1, 17, 3], "output.shape")):
        with pytest.raises(ContractError, match=f"side.json: field '{field}'"):
            LifterContract.from_sidecar(broken(path, value), "side.json")
    side = broken("input.dtype", "int8")
    side["input"]["quantization"] = {"scale": 0.0, "zero_point": 0}
    with pytest.raises(ContractError, match="input.quantization"):
        LifterContract.from_sidecar(side, "side.json")
    # written before the fields existed: no channels = x, y; no normalization = screen
    old = broken("input.channels", None)
    del old["input"]["normalization"]
    assert LifterContract.from_sidecar(old, "side.json") == LifterContract()


def test_normalization_text_and_model_config():
    assert InputContract.normalization_from_sidecar({"normalization": SCREEN_NORMALIZATION}, "s") == "screen"
    assert InputContract.normalization_from_sidecar({"normalization": POSE_NORMALIZATION.replace(" ", "")},
                                                    "s") == "pose"
    assert InputContract.for_model(ModelConfig(input_norm="pose")) == InputContract("pose")
    assert InputContract.for_model({}) == InputContract()
    assert not InputContract().has_model_step and InputContract("pose").has_model_step
    with pytest.raises(ContractError, match="normalization"):
        InputContract("image")


def test_output_decode():
    raw = np.arange(48, dtype=np.float32).reshape(1, 16, 3)
    np.testing.assert_array_equal(OutputContract().decode(raw), raw)
    q = np.full((1, 16, 3), 10, np.int8)
    np.testing.assert_allclose(OutputContract(Int8Codec(2.0, 4)).decode(q), 12.0)
    with pytest.raises(ContractError, match="output"):
        OutputContract().decode(np.zeros((16, 2)))
