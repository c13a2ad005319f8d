"""Write any registered 3D source as pose shards (:mod:`graphsh_tf.data.shard_format`), which training streams.

    python -m graphsh_tf.data.shards --data synthetic:frames=4000000 runs/shards_syn     # any size, flat memory
    python -m graphsh_tf.data.shards --data bvh:../shared/datasets/bandai-namco-motion-1/data --test-styles a,b DIR
    python -m graphsh_tf.data.shards --data h36m:/data/h36m DIR
    python training/fit.py --data shards:DIR --cameras phone                            # cameras drawn per sample

Shards hold world-space sequences (millimetres, H36M16, z up), not rendered rows: the cameras are chosen when
training reads them. The writer holds one sequence at a time; shard files close at ``--shard-frames`` frames. The
folder appears whole or not at all (written under a temporary name, renamed at the end).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
from pathlib import Path
from typing import Dict, Iterator, Optional, Sequence, Tuple

from graphsh_tf import skeleton as sk
from graphsh_tf.data import bvh, h36m
from graphsh_tf.data import shard_format as fmt
from graphsh_tf.data import synthetic as syn
from graphsh_tf.data.cameras import H36M_SUBJECTS
from graphsh_tf.data.dataset import resolve
from graphsh_tf.data.types import DataError

import numpy as np

#: Frames per shard file by default (about 9.6 MB).
DEFAULT_SHARD_FRAMES = 50_000
#: Options of the sources that only choose cameras: shards take their cameras when read.
CAMERA_OPTIONS = ("cameras", "num_cameras", "distance", "height", "azimuth", "drop_outside", "stream")

Sequence_ = Tuple[str, str, str, str, str, np.ndarray]   # split, subject, action, sequence, h36m subject, world mm


def _synthetic(seed: int, frames: Optional[int] = None, train_poses_per_subject: Optional[int] = None,
               test_poses_per_subject: int = 1000, seq_len: int = 100, fps: float = 25.0,
               train_subjects: Sequence[str] = syn.TRAIN_SUBJECTS,
               test_subjects: Sequence[str] = syn.TEST_SUBJECTS) -> Iterator[Sequence_]:
    counts = {"train": syn.train_poses(frames, train_poses_per_subject, len(train_subjects), limit=None),
              "test": [test_poses_per_subject] * len(test_subjects)}
    for split, subjects in (("train", train_subjects), ("test", test_subjects)):
        for subject, name, world in syn.iter_split_sequences(split, seed, counts[split], subjects, seq_len, fps):
            yield split, subject, name.split("/")[1].split(" ")[0], name, syn.CAMERA_SUBJECT[subject], world


def _bvh(folder: str, seed: int, frame_step: int = 2, recenter: str = "clip", test_percent: float = 10.0,
         joint_map=None, unit_mm: float = 10.0, max_clips: Optional[int] = None,
         test_styles: Optional[Sequence[str]] = None) -> Iterator[Sequence_]:
    styles = {s.strip() for s in test_styles or () if s.strip()}
    for path in bvh.list_bvh(folder)[:max_clips]:
        clip = bvh.parse_bvh(path)
        world = bvh.h36m_world_poses(clip, joint_map, unit_mm, np.arange(0, clip.num_frames, frame_step), str(path))
        world = bvh.center_on_origin(world, recenter)
        parts = clip.name.split("_")
        test = (len(parts) >= 4 and parts[2] in styles) if styles else bvh.is_test_clip(clip.name, test_percent)
        digest = int(hashlib.md5(f"{seed}/{clip.name}".encode()).hexdigest()[:8], 16)
        yield ("test" if test else "train", clip.name, bvh.clip_action(clip.name), clip.name,
               H36M_SUBJECTS[digest % len(H36M_SUBJECTS)], world)


def _h36m(folder: str, seed: int, **options) -> Iterator[Sequence_]:
    for split, subject, action, world in h36m.world_sequences(folder, **options):
        yield split, subject, h36m.action_name(action), f"{subject}/{action}", subject, world


READERS = {"synthetic": _synthetic, "bvh": _bvh, "h36m": _h36m}


def sequences(spec: str, seed: int = 0, options: Optional[Dict] = None) -> Iterator[Sequence_]:
    """The world-space sequences of a source spec, one at a time; :class:`DataError` for a source without world
    sequences or an option that only chooses cameras."""
    source, arg, parsed = resolve(spec, "gt", options)
    if source.name not in READERS:
        raise DataError(f"--data {spec!r}: {source.title} has no world-space sequences to shard; use one of "
                        f"{', '.join(READERS)}")
    taken = [k for k in parsed if k in CAMERA_OPTIONS]
    if taken:
        raise DataError(f"--data {spec!r}: option {taken[0]} chooses cameras, which shards take when read: drop it "
                        "and pass it to the shards:DIR source (fit.py --cameras)")
    reader = READERS[source.name]
    return reader(arg, seed, **parsed) if arg else reader(seed, **parsed)


class _ShardWriter:
    """Shard files of one split, closed at ``shard_frames`` frames each; the index entries of the closed ones."""

    def __init__(self, folder: Path, split: str, shard_frames: int):
        self.folder, self.split, self.shard_frames = folder, split, shard_frames
        self.entries, self.writer, self.frames, self.count = [], None, 0, 0
        self.subjects, self.actions, self.total, self.sequences = {}, {}, 0, 0

    def add(self, subject: str, action: str, sequence: str, h36m_subject: str, world: np.ndarray) -> None:
        import tensorflow as tf

        if self.writer is None:
            self.path = self.folder / f"{self.split}-{len(self.entries):05d}.part"
            self.writer, self.frames, self.count = tf.io.TFRecordWriter(str(self.path)), 0, 0
        self.writer.write(fmt.encode_record(world, subject, action, sequence, h36m_subject))
        self.frames += len(world)
        self.count += 1
        self.total += len(world)
        self.sequences += 1
        self.subjects[subject] = None
        self.actions[action] = None
        if self.frames >= self.shard_frames:
            self.close()

    def close(self) -> None:
        if self.writer is None:
            return
        self.writer.close()
        self.writer = None
        self.entries.append({"file": self.path.name, "frames": self.frames, "sequences": self.count,
                             "bytes": self.path.stat().st_size, "sha256": fmt.file_sha256(self.path)})

    def finish(self) -> Dict:
        self.close()
        if not self.entries:
            raise DataError(f"no {self.split} sequences to write; check the source's split options")
        for k, entry in enumerate(self.entries):
            name = fmt.shard_name(self.split, k, len(self.entries))
            os.replace(self.folder / entry["file"], self.folder / name)
            entry["file"] = name
        return {"frames": self.total, "sequences": self.sequences, "subjects": list(self.subjects),
                "actions": list(self.actions), "shards": self.entries}


def write_shards(spec: str, out_dir, seed: int = 0, shard_frames: int = DEFAULT_SHARD_FRAMES,
                 options: Optional[Dict] = None, log=None) -> Dict:
    """Write the source ``spec`` as shards in ``out_dir`` (which must not exist or be empty); returns the index."""
    from graphsh_tf.io import write_json

    if isinstance(shard_frames, bool) or not isinstance(shard_frames, int) or shard_frames < 1:
        raise DataError(f"shard_frames={shard_frames!r} must be a whole number >= 1")
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError(f"{out}: already exists and is not an empty folder; choose a new output folder")
    stream = sequences(spec, seed, options)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        writers = {split: _ShardWriter(tmp, split, shard_frames) for split in fmt.SPLITS}
        for k, (split, subject, action, name, h36m_subject, world) in enumerate(stream):
            world = np.asarray(world, np.float64)
            if world.shape[1:] != (sk.H36M16.num_joints, 3):
                raise DataError(f"{spec}: sequence {name!r} has shape {world.shape}, expected (T, 16, 3)")
            if not np.all(np.isfinite(world)):
                raise DataError(f"{spec}: sequence {name!r} holds NaN/inf positions; repair or leave it out")
            writers[split].add(subject, action, name, h36m_subject, world)
            if log and k % 1000 == 999:
                log(f"  {k + 1} sequences, {writers['train'].total + writers['test'].total:,} frames")
        index = {"format": fmt.FORMAT, "version": fmt.VERSION, "skeleton": sk.H36M16.name,
                 "num_joints": sk.H36M16.num_joints, "joint_names": list(sk.H36M16.joint_names),
                 "units": fmt.UNITS, "frame": "world, z up, floor at z = 0", "source": spec, "seed": seed,
                 "options": dict(options or {}),
                 "splits": {split: w.finish() for split, w in writers.items()}}
        write_json(tmp / fmt.INDEX, index)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return index


def main(argv=None) -> int:
    from graphsh_tf import cli

    p = argparse.ArgumentParser(description="Write a 3D data source (synthetic, bvh:DIR, h36m:DIR) as pose shards "
                                "that training streams (--data shards:OUT_DIR)")
    p.add_argument("out", help="output folder (must not exist or be empty)")
    p.add_argument("--data", required=True, help="synthetic[:frames=N,...] | bvh:DIR | h36m:DIR")
    p.add_argument("--seed", type=int, default=0, help="data seed (synthetic poses, BVH camera subjects)")
    p.add_argument("--shard-frames", type=cli.positive_int, default=DEFAULT_SHARD_FRAMES,
                   help="frames per shard file (multi-worker training needs at least one file per worker)")
    p.add_argument("--test-styles", default=None, help="bvh: comma-separated Bandai-Namco styles held out as test")
    args = p.parse_args(argv)

    def body():
        options = {"test_styles": args.test_styles.split(",")} if args.test_styles else None
        cli.import_tensorflow()
        index = write_shards(args.data, args.out, args.seed, args.shard_frames, options,
                             log=lambda s: print(s, flush=True))
        print(f"wrote {args.out}: " + ", ".join(
            f"{split} {v['frames']:,} frames in {v['sequences']:,} sequences, {len(v['shards'])} shards"
            for split, v in index["splits"].items()))

    return cli.run("shards", body, tensorflow=False)


if __name__ == "__main__":
    sys.exit(main())
