#!/usr/bin/env python
"""Write the cross-language golden vectors (tests/fixtures/golden/*.json) and the Android demo's sample sequences.

Golden files pin the pure pieces of :mod:`graphsh_tf.keypoints` and :mod:`graphsh_tf.contract` so the Java port
(android_demo/lifter-core) and the JavaScript one (web_demo/src/lifter_core.js) can be checked against them:

* ``adapters.json``: detector keypoints (COCO-17 / MediaPipe-33 pixels, scores, min_score, image size) →
  H36M-16 pixels and confidences → float model input → int8 model input for a given scale / zero point.
* ``decode.json``: raw model outputs (float32 and int8 with quantization) → joints in mm.
* ``intrinsics.json``: pixels + camera intrinsics → normalized coordinates (normalize_with_intrinsics, and
  prepare_input(..., intrinsics=...) float and int8); keypoints + root-relative pose + intrinsics + weights → root
  position (graphsh_tf.root.solve_root), incl. zero-weight joints.
* ``smoothing.json``: noisy sequences → One Euro filtered (graphsh_tf.smoothing.smooth_sequence).
* ``stream.json``: lifted frames (joints, roots incl. NaN / missing ones, timestamps, resets) → the smoothed joints
  and root of graphsh_tf.smoothing.LifterStream.step.
* ``one_body.json``: the one-body step of graphsh_tf.smoothing.LifterStream (``one_body=True``): tracks of poses
  (random bone directions, breathing bone lengths, frames not confident, a reset, a NaN joint, a zero-length bone)
  → the lengths ``graphsh_tf.anatomy.BodyLengths(window).update(pose, confident)`` gives each frame and the pose
  rebuilt with them (``apply_lengths``).
* ``pose_norm.json``: the input of ``input_norm="pose"`` models: normalized coordinates → pose_normalize (incl. a
  pose with every joint on the hip and one smaller than POSE_NORM_EPS); detector keypoints → prepare_input(...,
  contract=InputContract("pose")) float and int8, from the screen and from the intrinsics normalization; sidecar
  ``input.normalization`` strings → InputContract.normalization_from_sidecar ("screen", "pose", or an error).
* ``confidence.json``: the input of models with a confidence channel, ``(x, y, confidence)``: detector keypoints →
  prepare_input(..., contract=InputContract(norm, CHANNELS)) float and int8 (screen / intrinsics, screen / pose);
  sidecar ``input.channels`` → InputContract.channels_from_sidecar (the channels, or an error).

``android_demo/app/src/main/assets/samples.json``: short procedural COCO-17 sequences (a walking and an
arm-waving stick figure, perspective-projected) the demo app lifts.

Usage: ``python tools/write_golden.py [--out DIR] [--samples FILE] [--only NAME ...]`` (``--only one_body.json``
writes that file alone). Deterministic (fixed seeds); rerunning gives identical files; tests/test_java_lifter_core.py
checks that.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from graphsh_tf import anatomy, skeleton, smoothing  # noqa: E402
from graphsh_tf import keypoints as kp  # noqa: E402
from graphsh_tf import root as root_mod  # noqa: E402
from graphsh_tf.contract import (  # noqa: E402
    CHANNELS,
    POSE_NORM_EPS,
    POSE_NORMALIZATION,
    SCREEN_NORMALIZATION,
    ContractError,
    InputContract,
    Int8Codec,
    OutputContract,
    normalize_with_intrinsics,
    pose_normalize,
)

GOLDEN_DIR = ROOT / "tests" / "fixtures" / "golden"
SAMPLES_FILE = ROOT / "android_demo" / "app" / "src" / "main" / "assets" / "samples.json"


def _input(quant=None, normalization: str = "screen") -> InputContract:
    """The input contract of a model with ``normalization`` whose input is int8 with ``quant`` (None: float32)."""
    return InputContract(normalization, quant=Int8Codec.from_dict(quant))


def _tolist(a) -> list:
    return np.asarray(a).tolist()


def _random_pose(rng: np.random.Generator, k: int, w: float, h: float) -> np.ndarray:
    return np.round(rng.uniform([0.05 * w, 0.05 * h], [0.95 * w, 0.95 * h], size=(k, 2)), 2)


def _adapter_case(name: str, layout: str, xy: np.ndarray, scores: np.ndarray, min_score: float,
                  w: float, h: float, quant: Dict) -> Dict:
    adapted, conf = kp.adapt(xy, layout, scores=scores, min_score=min_score)
    x_float = kp.prepare_input(xy, w, h, layout, scores, min_score)
    x_int8 = kp.prepare_input(xy, w, h, layout, scores, min_score, contract=_input(quant))
    return {"name": name, "layout": layout, "image_size": [w, h], "min_score": min_score,
            "keypoints": _tolist(xy), "scores": _tolist(scores),
            "h36m16_xy": _tolist(adapted), "confidence": _tolist(conf),
            "input_float": _tolist(x_float[0].astype(np.float64)),
            "input_quantization": quant, "input_int8": _tolist(x_int8[0].astype(np.int64))}


def adapter_cases() -> List[Dict]:
    """Hand-picked cases: full confidence, low/missing scores with fallbacks, empty detections, clipping."""
    rng = np.random.default_rng(2021)
    cases = []
    coco, mp = skeleton.COCO17, skeleton.MEDIAPIPE33
    q_fine = {"scale": 0.0078125, "zero_point": 0}
    q_odd = {"scale": 0.011764705882352941, "zero_point": -3}
    q_clip = {"scale": 0.004, "zero_point": 10}  # range ~[-0.55, 0.47]: clips the outer joints
    for layout, sk, size in (("coco17", coco, (640.0, 480.0)), ("mediapipe33", mp, (720.0, 1280.0))):
        w, h = size
        k = sk.num_joints
        xy = _random_pose(rng, k, w, h)
        cases.append(_adapter_case(f"{layout}_full", layout, xy, np.ones(k), 0.0, w, h, q_fine))
        s = np.round(rng.uniform(0.2, 1.0, size=k), 3)
        s[sk.index("left_ear")] = 0.0
        s[sk.index("right_ear")] = 0.05
        s[sk.index("right_knee")] = 0.1
        cases.append(_adapter_case(f"{layout}_low_scores", layout, _random_pose(rng, k, w, h), s, 0.3, w, h, q_odd))
        s = np.round(rng.uniform(0.5, 1.0, size=k), 3)
        s[sk.index("right_hip")] = 0.0
        s[sk.index("left_shoulder")] = 0.0
        s[sk.index("right_shoulder")] = 0.0
        s[sk.index("nose")] = 0.0
        cases.append(_adapter_case(f"{layout}_one_hip_no_shoulders_no_nose", layout, _random_pose(rng, k, w, h), s,
                                   0.0, w, h, q_clip))
        s = np.zeros(k)
        s[sk.index("left_wrist")] = 0.7
        cases.append(_adapter_case(f"{layout}_only_left_wrist", layout, _random_pose(rng, k, w, h), s, 0.0, w, h,
                                   q_fine))
        s = np.zeros(k)
        s[sk.index("left_hip")] = 0.9
        s[sk.index("right_hip")] = 0.8
        cases.append(_adapter_case(f"{layout}_only_hips", layout, _random_pose(rng, k, w, h), s, 0.0, w, h, q_odd))
    return cases


def decode_cases() -> List[Dict]:
    rng = np.random.default_rng(7)
    cases = []
    raw = np.round(rng.normal(scale=300.0, size=(16, 3)), 3).astype(np.float32)
    cases.append({"name": "float32", "raw": _tolist(raw.astype(np.float64)), "quantization": None,
                  "joints_mm": _tolist(OutputContract().decode(raw).astype(np.float64))})
    for name, quant in (("int8_a", {"scale": 7.8431372549019605, "zero_point": 0}),
                        ("int8_b", {"scale": 5.123456789, "zero_point": -17})):
        q = rng.integers(-128, 128, size=(16, 3)).astype(np.int8)
        q[0, :] = [-128, 127, quant["zero_point"]]
        cases.append({"name": name, "raw": _tolist(q.astype(np.int64)), "quantization": quant,
                      "joints_mm": _tolist(OutputContract(Int8Codec.from_dict(quant)).decode(q).astype(np.float64))})
    return cases


# --- phone cameras: intrinsics normalization, root position, smoothing -------------------------------------------

def intrinsics_cases() -> Dict:
    rng = np.random.default_rng(1147)
    cams = {"landscape_65deg": [root_mod.focal_from_fov(1280.0, 65.0)] * 2 + [640.0, 360.0],
            "portrait_off_centre": [1402.5, 1398.0, 541.3, 968.7],
            "h36m_like": [1145.0, 1143.8, 512.5, 515.4]}
    norm = []
    for name, k in cams.items():
        xy = np.round(rng.uniform(-50.0, 1350.0, size=(16, 2)), 3)
        norm.append({"name": name, "intrinsics": list(map(float, k)), "xy": _tolist(xy),
                     "uv": _tolist(normalize_with_intrinsics(xy, k).astype(np.float64))})
    prep = []
    coco = skeleton.COCO17
    q = {"scale": 0.011764705882352941, "zero_point": -3}
    for name, (w, h), k in (("coco17_landscape", (1280.0, 720.0), cams["landscape_65deg"]),
                            ("coco17_portrait_low_scores", (1080.0, 1920.0), cams["portrait_off_centre"])):
        xy = _random_pose(rng, coco.num_joints, w, h)
        s = np.round(rng.uniform(0.3, 1.0, size=coco.num_joints), 3)
        if "low" in name:
            s[coco.index("left_ankle")] = 0.0
            s[coco.index("right_ear")] = 0.1
        x_f = kp.prepare_input(xy, w, h, "coco17", s, 0.2, intrinsics=k)
        x_q = kp.prepare_input(xy, w, h, "coco17", s, 0.2, contract=_input(q), intrinsics=k)
        # the root as LiftResult.root_mm of Lifter(..., intrinsics=k): adapted H36M-16 pixels, confidences as weights
        joints = np.round(rng.normal(scale=250.0, size=(16, 3)), 3).astype(np.float32)
        joints[0] = 0.0
        a_xy, a_conf = kp.adapt(xy, "coco17", scores=s, min_score=0.2)
        prep.append({"name": name, "layout": "coco17", "image_size": [w, h], "min_score": 0.2,
                     "intrinsics": list(map(float, k)), "keypoints": _tolist(xy), "scores": _tolist(s),
                     "input_float": _tolist(x_f[0].astype(np.float64)), "input_quantization": q,
                     "input_int8": _tolist(x_q[0].astype(np.int64)),
                     "joints_mm": _tolist(joints.astype(np.float64)),
                     "root_mm": _tolist(root_mod.solve_root(a_xy, joints, k, a_conf))})
    roots = []
    for i, (name, k) in enumerate(cams.items()):
        pose = np.round(rng.normal(scale=250.0, size=(16, 3)), 3)
        pose[0] = 0.0
        t_true = np.array([rng.uniform(-600, 600), rng.uniform(-300, 500), rng.uniform(2000, 6000)])
        cam = pose + t_true
        px = np.stack([k[0] * cam[:, 0] / cam[:, 2] + k[2], k[1] * cam[:, 1] / cam[:, 2] + k[3]], axis=1)
        w = np.ones(16)
        case = "exact"
        if i == 1:  # noisy pixels, graded confidences
            px = px + rng.normal(scale=3.0, size=px.shape)
            w = np.round(rng.uniform(0.2, 1.0, size=16), 3)
            case = "noisy_weighted"
        elif i == 2:  # zero-weight joints with garbage pixels: must be ignored
            w = np.round(rng.uniform(0.5, 1.0, size=16), 3)
            for j in (3, 6, 13, 15):
                w[j] = 0.0
                px[j] = [0.0, 5000.0]
            case = "zero_weight_joints"
        px = np.round(px, 4)
        roots.append({"name": f"{name}_{case}", "intrinsics": list(map(float, k)), "keypoints_px": _tolist(px),
                      "joints_mm": _tolist(pose), "weights": _tolist(w), "true_root_mm": _tolist(t_true),
                      "root_mm": _tolist(root_mod.solve_root(px, pose, k, w))})
    return {"format": "graphsh-golden/1", "h36m_focal_norm": 2.0 * 1147.0 / 1000.0,
            "cases": norm, "prepare_cases": prep, "root_cases": roots}


def smoothing_cases() -> Dict:
    rng = np.random.default_rng(1)
    cases = []
    for name, fps, params, n in (("defaults_30fps", 30.0, (smoothing.DEFAULT_MIN_CUTOFF, smoothing.DEFAULT_BETA,
                                                           smoothing.DEFAULT_D_CUTOFF), 40),
                                 ("strong_24fps", 24.0, (0.3, 0.001, 1.0), 30),
                                 ("fast_60fps_irregular", 60.0, (2.0, 0.05, 1.5), 30)):
        t = np.arange(n) / fps
        if name.endswith("irregular"):
            t = np.round(np.cumsum(rng.uniform(0.5, 1.5, size=n)) / fps, 6)
        clean = 150.0 * np.sin(2 * np.pi * 0.7 * t)[:, None] + rng.uniform(-400, 400, size=(1, 6))
        noisy = np.round(clean + rng.normal(scale=12.0, size=clean.shape), 3)
        out = smoothing.smooth_sequence(noisy, fps, *params, timestamps=t)
        cases.append({"name": name, "min_cutoff": params[0], "beta": params[1], "d_cutoff": params[2],
                      "timestamps": _tolist(t), "input": _tolist(noisy), "output": _tolist(out)})
    return {"format": "graphsh-golden/1", "cases": cases}


def _nullable(a) -> list:
    """Array → list with NaN as JSON null (the golden files are strict JSON)."""
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def stream_cases() -> Dict:
    """graphsh_tf.smoothing.LifterStream.step over lifted frames: joints (float32, as a lifter returns them) and
    roots (a root of None = a frame lifted without intrinsics; NaN coordinates = too few joints for the solver, as
    LiftResult.root_mm), timestamps in seconds (regular, irregular with a dropped frame), resets in between."""
    rng = np.random.default_rng(13)
    d = (smoothing.DEFAULT_MIN_CUTOFF, smoothing.DEFAULT_BETA, smoothing.DEFAULT_D_CUTOFF)
    cases = []
    for name, fps, params, n in (("defaults_30fps", 30.0, d, 30),
                                 ("custom_irregular_dropped", 25.0, (0.5, 0.02, 2.0), 26),
                                 ("no_intrinsics", 30.0, d, 8)):
        t = np.arange(n) / fps
        if "irregular" in name:
            t = np.round(np.cumsum(rng.uniform(0.6, 1.4, size=n)) / fps + 12.5, 6)
            t[15:] += 3.0 / fps  # three frames dropped
        pose = np.round(rng.normal(scale=250.0, size=(16, 3)), 3)
        pose[0] = 0.0
        sway = 80.0 * np.sin(2 * np.pi * 0.5 * t)[:, None, None] * rng.uniform(0.3, 1.0, size=(1, 16, 3))
        joints = (pose[None] + sway + rng.normal(scale=8.0, size=(n, 16, 3))).astype(np.float32)
        joints[:, 0] = 0.0
        root_true = np.array([rng.uniform(-300, 300), rng.uniform(-200, 200), rng.uniform(2500, 4500)])
        roots = root_true + np.stack([60.0 * np.sin(2 * np.pi * 0.3 * t), np.zeros(n),
                                      150.0 * np.cos(2 * np.pi * 0.2 * t)], axis=1)
        roots = np.round(roots + rng.normal(scale=(5.0, 5.0, 40.0), size=(n, 3)), 3)
        root_in: List = [r for r in roots]
        resets: List[int] = []
        if name == "defaults_30fps":
            for i in (0, 4, 5):  # the solver saw too few joints: NaN roots (the first one before any root)
                root_in[i] = np.full(3, np.nan)
            root_in[10] = np.array([roots[10, 0], np.nan, roots[10, 2]])
            resets = [20]  # the person was lost: the next frame passes through
        elif name == "custom_irregular_dropped":
            for i in (7, 8):  # frames lifted without intrinsics: no root, its filter untouched
                root_in[i] = None
            resets = [22]
        else:
            root_in = [None] * n
        stream = smoothing.LifterStream(lifter=None, min_cutoff=params[0], beta=params[1], d_cutoff=params[2])
        out_j, out_r = [], []
        for i in range(n):
            if i in resets:
                stream.reset()
            j, r = stream.step(joints[i], root_in[i], t[i])
            out_j.append(j)
            out_r.append(None if r is None else _nullable(r))
        cases.append({"name": name, "min_cutoff": params[0], "beta": params[1], "d_cutoff": params[2],
                      "timestamps": _tolist(t), "reset_before": resets,
                      "joints_mm": _tolist(joints.astype(np.float64)),
                      "root_mm": [None if r is None else _nullable(r) for r in root_in],
                      "out_joints_mm": _tolist(np.asarray(out_j).astype(np.float64)), "out_root_mm": out_r})
    return {"format": "graphsh-golden/1", "cases": cases}


# --- one body per track: the bone lengths LifterStream gives every frame -----------------------------------------

#: BodyLengths' default window (frames), what LifterStream uses
_DEFAULT_WINDOW = inspect.signature(anatomy.BodyLengths).parameters["window"].default


def _track(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` poses ``(16, 3)`` mm built from a random root outwards: each bone a random direction that wanders
    around its own, with a length breathing around a left/right-asymmetric body (± 6 % and ± 4 mm noise)."""
    base = rng.uniform(80.0, 450.0, size=15) * rng.uniform(0.92, 1.08, size=15)
    dirs = rng.normal(size=(15, 3))
    phase = rng.uniform(0.0, 2.0 * np.pi, size=15)
    root = rng.uniform(-200.0, 200.0, size=3)
    poses = np.zeros((n, 16, 3))
    for i in range(n):
        lengths = base * (1.0 + 0.06 * np.sin(2.0 * np.pi * i / 17.0 + phase)) + rng.normal(scale=4.0, size=15)
        d = dirs + rng.normal(scale=0.35, size=(15, 3))
        d /= np.linalg.norm(d, axis=-1, keepdims=True)
        poses[i, 0] = root
        for j in range(1, 16):
            poses[i, j] = poses[i, anatomy.PARENTS[j]] + d[j - 1] * lengths[j - 1]
    return np.round(poses, 3)


