"""Photos and videos in, 3D skeletons out: detector -> keypoint adapter -> lifter (+ root position; One Euro smoothing
on video).

    python -m graphsh_tf.lift photo.jpg --run RUN          # or --model graphsh_fp32.tflite
    python -m graphsh_tf.lift photos/ --run RUN            # every image of a folder
    python -m graphsh_tf.lift clip.mp4 --run RUN           # a video (progress bar; --every N, --max-frames N)

Writes into ``--out`` (default ``lift_<input name>/``): ``lift.json`` (or ``lift.npz`` with ``--npz``) with, per
frame and person, the detector's keypoints and scores, the adapted H36M-16 2D and confidences, the root-relative 3D
joints (mm, camera axes: x right, y down, z forward), the solved root and the joints in camera space; and pictures:
``<image>.png`` per image (the frame with the 2D keypoints beside the 3D skeleton) or ``<video>.gif`` for a video.
The camera intrinsics come from ``--hfov`` (horizontal field of view, default 65 degrees, a typical phone main
camera) with the principal point at the image centre. Latency per stage is printed (p50 over the frames).

The detector is BlazePose from the model cache (install once: ``python -m graphsh_tf.detect.install``) or a MoveNet
SinglePose ``.tflite`` (``--detector movenet.tflite``). An unreadable file given by name is one line and exit 2;
in a folder it is skipped with one warning line naming it and why, the rest is lifted, and the run ends saying how
many were skipped, with exit 1 (``lift.json`` lists them under ``skipped``).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from graphsh_tf.anatomy import one_body
from graphsh_tf.draw import render
from graphsh_tf.media import Frame, LiftError, Video, check_image, collect_inputs, read_image, write_gif, write_png
from graphsh_tf.root import solve_root

import numpy as np

DEFAULT_HFOV = 65.0


# --- model --------------------------------------------------------------------------------------------------------

def pick_model(run: Optional[str], model: Optional[str], variant: str = "fp32") -> Path:
    """The lifter ``.tflite``: ``model`` itself, or the ``variant`` of ``run`` (its ``tflite/`` folder)."""
    if model:
        p = Path(model)
        if not p.is_file():
            raise LiftError(f"{p}: model file not found")
        return p
    if not run:
        raise LiftError("pass --run RUN_DIR (a training run with exported .tflite files) or --model X.tflite")
    r = Path(run)
    if not r.is_dir():
        raise LiftError(f"{r}: run directory not found")
    from graphsh_tf.lite.metadata import MetadataError, find_tflite
    from graphsh_tf.run import Run

    folder = Run(r).exported_dir()

    try:
        files = find_tflite(folder, names=(variant,), what="lift with")
    except MetadataError:
        raise LiftError(f"{folder}: no graphsh_{variant}.tflite; export it first: python3 tflite/convert.py {r} "
                        f"(or pick another with --variant)") from None
    return files[0]


# --- lifting ------------------------------------------------------------------------------------------------------

@dataclass
class Track:
    """One person followed across video frames (nearest mid-hip), with its own smoothing state."""
    stream: object
    hip_px: np.ndarray
    last_index: int


@dataclass
class Timings:
    stages: Dict[str, List[float]] = field(default_factory=dict)

    def add(self, stage: str, ms: float) -> None:
        self.stages.setdefault(stage, []).append(float(ms))

    def summary(self) -> Dict[str, dict]:
        return {k: {"p50_ms": round(float(np.median(v)), 3), "mean_ms": round(float(np.mean(v)), 3), "n": len(v)}
                for k, v in self.stages.items() if v}

    def line(self) -> str:
        parts = [f"{k} {v['p50_ms']:.2f} ms" for k, v in self.summary().items()]
        return "latency p50 per stage: " + ", ".join(parts)


class Pipeline:
    """detector -> adapter -> lifter for one frame; keeps video tracks when ``video`` is set."""

    def __init__(self, detector, lifter_path, hfov: float = DEFAULT_HFOV, video: bool = False):
        from graphsh_tf.lite.lifter import Lifter

        self.detector = detector
        self.layout = detector.layout
        self.lifter = Lifter(str(lifter_path), layout=self.layout)
        self.hfov = float(hfov)
        self.video = video
        self.tracks: List[Track] = []
        self.timings = Timings()

    def intrinsics(self, w: int, h: int) -> tuple:
        from graphsh_tf.root import focal_from_fov

        f = focal_from_fov(w, self.hfov)
        return (f, f, w / 2.0, h / 2.0)

    def _stream_for(self, hip: np.ndarray, frame_index: int, width: int, used: set):
        from graphsh_tf.smoothing import LifterStream

        best, best_d = None, 0.15 * width
        for i, tr in enumerate(self.tracks):
            d = float(np.linalg.norm(tr.hip_px - hip))
            if i not in used and frame_index - tr.last_index <= 5 and d < best_d:
                best, best_d = i, d
        if best is None:
            self.tracks.append(Track(LifterStream(self.lifter), hip, frame_index))
            best = len(self.tracks) - 1
        used.add(best)
        tr = self.tracks[best]
        tr.hip_px, tr.last_index = hip, frame_index
        return best, tr.stream

    def __call__(self, frame: Frame) -> dict:
        from graphsh_tf.keypoints import adapt

        h, w = frame.rgb.shape[:2]
        k = self.intrinsics(w, h)
        people = self.detector(frame.rgb)
        for stage, ms in self.detector.last_timings_ms.items():
            self.timings.add(stage, ms)
        persons, used = [], set()
        for person in people:
            t0 = time.perf_counter()
            xy, _ = adapt(person.keypoints_px, self.layout, scores=person.scores)
            t1 = time.perf_counter()
            track = None
            if self.video:
                track, stream = self._stream_for(np.asarray(xy[0]), frame.index, w, used)
                t1 = time.perf_counter()
                res = stream(person.keypoints_px, (w, h), frame.t, scores=person.scores, intrinsics=k)
            else:   # a photo: one body, left and right bones of equal length (a video's tracks get theirs)
                res = self.lifter(person.keypoints_px, (w, h), scores=person.scores, intrinsics=k)
                body = one_body(res.joints_mm).astype(np.float32)
                root = res.root_mm
                if root is not None and np.all(np.isfinite(root)):   # the root that fits the new bone lengths
                    root = solve_root(res.keypoints_px, body, k, res.confidence)
                res = dataclasses.replace(res, joints_mm=body, root_mm=root)
            t2 = time.perf_counter()
            self.timings.add("adapter", (t1 - t0) * 1e3)
            self.timings.add("lifter", (t2 - t1) * 1e3)
            root = None if res.root_mm is None else np.asarray(res.root_mm, np.float64)
            camera = None if root is None or not np.all(np.isfinite(root)) else np.asarray(res.joints_mm) + root
            persons.append({"person": person, "track": track, "result": res, "camera_mm": camera})
        return {"frame": frame, "image_size": (w, h), "intrinsics": k, "persons": persons}


def frame_json(out: dict) -> dict:
    fr = out["frame"]
    persons = []
    for p in out["persons"]:
        res = p["result"]
        doc = p["person"].to_json()
        doc.update({
            "track": p["track"],
            "valid": bool(res.valid),
            "keypoints_h36m16_px": np.round(np.asarray(res.keypoints_px, np.float64), 3).tolist(),
            "confidence_h36m16": np.round(np.asarray(res.confidence, np.float64), 5).tolist(),
            "joints_mm": np.round(np.asarray(res.joints_mm, np.float64), 3).tolist(),
            "root_mm": None if res.root_mm is None or not np.all(np.isfinite(res.root_mm))
            else np.round(np.asarray(res.root_mm, np.float64), 3).tolist(),
            "joints_camera_mm": None if p["camera_mm"] is None else np.round(p["camera_mm"], 3).tolist(),
        })
        persons.append(doc)
    return {"source": fr.source, "frame": fr.index, "t": round(fr.t, 4), "image_size": list(out["image_size"]),
            "intrinsics": [round(v, 4) for v in out["intrinsics"]], "persons": persons}


def write_npz(path: Path, doc: dict) -> None:
    """Flat arrays: one row per (frame, person)."""
    from graphsh_tf.io import atomic_save

    rows = [(i, p) for i, f in enumerate(doc["frames"]) for p in f["persons"]]
    n_kp = len(rows[0][1]["keypoints_px"]) if rows else 0

    def arr(key, shape):
        """One row per person; NaN where the field is None (no root without two seen joints)."""
        return np.array([np.full(shape, np.nan) if p[key] is None else np.asarray(p[key], np.float64)
                         for _, p in rows], np.float64).reshape((len(rows),) + shape)

    arrays = {
        "frame": np.array([i for i, _ in rows], np.int64),
        "t": np.array([doc["frames"][i]["t"] for i, _ in rows], np.float64),
        "keypoints_px": arr("keypoints_px", (n_kp, 2)), "scores": arr("scores", (n_kp,)),
        "keypoints_h36m16_px": arr("keypoints_h36m16_px", (16, 2)),
        "confidence_h36m16": arr("confidence_h36m16", (16,)),
        "joints_mm": arr("joints_mm", (16, 3)), "root_mm": arr("root_mm", (3,)),
        "joints_camera_mm": arr("joints_camera_mm", (16, 3)),
        "valid": np.array([p["valid"] for _, p in rows], bool),
        "sources": np.array([f["source"] for f in doc["frames"]]),
    }
    atomic_save(path, lambda tmp: np.savez_compressed(tmp, **arrays))   # tmp keeps the .npz suffix


# --- command line -------------------------------------------------------------------------------------------------

PROG = "graphsh_tf.lift"


def _skip(skipped: list, path: Path, err: Exception) -> None:
    """One warning line naming ``path`` and why it is skipped; remembered for the summary and ``lift.json``."""
    reason = " ".join(str(err).split())
    if reason.startswith(f"{path}: "):
        reason = reason[len(f"{path}: "):]
    skipped.append({"file": str(path), "reason": reason})
    print(f"{PROG}: warning: {path}: {reason}; skipped", file=sys.stderr)


def lift_inputs(args) -> dict:
    """The command's work; returns the ``lift.json`` document (its ``skipped``: the unreadable files of a folder
    that were passed over, each with the reason)."""
    from graphsh_tf.detect import Detector
    from graphsh_tf.skeleton import H36M16

    kind, inputs = collect_inputs(args.input)
    folder = Path(args.input).is_dir()
    n_files = len(inputs) if kind == "images" else 1
    skipped: list = []
    model = pick_model(args.run, args.model, args.variant)
    if not 1.0 < args.hfov < 179.0:
        raise LiftError(f"--hfov {args.hfov}: must be between 1 and 179 degrees")
    out_dir = Path(args.out) if args.out else Path(f"lift_{Path(args.input).stem or 'input'}")
    if out_dir.exists() and not out_dir.is_dir():
        raise LiftError(f"--out {out_dir}: exists and is not a folder")
    # inputs are checked before the models load, so an unreadable file fails fast (given by name) or is skipped
    # (in a folder: one corrupt photo does not stop the others)
    video = Video(inputs) if kind == "video" else None
    if video is None:
        readable = []
        for f in inputs:
            try:
                check_image(f)
            except LiftError as e:
                if not folder:
                    raise
                _skip(skipped, f, e)
                continue
            readable.append(f)
        if not readable:
            raise _nothing_readable(args.input, skipped)
        inputs = readable
    from graphsh_tf.detect.runtime import quiet_native

    with quiet_native():
        options = {"max_persons": args.max_persons} if args.detector.startswith("blazepose") else {}
        detector = Detector(args.detector, **options)
        pipe = Pipeline(detector, model, hfov=args.hfov, video=video is not None)
    frames_json, pictures = [], []
    if video is None:
        for f in inputs:
            try:
                rgb = read_image(f)
            except LiftError as e:   # a header that opens but pixels that do not decode (a truncated file)
                if not folder:
                    raise
                _skip(skipped, f, e)
                continue
            out = pipe(Frame(f.name, len(frames_json), 0.0, rgb))
            frames_json.append(frame_json(out))
            if not args.no_pictures:
                pictures.append((out_dir / f"{f.stem}.png", render(out)))
    else:
        total = video.frame_count
        if args.max_frames:
            total = min(total, args.max_frames * args.every) if total else args.max_frames * args.every
        from graphsh_tf.progress import Progress

        gif = []
        n_done = 0
        bar = Progress(total, "frames", "lift", quiet=getattr(args, "quiet", False))
        for i, rgb in enumerate(video.frames()):
            if args.max_frames and n_done >= args.max_frames:
                break
            if i % args.every:
                continue
            out = pipe(Frame(Path(inputs).name, i, i / video.fps, rgb))
            frames_json.append(frame_json(out))
            if not args.no_pictures:
                gif.append(render(out, title=f"{Path(inputs).name}  frame {i}", dpi=64))
            n_done += 1
            bar.set(i + 1)
        bar.close()
        if not frames_json:
            raise LiftError(f"{inputs}: no frame decoded")
        if gif:
            pictures.append((out_dir / f"{Path(inputs).stem}.gif", gif, video.fps / args.every))
    if not frames_json:
        raise _nothing_readable(args.input, skipped)
    doc = {"input": str(args.input), "model": str(model), "detector": args.detector, "layout": detector.layout,
           "hfov_deg": args.hfov, "units": "mm; camera axes x right, y down, z forward; pixels x right, y down",
           "joint_names_h36m16": list(H36M16.joint_names),
           "latency": pipe.timings.summary(), "frames": frames_json}
    if folder:
        doc["skipped"] = skipped
    from graphsh_tf.io import write_json

    out_dir.mkdir(parents=True, exist_ok=True)
    data_path = out_dir / ("lift.npz" if args.npz else "lift.json")
    if args.npz:
        write_npz(data_path, doc)
    else:
        write_json(data_path, doc)
    written = [data_path]
    for item in pictures:
        if len(item) == 2:
            write_png(*item)
        else:
            write_gif(*item)
        written.append(item[0])
    n_people = sum(len(f["persons"]) for f in frames_json)
    print(f"{len(frames_json)} frame(s), {n_people} person(s) lifted with {model.name} ({args.detector})")
    print(pipe.timings.line())
    for p in written:
        print(f"wrote {p}")
    if skipped:
        sys.stdout.flush()
        print(f"{PROG}: {len(skipped)} of {n_files} image file(s) skipped as unreadable (named above); the other "
              f"{n_files - len(skipped)} were lifted", file=sys.stderr)
    return doc


def _nothing_readable(folder, skipped: list) -> LiftError:
    first = f" (first: {skipped[0]['file']}: {skipped[0]['reason']})" if skipped else ""
    return LiftError(f"{folder}: none of its {len(skipped)} image file(s) is readable{first}; pass a folder of "
                     "JPEG/PNG images, an image or a video")


def main(argv=None) -> int:
    from graphsh_tf.cli import add_verbose, positive_int, run

    ap = argparse.ArgumentParser(prog="python -m graphsh_tf.lift", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("input", help="an image, a folder of images or a video")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--run", help="training run folder (its tflite/ holds graphsh_<variant>.tflite)")
    src.add_argument("--model", help="a lifter .tflite (with its sidecar .json)")
    ap.add_argument("--variant", default="fp32", help="which exported variant of --run")
    ap.add_argument("--detector", default="blazepose-full",
                    help="blazepose-lite | blazepose-full | blazepose-heavy | a MoveNet SinglePose .tflite")
    ap.add_argument("--hfov", type=float, default=DEFAULT_HFOV, help="camera horizontal field of view (degrees)")
    ap.add_argument("--max-persons", type=positive_int, default=4)
    ap.add_argument("--out", help="output folder (default lift_<input name>)")
    ap.add_argument("--npz", action="store_true", help="write lift.npz instead of lift.json")
    ap.add_argument("--no-pictures", action="store_true", help="skip the PNG / GIF")
    ap.add_argument("--every", type=positive_int, default=1, help="video: lift every N-th frame")
    ap.add_argument("--max-frames", type=positive_int, default=0, help="video: stop after N lifted frames")
    ap.add_argument("--quiet", action="store_true", help="video: no progress (a bar on a terminal, lines otherwise)")
    add_verbose(ap)
    args = ap.parse_args(argv)
    return run(PROG, lambda: 1 if lift_inputs(args).get("skipped") else 0, verbose=args.verbose, tensorflow=False)


if __name__ == "__main__":
    sys.exit(main())
