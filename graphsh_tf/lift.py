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
SinglePose ``.tflite`` (``--detector movenet.tflite``). An unreadable file is one line and exit 2.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
DEFAULT_HFOV = 65.0


class LiftError(ValueError):
    """A bad input file, model or option; the message names it and the fix."""


# --- input --------------------------------------------------------------------------------------------------------

@dataclass
class Frame:
    source: str
    index: int
    t: float
    rgb: np.ndarray


def check_image(path) -> None:
    """Read only the header: LiftError naming the file when it is not an image Pillow can open."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.size  # noqa: B018 - the header is parsed on open
    except (UnidentifiedImageError, OSError, ValueError) as e:
        raise LiftError(f"{path}: not a readable image ({' '.join(str(e).split())[:160]})") from None


def read_image(path) -> np.ndarray:
    """RGB uint8 ``(H, W, 3)`` of an image file (EXIF orientation applied); LiftError for anything else."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            return np.asarray(im.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise LiftError(f"{path}: not a readable image ({' '.join(str(e).split())[:160]})") from None


class Video:
    """Frames of a video file through OpenCV (its bundled FFmpeg)."""

    def __init__(self, path):
        os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        import cv2

        self.path = str(path)
        self._cap = cv2.VideoCapture(self.path)
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok or first is None:
            self._cap.release()
            raise LiftError(f"{path}: not a readable video (no frame could be decoded); pass an image, a folder of "
                            f"images or a video ({', '.join(VIDEO_SUFFIXES)})")
        self._first = first
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 1.0 <= fps <= 1000.0 else 30.0
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)

    def frames(self) -> Iterator[np.ndarray]:
        import cv2

        frame = self._first
        try:
            while frame is not None:
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                ok, frame = self._cap.read()
                if not ok:
                    frame = None
        finally:
            self._cap.release()


def collect_inputs(path) -> tuple:
    """``("images", [files])`` or ``("video", file)``; LiftError naming the path otherwise."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise LiftError(f"{p}: no images in this folder ({', '.join(IMAGE_SUFFIXES)})")
        return "images", files
    if not p.exists():
        raise LiftError(f"{p}: no such file or folder")
    if p.suffix.lower() in VIDEO_SUFFIXES:
        return "video", p
    return "images", [p]


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
            else:
                res = self.lifter(person.keypoints_px, (w, h), scores=person.scores, intrinsics=k)
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


# --- pictures -----------------------------------------------------------------------------------------------------

RIGHT_RGB, LEFT_RGB, MID_RGB = "#ff3b30", "#1e90ff", "#ffd60a"


def _bone_colour(j: int) -> str:
    from graphsh_tf.skeleton import H36M16

    if j in H36M16.joints_right:
        return RIGHT_RGB
    return LEFT_RGB if j in H36M16.joints_left else MID_RGB


def render(out: dict, title: str = "", dpi: int = 80) -> np.ndarray:
    """RGB ``(H, W, 3)`` uint8: the frame with each person's 2D keypoints (left) beside the 3D skeletons (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from graphsh_tf.skeleton import H36M16, LAYOUTS

    rgb = out["frame"].rgb
    h, w = rgb.shape[:2]
    fig = plt.figure(figsize=(12, 6), dpi=dpi)
    ax2 = fig.add_subplot(1, 2, 1)
    ax2.imshow(rgb)
    ax2.set_axis_off()
    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    pts3 = []
    for n, p in enumerate(out["persons"]):
        person, res = p["person"], p["result"]
        skel = LAYOUTS.get(person.layout)
        kp = person.keypoints_px
        if skel is not None:
            for j, parent in skel.edges:
                if parent >= 0 and min(person.scores[j], person.scores[parent]) > 0.3:
                    ax2.plot(kp[[j, parent], 0], kp[[j, parent], 1], "-", color="white", lw=1.2, alpha=0.8)
        ok = person.scores > 0.3
        ax2.scatter(kp[ok, 0], kp[ok, 1], s=10, c="lime", edgecolors="black", linewidths=0.4, zorder=3)
        xy16 = np.asarray(res.keypoints_px)
        for j, parent in H36M16.edges:
            ax2.plot(xy16[[j, parent], 0], xy16[[j, parent], 1], "-", color=_bone_colour(j), lw=2.2)
        ax2.text(kp[:, 0].min(), max(kp[:, 1].min() - 8, 10), f"#{n}" + ("" if res.valid else " (not valid)"),
                 color="white", fontsize=9, bbox={"facecolor": "black", "alpha": 0.5, "pad": 1})
        j3 = p["camera_mm"] if p["camera_mm"] is not None else np.asarray(res.joints_mm) + [1500.0 * n, 0, 4000]
        j3 = np.asarray(j3) / 1000.0
        pts3.append(j3)
        for j, parent in H36M16.edges:
            # plotted as (x, z, -y): camera right, depth away from the camera, up
            ax3.plot(j3[[j, parent], 0], j3[[j, parent], 2], -j3[[j, parent], 1], "-", color=_bone_colour(j), lw=2.5)
        head = j3[H36M16.index("Head")]
        ax3.text(head[0], head[2], -head[1] + 0.12, f"#{n}", fontsize=9)
    ax2.set_xlim(0, w)
    ax2.set_ylim(h, 0)
    ax2.set_title(title or out["frame"].source, fontsize=9)
    if pts3:
        allp = np.concatenate(pts3)
        mid = (allp.max(0) + allp.min(0)) / 2
        r = max(float((allp.max(0) - allp.min(0)).max()) / 2, 1.0)
        ax3.set_xlim(mid[0] - r, mid[0] + r)
        ax3.set_ylim(mid[2] - r, mid[2] + r)
        ax3.set_zlim(-mid[1] - r, -mid[1] + r)
    else:
        ax2.text(w / 2, h / 2, "no person found", color="white", ha="center", fontsize=14,
                 bbox={"facecolor": "black", "alpha": 0.6})
    ax3.set_xlabel("x right (m)")
    ax3.set_ylabel("depth (m)")
    ax3.set_zlabel("up (m)")
    ax3.view_init(elev=12, azim=-70)
    ax3.set_title("3D, camera space (root solved from the field of view)", fontsize=9)
    fig.tight_layout()
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return img


