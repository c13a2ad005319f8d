"""BlazePose (MediaPipe Pose) in numpy + the LiteRT interpreter: person detector -> region of interest ->
landmark model -> 33 MediaPipe keypoints in image pixels with visibility scores.

Pipeline, per image (RGB ``uint8`` ``(H, W, 3)``):

1. **Detector** (``pose_detection.tflite``, 224x224, input in [-1, 1]): the image letterboxed into a square (black
   bars), 2254 SSD anchors (strides 8, 16, 32, 32, 32; one fixed-size anchor pair per location and layer), boxes and
   4 keypoints decoded per anchor (offsets in input pixels from the anchor centre), sigmoid scores, weighted
   non-maximum suppression (IoU 0.3: overlapping detections are averaged, weighted by score).
2. **Region of interest**: centred on detector keypoint 0 (mid-hip), side 2 x |kp1 - kp0| x 1.25 (kp1 marks the
   full-body extent), rotated so that kp0 -> kp1 points up.
3. **Landmarks** (``pose_landmark_{lite,full,heavy}.tflite``, 256x256, input in [0, 1]): the rotated square cropped
   with bilinear sampling; outputs 39 x (x, y, z, visibility, presence) in crop pixels, the first 33 being the
   MediaPipe landmarks, and a pose-presence score. Landmarks are mapped back through the crop's rotation and scale.
   The score of a keypoint is sigmoid(visibility).

Landmarks are taken from the regression output (MediaPipe additionally refines them with its heatmap; not done here).
The detector favours the most prominent person; more people are found by also looking at the ends of a wide image and
by blacking out the people found and detecting again (see :meth:`BlazePose.__call__`). Every frame is processed
from scratch (no frame-to-frame region tracking): the same image always gives the same keypoints.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from graphsh_tf.keypoints import points_to_h36m16

import numpy as np

DET_SIZE = 224
LMK_SIZE = 256
NUM_LANDMARKS = 33
ROI_SCALE = 1.25


def ssd_anchors(size: int = DET_SIZE, strides=(8, 16, 32, 32, 32)) -> np.ndarray:
    """``(2254, 2)`` anchor centres (x, y) in [0, 1]: layers with the same stride share a grid, 2 anchors per layer
    and location (the fixed-size anchor of aspect 1 and its interpolated-scale twin, same centre)."""
    centres = []
    i = 0
    while i < len(strides):
        j = i
        while j < len(strides) and strides[j] == strides[i]:
            j += 1
        per_location = 2 * (j - i)
        n = int(math.ceil(size / strides[i]))
        ys, xs = np.meshgrid((np.arange(n) + 0.5) / n, (np.arange(n) + 0.5) / n, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(grid, per_location, axis=0))
        i = j
    return np.concatenate(centres).astype(np.float64)


ANCHORS = ssd_anchors()


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -100.0, 100.0)))


@dataclass(frozen=True)
class Roi:
    """A rotated square in image pixels: centre, side, rotation (radians, counter-clockwise on screen is negative)."""
    cx: float
    cy: float
    size: float
    rotation: float

    def crop_matrix(self, out_size: int) -> np.ndarray:
        """2x3 matrix mapping output pixel centres (u, v) of an ``out_size`` crop to image pixel coordinates."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        k = self.size / out_size
        # image = centre + size * R @ ((u + 0.5) / out - 0.5, (v + 0.5) / out - 0.5); pixel centres at +0.5
        ox = self.cx - 0.5 + k * (0.5 - out_size / 2) * (c - s)
        oy = self.cy - 0.5 + k * (0.5 - out_size / 2) * (s + c)
        return np.array([[k * c, -k * s, ox], [k * s, k * c, oy]], dtype=np.float64)

    def to_image(self, xy_norm: np.ndarray) -> np.ndarray:
        """Points in crop units ([0, 1] across the crop) -> image pixels."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        a = xy_norm[..., 0] - 0.5
        b = xy_norm[..., 1] - 0.5
        return np.stack([self.cx + self.size * (c * a - s * b), self.cy + self.size * (s * a + c * b)], axis=-1)


def crop(image: np.ndarray, roi: Roi, out_size: int) -> np.ndarray:
    """Bilinear crop of ``roi`` to ``(out_size, out_size, 3)`` float32 in [0, 255], black outside the image."""
    m = roi.crop_matrix(out_size)
    v, u = np.mgrid[0:out_size, 0:out_size].astype(np.float64)
    x = m[0, 0] * u + m[0, 1] * v + m[0, 2]
    y = m[1, 0] * u + m[1, 1] * v + m[1, 2]
    h, w = image.shape[:2]
    padded = np.zeros((h + 2, w + 2, image.shape[2]), dtype=np.float32)
    padded[1:-1, 1:-1] = image
    x = np.clip(x + 1.0, 0.0, w + 1.0)
    y = np.clip(y + 1.0, 0.0, h + 1.0)
    x0 = np.minimum(np.floor(x).astype(np.int64), w)
    y0 = np.minimum(np.floor(y).astype(np.int64), h)
    fx = (x - x0)[..., None].astype(np.float32)
    fy = (y - y0)[..., None].astype(np.float32)
    top = padded[y0, x0] * (1 - fx) + padded[y0, x0 + 1] * fx
    bottom = padded[y0 + 1, x0] * (1 - fx) + padded[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def letterbox_roi(width: int, height: int) -> Roi:
    """The whole image in a square, centred (the detector's letterbox)."""
    return Roi(width / 2.0, height / 2.0, float(max(width, height)), 0.0)


def decode_detections(raw_boxes: np.ndarray, raw_scores: np.ndarray, min_score: float = 0.5) -> np.ndarray:
    """``(2254, 12)``, ``(2254,)`` -> ``(N, 13)`` rows ``[score, cx, cy, w, h, kp0x, kp0y, ..., kp3y]``, in [0, 1]
    letterbox units, score-sorted, before suppression."""
    scores = _sigmoid(raw_scores.reshape(-1).astype(np.float64))
    keep = np.nonzero(scores >= min_score)[0]
    raw = raw_boxes.reshape(-1, 12)[keep].astype(np.float64) / DET_SIZE
    anchors = ANCHORS[keep]
    out = np.empty((len(keep), 13))
    out[:, 0] = scores[keep]
    out[:, 1:3] = raw[:, 0:2] + anchors
    out[:, 3:5] = raw[:, 2:4]
    out[:, 5:13] = (raw[:, 4:12].reshape(-1, 4, 2) + anchors[:, None, :]).reshape(-1, 8)
    return out[np.argsort(-out[:, 0], kind="stable")]


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0] - box[2] / 2, boxes[:, 0] - boxes[:, 2] / 2)
    x1 = np.minimum(box[0] + box[2] / 2, boxes[:, 0] + boxes[:, 2] / 2)
    y0 = np.maximum(box[1] - box[3] / 2, boxes[:, 1] - boxes[:, 3] / 2)
    y1 = np.minimum(box[1] + box[3] / 2, boxes[:, 1] + boxes[:, 3] / 2)
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = box[2] * box[3] + boxes[:, 2] * boxes[:, 3] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def weighted_nms(dets: np.ndarray, iou_threshold: float = 0.3) -> np.ndarray:
    """Score-sorted detections -> one row per cluster: the score-weighted mean of the overlapping rows, with the
    cluster's best score."""
    out = []
    remaining = dets
    while len(remaining):
        overlap = _iou(remaining[0, 1:5], remaining[:, 1:5]) > iou_threshold
        overlap[0] = True
        group = remaining[overlap]
        merged = (group[:, 1:] * group[:, :1]).sum(axis=0) / group[:, 0].sum()
        out.append(np.concatenate([[group[0, 0]], merged]))
        remaining = remaining[~overlap]
    return np.array(out).reshape(-1, 13)


