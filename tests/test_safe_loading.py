"""Nothing we load runs code: crafted .npz / .pth / .h5 files are refused with one clear line, and their payload
never runs; legitimate files still load."""
import os
import pathlib

import graphsh_tf  # noqa: F401  - sets TF_USE_LEGACY_KERAS before TensorFlow loads
from graphsh_tf.safe_pickle import NpzFileError, UnsafePickleError, load_npz_safe
from graphsh_tf.torch_import import StateDictError, read_state_dict

import numpy as np
import pytest
from reference_numpy import random_state_dict


class _Touch:
    """Unpickling this calls ``Path(marker).touch()``: a stand-in for any code a crafted pickle would run."""

    def __init__(self, marker):
        self.marker = pathlib.Path(marker)

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


class _System:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _one_line_naming(err, *parts):
    msg = str(err.value)
    assert "\n" not in msg, msg
    for part in parts:
        assert str(part) in msg, (part, msg)


# --- .npz (VideoPose3D data files) ----------------------------------------------------------------------------

@pytest.mark.parametrize("payload,global_name", [(_Touch, "pathlib.Path.touch"), (_System, "system")])
def test_npz_with_code_in_its_pickle_is_refused_and_the_code_does_not_run(tmp_path, payload, global_name):
    marker = tmp_path / "pwned"
    path = tmp_path / "data_3d_h36m.npz"
    np.savez(path, positions_3d={"S1": {"Walking": payload(marker)}})
    with pytest.raises(UnsafePickleError) as err:
        load_npz_safe(path)
    assert isinstance(err.value, ValueError)
    _one_line_naming(err, path, "positions_3d", global_name, "run code")
    assert not marker.exists()
    np.load(path, allow_pickle=True)["positions_3d"]  # control: the plain loader does run the payload
    assert marker.exists()


def test_videopose3d_style_files_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    pos3d = {"S1": {"Walking 1": rng.normal(size=(5, 32, 3)).astype(np.float32)},
             "S9": {"Eating": rng.normal(size=(4, 32, 3))}}
    pos2d = {"S1": {"Walking 1": [rng.normal(size=(6, 17, 2)).astype(np.float32) for _ in range(4)]}}
    meta = {"num_joints": 17, "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]],
            "layout_name": "h36m", "scale": np.float64(1.5)}
    np.savez_compressed(tmp_path / "d3.npz", positions_3d=pos3d)
    np.savez_compressed(tmp_path / "d2.npz", positions_2d=pos2d, metadata=meta, plain=np.arange(3))

    with load_npz_safe(tmp_path / "d3.npz") as d3:  # stands in for np.load(..., allow_pickle=True)
        assert d3.files == ["positions_3d"]
        got = d3["positions_3d"].item()
    assert got.keys() == pos3d.keys()
    for s in pos3d:
        for a in pos3d[s]:
            np.testing.assert_array_equal(got[s][a], pos3d[s][a])
            assert got[s][a].dtype == pos3d[s][a].dtype

    d2 = load_npz_safe(tmp_path / "d2.npz")
    assert sorted(d2.files) == ["metadata", "plain", "positions_2d"]
    assert d2["metadata"].item() == meta
    cams = d2["positions_2d"].item()["S1"]["Walking 1"]
    assert isinstance(cams, list) and len(cams) == 4
    for got_cam, want in zip(cams, pos2d["S1"]["Walking 1"]):
        np.testing.assert_array_equal(got_cam, want)
    np.testing.assert_array_equal(d2["plain"], np.arange(3))


@pytest.mark.parametrize("kind", ["missing", "empty", "truncated", "random", "text", "corrupt_member"])
def test_unreadable_npz_is_one_clear_error_naming_the_file(tmp_path, kind):
    good = tmp_path / "good.npz"
    np.savez_compressed(good, positions_3d={"S1": {"A": np.zeros((50, 32, 3), np.float32)}})
    data = good.read_bytes()
    path = tmp_path / f"{kind}.npz"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "random":
        path.write_bytes(np.random.default_rng(1).bytes(400))
    elif kind == "text":
        path.write_text("S1,Walking,0.1,0.2\n" * 5)
    elif kind == "corrupt_member":  # zip directory intact, compressed member damaged
        path.write_bytes(data[:60] + bytes(60) + data[120:])
    with pytest.raises(NpzFileError) as err:
        load_npz_safe(path)
    assert isinstance(err.value, ValueError) and not isinstance(err.value, UnsafePickleError)
    _one_line_naming(err, path)


# --- .pth / .npz state_dicts (torch_import) ---------------------------------------------------------------------

