"""Pose shards on disk, and the ``shards:DIR`` data source that reads them.

A shard folder (written by ``python -m graphsh_tf.data.shards``) holds world-space 3D sequences, not rendered rows:

* ``index.json``: ``format``/``version``, ``skeleton`` (``h36m16``), ``num_joints`` (16), ``units`` (``mm``),
  ``frame`` (world, z up), the source spec, seed and options it was written from, and per split (``train``,
  ``test``) its frames, sequences, subjects, actions and shard files, each with its frames, sequences, bytes and
  SHA-256.
* ``<split>-NNNNN-of-MMMMM.tfrecord``: TFRecord files (read by ``tf.data.TFRecordDataset``), one record per
  sequence: a little-endian int32 header length, a UTF-8 JSON header (``subject``, ``action``, ``sequence``,
  ``h36m_subject`` = the Human3.6M subject whose calibrated cameras see it in fixed-camera renders, ``frames``,
  ``joints``), then ``frames x joints x 3`` little-endian float32 world millimetres.

Loading checks every shard against the index (present, size, SHA-256) and the first record of each (16 joints,
millimetre bone lengths), so a truncated file, a wrong skeleton or centimetres is one :class:`DataError` naming the
shard. The training split streams (:class:`~graphsh_tf.data.types.StreamedSet`, :mod:`graphsh_tf.data.stream`:
cameras drawn per sample); the test split is rendered once through fixed cameras of the family, so numbers stay
comparable between runs.
"""
from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

from graphsh_tf import skeleton as sk
from graphsh_tf.data import camera_family as fam
from graphsh_tf.data.render import render_views
from graphsh_tf.data.sources import choice, flag, integer, passed, register_source
from graphsh_tf.data.types import DataError, PoseData, PoseSet, StreamedSet

import numpy as np

FORMAT = "graphsh-tf pose shards"
VERSION = 1
INDEX = "index.json"
SPLITS = ("train", "test")
UNITS = "mm"
#: Rows per frame and epoch of a streamed training split (each through its own camera), as the in-memory sources
#: render each frame through four cameras.
DEFAULT_VIEWS = 4
#: Frames of the training split rendered into the in-memory sample (calibration, QAT, the mean-pose baseline).
SAMPLE_FRAMES = 8000
#: Median hip-knee-foot length (mm) a human leg in millimetres has.
LEG_MM = (500.0, 1400.0)


def shard_name(split: str, k: int, total: int) -> str:
    return f"{split}-{k:05d}-of-{total:05d}.tfrecord"


def encode_record(world_mm: np.ndarray, subject: str, action: str, sequence: str, h36m_subject: str) -> bytes:
    """One sequence ``(T, 16, 3)`` world mm as a record (see the module docstring)."""
    world = np.ascontiguousarray(world_mm, dtype="<f4")
    header = json.dumps({"subject": subject, "action": action, "sequence": sequence, "h36m_subject": h36m_subject,
                         "frames": int(world.shape[0]), "joints": int(world.shape[1])}).encode("utf-8")
    return struct.pack("<i", len(header)) + header + world.tobytes()