def one_body_cases() -> Dict:
    """The one-body step of graphsh_tf.smoothing.LifterStream, frame by frame: ``BodyLengths(window)`` (reset before
    the frames of ``reset_before``) updated with each pose and its ``confident`` flag (LifterStream: the result is
    valid and every joint has confidence > 0) → ``lengths_mm`` ``(15,)``, and ``apply_lengths(pose, lengths)`` →
    ``out_poses_mm``. Poses hold null for NaN (a joint the lifter lost: such a frame is not recorded even when
    flagged confident). Tracks: the default window with a reset in the middle (the frame after it not confident);
    a small window that evicts old frames (odd and even counts, so both medians), starting with frames not
    confident (no lengths yet: the pose's own, left = right); a NaN joint and a zero-length bone."""
    rng = np.random.default_rng(1615)
    cases = []
    for name, window, n, not_confident, resets in (
            ("breathing_default_window_reset", _DEFAULT_WINDOW, 48, (5, 17, 18, 19, 24, 40), (24,)),
            ("small_window_evicts", 7, 36, (0, 1, 11, 12, 25), ()),
            ("nan_joint_zero_bone", _DEFAULT_WINDOW, 14, (0, 10), ())):
        poses = _track(rng, n)
        confident = [i not in not_confident for i in range(n)]
        if name == "nan_joint_zero_bone":
            lw, le = skeleton.H36M16.index("LWrist"), skeleton.H36M16.index("LElbow")
            poses[4, lw] = np.nan                      # flagged confident, but not recorded
            poses[7, lw] = poses[7, le]                # a zero-length forearm: recorded, kept at zero length
            poses[10, skeleton.H36M16.index("RKnee"), 1] = np.nan
        body = anatomy.BodyLengths(window)
        lengths, out = [], []
        for i in range(n):
            if i in resets:
                body.reset()
            b = body.update(poses[i], confident[i])
            lengths.append(b)
            out.append(anatomy.apply_lengths(poses[i], b))
        cases.append({"name": name, "window": window, "reset_before": list(resets), "confident": confident,
                      "poses_mm": [[_nullable(j) for j in p] for p in poses],
                      "lengths_mm": _tolist(np.asarray(lengths)),
                      "out_poses_mm": [[_nullable(j) for j in p] for p in out]})
    return {"format": "graphsh-golden/1", "default_window": _DEFAULT_WINDOW,
            "pairs": [list(p) for p in anatomy.PAIRS], "cases": cases}


