#!/usr/bin/env python
"""Write the web demo's bundled 2D sequences: web_demo/samples/samples.json (small, deterministic).

* ``walk`` / ``wave``: the Android demo's procedural COCO-17 stick figures (tools/write_golden.sample_sequences),
  so the page runs the COCO-17 adapter exactly as a detector's keypoints would go through it.
* ``synthetic_<action>``: held-out sequences of the embedded synthetic generator (its TEST split, subject S9 /
  S11, one Human3.6M camera), as H36M-16 pixels with their ground-truth 3D (mm, root-relative), so the page shows
  the per-sequence MPJPE next to the latency.

Usage: ``python tools/write_web_samples.py [--out FILE] [--frames N]``. Rerunning gives identical files.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from graphsh_tf.frame import image_coordinates  # noqa: E402

OUT = ROOT / "web_demo" / "samples" / "samples.json"


def _golden_writer():
    spec = importlib.util.spec_from_file_location("write_golden", ROOT / "tools" / "write_golden.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def synthetic_sequences(frames: int = 40, step: int = 2, count: int = 2) -> list:
    """``count`` held-out synthetic sequences (different actions), ``frames`` frames each (every ``step``-th)."""
    from graphsh_tf.data.dataset import load_data

    test = load_data("synthetic").test
    out, seen = [], set()
    for name in dict.fromkeys(test.sequences.tolist()):
        action = str(test.actions[np.flatnonzero(test.sequences == name)[0]])
        if action in seen:
            continue
        rows = np.flatnonzero(test.sequences == name)[::step][:frames]
        if len(rows) < frames:
            continue
        seen.add(action)
        w, h = (float(v) for v in test.image_size[rows[0]])
        px = image_coordinates(test.poses_2d[rows], w, h).astype(np.float64)
        out.append({"name": f"synthetic_{action}", "layout": "h36m16", "image_size": [w, h],
                    "source": f"synthetic generator, test split, {name}",
                    "frames": np.round(px, 2).tolist(),
                    "joints_3d_mm": np.round(test.poses_3d[rows].astype(np.float64), 1).tolist()})
        if len(out) == count:
            break
    return out


def build(frames: int = 40) -> dict:
    golden = _golden_writer().sample_sequences(num_frames=frames)
    seqs = [{"name": s["name"], "layout": golden["layout"], "image_size": golden["image_size"],
             "source": "procedural COCO-17 stick figure (tools/write_golden.py)", "frames": s["frames"]}
            for s in golden["sequences"]]
    return {"format": "graphsh-web-samples/1", "fps": golden["fps"], "sequences": seqs + synthetic_sequences(frames)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--frames", type=int, default=40)
    args = ap.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(build(args.frames), separators=(",", ":")) + "\n")
    print(f"{args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