def detection_roi(det: np.ndarray, letterbox: Roi) -> Roi:
    """A suppressed detection row -> the landmark model's region of interest in image pixels."""
    kps = letterbox.to_image(det[5:13].reshape(4, 2))
    (x0, y0), (x1, y1) = kps[0], kps[1]
    size = 2.0 * math.hypot(x1 - x0, y1 - y0) * ROI_SCALE
    rotation = math.pi / 2 - math.atan2(-(y1 - y0), x1 - x0)
    rotation = (rotation + math.pi) % (2 * math.pi) - math.pi
    return Roi(float(x0), float(y0), float(size), float(rotation))


@dataclass(frozen=True)
class Person:
    """One detected person: ``keypoints_px`` ``(K, 2)`` image pixels (x right, y down), ``scores`` ``(K,)`` in
    [0, 1], the ``layout`` name the keypoints follow (``"mediapipe33"`` / ``"coco17"``), the detection ``score`` and
    the region the keypoints were read from (``roi``: cx, cy, side, rotation; None for single-pose models).

    ``world_mm`` ``(16, 3)``: the detector's own 3D where it has one (BlazePose's world landmarks, rotated back from
    the region of interest into the image's axes: x right, y down, z away from the camera), mapped to H36M-16 by the
    adapters' rules and centred on its Hip, in millimetres; None for detectors without 3D. It is what a BlazePose
    user gets for free, and the baseline the lifter is measured against (benchmarks/in_the_wild.py)."""
    keypoints_px: np.ndarray
    scores: np.ndarray
    layout: str
    score: float
    roi: tuple = None
    world_mm: np.ndarray = None

    def to_json(self) -> dict:
        return {"layout": self.layout, "score": round(float(self.score), 5),
                "keypoints_px": np.round(self.keypoints_px, 3).tolist(),
                "scores": np.round(self.scores, 5).tolist(),
                "roi": None if self.roi is None else [round(float(v), 4) for v in self.roi],
                "world_mm": None if self.world_mm is None else np.round(self.world_mm, 2).tolist()}


