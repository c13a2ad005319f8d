"""BVH parsing, forward kinematics, joint mapping and the bvh:DIR data set."""
import json
import shutil
import time
from pathlib import Path

from graphsh_tf import skeleton as sk
from graphsh_tf.data import bvh
from graphsh_tf.data.dataset import DataError, load_data
from graphsh_tf.data.types import DataWarning

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "bvh_bandai_walk_normal_001_5frames.bvh"
BANDAI = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "bandai-namco-motion-1" / "data"

TWO_JOINTS = """HIERARCHY
ROOT Root
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition %s
  JOINT Child
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 5 0 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.04
1 2 3 %s 0 0 0
1 2 3 %s 0 0 90
"""


def bone_lengths(world):
    return {sk.H36M16.joint_names[j]: np.linalg.norm(world[:, j] - world[:, p], axis=-1) for j, p in sk.H36M16.edges}


def test_parse_fixture_structure():
    clip = bvh.parse_bvh(FIXTURE)
    assert clip.num_frames == 5 and clip.frame_time == pytest.approx(1 / 30, rel=1e-3)
    assert clip.joint_names[:3] == ["joint_Root", "Hips", "Spine"]
    assert "Head_End" in clip.joint_names and clip.parents[0] == -1
    assert clip.motion.shape == (5, 6 * sum(1 for c in clip.channels if c))


def test_euler_order_follows_channel_order():
    # root rotated 90 degrees about z; with order ZXY vs XYZ the second rotation differs
    text = TWO_JOINTS % ("Zrotation Xrotation Yrotation", "90 90 0", "90 90 0")
    clip = bvh.parse_bvh("two.bvh", text)
    pos, _ = bvh.clip_fk(clip)
    # R = Rz(90) @ Rx(90): the child offset (0, 10, 0) -> Rx: (0, 0, 10) -> Rz: (0, 0, 10)
    np.testing.assert_allclose(pos[0, 1], [1, 2, 13], atol=1e-9)
    text = TWO_JOINTS % ("Xrotation Yrotation Zrotation", "90 0 90", "90 0 90")
    pos, _ = bvh.clip_fk(bvh.parse_bvh("two.bvh", text))
    # R = Rx(90) @ Rz(90): (0, 10, 0) -> Rz: (-10, 0, 0) -> Rx: (-10, 0, 0)
    np.testing.assert_allclose(pos[0, 1], [-9, 2, 3], atol=1e-9)
    # frame 2: the child's own Yrotation 90 turns its End Site offset (5, 0, 0) -> (0, 0, -5) in its frame
    assert not np.allclose(pos[0, 2], pos[1, 2])


def test_fixture_fk_bone_lengths_are_plausible_and_constant():
    world = bvh.h36m_world_poses(bvh.parse_bvh(FIXTURE))
    lengths = bone_lengths(world)
    for bone in ("RKnee", "LKnee"):  # thigh
        assert 350 < lengths[bone].mean() < 550
        assert lengths[bone].std() < 1.0
    # Z is up: the head is above the pelvis, the feet below it
    assert np.all(world[:, 9, 2] > world[:, 0, 2] + 300) and np.all(world[:, 3, 2] < world[:, 0, 2] - 500)


def test_left_right_and_forward_follow_anatomy():
    world = bvh.h36m_world_poses(bvh.parse_bvh(FIXTURE))
    left = world[:, 4] - world[:, 1]  # RHip -> LHip
    forward = np.cross(left, [0, 0, 1.0]).mean(axis=0)
    walk = world[-1, 0] - world[0, 0]
    assert np.dot(forward[:2], walk[:2]) > 0  # walking forwards, so left and right are not swapped


