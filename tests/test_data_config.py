"""The data seed and loader options travel with a run: config.json → the same split everywhere."""
import json

from graphsh_tf.config import ConfigError, DataConfig, ModelConfig, TrainConfig

import numpy as np
import pytest


def test_data_config_round_trip_and_validation():
    cfg = DataConfig(spec="bvh:/x", seed=3, options={"test_percent": 20.0})
    assert DataConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ConfigError, match="DataConfig.seed"):
        DataConfig(seed=-1).validate()
    with pytest.raises(ConfigError, match="DataConfig.options"):
        DataConfig(options=[1]).validate()


def test_old_runs_fall_back_to_the_training_seed():
    assert DataConfig.from_run_section({"spec": "synthetic", "downsample": 2, "summary": "x"}, train_seed=5).seed == 5
    assert DataConfig.from_run_section({"spec": "synthetic", "seed": 2}, train_seed=5).seed == 2


def test_run_data_rebuilds_the_runs_own_split(tmp_path):
    from graphsh_tf.config import RunConfig
    from graphsh_tf.run import Run

    data_cfg = DataConfig(downsample=20, seed=1, options={"train_poses_per_subject": 300,
                                                          "test_poses_per_subject": 100})
    Run(tmp_path).write_config(RunConfig(ModelConfig(), TrainConfig(seed=1), data_cfg))
    doc = json.loads((tmp_path / "config.json").read_text())
    assert doc["data"]["seed"] == 1 and doc["data"]["options"]["train_poses_per_subject"] == 300
    got = Run(tmp_path).load_data()
    want = data_cfg.load()
    other = DataConfig(downsample=20, seed=0, options=data_cfg.options).load()
    np.testing.assert_array_equal(got.test.poses_2d, want.test.poses_2d)
    assert got.test.poses_2d.shape == other.test.poses_2d.shape
    assert not np.allclose(got.test.poses_2d, other.test.poses_2d)