# --- input_norm="pose" models: pose normalization after the screen / intrinsics normalization --------------------

def pose_norm_cases() -> Dict:
    """``pose_cases``: normalized coordinates ``u`` → ``pose_normalize(u)`` (random, tiny, all-on-hip, spread below
    POSE_NORM_EPS). ``prepare_cases``: detector keypoints → ``prepare_input(..., contract=InputContract("pose"))``
    float and int8 (``intrinsics`` null = the screen normalization), with ``normalized`` the input before the pose
    step (the screen-normalized model's input). ``sidecar_cases``: the sidecar's ``input`` section → ``input_norm``
    (null = a ContractError naming the field)."""
    rng = np.random.default_rng(4242)
    poses = []
    u = np.round(rng.uniform(-1.0, 1.0, size=(16, 2)), 6).astype(np.float32)
    poses.append(("random", u))
    small = (np.float32(0.31) + rng.normal(scale=0.01, size=(16, 2))).astype(np.float32)  # a far-away person
    poses.append(("small_far_away", small))
    poses.append(("all_on_hip", np.tile(np.float32([0.125, -0.25]), (16, 1))))
    tiny = np.tile(np.float32([0.5, 0.25]), (16, 1))
    tiny[1:] += (rng.uniform(-1.0, 1.0, size=(15, 2)) * 2e-7).astype(np.float32)  # spread < POSE_NORM_EPS
    poses.append(("spread_below_eps", tiny.astype(np.float32)))
    pose_cases = [{"name": n, "u": _tolist(p.astype(np.float64)), "p": _tolist(pose_normalize(p).astype(np.float64))}
                  for n, p in poses]

    coco, mp = skeleton.COCO17, skeleton.MEDIAPIPE33
    q_unit = {"scale": 1.0 / 127.0, "zero_point": 0}
    q_odd = {"scale": 0.011764705882352941, "zero_point": -3}
    k_land = [root_mod.focal_from_fov(1280.0, 65.0)] * 2 + [640.0, 360.0]
    k_port = [1402.5, 1398.0, 541.3, 968.7]
    prep = []

    def case(name, layout, xy, s, min_score, w, h, k, q):
        u = kp.prepare_input(xy, w, h, layout, s, min_score, intrinsics=k)
        x_f = kp.prepare_input(xy, w, h, layout, s, min_score, contract=_input(None, "pose"), intrinsics=k)
        x_q = kp.prepare_input(xy, w, h, layout, s, min_score, contract=_input(q, "pose"), intrinsics=k)
        prep.append({"name": name, "layout": layout, "image_size": [w, h], "min_score": min_score,
                     "intrinsics": None if k is None else list(map(float, k)), "input_norm": "pose",
                     "keypoints": _tolist(xy), "scores": _tolist(s),
                     "normalized": _tolist(u[0].astype(np.float64)),
                     "input_float": _tolist(x_f[0].astype(np.float64)), "input_quantization": q,
                     "input_int8": _tolist(x_q[0].astype(np.int64))})

    w, h = 640.0, 480.0
    case("coco17_screen_full", "coco17", _random_pose(rng, 17, w, h), np.ones(17), 0.0, w, h, None, q_unit)
    s = np.round(rng.uniform(0.2, 1.0, size=17), 3)
    s[coco.index("left_ear")] = 0.0
    s[coco.index("right_knee")] = 0.1
    case("coco17_screen_low_scores", "coco17", _random_pose(rng, 17, w, h), s, 0.3, w, h, None, q_odd)
    xy = np.round(rng.uniform([300.0, 200.0], [340.0, 290.0], size=(17, 2)), 2)  # a small person: 40 x 90 px
    case("coco17_screen_small_person", "coco17", xy, np.ones(17), 0.0, w, h, None, q_unit)
    case("mediapipe33_screen", "mediapipe33", _random_pose(rng, mp.num_joints, 720.0, 1280.0),
         np.round(rng.uniform(0.5, 1.0, size=mp.num_joints), 3), 0.0, 720.0, 1280.0, None, q_odd)
    case("coco17_screen_all_on_hip", "coco17", np.tile([321.5, 244.25], (17, 1)), np.ones(17), 0.0, w, h, None,
         q_odd)
    w, h = 1280.0, 720.0
    case("coco17_intrinsics_landscape", "coco17", _random_pose(rng, 17, w, h), np.ones(17), 0.2, w, h, k_land,
         q_unit)
    w, h = 1080.0, 1920.0
    s = np.round(rng.uniform(0.3, 1.0, size=17), 3)
    s[coco.index("left_ankle")] = 0.0
    case("coco17_intrinsics_portrait_low_scores", "coco17", _random_pose(rng, 17, w, h), s, 0.2, w, h, k_port,
         q_odd)
    case("coco17_intrinsics_all_on_hip", "coco17", np.tile([777.0, 1001.5], (17, 1)), np.ones(17), 0.0, w, h,
         k_port, q_unit)

    sidecars = []
    for name, spec in (("screen", {"normalization": SCREEN_NORMALIZATION}),
                       ("pose", {"normalization": POSE_NORMALIZATION}),
                       ("pose_without_spaces", {"normalization": POSE_NORMALIZATION.replace(" ", "")}),
                       ("absent", {}),
                       ("pose_only", {"normalization": "p = (p - p_hip) / max|p - p_hip|"}),
                       ("unknown", {"normalization": "u = x / w, v = y / h"})):
        try:
            norm = InputContract.normalization_from_sidecar(dict(spec), "sidecar")
        except ContractError:
            norm = None
        sidecars.append({"name": name, "input": spec, "input_norm": norm})
    return {"format": "graphsh-golden/1", "normalization": SCREEN_NORMALIZATION,
            "pose_normalization": POSE_NORMALIZATION, "pose_norm_eps": POSE_NORM_EPS,
            "pose_cases": pose_cases, "prepare_cases": prep, "sidecar_cases": sidecars}


