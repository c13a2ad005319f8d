"""The embedded default data set: procedural human poses rendered through the four Human3.6M cameras.

No file is read. A kinematic chain on the H36M16 layout with Human3.6M-like bone lengths (thigh and shin ~450 mm,
upper arm ~280, forearm ~250, hip half-width ~130, spine ~230 + 250, neck/head ~230, shoulder ~150) is scaled per
subject (overall height and per-bone jitter) and again per sequence (bone lengths x U(0.88, 1.12), hip and shoulder
widths x U(0.5, 1.1)). Every bone has three angles (flexion about x, abduction about y, twist
about z, applied twist first) relative to its parent bone, clipped to joint limits. Motions are sums of sinusoids of
those angles: ``Walking``, ``Running``, ``ArmWaving``, ``Bending``, ``Squatting``, ``Reaching`` (the action names),
each with per-sequence amplitude scaling and random low-frequency perturbations of every angle, so the pose space is
broad (non-trivial) while each 2D view still determines the 3D pose well (learnable). The body gets a random global
yaw (with a slow drift), a small lean, and a random position in the capture area; it is rendered through the four
calibrated cameras of a Human3.6M subject (train subjects syn1..syn5 use the cameras of S1, S5, S6, S7, S8; test
subjects syn6, syn7 those of S9, S11).

Rest pose: facing +y, z up, the person's right towards +x. Sizes: 5 train subjects x 2,000 poses x 4 cameras =
40,000 train rows, 2 test subjects x 1,000 poses x 4 cameras = 8,000 test rows; train and test use disjoint seeds.
The spec ``synthetic:frames=N`` asks for N training rows: in memory up to :data:`MAX_IN_MEMORY_FRAMES`, streamed above
it (or with ``stream=true``: :func:`load_streamed`, cameras drawn per sample).
"""
from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from graphsh_tf import skeleton as sk
from graphsh_tf.data import cameras as cam
from graphsh_tf.data.kinematics import axis_rotation
from graphsh_tf.data.render import render_views
from graphsh_tf.data.sources import Option, choice, flag, integer, names, number, register_source
from graphsh_tf.data.types import DataError, PoseData, PoseSet, StreamedSet

import numpy as np

#: Rest offsets (mm) of each H36M16 joint from its parent, body frame (x right, y forward, z up).
REST_OFFSETS = np.array([
    [0, 0, 0],          # Hip
    [130, 0, 0],        # RHip
    [0, 0, -450],       # RKnee
    [0, 0, -450],       # RFoot
    [-130, 0, 0],       # LHip
    [0, 0, -450],       # LKnee
    [0, 0, -450],       # LFoot
    [0, -15, 230],      # Spine
    [0, 10, 250],       # Thorax
    [0, 25, 230],       # Head
    [-150, 0, 0],       # LShoulder
    [0, 0, -280],       # LElbow
    [0, 0, -250],       # LWrist
    [150, 0, 0],        # RShoulder
    [0, 0, -280],       # RElbow
    [0, 0, -250],       # RWrist
], dtype=np.float64)

