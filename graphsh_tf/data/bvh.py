"""BVH motion capture: parser, forward kinematics, joint mapping to H36M16, rendering to a :class:`PoseData`.

Parsing accepts any BVH: ``HIERARCHY`` with ``ROOT``/``JOINT``/``End Site`` blocks, ``OFFSET``, ``CHANNELS`` with 3
or 6 entries in any order (the order of the rotation channels is the Euler order, applied left to right), then
``MOTION``, ``Frames:``, ``Frame Time:`` and one line of floats per frame. A malformed file raises
:class:`BvhError` naming the file and the line number.

Forward kinematics: a joint with position channels takes them as its translation in the parent frame (they replace
the OFFSET, which is what files with 6 channels on every joint, like Bandai-Namco's, store); otherwise its OFFSET.

Joint mapping: built-in maps for the Bandai-Namco skeleton and for the common CMU/Mixamo names; any other skeleton
through a JSON file ``{"Hip": "Hips", "RHip": "RightUpLeg", ...}`` with the 16 H36M16 names as keys. A value may
also be ``{"joint": "Head", "offset": [x, y, z]}``: a point fixed in that joint's frame (file units), e.g. the top
of the head when the file ends at the skull base.

World frame: file units (centimetres by default, ``unit_mm=10``) become millimetres and the file's Y-up frame
becomes Human3.6M's Z-up world frame by a +90° rotation about x: ``(x, y, z) -> (x, -z, y)``.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from graphsh_tf import skeleton as sk
from graphsh_tf.io import atomic_write_text, read_json
from graphsh_tf.data import cameras as cam
from graphsh_tf.data.types import DataError, PoseData, PoseSet
from graphsh_tf.data.kinematics import euler_to_matrix, forward_kinematics


class BvhError(DataError):
    """A BVH file that cannot be parsed or mapped."""


@dataclass
class BvhClip:
    """A parsed BVH file. Joints include End Sites (named ``<parent>_End``, no channels).

    ``offsets``: (J, 3) file units. ``channels``: per joint the channel names in file order. ``motion``: (T, C)
    float64, all channels of a frame in file order. ``frame_time``: seconds.
    """

    name: str
    joint_names: List[str]
    parents: List[int]
    offsets: np.ndarray
    channels: List[Tuple[str, ...]]
    motion: np.ndarray
    frame_time: float

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])


_VALID_CHANNELS = {"Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation"}


def _floats(tokens: Sequence[str], path: str, line_no: int, what: str) -> List[float]:
    try:
        return [float(t) for t in tokens]
    except ValueError:
        raise BvhError(f"{path}:{line_no}: {what} holds a non-number in {' '.join(tokens)!r}; fix the file") from None


def parse_bvh(path: Union[str, os.PathLike], text: Optional[str] = None) -> BvhClip:
    """Parse a BVH file (or ``text`` with ``path`` used in messages) into a :class:`BvhClip`."""
    path = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            raise BvhError(f"{path}: cannot read the BVH file ({err.strerror}); check the path") from None
    lines = text.splitlines()
    names: List[str] = []
    parents: List[int] = []
    offsets: List[List[float]] = []
    channels: List[Tuple[str, ...]] = []
    stack: List[int] = []
    pending: Optional[int] = None  # joint declared, waiting for its "{"
    i = 0

    def fail(line_no: int, msg: str) -> BvhError:
        return BvhError(f"{path}:{line_no}: {msg}")

    # --- hierarchy ---
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i].strip().upper() != "HIERARCHY":
        raise fail(i + 1, "expected 'HIERARCHY' as the first line of a BVH file")
    i += 1
    while i < len(lines):
        line_no, tokens = i + 1, lines[i].split()
        i += 1
        if not tokens:
            continue
        key = tokens[0].upper()
        if key in ("ROOT", "JOINT"):
            if (key == "ROOT") != (not stack) or pending is not None:
                raise fail(line_no, f"unexpected {tokens[0]} (ROOT only at top level, JOINT inside a joint's braces)")
            if len(tokens) < 2:
                raise fail(line_no, f"{tokens[0]} without a joint name")
            names.append(" ".join(tokens[1:]))
            parents.append(stack[-1] if stack else -1)
            offsets.append([0.0, 0.0, 0.0])
            channels.append(())
            pending = len(names) - 1
        elif key == "END":
            if not stack or pending is not None:
                raise fail(line_no, "'End Site' outside a joint")
            names.append(f"{names[stack[-1]]}_End")
            parents.append(stack[-1])
            offsets.append([0.0, 0.0, 0.0])
            channels.append(())
            pending = len(names) - 1
        elif key == "{":
            if pending is None:
                raise fail(line_no, "'{' without a ROOT/JOINT/End Site before it")
            stack.append(pending)
            pending = None
        elif key == "}":
            if not stack:
                raise fail(line_no, "'}' without a matching '{'")
            stack.pop()
        elif key == "OFFSET":
            if not stack or len(tokens) != 4:
                raise fail(line_no, "OFFSET needs 3 numbers inside a joint's braces")
            offsets[stack[-1]] = _floats(tokens[1:], path, line_no, "OFFSET")
        elif key == "CHANNELS":
            if not stack or len(tokens) < 2:
                raise fail(line_no, "CHANNELS outside a joint or without a count")
            try:
                count = int(tokens[1])
            except ValueError:
                raise fail(line_no, f"CHANNELS count {tokens[1]!r} is not an integer") from None
            chans = tuple(tokens[2:])
            if count not in (3, 6) or len(chans) != count:
                raise fail(line_no, f"CHANNELS declares {tokens[1]} channels and lists {len(chans)}; expected 3 or 6")
            bad = [c for c in chans if c not in _VALID_CHANNELS]
            if bad:
                raise fail(line_no, f"unknown channel(s) {bad}; expected {sorted(_VALID_CHANNELS)}")
            if sum(c.endswith("rotation") for c in chans) not in (0, 3):
                raise fail(line_no, "a joint needs all three rotation channels (or none)")
            channels[stack[-1]] = chans
        elif key == "MOTION":
            if stack or pending is not None:
                raise fail(line_no, f"MOTION before the hierarchy is closed ({len(stack)} '{{' left open)")
            break
        else:
            raise fail(line_no, f"unexpected {tokens[0]!r} in the hierarchy")
    else:
        raise fail(len(lines), "no MOTION section")
    if not names:
        raise fail(i, "MOTION before any ROOT")

    # --- motion header ---
    header: Dict[str, str] = {}
    for label in ("frames", "frame time"):
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].strip().lower().startswith(label + ":"):
            raise fail(i + 1, f"expected '{label.title()}:' after MOTION")
        header[label] = lines[i].split(":", 1)[1].strip()
        i += 1
    try:
        num_frames = int(header["frames"])
        frame_time = float(header["frame time"])
    except ValueError:
        raise fail(i, f"bad Frames/Frame Time values {header}: 'Frames:' takes a whole number and 'Frame Time:' "
                   "seconds per frame (e.g. 0.0333333)") from None
    if num_frames < 1 or not frame_time > 0:
        raise fail(i, f"Frames: {num_frames} and Frame Time: {frame_time} must be >= 1 and > 0")
    num_channels = sum(len(c) for c in channels)
    rows = [(k + 1, ln) for k, ln in enumerate(lines[i:], start=i) if ln.strip()]
    if len(rows) != num_frames:
        raise fail(len(lines), f"'Frames: {num_frames}' declared but {len(rows)} frame lines present; fix the "
                   f"Frames: line to {len(rows)} (or restore the missing lines)")
    flat = " ".join(ln for _, ln in rows).split()
    if len(flat) != num_frames * num_channels:
        for line_no, ln in rows:
            if len(ln.split()) != num_channels:
                raise fail(line_no, f"frame line has {len(ln.split())} values, the hierarchy declares {num_channels}")
    try:
        motion = np.array(flat, dtype=np.float64).reshape(num_frames, num_channels)
    except ValueError:
        for line_no, ln in rows:
            _floats(ln.split(), path, line_no, "frame line")
        raise
    if not np.all(np.isfinite(motion)):
        line_no = rows[int(np.argmax(~np.isfinite(motion).all(axis=1)))][0]
        raise fail(line_no, "frame line holds NaN/inf")
    return BvhClip(Path(path).stem, names, parents, np.array(offsets, dtype=np.float64), channels, motion,
                   frame_time)


def write_bvh(clip: BvhClip, path: Union[str, os.PathLike], frames: Optional[np.ndarray] = None) -> None:
    """Write ``clip`` (optionally only motion rows ``frames``) as a BVH file, atomically."""
    motion = clip.motion if frames is None else clip.motion[frames]
    children: Dict[int, List[int]] = {}
    for j, p in enumerate(clip.parents):
        children.setdefault(p, []).append(j)
    lines = ["HIERARCHY"]

    def emit(j: int, depth: int) -> None:
        pad = "  " * depth
        if clip.joint_names[j].endswith("_End") and not clip.channels[j] and j not in children:
            lines.append(f"{pad}End Site")
        else:
            lines.append(f"{pad}{'ROOT' if clip.parents[j] < 0 else 'JOINT'} {clip.joint_names[j]}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET " + " ".join(f"{v:.6g}" for v in clip.offsets[j]))
        if clip.channels[j]:
            lines.append(f"{pad}  CHANNELS {len(clip.channels[j])} " + " ".join(clip.channels[j]))
        for c in children.get(j, []):
            emit(c, depth + 1)
        lines.append(pad + "}")

    for root in children.get(-1, []):
        emit(root, 0)
    lines += ["MOTION", f"Frames: {motion.shape[0]}", f"Frame Time: {clip.frame_time:.7g}"]
    lines += [" ".join(f"{v:.6g}" for v in row) for row in motion]
    path = Path(path)
    atomic_write_text(path, "\n".join(lines) + "\n")


def clip_fk(clip: BvhClip, frames: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Forward kinematics of a clip: world positions ``(T, J, 3)`` and rotations ``(T, J, 3, 3)`` in file units and
    the file's frame (``frames`` selects motion rows)."""
    motion = clip.motion if frames is None else clip.motion[frames]
    num_frames, num_joints = motion.shape[0], len(clip.joint_names)
    translations = np.broadcast_to(clip.offsets, (num_frames, num_joints, 3)).copy()
    rotations = np.broadcast_to(np.eye(3), (num_frames, num_joints, 3, 3)).copy()
    col = 0
    for j, chans in enumerate(clip.channels):
        block = motion[:, col:col + len(chans)]
        col += len(chans)
        rot_axes = "".join(c[0].lower() for c in chans if c.endswith("rotation"))
        if rot_axes:
            rot_cols = [k for k, c in enumerate(chans) if c.endswith("rotation")]
            rotations[:, j] = euler_to_matrix(np.deg2rad(block[:, rot_cols]), rot_axes)
        for k, c in enumerate(chans):
            if c.endswith("position"):
                translations[:, j, "XYZ".index(c[0])] = block[:, k]
    return forward_kinematics(clip.parents, translations, rotations, return_rotations=True)