def test_malformed_bvh_names_the_line(tmp_path):
    good = FIXTURE.read_text().splitlines()
    bad = list(good)
    idx = next(i for i, line in enumerate(bad) if "OFFSET" in line and i > 10)
    bad[idx] = bad[idx].replace("OFFSET", "OFSET")
    path = tmp_path / "bad.bvh"
    path.write_text("\n".join(bad))
    with pytest.raises(bvh.BvhError, match=rf"bad.bvh:{idx + 1}:"):
        bvh.parse_bvh(path)
    short = list(good)
    frame_line = len(short) - 2
    short[frame_line] = " ".join(short[frame_line].split()[:-3])
    path.write_text("\n".join(short))
    with pytest.raises(DataError, match=rf"bad.bvh:{frame_line + 1}: frame line has"):
        bvh.parse_bvh(path)
    path.write_text("\n".join(good[:-2] + ["1 2 nan"]))
    with pytest.raises(bvh.BvhError, match=r"bad.bvh:\d+"):
        bvh.parse_bvh(path)


def test_unmappable_bvh_lists_its_joint_names(tmp_path):
    text = TWO_JOINTS % ("Zrotation Xrotation Yrotation", "0 0 0", "0 0 0")
    clip = bvh.parse_bvh("two.bvh", text)
    with pytest.raises(bvh.BvhError, match=r"joints are: Root, Child\. Fix: pass joint_map"):
        bvh.h36m_world_poses(clip, path="two.bvh")


def test_user_joint_map(tmp_path):
    clip = bvh.parse_bvh(FIXTURE)
    mapping = {k: (v if isinstance(v, str) else v["joint"]) for k, v in bvh.BANDAI_NAMCO_MAP.items()}
    path = tmp_path / "map.json"
    path.write_text(json.dumps(mapping))
    world = bvh.h36m_world_poses(clip, joint_map=str(path))
    default = bvh.h36m_world_poses(clip)
    np.testing.assert_allclose(world[:, :9], default[:, :9])
    assert np.all(np.linalg.norm(world[:, 9] - default[:, 9], axis=-1) > 100)  # Head without the 14 cm offset
    del mapping["Head"]
    path.write_text(json.dumps(mapping))
    with pytest.raises(bvh.BvhError, match="missing \\['Head'\\]"):
        bvh.h36m_world_poses(clip, joint_map=str(path))


def test_bvh_dir_data_set_from_fixture_copies(tmp_path):
    for k in range(12):
        shutil.copy(FIXTURE, tmp_path / f"clip{k:02d}.bvh")
    data = load_data(f"bvh:{tmp_path}", test_percent=30.0, frame_step=1)
    n_test = sum(bvh.is_test_clip(f"clip{k:02d}", 30.0) for k in range(12))
    assert data.info["test_clips"] == n_test and data.info["train_clips"] == 12 - n_test
    assert len(data.train) + len(data.test) == 12 * 5 * 4 - data.info["dropped_rows"]
    assert data.skeleton is sk.H36M16 and np.all(data.train.poses_3d[:, 0] == 0)
    assert data.train.sequences[0].endswith("/cam0") and set(data.train.actions) == {"clip00"} | set(
        data.train.actions)
    virtual = load_data(f"bvh:{tmp_path}", test_percent=30.0, frame_step=1, cameras="virtual", seed=3)
    again = load_data(f"bvh:{tmp_path}", test_percent=30.0, frame_step=1, cameras="virtual", seed=3)
    assert np.array_equal(virtual.train.poses_2d, again.train.poses_2d)
    assert not np.array_equal(virtual.train.poses_2d[:10], data.train.poses_2d[:10])


def test_bvh_dir_errors(tmp_path):
    with pytest.raises(DataError, match="BVH folder not found"):
        load_data(f"bvh:{tmp_path / 'nope'}")
    with pytest.raises(DataError, match="no .bvh files"):
        load_data(f"bvh:{tmp_path}")


@pytest.mark.skipif(not BANDAI.is_dir(), reason=f"Bandai-Namco BVH data not present at {BANDAI}")
def test_bandai_clips_have_plausible_constant_bone_lengths():
    for name in ("dataset-1_walk_normal_001", "dataset-1_kick_normal_001", "dataset-1_bow_active_001"):
        world = bvh.h36m_world_poses(bvh.parse_bvh(BANDAI / f"{name}.bvh"))
        for bone, length in bone_lengths(world).items():
            # limb bones are one BVH segment each (rigid); torso/shoulder "bones" span several BVH joints
            limit = 1.0 if bone[1:] in ("Knee", "Foot", "Elbow", "Wrist") else 5.0
            assert length.std() < limit, (name, bone, length.std())
        for bone in ("RKnee", "LKnee"):
            assert 350 < bone_lengths(world)[bone].mean() < 550, name