#: Joint limits in degrees per bone (child joint): (flex, abd, twist) each (min, max), in the anatomical sense
#: (flex forward, abduction away from the midline, twist outward; for the shoulder bones: elevation and
#: protraction as abd and twist); converted to axis angles by :data:`_SIGNS`.
LIMITS = {
    "RKnee": ((-30, 125), (-15, 50), (-35, 35)), "LKnee": ((-30, 125), (-15, 50), (-35, 35)),
    "RFoot": ((0, 150), (0, 0), (0, 0)), "LFoot": ((0, 150), (0, 0), (0, 0)),
    "Spine": ((-25, 70), (-30, 30), (-40, 40)), "Thorax": ((-15, 30), (-15, 15), (-25, 25)),
    "Head": ((-35, 50), (-30, 30), (-70, 70)),
    "LShoulder": ((0, 0), (-10, 20), (-10, 15)), "RShoulder": ((0, 0), (-10, 20), (-10, 15)),
    "LElbow": ((-50, 160), (-10, 130), (-70, 70)), "RElbow": ((-50, 160), (-10, 130), (-70, 70)),
    "LWrist": ((0, 150), (0, 0), (0, 0)), "RWrist": ((0, 150), (0, 0), (0, 0)),
}
#: Axis-angle sign of (flex, abd, twist) per bone: knees bend backwards, spine flexion tilts forward, left limbs mirror.
_SIGNS = {
    "RKnee": (1, -1, 1), "LKnee": (1, 1, -1), "RFoot": (-1, 1, 1), "LFoot": (-1, 1, 1),
    "Spine": (-1, 1, 1), "Thorax": (-1, 1, 1), "Head": (-1, 1, 1),
    "LShoulder": (1, 1, -1), "RShoulder": (1, -1, 1),
    "LElbow": (1, 1, -1), "RElbow": (1, -1, 1), "LWrist": (1, 1, 1), "RWrist": (1, 1, 1),
}
BONES: Tuple[str, ...] = tuple(LIMITS)
MOTIONS: Tuple[str, ...] = ("Walking", "Running", "ArmWaving", "Bending", "Squatting", "Reaching")
TRAIN_SUBJECTS: Tuple[str, ...] = ("syn1", "syn2", "syn3", "syn4", "syn5")
TEST_SUBJECTS: Tuple[str, ...] = ("syn6", "syn7")
#: Calibrated Human3.6M cameras used for each synthetic subject.
CAMERA_SUBJECT = dict(zip(TRAIN_SUBJECTS + TEST_SUBJECTS, ("S1", "S5", "S6", "S7", "S8", "S9", "S11")))


def _motion(name: str, t: np.ndarray, rng: np.random.Generator) -> Dict[str, np.ndarray]:
    """Anatomical angle tracks (degrees) of one motion: bone -> (T, 3) (flex, abd, twist)."""
    f = {"Walking": 0.9, "Running": 1.4, "ArmWaving": 0.7, "Bending": 0.25, "Squatting": 0.3,
         "Reaching": 0.35}[name] * rng.uniform(0.8, 1.25)
    amp = rng.uniform(0.6, 1.25)
    ph = 2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)
    s, z = np.sin, np.zeros_like(t)
    a: Dict[str, List[np.ndarray]] = {b: [z.copy(), z.copy(), z.copy()] for b in BONES}
    if name in ("Walking", "Running"):
        run = name == "Running"
        hip, knee, arm, elbow = (35, 60, 40, 85) if run else (25, 35, 25, 20)
        a["RKnee"][0] = 10 + amp * hip * s(ph)
        a["LKnee"][0] = 10 + amp * hip * s(ph + np.pi)
        a["RFoot"][0] = 15 + amp * knee * np.maximum(0, s(ph + 2.0))
        a["LFoot"][0] = 15 + amp * knee * np.maximum(0, s(ph + np.pi + 2.0))
        a["RElbow"][0] = amp * arm * s(ph + np.pi)
        a["LElbow"][0] = amp * arm * s(ph)
        a["RWrist"][0] = elbow + 10 * s(ph)
        a["LWrist"][0] = elbow + 10 * s(ph + np.pi)
        a["Spine"][0] = (15 if run else 3) + 3 * s(2 * ph)
        a["Spine"][2] = 8 * amp * s(ph)
        a["RElbow"][1] = a["LElbow"][1] = 8 + z
    elif name == "ArmWaving":
        a["RElbow"][1] = 60 + amp * 50 * s(ph)
        a["LElbow"][1] = 60 + amp * 50 * s(ph + rng.uniform(0, np.pi))
        a["RElbow"][0] = 30 * s(0.5 * ph)
        a["LElbow"][0] = 30 * s(0.5 * ph + 1)
        a["RWrist"][0] = 50 + 40 * s(2 * ph)
        a["LWrist"][0] = 50 + 40 * s(2 * ph + 1)
        a["Spine"][1] = 8 * s(ph)
    elif name == "Bending":
        bend = 0.5 * (1 - np.cos(ph))
        a["Spine"][0] = amp * 55 * bend
        a["Thorax"][0] = amp * 20 * bend
        a["RKnee"][0] = a["LKnee"][0] = amp * 30 * bend
        a["RFoot"][0] = a["LFoot"][0] = 10 * bend
        a["RElbow"][0] = a["LElbow"][0] = amp * 60 * bend
        a["Head"][0] = -20 * bend
    elif name == "Squatting":
        squat = 0.5 * (1 - np.cos(ph))
        a["RKnee"][0] = a["LKnee"][0] = amp * 95 * squat
        a["RFoot"][0] = a["LFoot"][0] = amp * 120 * squat
        a["RKnee"][1] = a["LKnee"][1] = 15 * squat
        a["Spine"][0] = amp * 35 * squat
        a["RElbow"][0] = a["LElbow"][0] = amp * 80 * squat
    elif name == "Reaching":
        side = "R" if rng.uniform() < 0.5 else "L"
        reach = 0.5 * (1 - np.cos(ph))
        a[side + "Elbow"][0] = amp * 110 * reach
        a[side + "Elbow"][1] = 30 * s(0.5 * ph)
        a[side + "Wrist"][0] = 40 * (1 - reach)
        a["Spine"][2] = (1 if side == "L" else -1) * 25 * reach
        a["Spine"][1] = (1 if side == "L" else -1) * 15 * reach
        a["Spine"][0] = 20 * reach
    else:
        raise ValueError(f"unknown synthetic motion {name!r}; one of {MOTIONS}")
    return {b: np.stack(v, axis=-1) for b, v in a.items()}


