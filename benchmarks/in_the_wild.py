"""Real people on real video: the lifter against BlazePose's own 3D on a calibrated four-camera recording.

    python benchmarks/in_the_wild.py RUN_OR_TFLITE [...] [--variants fp32,int8] [--json FILE] [--cut-hips]

The recording is Pose2Sim's multi-person demo (``benchmarks/wild_data.py``: 4 views, 1088x1920, 60 fps, two people,
Qualisys calibration). BlazePose runs on every frame of every view. The 3D reference is built from that 2D alone:

1. frame offsets between the views (:func:`graphsh_tf.multiview.estimate_offset`, epipolar agreement of the people),
2. people associated across views per frame (:func:`graphsh_tf.multiview.associate`) and followed over frames by
   their triangulated pelvis,
3. left/right swaps per view (:func:`~graphsh_tf.multiview.best_flips`, then :func:`~graphsh_tf.multiview.chirality`
   for the whole body), outlier views rejected per joint (:func:`~graphsh_tf.multiview.triangulate_views`),
4. for each evaluated view, the reference is triangulated from the *other* views only; a frame counts when that
   reference is stable (every joint the adapters use seen by two views, reprojection below 20 px and the
   leave-this-view-out reference within 60 mm of the all-views one at every limb joint); the rest are counted as
   unstable and left out.

Per view and person, in camera axes, root-relative, joints by the adapters' definitions: the lifter (each ``.tflite``
with the view's intrinsics), ``Person.world_mm`` (BlazePose's 3D world landmarks) and a naive baseline (the 2D
skeleton, flat, scaled to a 50 cm torso). Metrics: limb direction error (upper arms, forearms, thighs, shins),
MPJPE and P-MPJPE on the 12 limb joints and on all 16, left/right asymmetry (median, p90), bone-length spread per
track (std over frames, mean over the 8 limb bones, mean over tracks).

``--cut-hips``: every evaluated frame is cut just below the person's hips (the image's lower part blacked out),
detected again and lifted: the desk-webcam case; the arm errors and the share of lower-body joints flagged
(confidence 0) are reported.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import graphsh_tf  # noqa: F401,E402  (sets the legacy-Keras switch first)
from graphsh_tf import anatomy, metrics, multiview, skeleton  # noqa: E402
from graphsh_tf.keypoints import points_to_h36m16  # noqa: E402

import numpy as np  # noqa: E402
import wild_data  # noqa: E402

MP = skeleton.MEDIAPIPE33
#: the MediaPipe keypoints the adapters use (nose, ears, shoulders, elbows, wrists, hips, knees, ankles)
USED = tuple(MP.index(n) for n in ("nose", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
                                   "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
                                   "right_knee", "left_ankle", "right_ankle"))
MIN_SCORE = 0.5
MAX_OFFSET = 8
#: a view's leave-it-out reference is stable when its joints lie within these of the all-views reference (median,
#: every joint) and its median reprojection error is below STABLE_PX
STABLE_MEDIAN_MM, STABLE_MAX_MM, STABLE_PX = 50.0, 200.0, 25.0


def build_reference(det: dict, cams: list, quiet: bool = False) -> dict:
    """Offsets, association, tracks and the per-view leave-one-out references (see the module doc)."""
    V = len(cams)
    nframes = det["frames"]
    per_view = [[[] for _ in range(int(nframes[v]))] for v in range(V)]
    for i in range(len(det["view"])):
        v, f = int(det["view"][i]), int(det["frame"][i])
        xy = cams[v].undistort(det["keypoints_px"][i])
        per_view[v][f].append((i, xy, det["scores"][i]))
    strip = [[[(xy, s) for _, xy, s in frame] for frame in view] for view in per_view]
    offsets, cost = multiview.estimate_offsets(cams, strip, MAX_OFFSET)
    if not quiet:
        print(f"reference: frame offsets vs {cams[0].name}: {dict(zip([c.name for c in cams], offsets))} "
              f"(sum over view pairs of the median epipolar px: {cost:.1f})")
    P = np.stack([c.P for c in cams])
    perm = list(MP.flip_permutation())
    samples = []          # one per (view, frame, person) evaluated
    tracks_prev = {}      # person id -> last pelvis (world mm)
    quality = {"reprojection_px": [], "loo_mm": [], "groups": 0, "unstable": 0, "stable": 0}
    for f in range(int(nframes[0])):
        fv = [f + offsets[v] for v in range(V)]
        if not all(0 <= fv[v] < nframes[v] for v in range(V)):
            continue
        people = [strip[v][fv[v]] for v in range(V)]
        for group in multiview.associate(cams, people):
            if len(group) < 3:
                continue
            quality["groups"] += 1
            xy = np.full((V, MP.num_joints, 2), np.nan)
            w = np.zeros((V, MP.num_joints))
            for v, d in group.items():
                xy[v], s = people[v][d]
                w[v] = np.where(s >= MIN_SCORE, s, 0.0)
            flips = multiview.best_flips(P, np.nan_to_num(xy), w, MP)
            xy_f = np.where(flips[:, None, None], xy[:, perm], xy)
            w_f = np.where(flips[:, None], w[:, perm], w)
            X, used, err = multiview.triangulate_views(P, np.nan_to_num(xy_f), w_f)
            if multiview.chirality(X) < 0:      # every view's labels were mirrored: the subject's left is ours
                flips = ~flips
                xy_f, w_f, X = xy_f[:, perm], w_f[:, perm], X[perm]
                used, err = used[:, perm], err[:, perm]
            pelvis = 0.5 * (X[MP.index("left_hip")] + X[MP.index("right_hip")])
            pid = _track(tracks_prev, pelvis)
            quality["reprojection_px"] += list(err[used][np.isfinite(err[used])])
            for v in group:
                others = np.array([u != v for u in range(V)])
                w_o = np.where(others[:, None], w_f, 0.0)
                Xo, used_o, err_o = multiview.triangulate_views(P, np.nan_to_num(xy_f), w_o)
                seen = used_o[:, list(USED)].sum(axis=0) >= 2
                agree = np.linalg.norm(Xo[list(USED)] - X[list(USED)], axis=-1)
                rep = np.nanmedian(np.where(used_o, err_o, np.nan)[:, list(USED)])
                stable = bool(seen.all() and np.median(agree) < STABLE_MEDIAN_MM and np.all(agree < STABLE_MAX_MM)
                              and rep < STABLE_PX)
                quality["loo_mm"] += list(agree[np.isfinite(agree)])
                quality["stable" if stable else "unstable"] += 1
                if not stable:
                    continue
                i = [k for k, _, _ in per_view[v][fv[v]]][group[v]]
                ref = points_to_h36m16(cams[v].to_camera(Xo), "mediapipe33")[0]
                samples.append({"view": v, "frame": fv[v], "person": pid, "det": i, "swapped": bool(flips[v]),
                                "ref": ref - ref[0]})
    q = quality
    summary = {"offsets": dict(zip([c.name for c in cams], offsets)), "groups": q["groups"],
               "stable_view_frames": q["stable"], "unstable_view_frames": q["unstable"],
               "reprojection_px_median": float(np.median(q["reprojection_px"])),
               "reprojection_px_p90": float(np.percentile(q["reprojection_px"], 90)),
               "leave_one_view_out_mm_median": float(np.median(q["loo_mm"])),
               "leave_one_view_out_mm_p90": float(np.percentile(q["loo_mm"], 90)),
               "detector_swaps": int(sum(s["swapped"] for s in samples))}
    return {"samples": samples, "quality": summary}


def _track(prev: dict, pelvis: np.ndarray, max_jump_mm: float = 600.0) -> int:
    """Person id of a pelvis position: the nearest previous one within ``max_jump_mm``, else a new id."""
    best = min(prev, key=lambda k: np.linalg.norm(prev[k] - pelvis), default=None)
    if best is None or np.linalg.norm(prev[best] - pelvis) > max_jump_mm:
        best = len(prev)
    prev[best] = pelvis
    return best


def naive_flat(kp33: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The 2D skeleton (adapted to H36M-16) with zero depth, scaled so that the hip-thorax distance is 500 mm."""
    from graphsh_tf.keypoints import adapt

    xy, _ = adapt(kp33, "mediapipe33", scores=scores, min_score=MIN_SCORE)
    torso = np.linalg.norm(xy[..., 8, :] - xy[..., 0, :], axis=-1)[..., None, None]
    flat = (xy - xy[..., :1, :]) * 500.0 / np.maximum(torso, 1e-6)
    return np.concatenate([flat, np.zeros(flat.shape[:-1] + (1,))], axis=-1)


