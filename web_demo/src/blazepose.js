// BlazePose in the browser, one to one with graphsh_tf/detect/blazepose.py: the person detector and the landmark
// model of the npm package @mediapipe/pose (served from node_modules, run by LiteRT.js), with the anchors, decoding,
// weighted non-maximum suppression, rotated region of interest, bilinear crops and landmark projection written out
// here. An RGBA frame -> people, each 33 MediaPipe keypoints in frame pixels + visibility scores, and BlazePose's own
// 3D (the landmark model's world output, rotated back from the region of interest, in H36M-16: `worldMm`).
import { loadAndCompile, Tensor } from "@litertjs/core";
import { HIP, NUM_JOINTS, SOURCES, SPINE, THORAX } from "./lifter_core.js";
import { initLiteRt, WASM_DIR } from "./runtime.js";

export const PACKAGE_DIR = new URL("../node_modules/@mediapipe/pose/", import.meta.url).href;
/** The package's packed asset file is the detector's .tflite byte for byte. */
export const DETECTOR_FILE = "pose_solution_packed_assets.data";
export const DET_SIZE = 224;
export const LMK_SIZE = 256;
export const NUM_LANDMARKS = 33;
export const ROI_SCALE = 1.25;

/** Anchor centres [x, y] in [0, 1] (2254): strides 8, 16, 32, 32, 32; 2 anchors per layer and location. */
export function ssdAnchors(size = DET_SIZE, strides = [8, 16, 32, 32, 32]) {
  const out = [];
  let i = 0;
  while (i < strides.length) {
    let j = i;
    while (j < strides.length && strides[j] === strides[i]) j++;
    const perLocation = 2 * (j - i);
    const n = Math.ceil(size / strides[i]);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        for (let k = 0; k < perLocation; k++) out.push([(x + 0.5) / n, (y + 0.5) / n]);
      }
    }
    i = j;
  }
  return out;
}

export const ANCHORS = ssdAnchors();

const sigmoid = (x) => 1 / (1 + Math.exp(-Math.min(Math.max(x, -100), 100)));

/** A rotated square in frame pixels (centre, side, rotation in radians). */
export class Roi {
  constructor(cx, cy, size, rotation) {
    Object.assign(this, { cx, cy, size, rotation });
  }

  /** Crop units ([0, 1] across the crop) -> frame pixels. */
  toImage(x, y) {
    const c = Math.cos(this.rotation), s = Math.sin(this.rotation);
    const a = x - 0.5, b = y - 0.5;
    return [this.cx + this.size * (c * a - s * b), this.cy + this.size * (s * a + c * b)];
  }
}

export function letterboxRoi(width, height) {
  return new Roi(width / 2, height / 2, Math.max(width, height), 0);
}

/**
 * Bilinear crop of `roi` from RGBA pixels (width x height) to out x out x 3 float32, black outside the frame,
 * then `scale * v + offset` per value.
 */
export function crop(rgba, width, height, roi, out, scale, offset) {
  const c = Math.cos(roi.rotation), s = Math.sin(roi.rotation), k = roi.size / out;
  const ox = roi.cx - 0.5 + k * (0.5 - out / 2) * (c - s);
  const oy = roi.cy - 0.5 + k * (0.5 - out / 2) * (s + c);
  const data = new Float32Array(out * out * 3);
  const px = (xi, yi, ch) => (xi < 0 || yi < 0 || xi >= width || yi >= height ? 0 : rgba[(yi * width + xi) * 4 + ch]);
  let o = 0;
  for (let v = 0; v < out; v++) {
    for (let u = 0; u < out; u++, o += 3) {
      const x = Math.min(Math.max(k * c * u - k * s * v + ox, -1), width);
      const y = Math.min(Math.max(k * s * u + k * c * v + oy, -1), height);
      const x0 = Math.min(Math.floor(x), width - 1), y0 = Math.min(Math.floor(y), height - 1);
      const fx = x - x0, fy = y - y0;
      for (let ch = 0; ch < 3; ch++) {
        const top = px(x0, y0, ch) * (1 - fx) + px(x0 + 1, y0, ch) * fx;
        const bottom = px(x0, y0 + 1, ch) * (1 - fx) + px(x0 + 1, y0 + 1, ch) * fx;
        data[o + ch] = (top * (1 - fy) + bottom * fy) * scale + offset;
      }
    }
  }
  return data;
}

