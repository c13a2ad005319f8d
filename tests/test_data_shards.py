"""Pose shards and the streamed training input: the writer's round trip, streaming, bad shards named, camera draws
reproducible and equal to the numpy renderer, and FILE auto-sharding giving every step the same samples on one
worker or two."""
import json
import os
import subprocess
import sys
from pathlib import Path

from graphsh_tf.data import cameras as cam
from graphsh_tf.data import shard_format as fmt
from graphsh_tf.data import shards
from graphsh_tf.data import synthetic as syn
from graphsh_tf.data.dataset import load_data
from graphsh_tf.data.types import DataError, StreamedSet
from graphsh_tf.frame import normalize_screen_coordinates, normalize_with_intrinsics

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SMALL = "synthetic:train_poses_per_subject=40,test_poses_per_subject=20,seq_len=20"


@pytest.fixture(scope="module")
def shard_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("shards") / "s"
    shards.write_shards(SMALL, out, seed=3, shard_frames=50)
    return out


def test_writer_round_trip(shard_dir):
    index = fmt.read_index(shard_dir)
    assert index["units"] == "mm" and index["skeleton"] == "h36m16" and index["seed"] == 3
    train, test = index["splits"]["train"], index["splits"]["test"]
    assert train["frames"] == 5 * 40 and test["frames"] == 2 * 20 and train["subjects"] == list(syn.TRAIN_SUBJECTS)
    assert len(train["shards"]) == 4 and sum(e["frames"] for e in train["shards"]) == 200
    assert sorted(p.name for p in shard_dir.iterdir()) == sorted(
        [fmt.INDEX] + [e["file"] for s in ("train", "test") for e in index["splits"][s]["shards"]])
    expected = list(syn.iter_split_sequences("train", 3, [40] * 5, syn.TRAIN_SUBJECTS, 20))
    got = list(fmt.read_sequences(shard_dir, index, "train"))
    assert [h["sequence"] for h, _ in got] == [name for _, name, _ in expected]
    for (_, world), (_, _, ref) in zip(got, expected):
        np.testing.assert_allclose(world, ref, atol=1e-3)          # float32 millimetres
    # the test split renders through the fixed Human3.6M cameras: the in-memory synthetic test split
    data, ref = load_data(f"shards:{shard_dir}", seed=3), load_data(SMALL, seed=3)
    np.testing.assert_allclose(data.test.poses_2d, ref.test.poses_2d, atol=1e-6)
    np.testing.assert_allclose(data.test.poses_3d, ref.test.poses_3d, atol=1e-3)
    assert isinstance(data.train, StreamedSet) and len(data.train) == 200 * fmt.DEFAULT_VIEWS