# --- joint maps ---------------------------------------------------------------------------------------------------

#: Bandai-Namco-Research-Motiondataset skeleton → H36M16. The file's Head joint is the skull base (its End Site has
#: a zero offset), so H36M's Head (top of the head) is placed 14 cm further along the head's local x axis (the
#: axis along which the spine chain's offsets point).
BANDAI_NAMCO_MAP: Dict[str, Union[str, dict]] = {
    "Hip": "Hips", "RHip": "UpperLeg_R", "RKnee": "LowerLeg_R", "RFoot": "Foot_R",
    "LHip": "UpperLeg_L", "LKnee": "LowerLeg_L", "LFoot": "Foot_L", "Spine": "Chest", "Thorax": "Neck",
    "Head": {"joint": "Head", "offset": [14.0, 0.0, 0.0]},
    "LShoulder": "UpperArm_L", "LElbow": "LowerArm_L", "LWrist": "Hand_L",
    "RShoulder": "UpperArm_R", "RElbow": "LowerArm_R", "RWrist": "Hand_R",
}

#: CMU / Mixamo-style names (Hips, RightUpLeg, RightLeg, RightFoot, Spine1, Neck, Head, RightArm, ...).
CMU_MAP: Dict[str, Union[str, dict]] = {
    "Hip": "Hips", "RHip": "RightUpLeg", "RKnee": "RightLeg", "RFoot": "RightFoot",
    "LHip": "LeftUpLeg", "LKnee": "LeftLeg", "LFoot": "LeftFoot", "Spine": "Spine1", "Thorax": "Neck",
    "Head": "Head", "LShoulder": "LeftArm", "LElbow": "LeftForeArm", "LWrist": "LeftHand",
    "RShoulder": "RightArm", "RElbow": "RightForeArm", "RWrist": "RightHand",
}

