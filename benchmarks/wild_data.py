"""The in-the-wild benchmark's recording and its detections: Pose2Sim's multi-person demo (4 synchronized, calibrated
1088x1920 60 fps videos of two people; Qualisys calibration), taken from the PyPI wheel ``pose2sim`` (pinned below)
at set-up into a cache folder and never committed; BlazePose run on every frame of every view once, kept as an
``.npz`` beside it (keyed by the detector files' hashes, so another detector re-runs).

``python benchmarks/wild_data.py`` fetches and detects (about 10 minutes on 2 cores the first time).
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

WHEEL_SPEC = "pose2sim==0.10.49"
DEMO = "Pose2Sim/Demo_MultiPerson"
VIEWS = ("cam01", "cam02", "cam03", "cam04")


def cache_root() -> Path:
    """``$GRAPHSH_TF_WILD`` if set, else ``~/.cache/graphsh_tf/in_the_wild``."""
    from graphsh_tf.io import cache_folder

    return cache_folder("GRAPHSH_TF_WILD", "in_the_wild")


def fetch_demo() -> Path:
    """The demo folder (calibration/Calib.qca.txt, videos/cam0N.mp4), fetched from the registry once."""
    root = cache_root() / "Demo_MultiPerson"
    need = [root / "calibration" / "Calib.qca.txt"] + [root / "videos" / f"{v}.mp4" for v in VIEWS]
    if all(p.is_file() for p in need):
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root.parent) as tmp:
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", tmp, WHEEL_SPEC],
                           capture_output=True, text=True)
        wheels = list(Path(tmp).glob("pose2sim-*.whl"))
        if r.returncode != 0 or not wheels:
            raise SystemExit(f"could not download {WHEEL_SPEC} from the package registry: "
                             f"{(r.stderr or r.stdout).strip().splitlines()[-1:]}; set GRAPHSH_TF_WILD to a folder "
                             f"holding Demo_MultiPerson/")
        staging = Path(tmp) / "Demo_MultiPerson"
        with zipfile.ZipFile(wheels[0]) as z:
            for name in z.namelist():
                if name.startswith(DEMO + "/calibration/") or name.startswith(DEMO + "/videos/"):
                    dest = staging / name[len(DEMO) + 1:]
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(z.read(name))
        if root.exists():
            import shutil

            shutil.rmtree(root)
        os.replace(staging, root)
    return root


def _detector_key(landmark: str) -> str:
    from graphsh_tf.detect.models import blazepose_paths

    h = hashlib.sha256()
    for p in blazepose_paths(landmark):
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:12]


def detections(landmark: str = "full", quiet: bool = False) -> dict:
    """Every view's BlazePose people per frame, as flat arrays: ``view``, ``frame`` (N,), ``keypoints_px``
    (N, 33, 2), ``scores`` (N, 33), ``world_mm`` (N, 16, 3), ``score`` (N,), plus ``frames`` (views,) and
    ``size`` (w, h). Computed once and cached."""
    demo = fetch_demo()
    out = cache_root() / f"detections_{landmark}_{_detector_key(landmark)}.npz"
    if out.is_file():
        with np.load(out, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    from graphsh_tf.detect import Detector
    from graphsh_tf.media import Video

    det = Detector(f"blazepose-{landmark}")
    rows = {"view": [], "frame": [], "keypoints_px": [], "scores": [], "world_mm": [], "score": []}
    frames, size = [], None
    t0 = time.time()
    for v, name in enumerate(VIEWS):
        video = Video(demo / "videos" / f"{name}.mp4")
        n = 0
        for f, rgb in enumerate(video.frames()):
            size = (rgb.shape[1], rgb.shape[0])
            for p in det(rgb):
                rows["view"].append(v)
                rows["frame"].append(f)
                rows["keypoints_px"].append(p.keypoints_px)
                rows["scores"].append(p.scores)
                rows["world_mm"].append(p.world_mm)
                rows["score"].append(p.score)
            n = f + 1
            if not quiet and n % 25 == 0:
                print(f"detect: {name} frame {n}, {time.time() - t0:.0f} s", flush=True)
        frames.append(n)
    data = {k: np.asarray(v) for k, v in rows.items()}
    data["frames"] = np.asarray(frames)
    data["size"] = np.asarray(size)
    tmp = out.with_suffix(".tmp.npz")
    np.savez(tmp, **data)
    os.replace(tmp, out)
    return data


if __name__ == "__main__":
    d = detections()
    print(f"{len(d['view'])} detections over {d['frames'].tolist()} frames, image {d['size'].tolist()}")