def _perturb(angles: Dict[str, np.ndarray], t: np.ndarray, rng: np.random.Generator, scale: float = 18.0) -> None:
    """Add two random slow sinusoids to every angle (in place), then clip to :data:`LIMITS`."""
    for bone, track in angles.items():
        for k in range(3):
            lo, hi = LIMITS[bone][k]
            if lo == hi:
                continue
            for _ in range(2):
                track[:, k] += rng.uniform(0, scale) * np.sin(2 * np.pi * rng.uniform(0.05, 0.6) * t
                                                               + rng.uniform(0, 2 * np.pi))
            track[:, k] = np.clip(track[:, k], lo, hi)


def _bone_rotation(bone: str, track: np.ndarray) -> np.ndarray:
    """(T, 3) anatomical degrees → (T, 3, 3) local rotation ``Rx(flex) @ Ry(abd) @ Rz(twist)``."""
    signs = np.array(_SIGNS[bone], dtype=np.float64)
    rad = np.deg2rad(track * signs)
    return axis_rotation("x", rad[:, 0]) @ axis_rotation("y", rad[:, 1]) @ axis_rotation("z", rad[:, 2])


def pose_sequence(motion: str, offsets: np.ndarray, num_frames: int, fps: float,
                  rng: np.random.Generator) -> np.ndarray:
    """World poses ``(T, 16, 3)`` mm of one sequence (root at the origin horizontally, pelvis height from legs)."""
    t = np.arange(num_frames) / fps
    angles = _motion(motion, t, rng)
    _perturb(angles, t, rng)
    yaw = np.deg2rad(rng.uniform(0, 360) + rng.uniform(-30, 30) * t)
    lean = np.deg2rad(rng.uniform(-8, 8) + 4 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t))
    roll = np.deg2rad(rng.uniform(-5, 5) + np.zeros_like(t))
    frames = {"Hip": axis_rotation("z", yaw) @ axis_rotation("x", -lean) @ axis_rotation("y", roll)}
    pos = np.zeros((num_frames, sk.H36M16.num_joints, 3))
    names = sk.H36M16.joint_names
    for j in range(1, sk.H36M16.num_joints):
        parent = names[sk.H36M16.parents[j]]
        local = _bone_rotation(names[j], angles[names[j]]) if names[j] in angles else np.eye(3)
        frames[names[j]] = frames[parent] @ local
        pos[:, j] = pos[:, sk.H36M16.parents[j]] + frames[names[j]] @ offsets[j]
    return pos


#: Joints whose offset from the parent is a body width (hips, shoulders): people (and motion-capture marker
#: conventions) differ most there, e.g. the Bandai-Namco skeleton's hip half-width is ~70 mm, Human3.6M's ~130 mm.
_WIDTH_JOINTS = (1, 4, 10, 13)


def subject_offsets(rng: np.random.Generator) -> np.ndarray:
    """Rest offsets ``(16, 3)`` scaled for one subject: overall U(0.88, 1.12), each bone x U(0.95, 1.05)
    (left/right symmetric)."""
    per_bone = rng.uniform(0.95, 1.05, size=16)
    for left, right in zip(sk.H36M16.joints_left, sk.H36M16.joints_right):
        per_bone[left] = per_bone[right]
    return REST_OFFSETS * rng.uniform(0.88, 1.12) * per_bone[:, None]


