"""Unit tests of the training glue: TrainConfig, LR schedule, TF_CONFIG parsing, run-dir files, input stream."""
import json

from graphsh_tf.config import ConfigError, TrainConfig
from graphsh_tf.io import atomic_save, tmp_path_for
from graphsh_tf.run import Run, best_val, config_differences

import numpy as np
import pytest


def test_train_config_json_round_trip_and_validation():
    cfg = TrainConfig(epochs=3, lr=2e-3, flip_augment=True, strategy="mirrored")
    assert TrainConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ConfigError, match="lr_gamma"):
        TrainConfig(lr_gamma=1.5).validate()
    with pytest.raises(ConfigError, match="strategy"):
        TrainConfig(strategy="tpu").validate()
    with pytest.raises(ConfigError, match="unknown train config field"):
        TrainConfig.from_dict({"epoch": 3})
    with pytest.raises(ConfigError, match="not valid JSON"):
        TrainConfig.from_json("{")


def test_lr_schedule_is_staircase_per_step():
    from graphsh_tf.train.optim import lr_at, lr_schedule, make_optimizer

    cfg = TrainConfig(lr=1e-4, lr_decay_steps=20000, lr_gamma=0.92)
    sched = lr_schedule(cfg)
    for step, expect in ((0, 1e-4), (19999, 1e-4), (20000, 0.92e-4), (100000, 1e-4 * 0.92 ** 5)):
        assert float(sched(step)) == pytest.approx(expect, rel=1e-6)
        assert lr_at(step, cfg) == pytest.approx(expect, rel=1e-9)
    opt = make_optimizer(cfg)
    assert opt.global_clipnorm == 1.0
    assert make_optimizer(TrainConfig(max_grad_norm=0)).global_clipnorm is None


def test_global_norm_clipping_bounds_the_update():
    from graphsh_tf.train.optim import make_optimizer

    import tensorflow as tf

    v = tf.Variable([0.0, 0.0])
    opt = make_optimizer(TrainConfig(lr=1.0, max_grad_norm=1.0))
    opt.apply_gradients([(tf.constant([300.0, 400.0]), v)])
    # Adam's first moment after one step is (1 - beta_1) * clipped gradient = 0.1 * (0.6, 0.8)
    moments = [w.numpy() for w in opt.variables if w.shape == (2,)]
    np.testing.assert_allclose(moments[0], [0.06, 0.08], rtol=1e-5)


def test_mpjpe_metric_matches_numpy_metric():
    from graphsh_tf import metrics
    from graphsh_tf.train.optim import mpjpe_mm_metric

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 16, 3)).astype(np.float32), rng.normal(size=(5, 16, 3)).astype(np.float32)
    assert float(np.mean(mpjpe_mm_metric(a, b))) == pytest.approx(metrics.mpjpe(a * 1000, b * 1000), rel=1e-5)


def test_tf_config_parsing_and_chief():
    from graphsh_tf.train.strategy import TrainingError, is_chief_task, parse_tf_config

    assert parse_tf_config("") == {}
    for bad in ("{oops", '{"cluster": {}}', '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}'):
        with pytest.raises(TrainingError, match="TF_CONFIG"):
            parse_tf_config(bad)
    two = {"worker": ["a:1", "b:2"]}
    assert is_chief_task(parse_tf_config(json.dumps({"cluster": two, "task": {"type": "worker", "index": 0}})))
    assert not is_chief_task(parse_tf_config(json.dumps({"cluster": two, "task": {"type": "worker", "index": 1}})))
    with_chief = {"chief": ["c:0"], **two}
    assert not is_chief_task({"cluster": with_chief, "task": {"type": "worker", "index": 0}})
    assert is_chief_task({"cluster": with_chief, "task": {"type": "chief", "index": 0}})


def test_config_differences_name_fields_and_allow_more_epochs():
    old = {"model": {"hid_dim": 64, "gcn": "dc_preagg"}, "train": {"lr": 1e-4, "epochs": 10},
           "data": {"spec": "synthetic", "summary": "a"}}
    new = {"model": {"hid_dim": 32, "gcn": "dc_preagg"}, "train": {"lr": 1e-4, "epochs": 20},
           "data": {"spec": "h36m:/x", "summary": "b"}}
    diffs = config_differences(old, new)
    assert diffs == ["model.hid_dim: 64 -> 32", "data.spec: 'synthetic' -> 'h36m:/x'"]


def test_history_round_trip_atomic(tmp_path):
    rows = [{"epoch": 1, "loss": 0.5, "val_mpjpe_mm": 120.25, "lr": 1e-4},
            {"epoch": 2, "loss": 0.25, "val_mpjpe_mm": None, "lr": 1e-4}]
    run = Run(tmp_path)
    assert run.read_history() == []                         # no history yet
    run.write_history(rows)
    assert run.read_history() == rows
    assert best_val(rows) == 120.25
    assert [p for p in tmp_path.iterdir()] == [run.history_path]


def test_atomic_save_keeps_old_file_when_writer_fails(tmp_path):
    target = tmp_path / "best.weights.h5"
    target.write_text("old")

    def failing(tmp):
        open(tmp, "w").write("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_save(target, failing)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["best.weights.h5"]
    assert tmp_path_for(target).name.endswith(".weights.h5")


def test_train_stream_skip_positions_resumed_epoch():
    from graphsh_tf.train.loop import train_stream

    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 16, 2)).astype(np.float32)
    y = rng.normal(size=(50, 16, 3)).astype(np.float32)
    cfg = TrainConfig(batch_size=8, seed=5, flip_augment=True)
    spe = 4  # 4 steps per epoch over 6 batches per pass: epochs straddle passes
    full = [b[0].numpy() for b in train_stream(x, y, cfg, 0, spe).take(3 * spe)]
    resumed = [b[0].numpy() for b in train_stream(x, y, cfg, 2, spe).take(spe)]
    for a, b in zip(full[2 * spe:], resumed):
        np.testing.assert_array_equal(a, b)
    assert all(b.shape == (8, 16, 2) for b in full)  # global batch, remainder dropped
