"""The detector-like corruption model: what a phone 2D detector does to keypoints, seeded, in one place.

Clean H36M-16 pixels ``(N, 16, 2)`` in, corrupted pixels ``(N, 16, 2)`` and per-joint confidences ``(N, 16)`` in
[0, 1] out (:class:`DetectorCorruption`), plus the single corruptions of the robustness table
(:func:`gaussian_noise`, :func:`drop_limb_joints`, :func:`swap_limb_pairs`). This numpy code is the reference
(evaluation, calibration, the robustness table); training runs the same model as TensorFlow ops,
:func:`graphsh_tf.data.corrupt_ops.corrupt_ops` (same statistics, tested against this module).

Scale
-----
Jitter and gross errors are in pixels proportional to the PERSON's size, not the image's: ``s = sqrt(w_box *
h_box)`` of the clean keypoints' bounding box (in pixels, at least 1). This is the scale COCO's keypoint similarity
uses (``s^2`` = the person's area), so a far person gets proportionally small errors, as detectors make them. For a
Human3.6M subject in a 1000 px frame ``s`` is about 250-300 px. The single-corruption :func:`gaussian_noise` of the
robustness table is in plain pixels instead (its "5 px" row), as ``training/evaluate.py --noise-px`` always was.

The detector mix, per pose (:meth:`DetectorCorruption.apply`), in this order
-----------------------------------------------------------------------------
1. **Scores.** Each detector joint (all but the derived Hip, Thorax, Spine) draws a score from a Beta distribution
   with mean ``1 - score_spread * (1 - SCORE_MEAN[j])`` and concentration ``score_concentration``. Hip and Thorax
   take the min of the two hips' / shoulders' scores and Spine the min of those, as :mod:`graphsh_tf.keypoints`
   computes their confidences.
2. **Jitter.** Gaussian, per coordinate, std ``jitter * JITTER_SIGMA[j] * s * (1 + score_gain * (1 - score))``:
   larger at wrists and ankles than at hips and shoulders, and growing as the score falls.
3. **Gross errors.** Each detector joint with probability ``gross_rate`` is displaced in a uniform direction by
   ``U(1, 3)`` times its miss radius (the distance at which its COCO keypoint similarity drops to 0.5, the "miss"
   boundary of Ronchi & Perona 2017: ``2 * COCO_OKS_SIGMA[j] * sqrt(2 ln 2) * s``), kept inside the image when the
   image size is given; its score is multiplied by ``gross_score``.
4. **Left/right swaps.** With probability ``swap_rate`` one pair of :data:`SWAP_PAIRS` (knees, ankles, elbows or
   wrists) trades positions; both scores are multiplied by ``swap_score``.
5. **Misses.** Each detector joint is missed with probability ``miss * MISS_RATE[j]``, and with probability
   ``occlusion_rate`` one whole limb of :data:`LIMB_CHAINS` (knee + ankle or elbow + wrist) is. A missed joint
   gets score 0.
6. **Truncation.** With probability ``truncation_rate`` the image ends above the legs (a desk webcam shows the
   upper body only): a cut line is drawn uniformly between ``y_hips + 0.05 s`` (``y_hips`` the lower of the two
   hips, image y growing downwards) and ``y_knees`` (the higher of the two knees; the line stays at the lower bound
   when the knees are higher than that), and every detector joint of the clean pose below it (knees and feet,
   hands hanging below it too) is missed, score 0.
7. **Adapter fill.** Missed joints are filled exactly as the keypoint adapters fill a joint without a present input
   (the adapters' own code, :func:`fill_missing`): each limb joint with its parent (parents first), a half-missing
   Hip / Thorax on the present hip / shoulder with confidence 0, a wholly missing Hip with the centroid of the
   present joints, a missing Thorax (via Spine) with the Hip, Spine as the midpoint of the two when either is
   unconfident. The confidence output is the adapters' confidence of each joint.

Where the numbers come from (every default below; anything not cited is an assumption, said so)
-------------------------------------------------------------------------------------------------
* ``COCO_OKS_SIGMA``: the COCO keypoint evaluation's per-keypoint sigmas (pycocotools ``cocoeval.py``: nose .026,
  ears .035, shoulders .079, elbows .072, wrists .062, hips .107, knees .087, ankles .089). They measure the spread
  of human ANNOTATORS per keypoint relative to ``s``; used here only for the gross-error distance.
* Gross errors and swaps: the error taxonomy of Ronchi & Perona, "Benchmarking and Error Diagnosis in
  Multi-Instance Pose Estimation", ICCV 2017 (coco-analyze): jitter = keypoint similarity in [0.5, 0.85), miss =
  below 0.5 (far from any body part), inversion = near the same part of the other side (our swap). The distance
  boundaries are theirs; the RATES ``gross_rate = 0.01`` per joint (the training pipeline's existing gross-error
  rate), ``swap_rate = 0.02`` per pose and ``occlusion_rate = 0.03`` per pose are ASSUMPTIONS of the order the
  paper reports (inversions and misses a small minority of keypoints, jitter the bulk); the paper's per-method
  frequencies were not reproduced here.
* ``truncation_rate`` (default 0: off, so the presets keep their numbers; e.g. ``detector:truncation_rate=0.2``)
  and its cut band (just below the hips, margin ``0.05 s``, to just above the knees): ASSUMPTIONS, the desk-webcam
  framing of ``benchmarks/in_the_wild.py --cut-hips``; how often phone users frame the upper body only was not
  measured.
* ``JITTER_SIGMA`` (fraction of ``s``): ASSUMPTION. Its ordering (wrists, ankles > elbows, knees > head > hips,
  shoulders) follows the per-joint accuracy pattern of single-person detectors on MPII (PCKh per joint, e.g.
  Newell et al., "Stacked Hourglass Networks", ECCV 2016: wrists and ankles the least accurate joints, head and
  shoulders the most); the exact values were not fitted to any detector. Magnitude: 0.008 s to 0.018 s at score 1
  (2-5 px per coordinate at s = 300 px), so most keypoints stay inside Ronchi & Perona's "good" radius
  (similarity > 0.85) and the low-score tail reaches their "jitter" band. Hips are set low although COCO's
  annotator sigma is largest there (an assumption: the spread of human labels is not the detector's).
* ``SCORE_MEAN``, ``score_concentration = 10``, ``score_gain = 2``, ``MISS_RATE``, ``gross_score = 0.5``,
  ``swap_score = 0.6``: ASSUMPTIONS (not measured on a detector): scores of seen joints mostly in 0.6-1,
  extremities lower and missed more often, errors carrying lower scores. They are the knobs to refit once real
  detector output on mocap frames is measured.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Dict, Tuple, Union

from graphsh_tf import skeleton as sk
from graphsh_tf.data.perturb import SWAP_PAIRS, CorruptionError, as_rng, to_normalized, to_pixels

import numpy as np

H36M = sk.H36M16
_J = H36M.index
NUM_JOINTS = H36M.num_joints

#: Joints a detector reports itself (the others are derived from them by the adapters).
DERIVED_JOINTS = (_J("Hip"), _J("Spine"), _J("Thorax"))
DETECTOR_JOINTS = tuple(j for j in range(NUM_JOINTS) if j not in DERIVED_JOINTS)


def _table(values: Dict[str, float], default: float = 0.0) -> np.ndarray:
    """Per-joint table in H36M-16 order from names ("L"/"R" prefixed names may be given once without prefix)."""
    out = np.full(NUM_JOINTS, default, np.float64)
    for j, name in enumerate(H36M.joint_names):
        side_free = name[1:] if name[:1] in "LR" and name[1:] in values else name
        if side_free in values:
            out[j] = values[side_free]
    return out


#: Jitter std per coordinate at score 1, as a fraction of the person scale ``s`` (ASSUMPTION, see module doc).
JITTER_SIGMA = _table({"Hip": 0.008, "Spine": 0.008, "Thorax": 0.008, "Head": 0.010, "Shoulder": 0.008,
                       "Elbow": 0.012, "Wrist": 0.018, "Knee": 0.012, "Foot": 0.016})   # RHip/LHip as Hip
#: COCO keypoint-similarity sigmas (pycocotools), mapped to H36M-16 (Head = nose; derived joints unused).
COCO_OKS_SIGMA = _table({"Head": 0.026, "Shoulder": 0.079, "Elbow": 0.072, "Wrist": 0.062, "Knee": 0.087,
                         "Foot": 0.089})
COCO_OKS_SIGMA[[_J("RHip"), _J("LHip")]] = 0.107
#: Mean detector score per joint (ASSUMPTION: extremities lower).
SCORE_MEAN = _table({"Head": 0.85, "Shoulder": 0.9, "Elbow": 0.8, "Wrist": 0.7, "Knee": 0.8, "Foot": 0.7}, 1.0)
SCORE_MEAN[[_J("RHip"), _J("LHip")]] = 0.9
#: Probability per joint and pose that the detector misses it (ASSUMPTION: extremities most often).
MISS_RATE = _table({"Head": 0.005, "Shoulder": 0.005, "Elbow": 0.01, "Wrist": 0.03, "Knee": 0.01, "Foot": 0.03})
MISS_RATE[[_J("RHip"), _J("LHip")]] = 0.005

#: Whole limbs an occlusion removes.
LIMB_CHAINS: Tuple[Tuple[int, ...], ...] = ((_J("RKnee"), _J("RFoot")), (_J("LKnee"), _J("LFoot")),
                                            (_J("LElbow"), _J("LWrist")), (_J("RElbow"), _J("RWrist")))

#: The truncation's cut line lies at least this fraction of the person scale below the lower hip (ASSUMPTION).
TRUNCATION_MARGIN = 0.05

_MISS_RADIUS = 2.0 * np.sqrt(2.0 * np.log(2.0))   # similarity exp(-d^2 / (2 s^2 (2 sigma)^2)) = 0.5


@dataclass(frozen=True)
class CorruptionParams:
    """The detector mix's knobs (see the module doc for each one's meaning and source). Presets: :data:`PRESETS`;
    from a CLI string: :meth:`parse`."""

    jitter: float = 1.0              # multiplier on JITTER_SIGMA
    score_gain: float = 2.0          # jitter std x (1 + score_gain * (1 - score))
    score_spread: float = 1.0        # multiplier on 1 - SCORE_MEAN (0: every score is 1)
    score_concentration: float = 10.0
    miss: float = 1.0                # multiplier on MISS_RATE
    occlusion_rate: float = 0.03     # per pose: one whole limb missing
    gross_rate: float = 0.01         # per detector joint
    gross_score: float = 0.5         # score factor of a grossly displaced joint
    swap_rate: float = 0.02          # per pose: one left/right limb pair swapped
    swap_score: float = 0.6          # score factor of both swapped joints
    truncation_rate: float = 0.0     # per pose: the image cut between the hips and the knees

    def validate(self) -> "CorruptionParams":
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v >= 0):
                raise CorruptionError(f"corruption parameter {f.name}={v!r}: must be a finite number >= 0")
        for name in ("occlusion_rate", "gross_rate", "swap_rate", "gross_score", "swap_score", "score_spread",
                     "truncation_rate"):
            if getattr(self, name) > 1:
                raise CorruptionError(f"corruption parameter {name}={getattr(self, name)}: must be in [0, 1]")
        if self.miss * MISS_RATE.max() > 1:
            raise CorruptionError(f"corruption parameter miss={self.miss}: makes a miss rate above 1 "
                                  f"(at most {1 / MISS_RATE.max():g})")
        if self.score_concentration <= 0:
            raise CorruptionError("corruption parameter score_concentration: must be > 0")
        return self

    @staticmethod
    def parse(text: str) -> "CorruptionParams":
        """``PRESET`` or ``PRESET:key=value,key=value`` (e.g. ``detector:swap_rate=0.05,jitter=2``)."""
        preset, _, rest = str(text).strip().partition(":")
        if preset not in PRESETS:
            raise CorruptionError(f"corruption {text!r}: unknown preset {preset!r}; use one of {sorted(PRESETS)}, "
                                  "optionally followed by ':key=value,...'")
        params = PRESETS[preset]
        names = [f.name for f in dataclasses.fields(CorruptionParams)]
        changes = {}
        for item in filter(None, (s.strip() for s in rest.split(","))):
            key, eq, value = item.partition("=")
            key = key.strip()
            if key not in names or not eq:
                raise CorruptionError(f"corruption {text!r}: {item!r} is not key=value with a key among {names}")
            try:
                changes[key] = float(value)
            except ValueError:
                raise CorruptionError(f"corruption {text!r}: {key}={value!r} is not a number") from None
        return dataclasses.replace(params, **changes).validate()

    def to_dict(self) -> Dict[str, float]:
        return dataclasses.asdict(self)


#: Named presets: ``none`` (identity, every confidence 1), ``jitter`` (scores and score-dependent jitter only),
#: ``detector`` (the realistic mix: every component at its default).
PRESETS: Dict[str, CorruptionParams] = {
    "none": CorruptionParams(jitter=0.0, score_spread=0.0, miss=0.0, occlusion_rate=0.0, gross_rate=0.0,
                             swap_rate=0.0),
    "jitter": CorruptionParams(miss=0.0, occlusion_rate=0.0, gross_rate=0.0, swap_rate=0.0),
    "detector": CorruptionParams(),
}


def _check_xy(xy) -> np.ndarray:
    a = np.asarray(xy, dtype=np.float64)
    if a.ndim != 3 or a.shape[1:] != (NUM_JOINTS, 2):
        raise CorruptionError(f"keypoints: expected H36M-16 pixels of shape (N, {NUM_JOINTS}, 2), got {a.shape}")
    if not np.isfinite(a).all():
        raise CorruptionError("keypoints: non-finite coordinates; the corruption model takes clean keypoints")
    return a


def person_scale(xy) -> np.ndarray:
    """``(N,)`` ``sqrt(w * h)`` of each pose's keypoint bounding box, in the keypoints' units (at least 1)."""
    a = np.asarray(xy, dtype=np.float64)
    extent = a.max(axis=-2) - a.min(axis=-2)
    return np.maximum(np.sqrt(extent[..., 0] * extent[..., 1]), 1.0)


# --- the adapters' fill ----------------------------------------------------------------------------------------

_HIP, _SPINE, _THORAX = _J("Hip"), _J("Spine"), _J("Thorax")
_SIDES = ((_HIP, _J("LHip"), _J("RHip")), (_THORAX, _J("LShoulder"), _J("RShoulder")))
# Input rows of the adapters' core: the 16 joints, then a left and a right stand-in for Hip and for Thorax.
_SOURCES = {j: ((j,), 1) for j in DETECTOR_JOINTS}
_SOURCES[_HIP] = ((NUM_JOINTS, NUM_JOINTS + 1), 2)
_SOURCES[_THORAX] = ((NUM_JOINTS + 2, NUM_JOINTS + 3), 2)


def fill_missing(xy, scores) -> Tuple[np.ndarray, np.ndarray]:
    """H36M-16 pixels ``(N, 16, 2)`` and detector scores ``(N, 16)`` (0 = missed; the Hip, Spine and Thorax entries
    are ignored: they are derived) → the adapters' ``(xy, confidence)``.

    Runs :mod:`graphsh_tf.keypoints`' own core with H36M-16 as the detector layout: a present joint keeps its
    position (Hip, Thorax and Spine keep theirs while both hips / shoulders are present), its confidence is its
    score (Hip / Thorax: min of the two sides, Spine: min of those); a missed joint is filled as the adapters fill
    it (see the module doc)."""
    from graphsh_tf.keypoints import adapt_from_sources  # the adapters' core, called (not copied): both fill alike

    a = np.asarray(xy, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    present = s > 0
    rows = [a]
    row_scores = [np.where(np.isin(np.arange(NUM_JOINTS), DERIVED_JOINTS), 0.0, s)]
    for mid, left, right in _SIDES:
        both = (present[:, left] & present[:, right])[:, None]
        # both sides present: each stand-in sits on the clean mid joint (their mean is it); one side: on that side
        rows.append(np.stack([np.where(both, a[:, mid], a[:, left]), np.where(both, a[:, mid], a[:, right])], 1))
        row_scores.append(s[:, [left, right]])
    out, conf = adapt_from_sources(np.concatenate(rows, 1), np.concatenate(row_scores, 1), 0.0, _SOURCES)
    keep_spine = conf[:, _SPINE] > 0
    out[keep_spine, _SPINE] = a[keep_spine, _SPINE]
    return out, conf


# --- the detector mix --------------------------------------------------------------------------------------------

class DetectorCorruption:
    """``DetectorCorruption(params).apply(xy_px (N, 16, 2), rng) -> (xy (N, 16, 2) float64, conf (N, 16))``."""

    def __init__(self, params: Union[CorruptionParams, str, None] = None):
        if params is None:
            params = PRESETS["detector"]
        elif isinstance(params, str):
            params = CorruptionParams.parse(params)
        self.params = params.validate()

    def apply(self, xy_px, rng=0, image_size=None) -> Tuple[np.ndarray, np.ndarray]:
        """Corrupt clean pixels; ``rng``: a ``numpy.random.Generator`` or a seed; ``image_size``: ``(w, h)`` or
        ``(N, 2)`` pixels (keeps gross errors inside the image; optional)."""
        xy, conf, _ = self.apply_with_events(xy_px, rng, image_size)
        return xy, conf

    def apply_with_events(self, xy_px, rng=0, image_size=None) -> Tuple[np.ndarray, np.ndarray, Dict]:
        """:meth:`apply` plus the drawn events (``scores`` before misses, boolean ``gross``, ``swapped``,
        ``missed`` ``(N, 16)``, ``truncated`` ``(N,)``, and the jitter std ``sigma`` ``(N, 16)`` in pixels) for
        inspection and tests."""
        p, rng = self.params, as_rng(rng)
        clean = _check_xy(xy_px)
        n = len(clean)
        s = person_scale(clean)
        det = np.zeros(NUM_JOINTS, bool)
        det[list(DETECTOR_JOINTS)] = True
        # 1. scores
        mean = 1.0 - p.score_spread * (1.0 - SCORE_MEAN)
        scores = np.ones((n, NUM_JOINTS))
        spread = mean < 1.0
        if spread.any():
            c = p.score_concentration
            scores[:, spread] = rng.beta(mean[spread] * c, (1.0 - mean[spread]) * c, size=(n, int(spread.sum())))
        scores = _derive_scores(scores)
        # 2. jitter
        sigma = p.jitter * JITTER_SIGMA[None] * s[:, None] * (1.0 + p.score_gain * (1.0 - scores))
        xy = clean + rng.standard_normal(clean.shape) * sigma[..., None]
        # 3. gross errors
        gross = (rng.random((n, NUM_JOINTS)) < p.gross_rate) & det
        angle = rng.uniform(0.0, 2.0 * np.pi, (n, NUM_JOINTS))
        dist = rng.uniform(1.0, 3.0, (n, NUM_JOINTS)) * _MISS_RADIUS * COCO_OKS_SIGMA[None] * s[:, None]
        jump = np.stack([np.cos(angle), np.sin(angle)], -1) * dist[..., None]
        xy = np.where(gross[..., None], xy + jump, xy)
        if image_size is not None:
            size = np.broadcast_to(np.asarray(image_size, np.float64).reshape(-1, 2), (n, 2))
            xy = np.where(gross[..., None], np.clip(xy, 0.0, size[:, None, :] - 1.0), xy)
        scores = np.where(gross, scores * p.gross_score, scores)
        # 4. left/right swaps
        do_swap = rng.random(n) < p.swap_rate
        pair = np.asarray(SWAP_PAIRS)[rng.integers(0, len(SWAP_PAIRS), n)]
        rows = np.nonzero(do_swap)[0]
        a, b = pair[rows, 0], pair[rows, 1]
        xy[rows, a], xy[rows, b] = xy[rows, b].copy(), xy[rows, a].copy()
        swapped = np.zeros((n, NUM_JOINTS), bool)
        swapped[rows, a] = swapped[rows, b] = True
        scores = np.where(swapped, scores * p.swap_score, scores)
        # 5. misses: single joints and whole limbs
        missed = (rng.random((n, NUM_JOINTS)) < p.miss * MISS_RATE[None]) & det
        occluded = rng.random(n) < p.occlusion_rate
        chain = rng.integers(0, len(LIMB_CHAINS), n)
        for k, joints in enumerate(LIMB_CHAINS):
            missed[np.ix_(occluded & (chain == k), joints)] = True
        # 6. truncation (drawn only when on, so the draws above keep their numbers)
        truncated = np.zeros(n, bool)
        if p.truncation_rate > 0:
            truncated = rng.random(n) < p.truncation_rate
            cut = truncation_line(clean, s, rng.random(n))
            missed |= truncated[:, None] & (clean[..., 1] > cut[:, None]) & det
        scores_before = scores
        scores = _derive_scores(np.where(missed, 0.0, scores))
        # 7. the adapters' fill and confidence
        out, conf = fill_missing(xy, scores)
        events = {"scores": scores_before, "gross": gross, "swapped": swapped, "missed": missed, "sigma": sigma,
                  "person_scale": s, "truncated": truncated}
        return out, conf, events


def truncation_line(clean, scale, u) -> np.ndarray:
    """``(N,)`` image y of the truncation's cut: ``u`` in [0, 1) of the way from the lower hip's y plus
    :data:`TRUNCATION_MARGIN` x ``scale`` to the higher knee's y (at the lower bound when the knees are higher)."""
    lo = np.maximum(clean[:, _J("LHip"), 1], clean[:, _J("RHip"), 1]) + TRUNCATION_MARGIN * scale
    hi = np.maximum(np.minimum(clean[:, _J("LKnee"), 1], clean[:, _J("RKnee"), 1]), lo)
    return lo + u * (hi - lo)