@pytest.mark.parametrize("payload,global_name", [(_Touch, "getattr"), (_System, "system")])
def test_pth_with_code_is_refused_and_the_code_does_not_run(tmp_path, payload, global_name):
    torch = pytest.importorskip("torch", reason="torch is an optional extra (pip install -e .[torch])")
    marker = tmp_path / "pwned"
    sd = {k: torch.from_numpy(v) for k, v in random_state_dict("vanilla", 8, 1).items()}
    path = tmp_path / "evil.pth.tar"
    torch.save({"state_dict": sd, "epoch": 1, "extra": payload(marker)}, path)
    with pytest.raises(StateDictError) as err:
        read_state_dict(path)
    _one_line_naming(err, path, global_name, "run code", "state_dict")
    assert not marker.exists()


def test_reference_checkpoint_dict_loads_with_weights_only(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is an optional extra (pip install -e .[torch])")
    sd = random_state_dict("modulated", 8, 1)
    params = [torch.nn.Parameter(torch.from_numpy(v)) for v in sd.values()]
    opt = torch.optim.Adam(params, lr=1e-3)
    sum(p.sum() for p in params).backward()
    opt.step()
    ckpt = {"epoch": 3, "lr": 1e-3, "step": 120, "state_dict": {k: torch.from_numpy(v) for k, v in sd.items()},
            "optimizer": opt.state_dict(), "error": np.float64(51.2), "post_refine": None}
    torch.save(ckpt, tmp_path / "ckpt_best.pth.tar")
    got = read_state_dict(tmp_path / "ckpt_best.pth.tar")
    assert got.keys() == sd.keys()
    for k in sd:
        np.testing.assert_array_equal(got[k], sd[k])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_weights_are_refused_naming_the_tensor(tmp_path, bad):
    sd = random_state_dict("vanilla", 8, 1)
    key = "gconv_layers.0.gconv2.gconv.W"
    sd[key] = sd[key].copy()
    sd[key].flat[3] = bad
    np.savez(tmp_path / "sd.npz", **sd)
    with pytest.raises(StateDictError) as err:
        read_state_dict(tmp_path / "sd.npz")
    _one_line_naming(err, "sd.npz", key, "NaN/Inf")


# --- .h5 models (load_model) -------------------------------------------------------------------------------------

def _lambda_model_file(tmp_path, marker):
    import tf_keras as keras

    inp = keras.Input((16, 2), name="keypoints_2d")
    x = keras.layers.Lambda(lambda t, p=str(marker): (__import__("pathlib").Path(p).touch(), t)[1])(inp)
    model = keras.Model(inp, keras.layers.Dense(3)(x))
    path = tmp_path / "lambda.h5"
    model.save(path, save_format="h5")
    marker.unlink()  # building the model ran the lambda once; loading must not run it again
    return path


def test_h5_with_a_lambda_layer_is_refused_and_its_code_does_not_run(tmp_path):
    from graphsh_tf.config import ModelConfig
    from graphsh_tf.model_io import ModelFileError, load_model

    import h5py
    import tf_keras as keras

    marker = tmp_path / "pwned"
    path = _lambda_model_file(tmp_path, marker)
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    _one_line_naming(err, path, "lambda", "save_model")
    assert not marker.exists()
    # a graphsh_config attribute (as save_model writes) or an explicit config does not let the Lambda through
    with h5py.File(path, "a") as f:
        f.attrs["graphsh_config"] = ModelConfig(hid_dim=16, num_stacks=1).to_json()
    for config in (None, ModelConfig(hid_dim=16, num_stacks=1)):
        with pytest.raises(ModelFileError) as err:
            load_model(path, config=config)
        _one_line_naming(err, path, "lambda")
    assert not marker.exists()
    keras.models.load_model(path)  # control: Keras' own loader does run the stored code
    assert marker.exists()


def test_h5_of_another_architecture_is_refused(tmp_path):
    from graphsh_tf.model_io import ModelFileError, load_model

    import tf_keras as keras

    inp = keras.Input((16, 2))
    keras.Model(inp, keras.layers.Dense(3)(inp)).save(tmp_path / "other.h5", save_format="h5")
    with pytest.raises(ModelFileError) as err:
        load_model(tmp_path / "other.h5")
    _one_line_naming(err, "other.h5", "graphsh_config", "save_model")


def test_save_and_plain_keras_save_still_load_with_equal_outputs(tmp_path):
    from graphsh_tf.model_io import load_model, save_model
    from graphsh_tf.models import build_model

    model = build_model(gcn="semantic", hid_dim=16, num_stacks=1, dropout=0.1)
    x = np.random.default_rng(3).normal(size=(3, 16, 2)).astype(np.float32)
    ref = model.predict(x, verbose=0)
    save_model(model, tmp_path / "m.h5")
    model.save(tmp_path / "plain.h5", save_format="h5")  # no graphsh_config: config inferred from the layers
    for name in ("m.h5", "plain.h5"):
        loaded = load_model(tmp_path / name)
        assert loaded.graphsh_config == model.graphsh_config, name
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), ref)