def decode_record(data: bytes, where: str) -> Tuple[Dict, np.ndarray]:
    """``(header, world poses (T, J, 3) float32 mm)`` of a record; :class:`DataError` naming ``where``."""
    try:
        (n,) = struct.unpack_from("<i", data, 0)
        header = json.loads(data[4:4 + n].decode("utf-8"))
        frames, joints = int(header["frames"]), int(header["joints"])
        body = np.frombuffer(data, dtype="<f4", offset=4 + n)
    except (struct.error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise DataError(f"{where}: a record is not a pose-shard record; rewrite the shards with python -m "
                        "graphsh_tf.data.shards") from None
    if joints != sk.H36M16.num_joints:
        raise DataError(f"{where}: sequence {header.get('sequence')!r} has {joints} joints, expected "
                        f"{sk.H36M16.num_joints} ({sk.H36M16.name}); rewrite the shards from a 16-joint source")
    if body.size != frames * joints * 3:
        raise DataError(f"{where}: sequence {header.get('sequence')!r} holds {body.size} values, its header says "
                        f"{frames} frames x {joints} joints x 3; rewrite the shards")
    return header, body.reshape(frames, joints, 3)


def iter_records(path: Path) -> Iterator[bytes]:
    """The records of a TFRecord file (framing only; the index's SHA-256 guards the content); a file that ends
    inside a record is a :class:`DataError` naming it."""
    with open(path, "rb") as f:
        while True:
            head = f.read(12)
            if not head:
                return
            if len(head) < 12:
                raise DataError(f"{path}: truncated (ends inside a record header); rewrite the shards")
            (length,) = struct.unpack("<Q", head[:8])
            data = f.read(length)
            if len(data) < length or len(f.read(4)) < 4:
                raise DataError(f"{path}: truncated (ends inside a record); rewrite the shards")
            yield data


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def check_units(world_mm: np.ndarray, where: str) -> None:
    """:class:`DataError` unless the median hip-knee-foot length of ``(T, 16, 3)`` poses is a leg in mm."""
    leg = (np.linalg.norm(world_mm[:, 2] - world_mm[:, 1], axis=-1)
           + np.linalg.norm(world_mm[:, 3] - world_mm[:, 2], axis=-1))
    median = float(np.median(leg))
    if LEG_MM[0] <= median <= LEG_MM[1]:
        return
    unit = ("centimetres" if LEG_MM[0] / 10 <= median <= LEG_MM[1] / 10 else
            "metres" if LEG_MM[0] / 1000 <= median <= LEG_MM[1] / 1000 else "not a human leg in millimetres")
    raise DataError(f"{where}: median hip-knee-foot length {median:.4g}, which looks like {unit}; shards hold "
                    "millimetres: rewrite them with python -m graphsh_tf.data.shards")


def read_index(folder) -> Dict:
    """The validated ``index.json`` of a shard folder; :class:`DataError` naming the file and field."""
    from graphsh_tf.io import read_json

    folder = Path(folder)
    path = folder / INDEX
    if not path.is_file():
        raise DataError(f"{folder}: no {INDEX}; this is not a shard folder (write one with python -m "
                        "graphsh_tf.data.shards --data SPEC DIR)")
    doc = read_json(path, DataError, "rewrite the shards with python -m graphsh_tf.data.shards")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise DataError(f"{path}: field 'format' is not {FORMAT!r}; this is not a shard index")
    if doc.get("version") != VERSION:
        raise DataError(f"{path}: version {doc.get('version')!r}, this code reads version {VERSION}; rewrite the "
                        "shards")
    if doc.get("skeleton") != sk.H36M16.name or doc.get("num_joints") != sk.H36M16.num_joints:
        raise DataError(f"{path}: skeleton {doc.get('skeleton')!r} with {doc.get('num_joints')!r} joints; shards "
                        f"hold {sk.H36M16.name} ({sk.H36M16.num_joints} joints): rewrite them from a 16-joint source")
    if doc.get("units") != UNITS:
        raise DataError(f"{path}: units {doc.get('units')!r}; shards hold millimetres ('mm'): rewrite them")
    splits = doc.get("splits")
    for split in SPLITS:
        entry = (splits or {}).get(split) if isinstance(splits, dict) else None
        files = entry.get("shards") if isinstance(entry, dict) else None
        if not isinstance(files, list) or not files or not all(
                isinstance(f, dict) and isinstance(f.get("file"), str) and "/" not in f["file"]
                and isinstance(f.get("frames"), int) and isinstance(f.get("bytes"), int)
                and isinstance(f.get("sha256"), str) for f in files):
            raise DataError(f"{path}: field splits.{split}.shards must list its shard files (file, frames, bytes, "
                            "sha256); rewrite the shards")
    return doc


def check_shards(folder, index: Dict, verify: bool = True) -> None:
    """Every shard of ``index`` is present with its size and SHA-256 (``verify``), and its first record holds
    16-joint millimetre poses; else one :class:`DataError` naming the shard."""
    folder = Path(folder)
    for split in SPLITS:
        for entry in index["splits"][split]["shards"]:
            path = folder / entry["file"]
            if not path.is_file():
                raise DataError(f"{path}: shard missing (listed in {folder / INDEX}); rewrite the shards")
            size = path.stat().st_size
            if size != entry["bytes"]:
                raise DataError(f"{path}: {size} bytes, the index says {entry['bytes']} (truncated or changed); "
                                "rewrite the shards")
            if verify and file_sha256(path) != entry["sha256"]:
                raise DataError(f"{path}: SHA-256 differs from the index (changed or corrupt); rewrite the shards")
            first = next(iter_records(path), None)
            if first is None:
                raise DataError(f"{path}: no records; rewrite the shards")
            _, world = decode_record(first, str(path))
            check_units(world, str(path))


def shard_paths(folder, index: Dict, split: str) -> List[str]:
    return [str(Path(folder) / e["file"]) for e in index["splits"][split]["shards"]]


def read_sequences(folder, index: Dict, split: str, max_frames: Optional[int] = None
                   ) -> Iterator[Tuple[Dict, np.ndarray]]:
    """``(header, world poses (T, 16, 3) float32 mm)`` of a split's sequences in file order (the first
    ``max_frames`` frames of each shard when given, so a sample spans every shard)."""
    for path in shard_paths(folder, index, split):
        taken = 0
        for data in iter_records(Path(path)):
            header, world = decode_record(data, path)
            if max_frames is not None:
                world = world[:max_frames - taken]
                taken += len(world)
            yield header, world
            if max_frames is not None and taken >= max_frames:
                break


def render_fixed(sequences, family: str, seed: int, downsample: int = 1) -> PoseSet:
    """Render sequences once through fixed cameras of ``family`` (:func:`camera_family.fixed_cameras`)."""
    parts = []
    for header, world in sequences:
        world = np.asarray(world[::downsample], np.float64)
        if not len(world):
            continue
        views = fam.fixed_cameras(family, seed, header["sequence"], world, header["h36m_subject"])
        poses, _ = render_views(world, views, header["action"], header["sequence"], fam.FAMILIES[family],
                                drop_outside=family != "h36m")
        parts.append(poses)
    return PoseSet.concat(parts, sk.H36M16.num_joints)


def load_shards(folder, downsample: int = 1, seed: int = 0, cameras: str = "h36m", camera_mix=None,
                test_cameras: Optional[str] = None, views: int = DEFAULT_VIEWS, shuffle_frames: int = 65536,
                verify: bool = True) -> PoseData:
    """A shard folder as :class:`PoseData`: the training split streamed (``views`` rows per frame and epoch, each
    through a camera of ``cameras`` drawn per sample; ``shuffle_frames`` frames of shuffle buffer in total), the
    test split rendered once through fixed cameras of ``test_cameras`` (default: the main family of
    ``cameras``)."""
    folder = Path(folder)
    index = read_index(folder)
    check_shards(folder, index, verify)
    mix = fam.parse_mix(cameras, camera_mix)
    test_family = test_cameras or fam.main_family(mix)
    test = render_fixed(read_sequences(folder, index, "test"), test_family, seed, downsample)
    per_shard = max(1, SAMPLE_FRAMES // len(index["splits"]["train"]["shards"]))
    sample = render_fixed(read_sequences(folder, index, "train", per_shard), fam.main_family(mix), seed, downsample)
    if not len(test):
        raise DataError(f"{folder}: the test split renders to no rows through {test_family} cameras; choose "
                        "test_cameras=h36m")
    frames = -(-int(index["splits"]["train"]["frames"]) // downsample)
    train = StreamedSet(kind="shards", rows=frames * views, frames=frames, cameras=cameras, views=views,
                        sample=sample, params={"folder": str(folder), "files": shard_paths(folder, index, "train"),
                                               "mix": [list(p) for p in mix], "seed": seed,
                                               "downsample": downsample, "shuffle_frames": shuffle_frames})
    info = {"train_subjects": list(index["splits"]["train"].get("subjects", [])),
            "test_subjects": list(index["splits"]["test"].get("subjects", [])),
            "shards": len(train.params["files"]), "written_from": index.get("source"), "cameras": cameras,
            "test_cameras": test_family, "streamed": True}
    return PoseData(f"shards:{folder}", sk.H36M16, train, test, info)


OPTIONS = {
    "cameras": choice(*fam.CHOICES), "camera_mix": passed("an object family -> weight (cameras=mix)"),
    "test_cameras": choice(*fam.FAMILIES), "views": integer(1), "shuffle_frames": integer(1), "verify": flag(),
}


@register_source("shards", options=OPTIONS, title="pose shards", summary="streamed, python -m graphsh_tf.data.shards")
def load(folder: str, *, keypoints: str, downsample: int, seed: int, **options) -> PoseData:
    """The ``shards:DIR`` source: :func:`load_shards`."""
    return load_shards(folder, downsample=downsample, seed=seed, **options)
