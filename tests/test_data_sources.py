"""The data-source registry: every door asks it, each source checks its own options, synthetic:frames=N."""
from graphsh_tf.config import ConfigError, DataConfig
from graphsh_tf.data import sources
from graphsh_tf.data.dataset import load_data, option_choices, resolve, spec_help
from graphsh_tf.data.types import DataError, PoseData, PoseSet

import numpy as np
import pytest


def test_the_built_in_sources_are_registered():
    names = [s.name for s in sources.registered()]
    assert set(names) >= {"synthetic", "h36m", "bvh", "mpi_inf_3dhp"}
    text = spec_help()
    for example in ("synthetic[:key=value,...]", "h36m:DIR", "bvh:DIR", "mpi_inf_3dhp:DIR"):
        assert example in text
    assert text.startswith("synthetic")          # the source that needs no files comes first
    assert resolve("human36m:/x")[0].name == "h36m" and resolve("3DHP:/x")[0].name == "mpi_inf_3dhp"
    assert set(option_choices("cameras")) == {"h36m", "virtual", "phone", "mix"}   # mix: shards:DIR only


@pytest.mark.parametrize("spec, options, needle", [
    ("synthetic:frame=10", {}, r"synthetic has no option 'frame'; it takes: cameras, fps, frames, "),
    ("synthetic", {"test_styles": ["x"]}, r"synthetic has no option 'test_styles'"),
    ("h36m:/x", {"cameras": "phone"}, r"h36m has no option 'cameras'; it takes: actions, test_subjects, "
                                      r"train_subjects"),
    ("mpi_inf_3dhp:/x", {"frame_step": 2}, r"mpi_inf_3dhp has no option 'frame_step'; it takes: sequences"),
    ("synthetic", {"cameras": "virtual"}, r"option cameras='virtual' must be one of h36m, phone"),
    ("synthetic:frames=abc", {}, r"option frames='abc' must be a whole number >= 1"),
    ("synthetic:frames=0", {}, r"option frames='0' must be a whole number >= 1"),
    ("synthetic:fps=nan", {}, r"option fps='nan' must be a number > 0 \(finite\)"),
    ("synthetic:train_subjects=syn1+S9", {}, r"names S9 unknown"),
    ("synthetic:frames", {}, r"'frames' is not key=value"),
    ("synthetic:frames=400", {"frames": 400}, r"option frames is given in the spec and as frames=400"),
    ("bvh:/x", {"distance": [6000, 3500]}, r"option distance=\[6000, 3500\] must be two numbers"),
    ("bvh:/x", {"test_percent": 101}, r"test_percent=101 must be a number in \[0, 100\]"),
    ("bvh:/x", {"drop_outside": "maybe"}, r"drop_outside='maybe' must be true or false"),
    ("mpi_inf_3dhp:/x", {"sequences": ["TS9"]}, r"names TS9 unknown"),
    ("bvh:", {}, r"names no folder; write it as bvh:DIR"),
    ("kinect:/x", {}, r"unknown data spec 'kinect:/x'; use synthetic"),
    ("", {}, r"data spec '' is empty"),
])
def test_bad_options_name_the_option_and_what_the_source_takes(spec, options, needle):
    with pytest.raises(DataError, match=needle) as err:
        load_data(spec, **options)
    assert "\n" not in str(err.value)


def test_keypoints_only_where_the_source_has_detections():
    with pytest.raises(DataError, match=r"keypoints=.cpn_ft_h36m_dbb. is only available for Human3.6M \(h36m:DIR\)"):
        resolve("bvh:/x", "cpn_ft_h36m_dbb")
    assert resolve("h36m:/x", "cpn_ft_h36m_dbb")[0].name == "h36m"