BUILTIN_MAPS = {"bandai_namco": BANDAI_NAMCO_MAP, "cmu": CMU_MAP}


def _map_entry(value) -> Tuple[str, np.ndarray]:
    if isinstance(value, str):
        return value, np.zeros(3)
    if isinstance(value, dict) and isinstance(value.get("joint"), str):
        offset = np.asarray(value.get("offset", [0.0, 0.0, 0.0]), dtype=np.float64)
        if offset.shape != (3,):
            raise ValueError(f"offset {value.get('offset')!r} must be 3 numbers")
        return value["joint"], offset
    raise ValueError(f"map value {value!r} must be a joint name or {{'joint': name, 'offset': [x, y, z]}}")


def load_joint_map(path: Union[str, os.PathLike]) -> Dict[str, Union[str, dict]]:
    """Read a user JSON joint map (keys: the 16 H36M16 joint names) and check its form."""
    mapping = read_json(path, BvhError, "pass an existing JSON joint map {\"Hip\": \"Hips\", ...}")
    if not isinstance(mapping, dict):
        raise BvhError(f"{path}: the joint map must be a JSON object {{\"Hip\": \"Hips\", ...}}")
    missing = [n for n in sk.H36M16.joint_names if n not in mapping]
    extra = [n for n in mapping if n not in sk.H36M16.joint_names]
    if missing or extra:
        raise BvhError(f"{path}: the joint map needs exactly the 16 keys {list(sk.H36M16.joint_names)}; "
                       f"missing {missing}, unknown {extra}")
    for key, value in mapping.items():
        try:
            _map_entry(value)
        except ValueError as err:
            raise BvhError(f"{path}: joint map entry {key!r}: {err}") from None
    return mapping