def write_png(path: Path, img: np.ndarray) -> None:
    from PIL import Image

    from graphsh_tf.io import atomic_save

    atomic_save(path, lambda tmp: Image.fromarray(img).save(tmp, format="PNG"))


def write_gif(path: Path, frames: List[np.ndarray], fps: float) -> None:
    from PIL import Image

    from graphsh_tf.io import atomic_save

    ims = [Image.fromarray(f) for f in frames]
    duration = max(int(round(1000.0 / max(fps, 1e-3))), 20)
    atomic_save(path, lambda tmp: ims[0].save(tmp, format="GIF", save_all=True, append_images=ims[1:],
                                              duration=duration, loop=0))


# --- command line -------------------------------------------------------------------------------------------------

def lift_inputs(args) -> dict:
    from graphsh_tf.detect import Detector
    from graphsh_tf.skeleton import H36M16

    kind, inputs = collect_inputs(args.input)
    model = pick_model(args.run, args.model, args.variant)
    if not 1.0 < args.hfov < 179.0:
        raise LiftError(f"--hfov {args.hfov}: must be between 1 and 179 degrees")
    out_dir = Path(args.out) if args.out else Path(f"lift_{Path(args.input).stem or 'input'}")
    if out_dir.exists() and not out_dir.is_dir():
        raise LiftError(f"--out {out_dir}: exists and is not a folder")
    # inputs are checked before the models load, so an unreadable file fails fast
    video = Video(inputs) if kind == "video" else None
    for f in inputs if video is None else ():
        check_image(f)
    from graphsh_tf.detect.runtime import quiet_native

    with quiet_native():
        options = {"max_persons": args.max_persons} if args.detector.startswith("blazepose") else {}
        detector = Detector(args.detector, **options)
        pipe = Pipeline(detector, model, hfov=args.hfov, video=video is not None)
    frames_json, pictures = [], []
    if video is None:
        for i, f in enumerate(inputs):
            rgb = read_image(f)
            out = pipe(Frame(f.name, i, 0.0, rgb))
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
    doc = {"input": str(args.input), "model": str(model), "detector": args.detector, "layout": detector.layout,
           "hfov_deg": args.hfov, "units": "mm; camera axes x right, y down, z forward; pixels x right, y down",
           "joint_names_h36m16": list(H36M16.joint_names),
           "latency": pipe.timings.summary(), "frames": frames_json}
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
    return doc


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
    return run("graphsh_tf.lift", lambda: lift_inputs(args) and None, verbose=args.verbose, tensorflow=False)


if __name__ == "__main__":
    sys.exit(main())