@pytest.mark.skipif(not BANDAI.is_dir(), reason=f"Bandai-Namco BVH data not present at {BANDAI}")
def test_loading_all_bandai_clips_takes_seconds():
    start = time.perf_counter()
    data = load_data(f"bvh:{BANDAI}")
    elapsed = time.perf_counter() - start
    assert data.info["train_clips"] + data.info["test_clips"] == len(list(BANDAI.glob("*.bvh")))
    assert 0.05 < data.info["test_clips"] / (data.info["train_clips"] + data.info["test_clips"]) < 0.2
    assert len(data.train) > 30000 and len(data.test) > 2000
    assert elapsed < 30.0, f"loading took {elapsed:.1f} s"
    assert "bow" in set(data.train.actions) | set(data.test.actions)


@pytest.mark.parametrize("declared", ["3", "0", "-5", "7", "2.5"])
def test_frames_line_must_match_the_data(tmp_path, declared):
    """A 'Frames:' line that disagrees with the frame lines is an error naming the file, the line and the fix."""
    lines = FIXTURE.read_text().splitlines()
    idx = next(i for i, line in enumerate(lines) if line.strip().lower().startswith("frames:"))
    lines[idx] = f"Frames: {declared}"
    path = tmp_path / "frames.bvh"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(bvh.BvhError, match=r"frames\.bvh:\d+: .*(Frames|frame)") as err:
        bvh.parse_bvh(path)
    assert "\n" not in str(err.value)


def test_phone_cameras_normalize_through_intrinsics_and_split_by_style(tmp_path):
    """cameras='phone': handheld phone views (FOV 55-80 deg, portrait/landscape); the 2D is the intrinsics
    normalization of the rendered pixels (what Lifter(intrinsics=...) feeds the model). test_styles splits by style."""
    from graphsh_tf.data import cameras as cam
    from graphsh_tf.data.render import render_views
    from graphsh_tf.frame import normalize_with_intrinsics

    for k, style in enumerate(["normal", "happy", "tired", "normal"]):
        shutil.copy(FIXTURE, tmp_path / f"dataset-1_walk_{style}_{k:03d}.bvh")
    data = load_data(f"bvh:{tmp_path}", frame_step=1, cameras="phone", test_styles=["tired"])
    assert data.info["test_clips"] == 1 and data.info["train_clips"] == 3
    rng = np.random.default_rng(0)
    cams = cam.random_phone_cameras(rng, np.array([0.0, 0.0, 900.0]), 20)
    fovs = [np.rad2deg(2 * np.arctan(c.res_w / 2 / c.focal[0])) for c in cams]
    assert 55 <= min(fovs) and max(fovs) <= 80 and {c.res_w for c in cams} == {1080, 1920}
    world = np.zeros((1, 16, 3)) + np.array([0.0, 0.0, 900.0])
    world[0, 1:, 0] += np.linspace(-300, 300, 15)
    pose, _ = render_views(world, cams[:1], "a", "c", normalization="intrinsics", drop_outside=False)
    pixels, _, _ = cam.render(world, cams[0])
    np.testing.assert_allclose(pose.poses_2d, normalize_with_intrinsics(pixels, (*cams[0].focal, *cams[0].center)),
                               rtol=1e-5)


def _edit(tmp_path, name, edit):
    """The fixture with ``edit(lines)`` applied, written as ``name``; returns the path."""
    lines = FIXTURE.read_text().splitlines()
    edit(lines)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _line_of(lines, prefix, skip=0):
    return [i for i, line in enumerate(lines) if line.strip().startswith(prefix)][skip]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e300", "-2e6"])