# --- models with a confidence channel: (x, y, confidence) ------------------------------------------------------

def confidence_cases() -> Dict:
    """``prepare_cases``: detector keypoints → ``prepare_input(..., contract=InputContract(norm, CHANNELS))``, the
    input ``(16, 3)`` of a model with a confidence channel (the adapters' confidence, 0 for a filled joint, after
    the screen / intrinsics normalization and the model's ``screen`` or ``pose`` step), float and int8.
    ``sidecar_cases``: the sidecar's ``input`` section → ``InputContract.channels_from_sidecar`` (null = a
    ContractError naming the field)."""
    rng = np.random.default_rng(3)
    coco, mp = skeleton.COCO17, skeleton.MEDIAPIPE33
    q_unit = {"scale": 1.0 / 127.0, "zero_point": 0}
    q_odd = {"scale": 0.011764705882352941, "zero_point": -3}
    k_port = [1402.5, 1398.0, 541.3, 968.7]
    prep = []

    def case(name, layout, xy, s, min_score, w, h, k, norm, q):
        contract = InputContract(norm, CHANNELS)
        _, conf = kp.adapt(xy, layout, scores=s, min_score=min_score)
        x_f = kp.prepare_input(xy, w, h, layout, s, min_score, contract=contract, intrinsics=k)
        x_q = kp.prepare_input(xy, w, h, layout, s, min_score, intrinsics=k,
                               contract=InputContract(norm, CHANNELS, Int8Codec.from_dict(q)))
        prep.append({"name": name, "layout": layout, "image_size": [w, h], "min_score": min_score,
                     "intrinsics": None if k is None else list(map(float, k)), "input_norm": norm,
                     "keypoints": _tolist(xy), "scores": _tolist(s), "confidence": _tolist(conf),
                     "input_float": _tolist(x_f[0].astype(np.float64)), "input_quantization": q,
                     "input_int8": _tolist(x_q[0].astype(np.int64))})

    w, h = 640.0, 480.0
    case("coco17_screen_full", "coco17", _random_pose(rng, 17, w, h), np.ones(17), 0.0, w, h, None, "screen", q_unit)
    s = np.round(rng.uniform(0.2, 1.0, size=17), 3)
    s[coco.index("left_wrist")] = 0.0
    s[coco.index("right_knee")] = 0.1
    s[coco.index("left_hip")] = 0.0
    case("coco17_screen_missed_joints", "coco17", _random_pose(rng, 17, w, h), s, 0.3, w, h, None, "screen", q_odd)
    case("coco17_pose_missed_joints", "coco17", _random_pose(rng, 17, w, h), s, 0.3, w, h, None, "pose", q_unit)
    s = np.round(rng.uniform(0.4, 1.0, size=mp.num_joints), 3)
    s[mp.index("right_ankle")] = 0.0
    case("mediapipe33_intrinsics_pose", "mediapipe33", _random_pose(rng, mp.num_joints, 1080.0, 1920.0), s, 0.0,
         1080.0, 1920.0, k_port, "pose", q_odd)
    case("coco17_intrinsics_screen_no_person", "coco17", _random_pose(rng, 17, 1080.0, 1920.0), np.zeros(17), 0.0,
         1080.0, 1920.0, k_port, "screen", q_unit)
    sidecars = []
    for name, spec in (("absent", {}), ("xy", {"channels": ["x", "y"]}),
                       ("xy_confidence", {"channels": ["x", "y", "confidence"]}),
                       ("confidence_first", {"channels": ["confidence", "x", "y"]}),
                       ("not_a_list", {"channels": "x,y,confidence"})):
        try:
            channels = list(InputContract.channels_from_sidecar(dict(spec), "sidecar"))
        except ContractError:
            channels = None
        sidecars.append({"name": name, "input": spec, "channels": channels})
    return {"format": "graphsh-golden/1", "channels": list(CHANNELS), "prepare_cases": prep,
            "sidecar_cases": sidecars}


