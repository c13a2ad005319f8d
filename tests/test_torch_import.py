"""Reference weight import: the Keras model computes the reference network's function."""
import json
import subprocess
import sys

import graphsh_tf
from graphsh_tf.torch_import import StateDictError, import_state_dict, infer_config, main

import numpy as np
import pytest
from conftest import FIXTURES
from reference_numpy import forward, random_state_dict

FIXTURE_FILES = sorted(FIXTURES.glob("graphsh_*_h16_l2_s0.npz"))


def test_fixtures_are_present():
    assert {f.name.split("_h16")[0] for f in FIXTURE_FILES} == {
        "graphsh_vanilla", "graphsh_semantic", "graphsh_dc_preagg", "graphsh_modulated"}


@pytest.mark.parametrize("fixture", FIXTURE_FILES, ids=lambda p: p.stem)
def test_cli_import_of_reference_fixture_matches_pytorch_output(fixture, tmp_path):
    out = tmp_path / "model.h5"
    r = subprocess.run([sys.executable, "-m", "graphsh_tf.torch_import", str(fixture), str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    data = np.load(fixture)
    meta = json.loads(str(data["meta_json"]))
    model = graphsh_tf.load_model(out)
    assert model.graphsh_config.gcn == meta["gcn_type"]
    assert model.graphsh_config.hid_dim == meta["hid_dim"] and model.graphsh_config.num_stacks == meta["num_layers"]
    pred = model.predict(data["input"], verbose=0)
    assert np.abs(pred - data["output"]).max() <= 1e-4
    # at batch 1 too (the reference's SE block breaks there; ours must not)
    one = model.predict(data["input"][:1], verbose=0)
    assert np.abs(one - data["output"][:1]).max() <= 1e-4


@pytest.mark.parametrize("gcn,hid,stacks", [
    ("vanilla", 8, 1), ("dc_vanilla", 24, 3), ("preagg", 16, 2), ("dc_preagg", 16, 3),
    ("semantic", 24, 1), ("modulated", 32, 4), ("semantic", 16, 3), ("modulated", 8, 2),
])
def test_import_matches_the_numpy_reference_at_other_sizes(gcn, hid, stacks, tmp_path):
    sd = random_state_dict(gcn, hid, stacks, seed=hid + stacks)
    src = tmp_path / "sd.npz"
    np.savez(src, **{f"state_dict/{k}": v for k, v in sd.items()})
    assert main([str(src), str(tmp_path / "m.h5")]) == 0
    model = graphsh_tf.load_model(tmp_path / "m.h5")
    cfg = model.graphsh_config
    assert (cfg.gcn, cfg.hid_dim, cfg.num_stacks) == (gcn, hid, stacks)
    x = np.random.default_rng(1).uniform(-1, 1, (5, 16, 2)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), forward(sd, x, gcn, stacks), atol=1e-4)


def test_plain_key_npz_and_inference(tmp_path):
    sd = random_state_dict("vanilla", 16, 2)
    src = tmp_path / "plain.npz"
    np.savez(src, **sd)  # keys without the state_dict/ prefix
    cfg = infer_config({k: v for k, v in sd.items()})
    assert (cfg.gcn, cfg.hid_dim, cfg.num_stacks, cfg.se, cfg.multi_level) == ("vanilla", 16, 2, True, True)
    model = import_state_dict(src)
    x = np.zeros((2, 16, 2), np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), forward(sd, x, "vanilla", 2), atol=1e-4)


def test_shape_mismatch_names_tensor_shapes_and_cause(tmp_path):
    sd = random_state_dict("dc_preagg", 16, 2)
    src = tmp_path / "sd.npz"
    np.savez(src, **sd)
    with pytest.raises(StateDictError) as e:
        import_state_dict(src, hid_dim=24)  # wrong hidden size forced by a flag
    msg = str(e.value)
    assert "gconv_input.gconv.W" in msg and "(2, 16, 2, 16)" in msg and "(2, 16, 2, 24)" in msg
    assert "hid" in msg
    with pytest.raises(StateDictError, match="stack"):
        import_state_dict(src, num_stacks=1)  # leftover tensors of stack 1


def test_cli_errors_are_one_line_and_nonzero(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    r = subprocess.run([sys.executable, "-m", "graphsh_tf.torch_import", str(bad), str(tmp_path / "o.h5")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "bad.npz" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o.h5").exists()
    np.savez(tmp_path / "other.npz", weights=np.zeros(3, np.float32))
    assert main([str(tmp_path / "other.npz"), str(tmp_path / "o.h5")]) == 2
    assert main([str(tmp_path / "missing.npz"), str(tmp_path / "o.h5")]) == 2


def test_pth_checkpoint_dict_when_torch_is_installed(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is an optional extra (pip install -e .[torch])")
    sd = random_state_dict("semantic", 16, 2)
    ckpt = {"epoch": 3, "state_dict": {k: torch.from_numpy(v) for k, v in sd.items()}}
    torch.save(ckpt, tmp_path / "ckpt.pth.tar")
    assert main([str(tmp_path / "ckpt.pth.tar"), str(tmp_path / "m.h5")]) == 0
    model = graphsh_tf.load_model(tmp_path / "m.h5")
    x = np.ones((3, 16, 2), np.float32) * 0.1
    np.testing.assert_allclose(model.predict(x, verbose=0), forward(sd, x, "semantic", 2), atol=1e-4)