def track_body(pred: np.ndarray, tracks: list) -> np.ndarray:
    """Each track's poses rebuilt with the track's bone lengths (median over its frames, left = right), along their
    own directions: what ``LifterStream`` (``one_body=True``) does online."""
    out = pred.copy()
    t = np.asarray(tracks)
    for k in set(tracks):
        m = t == k
        out[m] = anatomy.apply_lengths(pred[m], anatomy.symmetric_lengths(np.median(anatomy.bone_lengths(pred[m]),
                                                                                   axis=0)))
    return out


def score_method(pred: np.ndarray, ref: np.ndarray, tracks: list) -> dict:
    """Every metric of one method on the stable samples."""
    lj = list(anatomy.LIMB_JOINTS)
    asym = anatomy.asymmetry(pred)
    lengths = anatomy.bone_lengths(pred)[:, [c - 1 for _, c, _ in anatomy.LIMBS]]
    spreads = [lengths[np.asarray(tracks) == t].std(axis=0).mean() for t in sorted(set(tracks))
               if (np.asarray(tracks) == t).sum() >= 10]
    return {"limb_direction_deg": float(anatomy.limb_direction_error_deg(pred, ref).mean()),
            "arm_direction_deg": float(anatomy.limb_direction_error_deg(pred, ref)[:, :4].mean()),
            "mpjpe_limbs": metrics.mpjpe(pred[:, lj], ref[:, lj]), "p_mpjpe_limbs": metrics.p_mpjpe(pred[:, lj],
                                                                                                     ref[:, lj]),
            "mpjpe_all": metrics.mpjpe(pred, ref), "p_mpjpe_all": metrics.p_mpjpe(pred, ref),
            "asymmetry_median_pct": float(np.median(asym) * 100), "asymmetry_p90_pct": float(np.percentile(asym, 90)
                                                                                              * 100),
            "bone_std_mm": float(np.mean(spreads)) if spreads else float("nan")}