def resolve_joint_map(clip: BvhClip, joint_map=None, path: str = "") -> Dict[str, Union[str, dict]]:
    """The joint map for ``clip``: ``joint_map`` (dict or JSON path) if given, else the first built-in map whose
    joints all exist in the clip. Raises :class:`BvhError` listing the clip's joint names when none fits."""
    names = set(clip.joint_names)
    if joint_map is not None:
        mapping = load_joint_map(joint_map) if isinstance(joint_map, (str, os.PathLike)) else dict(joint_map)
        candidates = [("given", mapping)]
    else:
        candidates = list(BUILTIN_MAPS.items())
    for label, mapping in candidates:
        absent = [_map_entry(v)[0] for v in mapping.values() if _map_entry(v)[0] not in names]
        if not absent:
            return mapping
    joints = [n for n in clip.joint_names if not n.endswith("_End")]
    what = (f"the given joint map names joints the file lacks ({sorted(set(absent))})" if joint_map is not None
            else f"no built-in joint map ({', '.join(BUILTIN_MAPS)}) fits")
    raise BvhError(f"{path or clip.name}: cannot map the skeleton to H36M16: {what}. The file's joints are: "
                   f"{', '.join(joints)}. Fix: pass joint_map=FILE.json with the 16 keys "
                   f"{', '.join(sk.H36M16.joint_names)} mapped to these names")


def h36m_world_poses(clip: BvhClip, joint_map=None, unit_mm: float = 10.0,
                     frames: Optional[np.ndarray] = None, path: str = "") -> np.ndarray:
    """H36M16 joints of a clip in the Human3.6M world frame (Z up), millimetres: ``(T, 16, 3)`` float64."""
    mapping = resolve_joint_map(clip, joint_map, path)
    positions, rotations = clip_fk(clip, frames)
    out = np.empty((positions.shape[0], sk.H36M16.num_joints, 3))
    for k, name in enumerate(sk.H36M16.joint_names):
        joint, offset = _map_entry(mapping[name])
        j = clip.joint_names.index(joint)
        out[:, k] = positions[:, j] + rotations[:, j] @ offset
    out *= unit_mm
    return np.stack([out[..., 0], -out[..., 2], out[..., 1]], axis=-1)


# --- rendering and the data set ---------------------------------------------------------------------------------