_PHONE = {"intrinsics.json": intrinsics_cases, "smoothing.json": smoothing_cases, "stream.json": stream_cases,
          "one_body.json": one_body_cases}


def build_phone(only=None) -> Dict[str, Dict]:
    """The phone-camera golden files, by name: ``intrinsics.json``, ``smoothing.json``, ``stream.json``,
    ``one_body.json`` (``only``: those names alone)."""
    return {name: make() for name, make in _PHONE.items() if only is None or name in only}


def write_phone(golden_dir: Path = GOLDEN_DIR, only=None) -> List[Path]:
    written = []
    for name, obj in build_phone(only).items():
        path = Path(golden_dir) / name
        _write_json(path, obj)
        written.append(path)
    return written


# --- sample sequences for the demo app ---------------------------------------------------------------------------

def _rot_x(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _figure_3d(t: float, motion: str) -> Dict[str, np.ndarray]:
    """A stick figure (metres, y down, z away from the camera) at phase ``t`` (radians)."""
    down = np.array([0.0, 1.0, 0.0])
    j: Dict[str, np.ndarray] = {}
    pelvis = np.array([0.0, 0.0 if motion == "wave" else 0.03 * np.cos(2 * t), 0.0])
    j["left_hip"], j["right_hip"] = pelvis + [0.12, 0, 0], pelvis + [-0.12, 0, 0]
    swing = 0.45 * np.sin(t) if motion == "walk" else 0.0
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hip = j[f"{side}_hip"]
        thigh = _rot_x(sign * swing) @ (0.45 * down)
        knee = hip + thigh
        bend = max(0.0, -sign * np.sin(t)) * 0.6 if motion == "walk" else 0.0
        shin = _rot_x(sign * swing - bend) @ (0.44 * down)
        j[f"{side}_knee"], j[f"{side}_ankle"] = knee, knee + shin
    neck = pelvis + [0.0, -0.52, 0.0]
    j["left_shoulder"], j["right_shoulder"] = neck + [0.18, 0.02, 0], neck + [-0.18, 0.02, 0]
    for side, sign in (("left", 1.0), ("right", -1.0)):
        sh = j[f"{side}_shoulder"]
        if motion == "walk":
            upper = _rot_x(-sign * swing) @ (0.3 * down)
            fore = _rot_x(-sign * swing - 0.3) @ (0.27 * down)
        else:
            lift = (1.2 + 0.8 * np.sin(t)) if side == "left" else 0.3
            upper = 0.3 * np.array([sign * np.sin(lift), np.cos(lift), 0.0])
            wave = (2.6 + 0.5 * np.sin(3 * t)) if side == "left" else 0.4
            fore = 0.27 * np.array([sign * np.sin(wave), np.cos(wave), 0.0])
        j[f"{side}_elbow"] = sh + upper
        j[f"{side}_wrist"] = sh + upper + fore
    head = neck + [0.0, -0.2, 0.0]
    j["nose"] = head + [0.0, 0.02, -0.1]
    j["left_eye"], j["right_eye"] = head + [0.035, -0.01, -0.09], head + [-0.035, -0.01, -0.09]
    j["left_ear"], j["right_ear"] = head + [0.08, 0.0, 0.0], head + [-0.08, 0.0, 0.0]
    return j


def sample_sequences(num_frames: int = 48, w: float = 640.0, h: float = 480.0) -> Dict:
    """Procedural COCO-17 sequences ``{"layout", "image_size", "fps", "intrinsics", "sequences": [{"name",
    "frames"}]}``, each frame 17 ``[x, y, score]`` pixel rows (camera 4 m away, focal 500 px, figure turned 30
    degrees); ``intrinsics`` ``[fx, fy, cx, cy]`` is that camera's, so the app can normalize through it and solve
    the root (about 4 m away)."""
    yaw = np.deg2rad(30.0)
    rot = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    f, cam = 500.0, np.array([0.0, -0.1, 4.0])
    seqs = []
    for motion in ("walk", "wave"):
        frames = []
        for i in range(num_frames):
            joints = _figure_3d(2 * np.pi * i / num_frames, motion)
            rows = []
            for name in skeleton.COCO17.joint_names:
                p = rot @ joints[name] + cam
                rows.append([round(float(f * p[0] / p[2] + w / 2), 2), round(float(f * p[1] / p[2] + h / 2), 2),
                             0.9])
            frames.append(rows)
        seqs.append({"name": motion, "frames": frames})
    return {"layout": "coco17", "image_size": [w, h], "fps": 24, "intrinsics": [f, f, w / 2, h / 2],
            "sequences": seqs}


def build_all() -> Dict[str, Dict]:
    """Every generated file but the phone ones (:func:`build_phone`), by name: ``adapters.json``, ``decode.json``,
    ``pose_norm.json``, ``confidence.json``, ``samples.json``."""
    return {"adapters.json": {"format": "graphsh-golden/1", "cases": adapter_cases()},
            "decode.json": {"format": "graphsh-golden/1", "cases": decode_cases()},
            "pose_norm.json": pose_norm_cases(),
            "confidence.json": confidence_cases(),
            "samples.json": sample_sequences()}


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(obj, fh, separators=(",", ":"))
        fh.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_all(golden_dir: Path = GOLDEN_DIR, samples_file: Path = SAMPLES_FILE) -> List[Path]:
    files = build_all()
    written = []
    for name, obj in files.items():
        path = Path(samples_file) if name == "samples.json" else Path(golden_dir) / name
        _write_json(path, obj)
        written.append(path)
    return written


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=GOLDEN_DIR,
                    help="folder for adapters.json / decode.json / pose_norm.json / confidence.json / "
                    "intrinsics.json / "
                         "smoothing.json / "
                         "stream.json / one_body.json")
    ap.add_argument("--samples", type=Path, default=SAMPLES_FILE, help="path of the demo's samples.json")
    ap.add_argument("--only", nargs="+", choices=sorted(_PHONE), metavar="NAME",
                    help=f"write only these phone golden files ({', '.join(sorted(_PHONE))}), nothing else")
    args = ap.parse_args(argv)
    try:
        written = write_phone(args.out, args.only) if args.only else write_all(args.out, args.samples) + write_phone(
            args.out)
        for p in written:
            print(p)
    except (OSError, ValueError) as e:
        print(f"write_golden: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