def test_writer_is_atomic(tmp_path, monkeypatch):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(DataError, match=r"full: already exists and is not an empty folder"):
        shards.write_shards(SMALL, tmp_path / "full")

    def broken(spec, seed=0, options=None):
        yield "train", "syn1", "Walking", "syn1/Walking 1", "S1", np.zeros((5, 16, 3)) + 1000.0
        yield "train", "syn1", "Walking", "syn1/Walking 2", "S1", np.full((5, 16, 3), np.nan)

    monkeypatch.setattr(shards, "sequences", broken)
    with pytest.raises(DataError, match=r"syn1/Walking 2.*NaN"):
        shards.write_shards(SMALL, tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full"]          # no folder, no temp folder


def test_camera_options_belong_to_the_shards_source(tmp_path):
    with pytest.raises(DataError, match=r"option cameras chooses cameras.*fit.py --cameras"):
        shards.write_shards("synthetic:cameras=phone", tmp_path / "o")
    with pytest.raises(DataError, match=r"MPI-INF-3DHP has no world-space sequences"):
        shards.write_shards("mpi_inf_3dhp:/x", tmp_path / "o")


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        (dst / p.name).write_bytes(p.read_bytes())
    return dst


def _rewrite_shard(folder: Path, transform) -> Path:
    """Rewrite the first train shard with ``transform(world)`` applied to each sequence, and fix the index."""
    import tensorflow as tf

    index = json.loads((folder / fmt.INDEX).read_text())
    entry = index["splits"]["train"]["shards"][0]
    path = folder / entry["file"]
    records = [fmt.decode_record(r, str(path)) for r in fmt.iter_records(path)]
    with tf.io.TFRecordWriter(str(path)) as w:
        for header, world in records:
            w.write(fmt.encode_record(transform(world), header["subject"], header["action"], header["sequence"],
                                      header["h36m_subject"]))
    entry["bytes"], entry["sha256"] = path.stat().st_size, fmt.file_sha256(path)
    (folder / fmt.INDEX).write_text(json.dumps(index))
    return path


def test_bad_shards_are_named(shard_dir, tmp_path):
    truncated = _copy(shard_dir, tmp_path / "t")
    first = truncated / fmt.read_index(truncated)["splits"]["train"]["shards"][0]["file"]
    first.write_bytes(first.read_bytes()[:-100])
    with pytest.raises(DataError, match=rf"{first}: \d+ bytes, the index says \d+ \(truncated or changed\)"):
        load_data(f"shards:{truncated}")
    with pytest.raises(DataError, match=rf"{first}: truncated \(ends inside a record\)"):
        list(fmt.iter_records(first))

    skeleton = _copy(shard_dir, tmp_path / "k")
    path = _rewrite_shard(skeleton, lambda w: np.concatenate([w, w[:, :1]], axis=1))        # 17 joints
    with pytest.raises(DataError, match=rf"{path}: sequence .* has 17 joints, expected 16 \(h36m16\)"):
        load_data(f"shards:{skeleton}")

    cm = _copy(shard_dir, tmp_path / "c")
    path = _rewrite_shard(cm, lambda w: w / 10.0)
    with pytest.raises(DataError, match=rf"{path}: median hip-knee-foot length .* looks like centimetres"):
        load_data(f"shards:{cm}")

    units = _copy(shard_dir, tmp_path / "u")
    index = json.loads((units / fmt.INDEX).read_text())
    (units / fmt.INDEX).write_text(json.dumps(dict(index, units="cm")))
    with pytest.raises(DataError, match=rf"{units / fmt.INDEX}: units 'cm'; shards hold millimetres"):
        load_data(f"shards:{units}")
    with pytest.raises(DataError, match=r"no index.json; this is not a shard folder"):
        load_data(f"shards:{tmp_path}")


def test_shards_cli_one_line_exit_2(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "keep").write_text("x")
    r = subprocess.run([sys.executable, "-m", "graphsh_tf.data.shards", "--data", "synthetic", str(tmp_path / "o")],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0, r.stderr
    assert "already exists and is not an empty folder" in r.stderr


# --- streaming and cameras drawn per sample ------------------------------------------------------------------------

def _batches(ds, n):
    return [(x.numpy(), y.numpy()) for x, y in ds.take(n)]


def test_stream_is_seeded_and_shaped(shard_dir):
    from graphsh_tf.data.stream import stream_dataset

    data = load_data(f"shards:{shard_dir}", seed=3, cameras="phone")
    a = _batches(stream_dataset(data.train, 32, flip=True, noise_px=2.0, occlusion=0.2), 5)
    b = _batches(stream_dataset(data.train, 32, flip=True, noise_px=2.0, occlusion=0.2), 5)
    c = _batches(stream_dataset(data.train, 32, seed=4, flip=True, noise_px=2.0, occlusion=0.2), 5)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert not np.allclose(a[0][0], c[0][0])                  # another seed, other cameras
    x, y = a[0]
    assert x.shape == (32, 16, 2) and y.shape == (32, 16, 3) and np.all(y[:, 0] == 0)
    assert 0.3 < np.median(np.linalg.norm(y[:, 2] - y[:, 1], axis=-1)) < 0.6          # thigh in metres
    # resuming: skip_batches positions the stream where the uninterrupted one is
    later = _batches(stream_dataset(data.train, 32, flip=True, noise_px=2.0, occlusion=0.2, skip_batches=3), 2)
    np.testing.assert_array_equal(later[0][0], a[3][0])
    conf = _batches(stream_dataset(data.train, 32, occlusion=1.0, confidence=True), 1)[0][0]
    assert conf.shape == (32, 16, 3) and np.all((conf[..., 2] == 0).sum(axis=1) >= 1)


def test_camera_draws_are_reproducible_and_in_range():
    from graphsh_tf.data import camera_family as fam
    from graphsh_tf.data.stream import draw_cameras

    import tensorflow as tf

    root = tf.constant(np.tile([[300.0, -200.0, 950.0]], (500, 1)))
    key = tf.constant([11, 7], tf.int64)
    mix = fam.parse_mix("mix")
    a, b = draw_cameras(root, key, mix), draw_cameras(root, key, mix)
    other = draw_cameras(root, key + [0, 1], mix)
    for k in a:
        np.testing.assert_array_equal(a[k].numpy(), b[k].numpy())
    assert not np.allclose(a["C"].numpy(), other["C"].numpy())
    phone = draw_cameras(root, key, fam.parse_mix("phone"))
    w = phone["size"].numpy()[:, 0]
    hfov = np.rad2deg(2 * np.arctan(0.5 * w / phone["f"].numpy()[:, 0]))
    assert fam.PHONE["hfov"][0] - 1e-6 <= hfov.min() and hfov.max() <= fam.PHONE["hfov"][1] + 1e-6
    dist = np.linalg.norm(phone["C"].numpy()[:, :2] - root.numpy()[:, :2], axis=-1)
    assert fam.PHONE["distance"][0] - 1e-6 <= dist.min() and dist.max() <= fam.PHONE["distance"][1] + 1e-6
    assert set(np.unique(w)) == {1080.0, 1920.0} and np.all(phone["intrinsics"].numpy() == 1.0)
    share = a["intrinsics"].numpy().mean()                    # phone weight 0.5 in the default mix
    assert 0.4 < share < 0.6
    with pytest.raises(DataError, match=r"camera_mix: 'drone'"):
        fam.parse_mix("mix", {"drone": 1.0})


@pytest.mark.parametrize("kind", ["h36m", "phone"])
def test_projection_equals_the_numpy_renderer(kind):
    from graphsh_tf.data.stream import project

    import tensorflow as tf

    world = np.asarray(next(syn.iter_split_sequences("train", 0, [10], ["syn1"]))[2], np.float64)
    if kind == "h36m":
        c = cam.h36m_camera("S1", 2)
    else:
        c = cam.random_phone_cameras(np.random.default_rng(1), world[:, 0].mean(axis=0), 1)[0]
    n = len(world)
    cams = {"R": np.tile(c.rotation, (n, 1, 1)), "C": np.tile(c.position, (n, 1)), "f": np.tile(c.focal, (n, 1)),
            "c": np.tile(c.center, (n, 1)), "k": np.tile(c.radial, (n, 1)), "p": np.tile(c.tangential, (n, 1)),
            "size": np.tile([c.res_w, c.res_h], (n, 1)).astype(np.float64),
            "intrinsics": np.full(n, 1.0 if kind == "phone" else 0.0), "check_inside": np.ones(n)}
    x, y, visible, unit = project(tf.constant(world), {k: tf.constant(v, tf.float64) for k, v in cams.items()})
    pixels, _, p3d = cam.render(world, c)
    ref = (normalize_with_intrinsics(pixels, (*c.focal, *c.center)) if kind == "phone"
           else normalize_screen_coordinates(pixels, c.res_w, c.res_h))
    np.testing.assert_allclose(x.numpy(), ref, atol=1e-5)
    np.testing.assert_allclose(y.numpy(), p3d, atol=1e-3)
    np.testing.assert_array_equal(visible.numpy(), cam.in_image(pixels, c).all(axis=1))


def test_file_auto_sharding_gives_each_step_the_same_samples(shard_dir):
    """What tf.distribute does to the stream for two workers (FILE auto-shard, then half the global batch each):
    at every step the two workers' batches together are the one-worker batch."""
    from graphsh_tf.data.stream import stream_dataset

    from tensorflow.python.data.experimental.ops.distribute import _AutoShardDataset

    data = load_data(f"shards:{shard_dir}", seed=3, cameras="mix")
    assert len(data.train.params["files"]) == 4
    one = _batches(stream_dataset(data.train, 16, flip=True, occlusion=0.3), 6)
    workers = [_batches(_AutoShardDataset(stream_dataset(data.train, 8, flip=True, occlusion=0.3), 2, i), 6)
               for i in range(2)]
    for step in range(6):
        union = np.concatenate([workers[0][step][0], workers[1][step][0]])
        key = lambda a: a.reshape(len(a), -1).round(5).tolist()   # noqa: E731
        assert sorted(key(union)) == sorted(key(one[step][0])), step
        assert not np.array_equal(workers[0][step][0], workers[1][step][0])


def test_synthetic_streams_any_size_from_the_generator():
    from graphsh_tf.data.stream import stream_dataset

    data = load_data("synthetic:frames=2000000,test_poses_per_subject=10")
    assert isinstance(data.train, StreamedSet) and len(data.train) == 2_000_000 and len(data.test) == 80
    data.train.params["shuffle_frames"] = 1024                 # a small buffer fills at once
    x, y = _batches(stream_dataset(data.train, 64), 2)[1]
    assert x.shape == (64, 16, 2) and np.all(np.isfinite(x)) and np.all(y[:, 0] == 0)


# --- two workers on 127.0.0.1 --------------------------------------------------------------------------------------

TINY = ["--hid-dim", "8", "--stacks", "1", "--batch-size", "64", "--steps", "8", "--epochs", "1", "--lr", "3e-3",
        "--dropout", "0", "--no-xla", "--quiet"]


def _fit_env(**extra):
    env = dict(os.environ, PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _weights(run_dir: Path):
    """The model's weights (BatchNorm moving statistics included; not the optimizer's or the metrics' state)."""
    import h5py

    out = []
    with h5py.File(run_dir / "last.weights.h5", "r") as f:
        f.visititems(lambda name, obj: out.append(np.asarray(obj)) if isinstance(obj, h5py.Dataset)
                     and name.startswith("layers/") else None)
    return out


def _distance(a, b):
    """Mean absolute difference of two weight lists."""
    return float(np.mean(np.abs(np.concatenate([x.ravel() for x in a]) - np.concatenate([y.ravel() for y in b]))))


def _loss(run_dir: Path) -> float:
    return float((run_dir / "history.csv").read_text().splitlines()[1].split(",")[1])


@pytest.mark.slow
def test_two_workers_reading_shards_train_as_one(shard_dir, tmp_path):
    """Two MultiWorkerMirroredStrategy workers on 127.0.0.1, each reading its own two of the four shard files, end
    with bitwise-equal weights, and with the training of one worker reading all four at the same global batch (the
    same samples per step, BatchNorm synchronized over the replicas): the same epoch loss to 1e-4 and weights 20x
    closer than a run whose cameras differ (cameras=virtual) is. Not bitwise: the all-reduce sums the gradient in
    another order, and Adam turns such last-bit differences of near-zero gradients into steps of up to the LR."""
    import socket

    data = ["--data", f"shards:{shard_dir}", "--seed", "3"]
    one = tmp_path / "one"
    r = subprocess.run([sys.executable, str(ROOT / "training" / "fit.py")] + data + TINY + ["--out", str(one)],
                       cwd=ROOT, env=_fit_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-1500:] + r.stderr[-1500:]
    other = tmp_path / "other"
    r = subprocess.run([sys.executable, str(ROOT / "training" / "fit.py")] + data + TINY
                       + ["--cameras", "virtual", "--out", str(other)],
                       cwd=ROOT, env=_fit_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-1500:] + r.stderr[-1500:]
    socks = [socket.socket() for _ in range(2)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    two = tmp_path / "two"
    procs = [subprocess.Popen([sys.executable, str(ROOT / "training" / "fit.py")] + data + TINY
                              + ["--strategy", "multiworker", "--out", str(two)], cwd=ROOT,
                              env=_fit_env(TF_CONFIG=json.dumps({"cluster": cluster,
                                                                 "task": {"type": "worker", "index": i}})),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outs = []
    try:
        for p in procs:
            outs.append((p.wait(timeout=600), p.stdout.read(), p.stderr.read()))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for code, stdout, stderr in outs:
        assert code == 0, stdout[-1500:] + stderr[-1500:]
    import re

    digests = [re.search(r"final weights sha1=(\w+) step=(\d+)", o[1]).groups() for o in outs]
    assert digests[0] == digests[1] and digests[0][1] == "8", digests
    w1, w2, wo = (_weights(run) for run in (one, two, other))
    same_data, other_data = _distance(w1, w2), _distance(w1, wo)
    print(f"mean |weight difference|: one vs two workers {same_data:.3g}, other cameras {other_data:.3g}; "
          f"epoch loss {_loss(one):.6f} / {_loss(two):.6f} / {_loss(other):.6f}")
    assert same_data < 0.05 * other_data, (same_data, other_data)
    assert abs(_loss(one) - _loss(two)) < 1e-4 * _loss(one) and abs(_loss(one) - _loss(other)) > 1e-2 * _loss(one)
