import graphsh_tf
from graphsh_tf.config import ConfigError, ModelConfig
from graphsh_tf.model_io import ModelFileError, save_model
from graphsh_tf.models import build_model, count_params

import numpy as np
import pytest

REFERENCE_COUNTS = {"vanilla": 224_907, "semantic": 438_657, "dc_preagg": 3_685_899, "modulated": 461_387}


@pytest.mark.parametrize("gcn,count", REFERENCE_COUNTS.items())
def test_full_size_parameter_counts_equal_the_reference(gcn, count):
    assert count_params(build_model(gcn=gcn, hid_dim=64, num_stacks=4)) == count


@pytest.mark.parametrize("gcn,paper_m", [("vanilla", 0.14), ("semantic", 0.27), ("dc_preagg", 4.22)])
def test_seqres_counts_within_2_percent_of_paper_table3(gcn, paper_m):
    # Counted over every weight tensor, BatchNorm statistics included (trainable-only vanilla is 0.135 M, 3.4 % under
    # the paper's 0.14 M: the paper most likely counts the statistics too, or rounds).
    model = build_model(arch="seqres", gcn=gcn, hid_dim=128, num_stacks=4)
    total = count_params(model, trainable_only=False)
    assert abs(total / 1e6 - paper_m) / paper_m <= 0.02


@pytest.mark.parametrize("batch", [1, 2, 7])
def test_any_batch_size_including_one(batch):
    model = build_model(gcn="semantic", hid_dim=16, num_stacks=2)
    x = np.random.default_rng(0).normal(size=(7, 16, 2)).astype(np.float32)
    full = model.predict(x, verbose=0)
    part = model.predict(x[:batch], verbose=0)
    assert part.shape == (batch, 16, 3)
    np.testing.assert_allclose(part, full[:batch], atol=1e-5)


@pytest.mark.parametrize("shape", [(2, 17, 2), (2, 16, 3), (16, 2)])
def test_wrong_input_shape_names_the_expected_shape(shape):
    model = build_model(gcn="vanilla", hid_dim=8, num_stacks=1)
    with pytest.raises(ValueError, match=r"expected shape=\(None, 16, 2\)"):
        model.predict(np.zeros(shape, np.float32), verbose=0)


@pytest.mark.parametrize("switch", [{"pooling": False}, {"multi_level": False}, {"se": False},
                                    {"arch": "seqres"}])
def test_ablation_switches_build_and_change_the_network(switch):
    base = build_model(gcn="dc_preagg", hid_dim=16, num_stacks=2)
    abl = build_model(gcn="dc_preagg", hid_dim=16, num_stacks=2, **switch)
    assert abl.predict(np.zeros((2, 16, 2), np.float32), verbose=0).shape == (2, 16, 3)
    assert count_params(abl) != count_params(base)
    names = {l.name for l in abl.layers}
    if "pooling" in switch:
        assert not any("pool" in n for n in names)
    if "se" in switch:
        assert not any(n.startswith("se_blocks") for n in names)
    if "multi_level" in switch:
        assert not any(n.startswith("conv_layers") for n in names)


def test_config_json_round_trip_and_errors():
    cfg = ModelConfig(gcn="modulated", hid_dim=32, num_stacks=3, se=False)
    assert ModelConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ConfigError, match="gcn"):
        ModelConfig(gcn="gat").validate()
    with pytest.raises(ConfigError, match="unknown model config field"):
        ModelConfig.from_dict({"hidden": 3})
    with pytest.raises(ConfigError, match="not valid JSON"):
        ModelConfig.from_json("{", source="x.json")


def test_save_and_load_full_model_and_weights(tmp_path):
    model = build_model(gcn="modulated", hid_dim=16, num_stacks=2, dropout=0.0)
    x = np.random.default_rng(2).normal(size=(4, 16, 2)).astype(np.float32)
    ref = model.predict(x, verbose=0)
    save_model(model, tmp_path / "m.h5")
    loaded = graphsh_tf.load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), ref)
    assert loaded.graphsh_config == model.graphsh_config
    model.save(tmp_path / "plain.h5")  # plain Keras save also loads
    np.testing.assert_array_equal(graphsh_tf.load_model(tmp_path / "plain.h5").predict(x, verbose=0), ref)
    model.save_weights(tmp_path / "w.h5")
    w = graphsh_tf.load_model(tmp_path / "w.h5", config=model.graphsh_config)
    np.testing.assert_array_equal(w.predict(x, verbose=0), ref)
    with pytest.raises(ModelFileError, match="config"):
        graphsh_tf.load_model(tmp_path / "w.h5")


def test_corrupt_and_missing_model_files(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        graphsh_tf.load_model(tmp_path / "nope.h5")
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"garbage" * 10)
    with pytest.raises(ModelFileError, match="bad.h5"):
        graphsh_tf.load_model(bad)
    model = build_model(gcn="vanilla", hid_dim=8, num_stacks=1)
    save_model(model, tmp_path / "good.h5")
    data = (tmp_path / "good.h5").read_bytes()
    (tmp_path / "trunc.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="trunc.h5"):
        graphsh_tf.load_model(tmp_path / "trunc.h5")


def test_training_mode_uses_dropout_and_batchnorm():
    model = build_model(gcn="vanilla", hid_dim=16, num_stacks=1, dropout=0.25)
    x = np.random.default_rng(3).normal(size=(8, 16, 2)).astype(np.float32)
    a = model(x, training=True).numpy()
    b = model(x, training=True).numpy()
    assert not np.allclose(a, b)  # dropout active
    np.testing.assert_array_equal(model(x, training=False).numpy(), model(x, training=False).numpy())


def test_conv_types_carry_their_traits():
    """Each conv type is a class whose traits match the weights it builds; config's names are the registry's."""
    from graphsh_tf.config import GCN_TYPES
    from graphsh_tf.layers.graph_conv import CONV_TYPES, GraphConv, graph_conv

    assert tuple(CONV_TYPES) == GCN_TYPES
    for name, cls in CONV_TYPES.items():
        layer = graph_conv(8, name, 16)
        layer.build((None, 16, 5))
        assert type(layer) is cls and cls.gcn == name and layer.get_config()["gcn"] == name
        assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == ["W", *cls.extra_weights, "bias"]
        assert layer.W.shape == ((2 if cls.decoupled else 1),) + ((16,) if cls.per_joint else ()) + (5, 8)
        assert layer.mixing_matrix().shape == (16, layer.W.shape[0] * 16)
        assert (layer.modulation() is not None) == ("M" in cls.extra_weights)
        assert type(cls.from_config(layer.get_config())) is cls
    assert sorted(n for n, c in CONV_TYPES.items() if c.decoupled) == ["dc_preagg", "dc_vanilla", "modulated",
                                                                      "semantic"]
    assert sorted(n for n, c in CONV_TYPES.items() if c.per_joint) == ["dc_preagg", "preagg"]
    with pytest.raises(ValueError, match="unknown gcn 'bogus'.*dc_preagg"):
        graph_conv(8, "bogus")
    with pytest.raises(ValueError, match="graph_conv"):
        GraphConv(8)