def clip_action(name: str) -> str:
    """Action label of a clip: the content of Bandai-Namco names ``dataset-1_{content}_{style}_{id}``, else the
    file stem."""
    m = re.match(r"^dataset-\d+_([^_]+)_([^_]+)_(\d+)$", name)
    return m.group(1) if m else name


def is_test_clip(name: str, test_percent: float = 10.0) -> bool:
    """Deterministic split by clip name (md5 of the name), about ``test_percent`` % test clips."""
    digest = int(hashlib.md5(name.encode("utf-8")).hexdigest()[:8], 16)
    return (digest % 10000) < test_percent * 100


def center_on_origin(world_mm: np.ndarray, recenter: str = "clip") -> np.ndarray:
    """Move poses ``(T, 16, 3)`` horizontally so the root is at the capture-area centre (world origin): by the
    clip's mean root position (``"clip"``) or per frame (``"frame"``, drops the trajectory)."""
    out = world_mm.copy()
    if recenter == "clip":
        out[..., :2] -= world_mm[:, 0, :2].mean(axis=0)
    elif recenter == "frame":
        out[..., :2] -= world_mm[:, :1, :2]
    elif recenter != "none":
        raise DataError(f"recenter={recenter!r} must be 'clip', 'frame' or 'none'")
    return out


def virtual_cameras(rng: np.random.Generator, target: np.ndarray, num: int,
                    distance: Tuple[float, float] = (3500.0, 6000.0), height: Tuple[float, float] = (500.0, 2200.0),
                    azimuth: Tuple[float, float] = (0.0, 360.0), roll: Tuple[float, float] = (-5.0, 5.0)
                    ) -> List[cam.Camera]:
    """``num`` random cameras around ``target`` (world mm): horizontal distance, height above the floor (mm),
    azimuth (degrees), roll (degrees); intrinsics of a random H36M camera."""
    out = []
    for k in range(num):
        d, h = rng.uniform(*distance), rng.uniform(*height)
        a = np.deg2rad(rng.uniform(*azimuth))
        position = np.array([target[0] + d * np.cos(a), target[1] + d * np.sin(a), h])
        out.append(cam.look_at_camera(position, target, index=int(rng.integers(4)),
                                      roll_deg=rng.uniform(*roll), name=f"virtual{k}"))
    return out


#: Random handheld phone cameras (:func:`graphsh_tf.data.cameras.random_phone_cameras`).
phone_cameras = cam.random_phone_cameras


def render_clip(world_mm: np.ndarray, cameras: Sequence[cam.Camera], clip_name: str, action: str,
                drop_outside: bool = True, normalization: str = "image") -> Tuple[PoseSet, int]:
    """Render world poses ``(T, 16, 3)`` mm through each camera; returns the :class:`PoseSet` and the number of
    (frame, camera) rows dropped because a joint left the image or came within 10 cm of the camera plane.
    ``normalization``: ``image`` (``u = 2x/w - 1``) or ``intrinsics`` (the camera's rays in the Human3.6M cameras'
    field of view, :func:`graphsh_tf.data.normalize.normalize_with_intrinsics`, what ``Lifter(intrinsics=...)``
    feeds the model)."""
    from graphsh_tf.data.normalize import normalize_with_intrinsics

    parts, dropped = [], 0
    for k, camera in enumerate(cameras):
        pixels, p2d, p3d = cam.render(world_mm, camera)
        if normalization == "intrinsics":
            p2d = normalize_with_intrinsics(pixels, (*camera.focal, *camera.center))
        depth = cam.world_to_camera(world_mm, camera)[..., 2]
        keep = (depth > 100.0).all(axis=1)
        if drop_outside:
            keep &= cam.in_image(pixels, camera).all(axis=1)
        dropped += int((~keep).sum())
        n = int(keep.sum())
        parts.append(PoseSet(p2d[keep], p3d[keep], np.full(n, action, dtype=object).astype(str),
                             np.full(n, f"{clip_name}/cam{k}", dtype=object).astype(str),
                             np.tile(camera.image_size, (n, 1))))
    return PoseSet.concat(parts, sk.H36M16.num_joints), dropped