def lifters(paths: list, variants: list) -> dict:
    """name -> .tflite path for every run dir (its tflite/graphsh_<variant>.tflite) or .tflite given."""
    out = {}
    for p in map(Path, paths):
        if p.suffix == ".tflite":
            out[p.stem] = p
            continue
        for v in variants:
            f = p / "tflite" / f"graphsh_{v}.tflite"
            if not f.is_file():
                raise SystemExit(f"{f}: not found; export it with `python tflite/convert.py {p} --variants {v}`")
            out[f"{p.name}:{v}"] = f
    return out


def cut_below_hips(det: dict, samples: list, cams: list, quiet: bool) -> dict:
    """Re-detect every evaluated sample on its frame cut just below the person's hips (+10 % of the hip-shoulder
    distance; the image ends there, as a desk webcam's does); returns det index -> (keypoints, scores, world_mm,
    width, height) of the best-matching person."""
    from graphsh_tf.detect import Detector
    from graphsh_tf.media import Video

    detector = Detector("blazepose-full")
    want = {}
    for s in samples:
        want.setdefault((s["view"], s["frame"]), []).append(s["det"])
    out = {}
    demo = wild_data.fetch_demo()
    for v, name in enumerate(wild_data.VIEWS):
        frames = sorted(f for vv, f in want if vv == v)
        if not frames:
            continue
        for f, rgb in enumerate(Video(demo / "videos" / f"{name}.mp4").frames()):
            if f not in frames:
                continue
            for i in want[(v, f)]:
                kp = det["keypoints_px"][i]
                hips = kp[[MP.index("left_hip"), MP.index("right_hip")]].mean(axis=0)
                sh = kp[[MP.index("left_shoulder"), MP.index("right_shoulder")]].mean(axis=0)
                cut = int(min(rgb.shape[0], hips[1] + 0.1 * np.linalg.norm(hips - sh)))
                img = np.ascontiguousarray(rgb[:cut])
                found = detector(img)
                if found:
                    best = min(found, key=lambda p: np.nanmean(np.linalg.norm(p.keypoints_px[:25] - kp[:25], axis=-1)))
                    out[i] = (best.keypoints_px, best.scores, best.world_mm, img.shape[1], img.shape[0])
        if not quiet:
            print(f"cut: {name} done ({len(out)} people re-detected)", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", help="run directories (their tflite/ variants) or .tflite files")
    ap.add_argument("--variants", default="fp32,int8", help="variants of each run dir (default fp32,int8)")
    ap.add_argument("--json", help="write every figure to this JSON file")
    ap.add_argument("--cut-hips", action="store_true", help="also the upper-body-only case (re-detects; slower)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    from graphsh_tf.lite.lifter import Lifter

    det = wild_data.detections(quiet=a.quiet)
    cams = multiview.read_qca(wild_data.fetch_demo() / "calibration" / "Calib.qca.txt")
    ref = build_reference(det, cams, a.quiet)
    samples = ref["samples"]
    q = ref["quality"]
    print(f"reference: {q['stable_view_frames']} stable view-frames, {q['unstable_view_frames']} left out as "
          f"unstable; reprojection {q['reprojection_px_median']:.1f} px (p90 {q['reprojection_px_p90']:.1f}), "
          f"leave-one-view-out {q['leave_one_view_out_mm_median']:.0f} mm (p90 "
          f"{q['leave_one_view_out_mm_p90']:.0f}); detector left/right swaps in {q['detector_swaps']} view-frames")
    refs = np.stack([s["ref"] for s in samples])
    track_ids = [s["view"] * 1000 + s["person"] for s in samples]     # one track per (view, person)
    idx = [s["det"] for s in samples]
    kp, sc = det["keypoints_px"][idx], det["scores"][idx]
    methods = {"blazepose_world": det["world_mm"][idx], "naive_flat": naive_flat(kp, sc)}
    lifts = lifters(a.models, [v for v in a.variants.split(",") if v])
    for name, path in lifts.items():
        lifter = Lifter(path, layout="mediapipe33")
        pred = np.zeros_like(refs)
        for v, cam in enumerate(cams):
            m = np.array([s["view"] == v for s in samples])
            if m.any():
                pred[m] = lifter(kp[m], cam.size, scores=sc[m], intrinsics=cam.intrinsics).joints_mm
        methods[name] = pred
        methods[name + "+track_body"] = track_body(pred, track_ids)
    results = {"quality": q, "views": [c.name for c in cams], "methods": {}}
    for name, pred in methods.items():
        per_view = {}
        for v, cam in enumerate(cams):
            m = np.array([s["view"] == v for s in samples])
            if m.sum() >= 10:
                per_view[cam.name] = score_method(pred[m], refs[m], [t for t, k in zip(track_ids, m) if k])
        results["methods"][name] = {"all": score_method(pred, refs, track_ids), "per_view": per_view}
    if a.cut_hips:
        cut = cut_below_hips(det, samples, cams, a.quiet)
        keep = [k for k, s in enumerate(samples) if s["det"] in cut]
        ckp = np.stack([cut[samples[k]["det"]][0] for k in keep])
        csc = np.stack([cut[samples[k]["det"]][1] for k in keep])
        cref = refs[keep]
        cres = {"samples": len(keep)}
        bw = np.stack([cut[samples[k]["det"]][2] for k in keep])
        cres["blazepose_world"] = {"arm_direction_deg": float(anatomy.limb_direction_error_deg(bw, cref)[:, :4]
                                                              .mean()), "lower_body_flagged_pct": float("nan")}
        for name, path in lifts.items():
            lifter = Lifter(path, layout="mediapipe33")
            pred = np.zeros_like(cref)
            seen = np.zeros(cref.shape[:2], bool)
            for k, s in enumerate(keep):
                c = cut[samples[s]["det"]]
                r = lifter(ckp[k], (c[3], c[4]), scores=csc[k], intrinsics=cams[samples[s]["view"]].intrinsics)
                pred[k], seen[k] = r.joints_mm, r.in_image
            cres[name] = {"arm_direction_deg": float(anatomy.limb_direction_error_deg(pred, cref)[:, :4].mean()),
                          "lower_body_flagged_pct": float((~seen[:, list(anatomy.LOWER_BODY)]).mean() * 100)}
        results["cut_hips"] = cres
    print_table(results)
    if a.json:
        from graphsh_tf.io import write_json

        write_json(a.json, results)
    return 0


def print_table(results: dict) -> None:
    base = results["methods"]["blazepose_world"]["all"]
    print(f"{'method':34s} {'limb°':>6s} {'ratio':>5s} {'PA-limb':>7s} {'ratio':>5s} {'PA-16':>6s} "
          f"{'asym%':>9s} {'std mm':>6s}")
    for name, r in results["methods"].items():
        a = r["all"]
        ratio = a["limb_direction_deg"] / base["limb_direction_deg"]
        print(f"{name[:34]:34s} {a['limb_direction_deg']:6.1f} {ratio:5.2f}"
              f" {a['p_mpjpe_limbs']:7.1f} {a['p_mpjpe_limbs'] / base['p_mpjpe_limbs']:5.2f} {a['p_mpjpe_all']:6.1f}"
              f" {a['asymmetry_median_pct']:4.1f}/{a['asymmetry_p90_pct']:4.1f} {a['bone_std_mm']:6.1f}")
    for name, r in results["methods"].items():
        worst = max((pv["limb_direction_deg"] / results["methods"]["blazepose_world"]["per_view"][v]
                     ["limb_direction_deg"], v) for v, pv in r["per_view"].items())
        print(f"  {name[:40]:40s} worst view {worst[1]}: limb direction {worst[0]:.2f}x BlazePose's")
    if "cut_hips" in results:
        print(f"cut below the hips ({results['cut_hips']['samples']} samples): " + "; ".join(
            f"{k} arms {v['arm_direction_deg']:.1f}°, legs flagged {v['lower_body_flagged_pct']:.0f} %"
            for k, v in results["cut_hips"].items() if isinstance(v, dict)))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ValueError as e:    # a calibration, detector or model file the library refused, named in the message
        print(f"in_the_wild: {e}", file=sys.stderr)
        sys.exit(2)