/** Raw detector outputs -> score-sorted rows [score, cx, cy, w, h, kp0x, kp0y, ..., kp3y] (letterbox units). */
export function decodeDetections(rawBoxes, rawScores, minScore = 0.5) {
  const rows = [];
  for (let i = 0; i < ANCHORS.length; i++) {
    const score = sigmoid(rawScores[i]);
    if (score < minScore) continue;
    const r = (j) => rawBoxes[i * 12 + j] / DET_SIZE;
    const [ax, ay] = ANCHORS[i];
    const row = [score, r(0) + ax, r(1) + ay, r(2), r(3)];
    for (let kp = 0; kp < 4; kp++) row.push(r(4 + 2 * kp) + ax, r(5 + 2 * kp) + ay);
    rows.push(row);
  }
  return rows.sort((a, b) => b[0] - a[0]);
}

function iou(a, b) {
  const x0 = Math.max(a[1] - a[3] / 2, b[1] - b[3] / 2), x1 = Math.min(a[1] + a[3] / 2, b[1] + b[3] / 2);
  const y0 = Math.max(a[2] - a[4] / 2, b[2] - b[4] / 2), y1 = Math.min(a[2] + a[4] / 2, b[2] + b[4] / 2);
  const inter = Math.max(x1 - x0, 0) * Math.max(y1 - y0, 0);
  const union = a[3] * a[4] + b[3] * b[4] - inter;
  return union > 0 ? inter / Math.max(union, 1e-12) : 0;
}

/** Weighted non-maximum suppression: overlapping rows (IoU > 0.3) averaged by score; the best score kept. */
export function weightedNms(dets, threshold = 0.3) {
  const out = [];
  let remaining = dets;
  while (remaining.length) {
    const head = remaining[0];
    const group = [], rest = [];
    remaining.forEach((d, i) => (i === 0 || iou(head, d) > threshold ? group : rest).push(d));
    const total = group.reduce((a, d) => a + d[0], 0);
    const merged = [head[0]];
    for (let j = 1; j < 13; j++) merged.push(group.reduce((a, d) => a + d[j] * d[0], 0) / total);
    out.push(merged);
    remaining = rest;
  }
  return out;
}