class BlazePose:
    """``BlazePose(detector_path, landmark_path)(image)`` -> ``List[Person]`` (33 MediaPipe keypoints each).
    ``last_timings_ms`` holds the detector and landmark time of the last call."""

    layout = "mediapipe33"

    def __init__(self, detector_path, landmark_path, max_persons: int = 4, min_detection_score: float = 0.5,
                 min_presence: float = 0.5, num_threads: int = 2):
        from graphsh_tf.detect.runtime import load_interpreter

        self._det = load_interpreter(detector_path, num_threads, inputs={(1, DET_SIZE, DET_SIZE, 3)})
        self._lmk = load_interpreter(landmark_path, num_threads, inputs={(1, LMK_SIZE, LMK_SIZE, 3)})
        det_out = {tuple(d["shape"]): d["index"] for d in self._det.get_output_details()}
        lmk_out = {tuple(d["shape"]): d["index"] for d in self._lmk.get_output_details()}
        try:
            self._det_boxes, self._det_scores = det_out[(1, len(ANCHORS), 12)], det_out[(1, len(ANCHORS), 1)]
            self._lmk_points, self._lmk_flag = lmk_out[(1, 195)], lmk_out[(1, 1)]
            self._lmk_world = lmk_out.get((1, 117))
        except KeyError:
            from graphsh_tf.detect.models import DetectorError

            raise DetectorError(f"{detector_path} / {landmark_path}: not the BlazePose detector/landmark pair "
                                f"(outputs {sorted(det_out)} / {sorted(lmk_out)})") from None
        self.max_persons = int(max_persons)
        self.min_detection_score = float(min_detection_score)
        self.min_presence = float(min_presence)
        self.last_timings_ms = {}

    def detect(self, image: np.ndarray, region: Roi = None) -> np.ndarray:
        """Suppressed detections ``(N, 13)`` in units of ``region`` (default: the whole image letterboxed; see
        :func:`decode_detections`)."""
        h, w = image.shape[:2]
        x = crop(image, region or letterbox_roi(w, h), DET_SIZE) / 127.5 - 1.0
        self._det.set_tensor(self._det.get_input_details()[0]["index"], x[None].astype(np.float32))
        self._det.invoke()
        dets = decode_detections(self._det.get_tensor(self._det_boxes)[0], self._det.get_tensor(self._det_scores)[0],
                                 self.min_detection_score)
        return weighted_nms(dets)[: self.max_persons]

    def landmarks(self, image: np.ndarray, roi: Roi):
        """``(33, 2)`` pixels, ``(33,)`` scores, the presence score of the person in ``roi`` and the 3D world
        landmarks ``(33, 3)`` in mm (hip-centred, metric; None when the model has no world output), turned from the
        region's rotated frame back into the image's axes (the rotation that maps crop to image pixels, about the
        viewing axis)."""
        x = crop(image, roi, LMK_SIZE) / 255.0
        self._lmk.set_tensor(self._lmk.get_input_details()[0]["index"], x[None].astype(np.float32))
        self._lmk.invoke()
        raw = self._lmk.get_tensor(self._lmk_points).reshape(39, 5)[:NUM_LANDMARKS].astype(np.float64)
        presence = float(self._lmk.get_tensor(self._lmk_flag).reshape(()))
        xy = roi.to_image(raw[:, :2] / LMK_SIZE)
        world = None
        if self._lmk_world is not None:
            w = self._lmk.get_tensor(self._lmk_world).reshape(39, 3)[:NUM_LANDMARKS].astype(np.float64) * 1000.0
            c, s = math.cos(roi.rotation), math.sin(roi.rotation)
            world = np.stack([c * w[:, 0] - s * w[:, 1], s * w[:, 0] + c * w[:, 1], w[:, 2]], axis=-1)
        return xy, _sigmoid(raw[:, 3]), presence, world

    def __call__(self, image: np.ndarray) -> list[Person]:
        """Up to ``max_persons`` people. The detector favours the most prominent person, so it looks at the whole
        image and, for an image more than 1.2x wider than high (or higher than wide), also at the two squares at the
        ends of its long side; after each round the people found are blacked out (their keypoints' box, 10 %
        margin) in a copy of the image and the detector runs again, until a round finds no one new. Landmarks
        always read the unmasked image."""
        import time

        timings = {"detector": 0.0, "landmarks": 0.0}
        people: list[Person] = []
        masked = image
        for _ in range(self.max_persons):
            found = []
            for region in detection_regions(image.shape[1], image.shape[0]):
                if len(people) + len(found) >= self.max_persons:
                    break
                t0 = time.perf_counter()
                dets = self.detect(masked, region)
                t1 = time.perf_counter()
                timings["detector"] += (t1 - t0) * 1e3
                found += self._people(image, dets, region, people + found)
                timings["landmarks"] += (time.perf_counter() - t1) * 1e3
            if not found:
                break
            people += found
            masked = masked.copy() if masked is image else masked
            for p in found:
                x0, y0, x1, y1 = _box(p.keypoints_px, image.shape[1], image.shape[0])
                masked[y0:y1, x0:x1] = 0
        self.last_timings_ms = timings
        return people

    def _people(self, image: np.ndarray, dets: np.ndarray, region: Roi, known: list) -> list:
        h, w = image.shape[:2]
        out = []
        for det in dets[: max(self.max_persons - len(known), 0)]:
            roi = detection_roi(det, region)
            if any(_inside(roi.cx, roi.cy, _box(p.keypoints_px, w, h)) for p in known + out):
                continue
            xy, scores, presence, world = self.landmarks(image, roi)
            if presence >= self.min_presence:
                out.append(Person(xy, scores, self.layout, float(det[0]) * presence,
                                  (roi.cx, roi.cy, roi.size, roi.rotation), _world_h36m(world)))
        return out


def _world_h36m(world33_mm):
    """BlazePose's 33 world landmarks (mm) -> H36M-16 by the adapters' rules, centred on the Hip."""
    if world33_mm is None:
        return None
    joints, _ = points_to_h36m16(world33_mm, "mediapipe33")
    return joints - joints[0]


def detection_regions(width: int, height: int) -> list:
    """Where the detector looks: the whole image letterboxed, then (aspect above 1.2) the squares at both ends of
    the long side."""
    regions = [letterbox_roi(width, height)]
    short, long_ = min(width, height), max(width, height)
    if long_ > 1.2 * short:
        for c in (short / 2.0, long_ - short / 2.0):
            regions.append(Roi(c, height / 2.0, float(short), 0.0) if width > height
                           else Roi(width / 2.0, c, float(short), 0.0))
    return regions


def _box(xy: np.ndarray, w: int, h: int) -> tuple:
    """Integer pixel box around keypoints with a 10 % margin, clipped to the image."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    m = 0.1 * (hi - lo)
    x0, y0 = np.clip(np.floor(lo - m), 0, [w, h]).astype(int)
    x1, y1 = np.clip(np.ceil(hi + m), 0, [w, h]).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


def _inside(x: float, y: float, box: tuple) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]