def test_non_finite_or_huge_offset_is_refused_with_file_and_line(tmp_path, value):
    """An OFFSET that is NaN, infinite or absurdly large would make every frame vanish; it is refused instead."""
    where = {}

    def edit(lines):
        where["idx"] = _line_of(lines, "OFFSET", skip=3)
        lines[where["idx"]] = f"OFFSET 0 {value} 0"

    path = _edit(tmp_path, "offset.bvh", edit)
    with pytest.raises(bvh.BvhError, match=rf"offset\.bvh:{where['idx'] + 1}: OFFSET holds {value}") as err:
        bvh.parse_bvh(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-0.03", "1e999"])
def test_bad_frame_time_is_refused_with_file_and_line(tmp_path, value):
    where = {}

    def edit(lines):
        where["idx"] = _line_of(lines, "Frame Time")
        lines[where["idx"]] = f"Frame Time: {value}"

    path = _edit(tmp_path, "ft.bvh", edit)
    with pytest.raises(bvh.BvhError, match=rf"ft\.bvh:{where['idx'] + 1}: Frame Time: {value} must be a finite"):
        bvh.parse_bvh(path)


def test_huge_motion_value_is_refused_with_its_line(tmp_path):
    def edit(lines):
        values = lines[-2].split()
        values[0] = "1e300"
        lines[-2] = " ".join(values)

    path = _edit(tmp_path, "huge.bvh", edit)
    n = len(FIXTURE.read_text().splitlines())
    with pytest.raises(bvh.BvhError, match=rf"huge\.bvh:{n - 1}: frame line holds NaN, inf or a value beyond"):
        bvh.parse_bvh(path)


def test_non_finite_joint_map_offset_is_refused(tmp_path):
    mapping = dict(bvh.BANDAI_NAMCO_MAP)
    mapping["Head"] = {"joint": "Head", "offset": [float("nan"), 0, 0]}
    path = tmp_path / "map.json"
    path.write_text(json.dumps(mapping))
    with pytest.raises(bvh.BvhError, match=r"map\.json: .*finite"):
        bvh.load_joint_map(path)


def test_a_clip_that_loses_every_row_is_named(tmp_path):
    """A clip whose root floats 1 km above the floor leaves every image: the loader warns naming the file, keeps
    the other clips, and when nothing is left the error names the lost clips."""
    for k in range(6):
        shutil.copy(FIXTURE, tmp_path / f"clip{k:02d}.bvh")

    def lifted(lines):
        for i in range(_line_of(lines, "Frame Time") + 1, len(lines)):
            values = lines[i].split()
            values[1] = str(float(values[1]) + 1e5)   # the root's Yposition (up), centimetres
            lines[i] = " ".join(values)

    _edit(tmp_path, "clip99.bvh", lifted)
    with pytest.warns(DataWarning, match=r"clip99\.bvh: every one of its \d+ \(frame, camera\) rows was dropped"):
        data = load_data(f"bvh:{tmp_path}", test_percent=50.0, frame_step=1)
    assert data.info["empty_clips"] == ["clip99"]
    assert "clip99" not in data.info["test_clip_names"] and data.info["train_clips"] + data.info["test_clips"] == 6
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    (tmp_path / "clip99.bvh").rename(lonely / "clip99.bvh")
    with pytest.warns(DataWarning), pytest.raises(DataError, match=r"1 lost every row: clip99"):
        load_data(f"bvh:{lonely}", frame_step=1)


def test_unknown_bvh_option_names_it_and_the_accepted_ones(tmp_path):
    with pytest.raises(DataError, match=r"bvh has no option 'test_percnt'; it takes: .*test_percent"):
        load_data(f"bvh:{tmp_path}", test_percnt=30.0)
    with pytest.raises(DataError, match=r"option cameras='dome' must be one of h36m, virtual, phone"):
        load_data(f"bvh:{tmp_path}", cameras="dome")


def test_writer_round_trip(tmp_path):
    clip = bvh.parse_bvh(FIXTURE)
    bvh.write_bvh(clip, tmp_path / "out.bvh", frames=np.array([0, 2]))
    again = bvh.parse_bvh(tmp_path / "out.bvh")
    assert again.joint_names == clip.joint_names and again.num_frames == 2
    np.testing.assert_allclose(again.motion, clip.motion[[0, 2]], rtol=1e-5, atol=1e-4)