/** A suppressed detection -> the landmark model's region (centre on the mid-hip, body pointing up). */
export function detectionRoi(det, region) {
  const [x0, y0] = region.toImage(det[5], det[6]);
  const [x1, y1] = region.toImage(det[7], det[8]);
  const size = 2 * Math.hypot(x1 - x0, y1 - y0) * ROI_SCALE;
  let rotation = Math.PI / 2 - Math.atan2(-(y1 - y0), x1 - x0);
  rotation = ((((rotation + Math.PI) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) - Math.PI;
  return new Roi(x0, y0, size, rotation);
}

/** Where the detector looks: the whole frame, then (aspect above 1.2) the squares at both ends of the long side. */
export function detectionRegions(width, height) {
  const regions = [letterboxRoi(width, height)];
  const short = Math.min(width, height), long = Math.max(width, height);
  if (long > 1.2 * short) {
    for (const c of [short / 2, long - short / 2]) {
      regions.push(width > height ? new Roi(c, height / 2, short, 0) : new Roi(width / 2, c, short, 0));
    }
  }
  return regions;
}

/** Integer pixel box around keypoints with a 10 % margin, clipped to the frame: [x0, y0, x1, y1]. */
export function keypointBox(xy, width, height) {
  let lx = Infinity, ly = Infinity, hx = -Infinity, hy = -Infinity;
  for (const [x, y] of xy) {
    lx = Math.min(lx, x); ly = Math.min(ly, y); hx = Math.max(hx, x); hy = Math.max(hy, y);
  }
  const mx = 0.1 * (hx - lx), my = 0.1 * (hy - ly);
  const clip = (v, hi) => Math.min(Math.max(v, 0), hi);
  return [clip(Math.floor(lx - mx), width), clip(Math.floor(ly - my), height),
    clip(Math.ceil(hx + mx), width), clip(Math.ceil(hy + my), height)];
}

/**
 * The landmark model's world output (39 x 3 metres, hip-centred, in the region's rotated frame) -> the first 33
 * landmarks in mm, turned back into the frame's axes by the rotation that maps crop to frame pixels (about the
 * viewing axis: x' = cos r x - sin r y, y' = sin r x + cos r y, z kept). blazepose.py's world_landmarks_mm.
 */
export function worldLandmarksMm(raw, rotation) {
  const c = Math.cos(rotation), s = Math.sin(rotation);
  const out = [];
  for (let j = 0; j < NUM_LANDMARKS; j++) {
    const x = raw[3 * j] * 1000, y = raw[3 * j + 1] * 1000, z = raw[3 * j + 2] * 1000;
    out.push([c * x - s * y, s * x + c * y, z]);
  }
  return out;
}

/**
 * 33 MediaPipe points in any number of dimensions -> H36M-16 by the adapters' rules (every point present: hip and
 * thorax the mean of the two hips and shoulders, head the mean of nose and ears, spine the midpoint of hip and
 * thorax), centred on the Hip. graphsh_tf.keypoints.points_to_h36m16 then minus the Hip, as blazepose.py's
 * Person.world_mm.
 */
export function worldToH36m16(points33) {
  const src = SOURCES.mediapipe33;
  const d = points33[0].length;
  const out = [];
  for (let j = 0; j < NUM_JOINTS; j++) {
    const p = new Array(d).fill(0);
    if (src[j] !== null) {
      for (const i of src[j]) for (let k = 0; k < d; k++) p[k] += points33[i][k] / src[j].length;
    }
    out.push(p);
  }
  out[SPINE] = out[HIP].map((v, k) => 0.5 * (v + out[THORAX][k]));
  const hip = out[HIP].slice();
  return out.map((p) => p.map((v, k) => v - hip[k]));
}

async function compile(url) {
  const r = await fetch(url);
  if (!r.ok) {
    throw new Error(`${url}: BlazePose model not found (HTTP ${r.status}); run npm ci --prefix web_demo ` +
      "(installs @mediapipe/pose)");
  }
  return loadAndCompile(new Uint8Array(await r.arrayBuffer()), { accelerator: "wasm" });
}

function outputIndex(model, count, required = true) {
  const i = model.getOutputDetails().findIndex((d) => Array.from(d.shape).reduce((a, b) => a * b, 1) === count);
  if (i < 0 && required) throw new Error(`BlazePose: no output with ${count} values`);
  return i < 0 ? null : i;
}

export class BlazePoseDetector {
  /** Use {@link BlazePoseDetector.load}. */
  constructor(det, lmk, variant) {
    this.det = det;
    this.lmk = lmk;
    this.variant = variant;
    this.layout = "mediapipe33";
    this.detBoxes = outputIndex(det, ANCHORS.length * 12);
    this.detScores = outputIndex(det, ANCHORS.length);
    this.lmkPoints = outputIndex(lmk, 195);
    this.lmkFlag = outputIndex(lmk, 1);
    /** The world landmarks (39 x 3 metres); null when the landmark model has no 3D output. */
    this.lmkWorld = outputIndex(lmk, 39 * 3, false);
    this.maxPersons = 4;
    this.minDetectionScore = 0.5;
    this.minPresence = 0.5;
    this.lastTimingsMs = {};
  }

  /** `variant`: lite | full | heavy landmark model. */
  static async load({ variant = "full", packageDir = PACKAGE_DIR, wasmDir = WASM_DIR } = {}) {
    await initLiteRt(wasmDir);
    const det = await compile(`${packageDir}${DETECTOR_FILE}`);
    const lmk = await compile(`${packageDir}pose_landmark_${variant}.tflite`);
    return new BlazePoseDetector(det, lmk, variant);
  }

  async run(model, data, size) {
    const x = new Tensor(data, [1, size, size, 3]);
    let outputs;
    try {
      outputs = await model.run([x]);
    } finally {
      x.delete();
    }
    const arrays = outputs.map((t) => t.toTypedArray().slice());
    for (const t of outputs) t.delete();
    return arrays;
  }

  async detect(rgba, width, height, region) {
    const x = crop(rgba, width, height, region, DET_SIZE, 1 / 127.5, -1);
    const out = await this.run(this.det, x, DET_SIZE);
    return weightedNms(decodeDetections(out[this.detBoxes], out[this.detScores], this.minDetectionScore))
      .slice(0, this.maxPersons);
  }

  async landmarks(rgba, width, height, roi) {
    const x = crop(rgba, width, height, roi, LMK_SIZE, 1 / 255, 0);
    const out = await this.run(this.lmk, x, LMK_SIZE);
    const raw = out[this.lmkPoints];
    const keypoints = [], scores = [];
    for (let j = 0; j < NUM_LANDMARKS; j++) {
      keypoints.push(roi.toImage(raw[5 * j] / LMK_SIZE, raw[5 * j + 1] / LMK_SIZE));
      scores.push(sigmoid(raw[5 * j + 3]));
    }
    const world = this.lmkWorld === null ? null : worldLandmarksMm(out[this.lmkWorld], roi.rotation);
    return { keypoints, scores, presence: out[this.lmkFlag][0], world };
  }

  /**
   * RGBA pixels (ImageData.data) of a width x height frame -> [{keypoints [33][2], scores [33], score, roi,
   * worldMm}]: worldMm [16][3] is BlazePose's own 3D in H36M-16, mm, hip-centred, the frame's axes (x right, y down,
   * z away from the camera); null without a world output.
   */
  async detectPeople(rgba, width, height) {
    const timings = { detector: 0, landmarks: 0 };
    const people = [];
    let masked = rgba;
    for (let round = 0; round < this.maxPersons; round++) {
      const found = [];
      for (const region of detectionRegions(width, height)) {
        if (people.length + found.length >= this.maxPersons) break;
        const t0 = performance.now();
        const dets = await this.detect(masked, width, height, region);
        const t1 = performance.now();
        timings.detector += t1 - t0;
        const known = people.concat(found);
        for (const det of dets.slice(0, Math.max(this.maxPersons - known.length, 0))) {
          const roi = detectionRoi(det, region);
          const inside = known.concat(found).some((p) => {
            const [x0, y0, x1, y1] = keypointBox(p.keypoints, width, height);
            return roi.cx >= x0 && roi.cx <= x1 && roi.cy >= y0 && roi.cy <= y1;
          });
          if (inside) continue;
          const lm = await this.landmarks(rgba, width, height, roi);
          if (lm.presence >= this.minPresence) {
            found.push({ keypoints: lm.keypoints, scores: lm.scores, layout: this.layout, score: det[0] * lm.presence,
              roi: [roi.cx, roi.cy, roi.size, roi.rotation], worldMm: lm.world && worldToH36m16(lm.world) });
          }
        }
        timings.landmarks += performance.now() - t1;
      }
      if (!found.length) break;
      people.push(...found);
      if (masked === rgba) masked = rgba.slice();
      for (const p of found) {
        const [x0, y0, x1, y1] = keypointBox(p.keypoints, width, height);
        for (let y = y0; y < y1; y++) masked.fill(0, (y * width + x0) * 4, (y * width + x1) * 4);
      }
    }
    this.lastTimingsMs = timings;
    return people;
  }

  delete() {
    this.det.delete();
    this.lmk.delete();
  }
}
