"""BVH parsing: any BVH file into a :class:`BvhClip`.

Accepted: ``HIERARCHY`` with ``ROOT``/``JOINT``/``End Site`` blocks, ``OFFSET``, ``CHANNELS`` with 3 or 6 entries in
any order (the order of the rotation channels is the Euler order, applied left to right), then ``MOTION``,
``Frames:``, ``Frame Time:`` and one line of floats per frame. Every number must be finite and within
:data:`MAX_ABS_VALUE` (file units or degrees) and the frame time a finite number of seconds above 0. A malformed file
raises :class:`BvhError` naming the file and the line number.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from graphsh_tf.data.types import DataError

import numpy as np

#: Largest magnitude of an OFFSET or MOTION value: 10 km in centimetres, far outside any capture volume, and far
#: below where forward kinematics and projection overflow.
MAX_ABS_VALUE = 1e6


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
        values = [float(t) for t in tokens]
    except ValueError:
        raise BvhError(f"{path}:{line_no}: {what} holds a non-number in {' '.join(tokens)!r}; fix the file") from None
    bad = [t for t, v in zip(tokens, values) if not abs(v) <= MAX_ABS_VALUE]
    if bad:
        raise BvhError(f"{path}:{line_no}: {what} holds {bad[0]}, not a finite number within +-{MAX_ABS_VALUE:g}; "
                       "fix the file")
    return values


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
    header_line: Dict[str, int] = {}
    for label in ("frames", "frame time"):
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].strip().lower().startswith(label + ":"):
            raise fail(i + 1, f"expected '{label.title()}:' after MOTION")
        header[label] = lines[i].split(":", 1)[1].strip()
        header_line[label] = i + 1
        i += 1
    try:
        num_frames = int(header["frames"])
        frame_time = float(header["frame time"])
    except ValueError:
        raise fail(i, f"bad Frames/Frame Time values {header}: 'Frames:' takes a whole number and 'Frame Time:' "
                   "seconds per frame (e.g. 0.0333333)") from None
    if num_frames < 1:
        raise fail(header_line["frames"], f"Frames: {num_frames} must be >= 1")
    if not (math.isfinite(frame_time) and frame_time > 0):
        raise fail(header_line["frame time"], f"Frame Time: {header['frame time']} must be a finite number of "
                   "seconds above 0 (e.g. 0.0333333)")
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
    ok = np.abs(motion) <= MAX_ABS_VALUE   # False for NaN too
    if not ok.all():
        line_no = rows[int(np.argmax(~ok.all(axis=1)))][0]
        raise fail(line_no, f"frame line holds NaN, inf or a value beyond +-{MAX_ABS_VALUE:g}; fix the file")
    return BvhClip(Path(path).stem, names, parents, np.array(offsets, dtype=np.float64), channels, motion,
                   frame_time)