def body_offsets(subject: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One sequence's body: the subject's offsets with each bone length x U(0.88, 1.12) and the hip and shoulder
    widths x U(0.5, 1.1) (left/right symmetric), so a model sees many proportions, not five bodies."""
    per_bone = rng.uniform(0.88, 1.12, size=16)
    per_bone[list(_WIDTH_JOINTS)] = rng.uniform(0.5, 1.1, size=len(_WIDTH_JOINTS))
    for left, right in zip(sk.H36M16.joints_left, sk.H36M16.joints_right):
        per_bone[left] = per_bone[right]
    return subject * per_bone[:, None]


def subject_poses(subject: str, num_poses: int, rng: np.random.Generator, seq_len: int = 100,
                  fps: float = 25.0) -> List[Tuple[str, np.ndarray]]:
    """Sequences ``[(motion, world poses (T, 16, 3) mm)]`` of one subject, ``num_poses`` poses in total, each
    sequence with its own body proportions (:func:`body_offsets`), placed at random positions of the capture area
    (within 1 m of the centre) with the pelvis at standing height."""
    return list(iter_subject_poses(subject, num_poses, rng, seq_len, fps))


def iter_subject_poses(subject: str, num_poses: int, rng: np.random.Generator, seq_len: int = 100,
                       fps: float = 25.0) -> Iterator[Tuple[str, np.ndarray]]:
    """:func:`subject_poses` one sequence at a time (same draws, same order), so any number of poses streams in
    the memory of one sequence."""
    base = subject_offsets(rng)
    count, k = 0, 0
    while count < num_poses:
        motion = MOTIONS[k % len(MOTIONS)]
        n = min(seq_len, num_poses - count)
        offsets = body_offsets(base, rng)
        leg = -(offsets[2, 2] + offsets[3, 2])
        poses = pose_sequence(motion, offsets, n, fps, rng)
        r, a = 1000.0 * np.sqrt(rng.uniform()), rng.uniform(0, 2 * np.pi)
        poses += np.array([r * np.cos(a), r * np.sin(a), leg + 30.0])
        yield motion, poses
        count += n
        k += 1


def _render_subject(subject: str, sequences, downsample: int, cameras: str = "h36m",
                    rng: Optional[np.random.Generator] = None) -> PoseSet:
    parts = []
    fixed = cam.h36m_cameras(CAMERA_SUBJECT[subject]) if cameras == "h36m" else None
    counters: Dict[str, int] = {}
    for motion, world in sequences:
        counters[motion] = counters.get(motion, 0) + 1
        world = world[::downsample]
        views = fixed or cam.random_phone_cameras(rng, world[:, 0].mean(axis=0), 4)
        # phone cameras: 2D through their intrinsics, rows with a joint outside the image dropped
        poses, _ = render_views(world, views, motion, f"{subject}/{motion} {counters[motion]}",
                                "image" if fixed else "intrinsics", drop_outside=fixed is None)
        parts.append(poses)
    return PoseSet.concat(parts, sk.H36M16.num_joints)


#: Rows per pose: each pose is seen by four cameras.
CAMERAS_PER_POSE = 4
#: Training rows the in-memory synthetic set may hold: 25x the default, measured at about one minute and 1.1 GB peak
#: RSS to generate on two CPU cores. A larger training split streams: its poses are generated while training reads
#: them and each is seen through cameras drawn on the fly (:mod:`graphsh_tf.data.stream`).
MAX_IN_MEMORY_FRAMES = 1_000_000


def _too_many(rows: int, what: str) -> str:
    return (f"{what} gives {rows:,} training frames, above the in-memory limit of {MAX_IN_MEMORY_FRAMES:,}; give the "
            "size as frames=N, which streams a training split of any size")


def _poses_per_subject(frames: int, num_subjects: int) -> List[int]:
    """``frames`` training rows as poses per subject, spread evenly (the first subjects take one more)."""
    poses = -(-frames // CAMERAS_PER_POSE)
    base, extra = divmod(poses, num_subjects)
    return [base + (k < extra) for k in range(num_subjects)]


def train_poses(frames: Optional[int], train_poses_per_subject: Optional[int], num_subjects: int,
                limit: Optional[int] = MAX_IN_MEMORY_FRAMES) -> List[int]:
    """Training poses per subject: from ``frames`` (training rows, spread evenly) or ``train_poses_per_subject``
    (default 2000); :class:`DataError` above ``limit`` rows (None: any size) or when both are given."""
    if frames is not None and train_poses_per_subject is not None:
        raise DataError("synthetic: give frames or train_poses_per_subject, not both")
    if frames is not None:
        if limit is not None and frames > limit:
            raise DataError(_too_many(frames, f"synthetic: frames={frames}"))
        return _poses_per_subject(frames, num_subjects)
    per_subject = 2000 if train_poses_per_subject is None else train_poses_per_subject
    if limit is not None and per_subject * num_subjects * CAMERAS_PER_POSE > limit:
        raise DataError(_too_many(per_subject * num_subjects * CAMERAS_PER_POSE,
                                  f"synthetic: train_poses_per_subject={per_subject}"))
    return [per_subject] * num_subjects


def split_sequences(split: str, subjects: Sequence[str], counts: Sequence[int], seed: int, seq_len: int = 100,
                    fps: float = 25.0) -> Iterator[Tuple[str, List[Tuple[str, np.ndarray]], np.random.Generator]]:
    """``(subject, sequences, rng)`` for each subject of ``split`` (``"train"`` or ``"test"``): its ``count``
    poses as :func:`subject_poses` sequences, drawn from the subject's own seed stream (disjoint between splits);
    ``rng`` continues that stream (the phone cameras draw from it)."""
    for subject, num in zip(subjects, counts):
        rng = np.random.default_rng([seed, 1 + list(CAMERA_SUBJECT).index(subject), 0 if split == "train" else 1])
        yield subject, subject_poses(subject, num, rng, seq_len, fps), rng


def load_synthetic(downsample: int = 1, seed: int = 0, train_poses_per_subject: Optional[int] = None,
                   test_poses_per_subject: int = 1000, seq_len: int = 100, fps: float = 25.0,
                   train_subjects: Sequence[str] = TRAIN_SUBJECTS, test_subjects: Sequence[str] = TEST_SUBJECTS,
                   cameras: str = "h36m", frames: Optional[int] = None) -> PoseData:
    """The synthetic :class:`PoseData` (H36M16). Deterministic in ``seed``; train and test subjects draw from
    disjoint seed streams. Rows = subjects x poses x 4 cameras (before ``downsample``). ``cameras``: ``"h36m"`` (the
    calibrated cameras of the subject's Human3.6M counterpart) or ``"phone"`` (4 random handheld phone cameras per
    sequence, :func:`graphsh_tf.data.cameras.random_phone_cameras`, 2D through their intrinsics, frames with a joint
    outside the image dropped).

    Size of the training split: ``train_poses_per_subject`` (default 2000) or ``frames``, the number of training
    rows before ``downsample``, rounded up to whole poses of 4 rows and spread evenly over the subjects
    (``frames=40000`` is the default set), at most :data:`MAX_IN_MEMORY_FRAMES`."""
    if cameras not in ("h36m", "phone"):
        raise DataError(f"synthetic: cameras={cameras!r} must be 'h36m' or 'phone'")
    for subject in (*train_subjects, *test_subjects):
        if subject not in CAMERA_SUBJECT:
            raise DataError(f"unknown synthetic subject {subject!r}; one of {tuple(CAMERA_SUBJECT)}")
    train_counts = train_poses(frames, train_poses_per_subject, len(train_subjects))
    if test_poses_per_subject * len(test_subjects) * CAMERAS_PER_POSE > MAX_IN_MEMORY_FRAMES:
        raise DataError(f"synthetic: test_poses_per_subject={test_poses_per_subject} gives more than "
                        f"{MAX_IN_MEMORY_FRAMES:,} test frames, the in-memory limit")
    sets = {}
    for split, subjects, counts in (("train", train_subjects, train_counts),
                                    ("test", test_subjects, [test_poses_per_subject] * len(test_subjects))):
        parts = [_render_subject(subject, sequences, downsample, cameras, rng)
                 for subject, sequences, rng in split_sequences(split, subjects, counts, seed, seq_len, fps)]
        sets[split] = PoseSet.concat(parts, sk.H36M16.num_joints)
    info = {"train_subjects": list(train_subjects), "test_subjects": list(test_subjects), "seed": seed,
            "cameras": cameras, "motions": list(MOTIONS)}
    return PoseData("synthetic", sk.H36M16, sets["train"], sets["test"], info)


OPTIONS = {
    "frames": Option(f"a whole number of training rows (streamed above {MAX_IN_MEMORY_FRAMES:,})", integer(1).parse),
    "stream": flag(),
    "train_poses_per_subject": integer(1), "test_poses_per_subject": integer(1),
    "seq_len": integer(1), "fps": number(positive=True),
    "train_subjects": names(tuple(CAMERA_SUBJECT)), "test_subjects": names(tuple(CAMERA_SUBJECT)),
    "cameras": choice("h36m", "phone"),
}


@register_source("synthetic", arg="", options=OPTIONS, recipe="synthetic", title="synthetic",
                 summary="the embedded default, no files")
def load(arg: str, *, keypoints: str, downsample: int, seed: int, **options) -> PoseData:
    """The ``synthetic[:key=value,...]`` source: :func:`load_synthetic` with the spec's options; a training split
    above :data:`MAX_IN_MEMORY_FRAMES` rows (or ``stream=true``) streams (:func:`load_streamed`)."""
    stream = options.pop("stream", False)
    if stream or (options.get("frames") or 0) > MAX_IN_MEMORY_FRAMES:
        return load_streamed(downsample=downsample, seed=seed, **options)
    return load_synthetic(downsample=downsample, seed=seed, **options)


#: Poses per subject rendered into a streamed split's in-memory sample (calibration, the mean-pose baseline).
SAMPLE_POSES_PER_SUBJECT = 400


def iter_split_sequences(split: str, seed: int, counts: Sequence[int], subjects: Sequence[str],
                         seq_len: int = 100, fps: float = 25.0) -> Iterator[Tuple[str, str, np.ndarray]]:
    """``(subject, name, world poses (T, 16, 3) mm)`` of a split (``"train"``/``"test"``) one sequence at a time:
    the sequences :func:`load_synthetic` draws for the same seed and counts, in the same order and with the same
    names (``syn1/Walking 1``), without holding them."""
    for subject, num in zip(subjects, counts):
        rng = np.random.default_rng([seed, 1 + list(CAMERA_SUBJECT).index(subject), 0 if split == "train" else 1])
        counters: Dict[str, int] = {}
        for motion, world in iter_subject_poses(subject, num, rng, seq_len, fps):
            counters[motion] = counters.get(motion, 0) + 1
            yield subject, f"{subject}/{motion} {counters[motion]}", world


def load_streamed(downsample: int = 1, seed: int = 0, train_poses_per_subject: Optional[int] = None,
                  test_poses_per_subject: int = 1000, seq_len: int = 100, fps: float = 25.0,
                  train_subjects: Sequence[str] = TRAIN_SUBJECTS, test_subjects: Sequence[str] = TEST_SUBJECTS,
                  cameras: str = "h36m", frames: Optional[int] = None) -> PoseData:
    """The synthetic :class:`PoseData` with a streamed training split of any size: a
    :class:`~graphsh_tf.data.types.StreamedSet` whose poses are generated while training reads them
    (:func:`iter_split_sequences`), each frame seen :data:`CAMERAS_PER_POSE` times per epoch through cameras of
    the family ``cameras`` drawn per sample (:mod:`graphsh_tf.data.stream`). The test split is the in-memory one
    of :func:`load_synthetic` (fixed cameras, so numbers stay comparable)."""
    small = load_synthetic(downsample, seed, None, test_poses_per_subject, seq_len, fps, train_subjects,
                           test_subjects, cameras, frames=len(train_subjects) * SAMPLE_POSES_PER_SUBJECT
                           * CAMERAS_PER_POSE)
    counts = train_poses(frames, train_poses_per_subject, len(train_subjects), limit=None)
    frames_total = sum(-(-c // downsample) for c in counts)
    stream = StreamedSet(kind="synthetic", rows=frames_total * CAMERAS_PER_POSE, frames=frames_total,
                         cameras=cameras, views=CAMERAS_PER_POSE, sample=small.train,
                         params={"seed": seed, "counts": list(counts), "subjects": list(train_subjects),
                                 "seq_len": seq_len, "fps": fps, "downsample": downsample})
    info = dict(small.info, streamed=True)
    return PoseData("synthetic", sk.H36M16, stream, small.test, info)