def _derive_scores(scores: np.ndarray) -> np.ndarray:
    """Hip / Thorax = min of the two hips / shoulders, Spine = min of those (the adapters' confidence rule)."""
    out = scores.copy()
    for mid, left, right in _SIDES:
        out[:, mid] = np.minimum(scores[:, left], scores[:, right])
    out[:, _SPINE] = np.minimum(out[:, _HIP], out[:, _THORAX])
    return out


def corrupt_normalized(x2d, image_size, params: Union[CorruptionParams, str, None] = None, rng=0
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """The detector mix on normalized screen coordinates ``(N, 16, 2)`` (``image_size`` ``(N, 2)`` or ``(w, h)``
    pixels): to pixels, :meth:`DetectorCorruption.apply`, back. Returns float32 ``(x2d, confidence)``."""
    xy, conf = DetectorCorruption(params).apply(to_pixels(x2d, image_size), rng, image_size)
    return to_normalized(xy, image_size), conf.astype(np.float32)


def corrupt_tf(x2d, image_size, seed, params: Union[CorruptionParams, str, None] = None):
    """TensorFlow twin of :func:`corrupt_normalized` for ``tf.data`` maps: ``x2d`` ``(B, 16, 2)`` float32 normalized,
    ``image_size`` ``(B, 2)`` pixels, ``seed`` an int64 ``(2,)`` tensor (a stateless seed, e.g. from
    ``tf.data.Dataset.random`` and a step counter). Returns float32 tensors ``(x2d, confidence (B, 16))``.

    It runs this module's numpy code through ``tf.numpy_function`` with a generator seeded by ``seed``, so a seed
    gives the same draw as ``corrupt_normalized(x2d, image_size, params, numpy.random.default_rng(seed as
    uint64))``. The price: the map runs Python (it holds the GIL; about 5 ms per 256 poses on one CPU core), and a
    graph holding it cannot be serialized (no tf.data service). The training pipeline uses the pure-TensorFlow
    :func:`graphsh_tf.data.corrupt_ops.corrupt_ops` instead (same signature and statistics, other draws); this one
    stays for comparisons with the numpy reference."""
    import tensorflow as tf

    corruption = DetectorCorruption(params)

    def _numpy(x, size, s):
        rng = np.random.default_rng(np.asarray(s, np.int64).view(np.uint64))
        xy, conf = corruption.apply(to_pixels(x, size), rng, size)
        return to_normalized(xy, size), conf.astype(np.float32)

    x2d = tf.convert_to_tensor(x2d, tf.float32)
    out, conf = tf.numpy_function(_numpy, [x2d, tf.cast(image_size, tf.float32), tf.cast(seed, tf.int64)],
                                  [tf.float32, tf.float32], stateful=False)
    out.set_shape(x2d.shape)
    conf.set_shape(x2d.shape[:-1])
    return out, conf


def model_inputs(x2d, image_size, spec: str = "detector", clean_fraction: float = 0.5, rng=0) -> np.ndarray:
    """Inputs of a model with a confidence channel, as its training fed them: normalized ``x2d (N, 16, 2)``
    (``image_size`` ``(N, 2)`` or ``(w, h)`` pixels) through the detector mix ``spec`` (empty: none) on all but a
    ``clean_fraction`` of the poses (drawn per pose; those keep confidence 1) → float32 ``(N, 16, 3)`` ``(x, y,
    confidence)``. For int8 calibration and quantization-aware fine-tuning of such a model."""
    rng = as_rng(rng)
    x = np.asarray(x2d, np.float32)
    conf = np.ones(x.shape[:2], np.float32)
    if spec and len(x):
        corrupt = rng.random(len(x)) >= clean_fraction
        size = np.broadcast_to(np.asarray(image_size, np.float64).reshape(-1, 2), (len(x), 2))
        xc, cc = corrupt_normalized(x[corrupt], size[corrupt], spec, rng)
        x = x.copy()
        x[corrupt], conf[corrupt] = xc, cc
    return np.concatenate([x, conf[..., None]], -1)


def corrupt_detector(xy_px, params: Union[CorruptionParams, str, None] = None, seed=0,
                     image_size=None) -> Tuple[np.ndarray, np.ndarray]:
    """One-call form of :class:`DetectorCorruption` (``params``: a :class:`CorruptionParams` or a spec string)."""
    return DetectorCorruption(params).apply(xy_px, seed, image_size)