def test_data_config_asks_the_source():
    DataConfig(spec="bvh:/x", options={"cameras": "virtual", "test_styles": ["tired"], "test_percent": 20}).validate()
    with pytest.raises(ConfigError, match=r"h36m has no option 'test_styles'"):
        DataConfig(spec="h36m:/x", options={"test_styles": ["tired"]}).validate()
    with pytest.raises(ConfigError, match=r"unknown data spec"):
        DataConfig(spec="nope").validate()
    DataConfig(spec="synthetic:frames=4000000").validate()     # above the in-memory limit: streamed


def test_synthetic_frames_is_honoured():
    small = load_data("synthetic:frames=400", test_poses_per_subject=10)
    assert len(small.train) == 400 and len(small.test) == 2 * 10 * 4
    # poses spread over the five subjects (first ones take one more); rows round up to whole poses of 4 cameras
    assert len(load_data("synthetic:frames=401,test_poses_per_subject=10").train) == 404
    per_subject = load_data("synthetic", train_poses_per_subject=20, test_poses_per_subject=10)
    np.testing.assert_array_equal(small.train.poses_2d, per_subject.train.poses_2d)   # 400 = 5 x 20 x 4
    with pytest.raises(DataError, match="give frames or train_poses_per_subject, not both"):
        load_data("synthetic:frames=400", train_poses_per_subject=20)


def test_synthetic_default_is_unchanged_by_frames_40000():
    default, explicit = load_data("synthetic"), load_data("synthetic:frames=40000")
    for a, b in ((default.train, explicit.train), (default.test, explicit.test)):
        np.testing.assert_array_equal(a.poses_2d, b.poses_2d)
        np.testing.assert_array_equal(a.poses_3d, b.poses_3d)
        np.testing.assert_array_equal(a.sequences, b.sequences)


def test_synthetic_above_the_in_memory_limit_streams():
    from graphsh_tf.data.types import StreamedSet

    data = load_data("synthetic:frames=4000000")          # at once: only a small sample and the test split render
    assert isinstance(data.train, StreamedSet) and len(data.train) == 4_000_000
    assert data.train.frames == 1_000_000 and len(data.test) == 8000
    assert "streamed" in data.summary() and len(data.train.poses_2d) <= 20_000
    with pytest.raises(DataError, match=r"train_poses_per_subject=1000000 gives 20,000,000 training frames, above "
                                        r"the in-memory limit of 1,000,000; give the size as frames=N"):
        load_data("synthetic", train_poses_per_subject=1_000_000)


@pytest.fixture
def toy_source(monkeypatch):
    """A source registered for one test, as a new source module would register itself."""
    monkeypatch.setattr(sources, "_SOURCES", dict(sources._SOURCES))
    monkeypatch.setattr(sources, "_NAMES", dict(sources._NAMES))
    calls = []

    @sources.register_source("toy", options={"size": sources.integer(1, 50)}, summary="a test source")
    def load(folder, *, keypoints, downsample, seed, size=3):
        calls.append((folder, downsample, seed, size))
        rows = PoseSet(np.zeros((size, 16, 2), np.float32), np.zeros((size, 16, 3), np.float32),
                       np.full(size, "a"), np.full(size, "s/cam0"), np.ones((size, 2), np.float32))
        from graphsh_tf import skeleton as sk

        return PoseData(f"toy:{folder}", sk.H36M16, rows, rows)

    return calls


def test_a_registered_source_reaches_every_door(toy_source):
    assert "toy:DIR (a test source)" in spec_help()
    data = load_data("toy:/somewhere", downsample=2, seed=5, size="7")
    assert len(data.train) == 7 and toy_source == [("/somewhere", 2, 5, 7)]
    DataConfig(spec="toy:/x", options={"size": 4}).validate()
    with pytest.raises(ConfigError, match=r"toy has no option 'cameras'; it takes: size"):
        DataConfig(spec="toy:/x", options={"cameras": "h36m"}).validate()
    with pytest.raises(ValueError, match="registered twice"):
        sources.register_source("toy2", aliases=("toy",))(lambda *a, **k: None)