def list_bvh(folder: Union[str, os.PathLike]) -> List[Path]:
    """BVH files of a folder, sorted; :class:`DataError` when the folder is missing or holds none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: BVH folder not found; pass bvh:DIR with a folder of .bvh files "
                        "(e.g. ../shared/datasets/bandai-namco-motion-1/data)")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".bvh")
    if not files:
        raise DataError(f"{folder}: no .bvh files in this folder; pass bvh:DIR with a folder of .bvh files")
    return files


def load_bvh_dir(folder: Union[str, os.PathLike], downsample: int = 1, seed: int = 0, *, frame_step: int = 2,
                 cameras: str = "h36m", num_cameras: int = 4, distance=(3500.0, 6000.0), height=(500.0, 2200.0),
                 azimuth=(0.0, 360.0), recenter: str = "clip", drop_outside: bool = True, test_percent: float = 10.0,
                 joint_map=None, unit_mm: float = 10.0, max_clips: Optional[int] = None,
                 test_styles: Optional[Sequence[str]] = None) -> PoseData:
    """All BVH clips of ``folder`` as a :class:`PoseData` (H36M16, 2D normalized, 3D camera mm root-relative).

    Frames: every ``frame_step * downsample``-th frame. ``cameras``: ``"h36m"`` renders each clip through the four
    calibrated cameras of one Human3.6M subject (chosen by hash of ``seed`` and clip name), the clip's mean root placed at the world
    origin; ``"virtual"`` through ``num_cameras`` random cameras (``distance``/``height`` mm, ``azimuth`` degrees,
    seeded by ``seed`` and the clip name); ``"phone"`` through ``num_cameras`` random handheld phone cameras
    (:func:`phone_cameras`), whose 2D is normalized through their intrinsics (as ``Lifter(intrinsics=...)`` does).
    ``drop_outside`` drops (frame, camera) rows with a joint outside the image. Split: about ``test_percent`` % of
    clips (by name hash) are test clips, or the clips whose Bandai-Namco style is in ``test_styles``.
    """
    if cameras not in ("h36m", "virtual", "phone"):
        raise DataError(f"bvh: cameras={cameras!r} must be 'h36m', 'virtual' or 'phone'")
    styles = {s.strip() for s in test_styles or () if s.strip()}
    files = list_bvh(folder)[:max_clips]
    step = int(frame_step) * int(downsample)
    train_parts, test_parts, train_clips, test_clips, dropped = [], [], [], [], 0
    for path in files:
        clip = parse_bvh(path)
        world = h36m_world_poses(clip, joint_map, unit_mm, np.arange(0, clip.num_frames, step), str(path))
        world = center_on_origin(world, recenter)
        digest = int(hashlib.md5(f"{seed}/{clip.name}".encode()).hexdigest()[:8], 16)
        if cameras == "h36m":
            subject = cam.H36M_SUBJECTS[digest % len(cam.H36M_SUBJECTS)]
            cams = cam.h36m_cameras(subject)
        elif cameras == "phone":
            target = np.array([0.0, 0.0, float(world[:, 0, 2].mean())])
            cams = phone_cameras(np.random.default_rng(digest), target, num_cameras)
        else:
            target = np.array([0.0, 0.0, float(world[:, 0, 2].mean())])
            cams = virtual_cameras(np.random.default_rng(digest), target, num_cameras, distance, height, azimuth)
        poses, n_drop = render_clip(world, cams, clip.name, clip_action(clip.name), drop_outside,
                                    "intrinsics" if cameras == "phone" else "image")
        dropped += n_drop
        parts = clip.name.split("_")
        test = (len(parts) >= 4 and parts[2] in styles) if styles else is_test_clip(clip.name, test_percent)
        if test:
            test_parts.append(poses)
            test_clips.append(clip.name)
        else:
            train_parts.append(poses)
            train_clips.append(clip.name)
    train, test = PoseSet.concat(train_parts, sk.H36M16.num_joints), PoseSet.concat(test_parts, sk.H36M16.num_joints)
    if len(train) == 0 or len(test) == 0:
        raise DataError(f"{folder}: {len(files)} BVH clips give {len(train)} train and {len(test)} test frames; "
                        f"add clips, raise test_percent (now {test_percent}) or use cameras='virtual'/recenter='frame'")
    info = {"train_clips": len(train_clips), "test_clips": len(test_clips), "test_clip_names": test_clips,
            "cameras": cameras, "frame_step": step, "dropped_rows": dropped}
    return PoseData(f"bvh:{folder}", sk.H36M16, train, test, info)
