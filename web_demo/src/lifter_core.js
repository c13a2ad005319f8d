// The pure steps around the .tflite call, in JavaScript: detector pixels -> H36M-16 -> normalized model input
// (-> int8), and raw model output -> millimetres; and one body per track (BodyLengths, applyLengths). One to one
// with graphsh_tf/keypoints.py, graphsh_tf/contract.py, graphsh_tf/anatomy.py and android_demo/lifter-core
// (KeypointAdapter, Normalization, Quantization, LifterCore, BodyLengths); checked against the same golden vectors
// (tests/fixtures/golden) by web_demo/test/golden.mjs.
//
// Numbers are computed in double precision and rounded to float32 (Math.fround) where Python casts to float32.
// No DOM, no imports: this file runs unchanged in the browser and in Node.

/** H36M-16 joint names, in the model's order (graphsh_tf.skeleton.H36M16). */
export const JOINT_NAMES = [
  "Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax", "Head",
  "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist"];
export const NUM_JOINTS = 16;
/** Parent of each joint (-1 for the root); every parent index is smaller than its child's. */
export const PARENTS = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14];
export const HIP = 0;
export const SPINE = 7;
export const THORAX = 8;

/** Bones as [child, parent] pairs, for drawing. */
export function edges() {
  const out = [];
  for (let j = 1; j < NUM_JOINTS; j++) out.push([j, PARENTS[j]]);
  return out;
}

/** Keypoint count of each layout (graphsh_tf.keypoints.ADAPTERS). */
export const LAYOUTS = { coco17: 17, mediapipe33: 33, h36m16: 16 };

/** Per H36M-16 joint: source keypoint indices averaged into it (null for Spine, derived from Hip and Thorax).
 *  graphsh_tf.keypoints.COCO17_SOURCES / MEDIAPIPE33_SOURCES. */
export const SOURCES = {
  coco17: [[11, 12], [12], [14], [16], [11], [13], [15], null, [5, 6], [0, 3, 4],
    [5], [7], [9], [6], [8], [10]],
  mediapipe33: [[23, 24], [24], [26], [28], [23], [25], [27], null, [11, 12], [0, 7, 8],
    [11], [13], [15], [12], [14], [16]],
};
/** Present sources needed for a nonzero confidence: both hips, both shoulders, else one. */
export const REQUIRED = [2, 1, 1, 1, 1, 1, 1, 0, 2, 1, 1, 1, 1, 1, 1, 1];

/** The only input normalization a sidecar may name (graphsh_tf.lite.metadata.NORMALIZATION). */
export const NORMALIZATION = "u = 2*x/w - 1, v = 2*y/w - h/w";
/** Models trained with input_norm="pose" name this one (graphsh_tf.lite.metadata.POSE_NORMALIZATION). */
export const POSE_NORMALIZATION = NORMALIZATION + "; then pose: p = (p - p_hip) / max|p - p_hip|";
/** The smallest pose scale poseNormalize divides by (graphsh_tf.contract.POSE_NORM_EPS). */
export const POSE_NORM_EPS = 1e-6;
/** Normalized focal length of the Human3.6M training cameras (graphsh_tf.contract.H36M_FOCAL_NORM). */
export const H36M_FOCAL_NORM = 2.0 * 1147.0 / 1000.0;
/** A pose is worth showing with at least this many joints from present keypoints (Lifter.MIN_PRESENT_JOINTS). */
export const MIN_PRESENT_JOINTS = 8;

export class KeypointError extends Error {}

const isFiniteNumber = (v) => typeof v === "number" && Number.isFinite(v);

/**
 * Split the accepted input forms into pixels [K][2] and scores [K]: rows [x, y] with `scores` (or null = all 1),
 * or rows [x, y, score] with `scores` null (graphsh_tf.keypoints.split_keypoints for one pose).
 */
export function splitKeypoints(kpts, scores, layout) {
  const k = LAYOUTS[layout];
  if (k === undefined) {
    throw new KeypointError(`unknown keypoint layout '${layout}'; use one of ` +
      Object.keys(LAYOUTS).sort().join(", "));
  }
  if (!Array.isArray(kpts) || kpts.length !== k) {
    throw new KeypointError(`${layout} keypoints: expected ${k} rows of (x, y) or (x, y, score), got ` +
      (Array.isArray(kpts) ? `${kpts.length} rows` : String(kpts)));
  }
  const c = kpts[0] && kpts[0].length;
  if (!(c === 2 || c === 3) || kpts.some((r) => !r || r.length !== c)) {
    throw new KeypointError(`${layout} keypoints: every row needs 2 values (x, y) or 3 (x, y, score)`);
  }
  const xy = kpts.map((r) => [Number(r[0]), Number(r[1])]);
  if (c === 3) {
    if (scores != null) {
      throw new KeypointError(`${layout} keypoints: rows already carry scores in their third value; pass scores=null`);
    }
    return { xy, scores: kpts.map((r) => Number(r[2])) };
  }
  if (scores == null) return { xy, scores: new Array(k).fill(1.0) };
  if (scores.length !== k) {
    throw new KeypointError(`${layout} scores: expected ${k} values, got ${scores.length}`);
  }
  return { xy, scores: scores.map(Number) };
}

/**
 * Detector keypoints (pixels) -> H36M-16 pixels [16][2] and confidences [16] (graphsh_tf.keypoints.adapt; Java
 * KeypointAdapter.adapt). A keypoint is present when its coordinates are finite and its score is > 0 and
 * >= minScore. Returns {xy, confidence}.
 */
export function adapt(kpts, layout, scores = null, minScore = 0.0) {
  const s = splitKeypoints(kpts, scores, layout);
  const k = LAYOUTS[layout];
  const present = new Array(k);
  for (let i = 0; i < k; i++) {
    const sc = s.scores[i];
    present[i] = isFiniteNumber(s.xy[i][0]) && isFiniteNumber(s.xy[i][1]) && isFiniteNumber(sc) && sc > 0 &&
      sc >= minScore;
  }
  if (layout === "h36m16") return identity(s.xy, s.scores, present);
  const src = SOURCES[layout];
  const out = Array.from({ length: NUM_JOINTS }, () => [0.0, 0.0]);
  const conf = new Array(NUM_JOINTS).fill(0.0);
  const count = new Array(NUM_JOINTS).fill(0);
  for (let j = 0; j < NUM_JOINTS; j++) {
    if (src[j] === null) continue;
    let sx = 0.0, sy = 0.0, smin = Infinity, c = 0;
    for (const i of src[j]) {
      if (present[i]) {
        sx += s.xy[i][0];
        sy += s.xy[i][1];
        smin = Math.min(smin, s.scores[i]);
        c++;
      }
    }
    const d = Math.max(c, 1);
    out[j] = [sx / d, sy / d];
    conf[j] = c >= REQUIRED[j] ? smin : 0.0;
    count[j] = c;
  }
  // fills, in joint order (parents come first)
  if (count[HIP] === 0) {
    let cx = 0.0, cy = 0.0, c = 0;
    for (let i = 0; i < k; i++) {
      if (present[i]) {
        cx += s.xy[i][0];
        cy += s.xy[i][1];
        c++;
      }
    }
    const d = Math.max(c, 1);
    out[HIP] = [cx / d, cy / d];
  }
  for (let j = 1; j < NUM_JOINTS; j++) {
    if (j === SPINE) {
      const hip = out[HIP];
      const thorax = count[THORAX] > 0 ? out[THORAX] : hip;
      out[j] = [0.5 * (hip[0] + thorax[0]), 0.5 * (hip[1] + thorax[1])];
      conf[j] = Math.min(conf[HIP], conf[THORAX]);
    } else if (count[j] === 0) {
      out[j] = out[PARENTS[j]].slice();
    }
  }
  return { xy: out, confidence: conf };
}

function identity(xy, scores, present) {
  const out = [];
  const conf = [];
  for (let j = 0; j < NUM_JOINTS; j++) {
    if (!isFiniteNumber(xy[j][0]) || !isFiniteNumber(xy[j][1])) {
      throw new KeypointError(`h36m16 keypoints: non-finite coordinates at joint ${j}; the identity layout has no ` +
        "fallbacks, pass finite pixels for all 16 joints");
    }
    out.push([xy[j][0], xy[j][1]]);
    conf.push(present[j] ? scores[j] : 0.0);
  }
  return { xy: out, confidence: conf };
}

function checkImageSize(w, h) {
  if (!(w > 0) || !(h > 0) || !Number.isFinite(w) || !Number.isFinite(h)) {
    throw new KeypointError(`image_size: width and height must be positive pixels, got (${w}, ${h})`);
  }
}

/** Pixels [J][2] -> normalized screen coordinates (float32 values): u = 2x/w - 1, v = 2y/w - h/w. */
export function normalize(xy, w, h) {
  checkImageSize(w, h);
  return xy.map(([x, y]) => [Math.fround(x / w * 2.0 - 1.0), Math.fround(y / w * 2.0 - h / w)]);
}

/** Accepted focal lengths: these multiples of the image's larger side (graphsh_tf.frame.FOCAL_RANGE_PER_SIDE). */
export const FOCAL_RANGE_PER_SIDE = [1e-3, 1e3];

/** Check camera intrinsics [fx, fy, cx, cy] (pixels; fx, fy > 0); returns them as numbers. With the image size
 *  `w`, `h` also that they can be this image's (graphsh_tf.frame.check_intrinsics): principal point within
 *  [-w, 2w] x [-h, 2h], focal lengths within FOCAL_RANGE_PER_SIDE times max(w, h). */
export function checkIntrinsics(k, w = null, h = null) {
  const a = Array.isArray(k) || ArrayBuffer.isView(k) ? Array.from(k, Number) : [];
  if (a.length !== 4 || !a.every(Number.isFinite) || !(a[0] > 0) || !(a[1] > 0)) {
    throw new KeypointError("intrinsics: expected (fx, fy, cx, cy) in pixels with fx, fy > 0; got " +
      JSON.stringify(k));
  }
  if (w > 0 && h > 0 && Number.isFinite(w) && Number.isFinite(h)) {
    const [fx, fy, cx, cy] = a;
    if (!(cx >= -w && cx <= 2 * w && cy >= -h && cy <= 2 * h)) {
      throw new KeypointError(`intrinsics: principal point (cx, cy) = (${cx}, ${cy}) px lies far outside the ` +
        `${w} x ${h} image (accepted: cx in [${-w}, ${2 * w}], cy in [${-h}, ${2 * h}]); pass (fx, fy, cx, cy) ` +
        "in pixels of this image");
    }
    const [lo, hi] = FOCAL_RANGE_PER_SIDE.map((r) => r * Math.max(w, h));
    if (!(fx >= lo && fx <= hi && fy >= lo && fy <= hi)) {
      throw new KeypointError(`intrinsics: focal lengths (fx, fy) = (${fx}, ${fy}) px are not those of a ` +
        `${w} x ${h} image (accepted: ${lo} to ${hi} px); pass (fx, fy, cx, cy) in pixels of this image`);
    }
  }
  return a;
}

/** Focal length in pixels of a camera whose image `imageWidth` pixels wide spans `hfovDeg` degrees. */
export function focalFromFov(imageWidth, hfovDeg) {
  if (!(hfovDeg > 1.0 && hfovDeg < 179.0)) {
    throw new KeypointError(`horizontal_fov_deg=${hfovDeg}: must be between 1 and 179 degrees`);
  }
  return 0.5 * imageWidth / Math.tan((hfovDeg * Math.PI / 180.0) / 2.0);
}

/** Pixels [J][2] of a camera with intrinsics (fx, fy, cx, cy) -> the training cameras' normalized frame:
 *  u = f (x - cx) / fx, v = f (y - cy) / fy (graphsh_tf.contract.normalize_with_intrinsics). */
export function normalizeWithIntrinsics(xy, intrinsics, focalNorm = H36M_FOCAL_NORM) {
  const [fx, fy, cx, cy] = checkIntrinsics(intrinsics);
  return xy.map(([x, y]) => [Math.fround(focalNorm * (x - cx) / fx), Math.fround(focalNorm * (y - cy) / fy)]);
}

/** Normalized coordinates [16][2] -> hip-centred, divided by the largest absolute hip offset over joints and both
 *  axes (graphsh_tf.contract.pose_normalize), for models whose sidecar names POSE_NORMALIZATION. */
export function poseNormalize(u) {
  const [hx, hy] = u[HIP];
  const d = u.map(([x, y]) => [x - hx, y - hy]);
  const s = Math.max(Math.max(...d.map(([x, y]) => Math.max(Math.abs(x), Math.abs(y)))), POSE_NORM_EPS);
  return d.map(([x, y]) => [Math.fround(x / s), Math.fround(y / s)]);
}

/** int8 q = clip(round(x / scale) + zero_point, -128, 127), ties away from zero (as TFLite). */
export function quantize(x, quant) {
  const v = x / quant.scale;
  const r = Math.sign(v) * Math.floor(Math.abs(v) + 0.5);
  return Math.min(127, Math.max(-128, r + quant.zero_point));
}

/** (q - zero_point) * scale, in double, rounded to float32. */
export function dequantize(q, quant) {
  return Math.fround((q - quant.zero_point) * quant.scale);
}

/**
 * Adapted H36M-16 pixels [16][2] -> model input [16][2] (graphsh_tf.keypoints.encode_input): float32 values, or
 * int8 values when `quant` is {scale, zero_point}. With `intrinsics` (fx, fy, cx, cy) the coordinates are the
 * camera's viewing rays in the training cameras' field of view; `inputNorm` "pose" then centres and scales them
 * (poseNormalize). With `confidence` (the adapters' 16 confidences) the input is [16][3]: each joint's confidence,
 * clipped to [0, 1], as third channel, for models whose sidecar's input.channels is CHANNELS.
 */
export function encodeInput(xy, w, h, quant = null, intrinsics = null, inputNorm = "screen", confidence = null) {
  checkImageSize(w, h);
  if (intrinsics != null) checkIntrinsics(intrinsics, w, h);
  let u = intrinsics == null ? normalize(xy, w, h) : normalizeWithIntrinsics(xy, intrinsics);
  if (inputNorm === "pose") u = poseNormalize(u);
  if (confidence != null) {
    if (confidence.length !== u.length) {
      throw new KeypointError(`confidence: expected ${u.length} per-joint confidences, got ${confidence.length}`);
    }
    u = u.map((row, j) => [...row, Math.min(1, Math.max(0, Math.fround(confidence[j])))]);
  }
  return quant == null ? u : u.map((row) => row.map((x) => quantize(x, quant)));
}

/** Detector pixels -> model input [16][C] (graphsh_tf.keypoints.prepare_input for one pose); `channels` 3 adds the
 *  adapters' confidence as third channel. */
export function prepareInput(kpts, w, h, layout = "coco17", scores = null, minScore = 0.0, quant = null,
  intrinsics = null, inputNorm = "screen", channels = 2) {
  const a = adapt(kpts, layout, scores, minScore);
  return encodeInput(a.xy, w, h, quant, intrinsics, inputNorm, channels === 3 ? a.confidence : null);
}

/** The per-joint channels a model input may carry (graphsh_tf.contract.CHANNELS): x and y, then optionally the
 *  adapters' confidence. */
export const CHANNELS = ["x", "y", "confidence"];

/** A sidecar's input.channels (undefined: ["x", "y"], models exported before the confidence channel) -> the channel
 *  list (graphsh_tf.contract.InputContract.channels_from_sidecar); anything else is a KeypointError naming the field. */
export function channelsFromSidecar(channels, source = "sidecar") {
  if (channels === undefined || channels === null) return CHANNELS.slice(0, 2);
  for (const want of [CHANNELS.slice(0, 2), CHANNELS]) {
    if (Array.isArray(channels) && JSON.stringify(channels) === JSON.stringify(want)) return want.slice();
  }
  throw new KeypointError(`${source}: field 'input.channels' is ${JSON.stringify(channels)}, expected ` +
    `${JSON.stringify(CHANNELS.slice(0, 2))} or ${JSON.stringify(CHANNELS)}`);
}

/** Model output (48 values, or [16][3]) -> joints in mm [16][3], float32 values; int8 output dequantized. */
export function decodeOutput(raw, quant = null) {
  const flat = Array.isArray(raw) && Array.isArray(raw[0]) ? raw.flat() : Array.from(raw);
  if (flat.length !== NUM_JOINTS * 3 || (Array.isArray(raw) && Array.isArray(raw[0]) &&
      (raw.length !== NUM_JOINTS || raw.some((r) => r.length !== 3)))) {
    throw new KeypointError(`model output: expected shape (16, 3), got ${flat.length} values`);
  }
  const out = [];
  for (let j = 0; j < NUM_JOINTS; j++) {
    const row = [];
    for (let c = 0; c < 3; c++) {
      const v = flat[3 * j + c];
      row.push(quant == null ? Math.fround(v) : dequantize(v, quant));
    }
    out.push(row);
  }
  return out;
}

/** LiftResult.valid for one pose: enough joints from present keypoints, none far outside the image. */
/**
 * Per joint: seen (confidence > 0) and inside the w x h image; Python's LiftResult.in_image. A joint that is not (a
 * desk webcam's legs below the frame) is lifted like the others but drawn as unseen.
 */
export function inImage(adapted, w, h) {
  return adapted.xy.map(([x, y], j) => adapted.confidence[j] > 0 && x >= 0 && x <= w && y >= 0 && y <= h);
}

export function isValidPose(adapted, w, h) {
  let present = 0;
  for (let j = 0; j < NUM_JOINTS; j++) {
    if (adapted.confidence[j] > 0) {
      present++;
      const [x, y] = adapted.xy[j];
      if (x < -0.5 * w || x > 1.5 * w || y < -0.5 * h || y > 1.5 * h) return false;
    }
  }
  return present >= MIN_PRESENT_JOINTS;
}

function tensorQuant(meta, key, shape, source) {
  const spec = meta[key];
  if (!spec || typeof spec !== "object") {
    throw new KeypointError(`${source}: field '${key}' missing; re-export the model with tflite/convert.py`);
  }
  if (JSON.stringify(spec.shape || []) !== JSON.stringify(shape)) {
    throw new KeypointError(`${source}: field '${key}.shape' is ${JSON.stringify(spec.shape)}, expected ` +
      JSON.stringify(shape));
  }
  if (spec.dtype !== "float32" && spec.dtype !== "int8") {
    throw new KeypointError(`${source}: field '${key}.dtype' is '${spec.dtype}', expected 'float32' or 'int8'`);
  }
  if (spec.dtype === "float32") return null;
  const q = spec.quantization;
  if (!q || !(Number(q.scale) > 0) || !Number.isInteger(Number(q.zero_point))) {
    throw new KeypointError(`${source}: field '${key}.quantization' must be {scale: >0, zero_point: int} for an ` +
      `int8 tensor, got ${JSON.stringify(q)}`);
  }
  return { scale: Number(q.scale), zero_point: Number(q.zero_point) };
}

/**
 * What a lifter needs from a sidecar (graphsh_tf.lite.metadata.lifter_io): checks format, layout, shapes, dtypes,
 * normalization, channels and unit; returns {inputQuant, outputQuant, inputNorm ("screen" | "pose"), channels
 * (["x", "y"] or CHANNELS), inputName, outputName} (quant null for float32).
 */
export function lifterIO(meta, source = "sidecar") {
  if (!meta || meta.format !== "graphsh-tflite/1") {
    throw new KeypointError(`${source}: field 'format' is ${JSON.stringify(meta && meta.format)}, expected ` +
      "'graphsh-tflite/1'; re-export with tflite/convert.py");
  }
  if (meta.layout !== "h36m16") {
    throw new KeypointError(`${source}: field 'layout' is ${JSON.stringify(meta.layout)}, expected 'h36m16'`);
  }
  const channels = channelsFromSidecar(meta.input && meta.input.channels, source);
  const inputQuant = tensorQuant(meta, "input", [1, NUM_JOINTS, channels.length], source);
  const outputQuant = tensorQuant(meta, "output", [1, NUM_JOINTS, 3], source);
  const norm = String(meta.input.normalization ?? NORMALIZATION).replace(/ /g, "");
  const inputNorm = norm === NORMALIZATION.replace(/ /g, "") ? "screen"
    : norm === POSE_NORMALIZATION.replace(/ /g, "") ? "pose" : null;
  if (inputNorm === null) {
    throw new KeypointError(`${source}: field 'input.normalization' is '${meta.input.normalization}'; this runtime ` +
      `implements '${NORMALIZATION}' and '${POSE_NORMALIZATION}'`);
  }
  if ((meta.output.unit ?? "mm") !== "mm") {
    throw new KeypointError(`${source}: field 'output.unit' is '${meta.output.unit}', expected 'mm'`);
  }
  return { inputQuant, outputQuant, inputNorm, channels, inputName: meta.input.name || "keypoints_2d",
    outputName: meta.output.name || "joints_3d" };
}

// --- one body per track (graphsh_tf.anatomy; Java BodyLengths): the bone lengths a stream gives every frame ------

/** Frames BodyLengths' median looks back over by default (graphsh_tf.anatomy.BodyLengths' window). */
export const ONE_BODY_WINDOW = 120;
/** Left/right bone pairs, indices into boneLengths (bone j - 1 ends at joint j): thigh, shin, upper arm, forearm,
 *  hip, shoulder, each [left, right] (graphsh_tf.anatomy.PAIRS). */
export const BONE_PAIRS = [["LKnee", "RKnee"], ["LFoot", "RFoot"], ["LElbow", "RElbow"], ["LWrist", "RWrist"],
  ["LHip", "RHip"], ["LShoulder", "RShoulder"]].map(([l, r]) => [JOINT_NAMES.indexOf(l) - 1,
  JOINT_NAMES.indexOf(r) - 1]);

function checkPose(pose, what) {
  if (!Array.isArray(pose) || pose.length !== NUM_JOINTS || pose.some((r) => !r || r.length !== 3)) {
    throw new KeypointError(`${what}: expected a pose of 16 joints (x, y, z) mm`);
  }
}

function checkLengths(lengths, what) {
  if (!lengths || lengths.length !== NUM_JOINTS - 1) {
    throw new KeypointError(`${what}: expected 15 bone lengths, got ${lengths && lengths.length}`);
  }
}

/** Pose [16][3] -> [15]: the length of bone j - 1 from joint j to its parent (graphsh_tf.anatomy.bone_lengths). */
export function boneLengths(pose) {
  checkPose(pose, "boneLengths");
  const b = [];
  for (let j = 1; j < NUM_JOINTS; j++) {
    const c = pose[j], p = pose[PARENTS[j]];
    const dx = c[0] - p[0], dy = c[1] - p[1], dz = c[2] - p[2];
    b.push(Math.sqrt(dx * dx + dy * dy + dz * dz));
  }
  return b;
}

/** Bone lengths [15] with every left/right pair replaced by the pair's mean (a new array). */
export function symmetricLengths(lengths) {
  checkLengths(lengths, "symmetricLengths");
  const b = Array.from(lengths, Number);
  for (const [l, r] of BONE_PAIRS) {
    const m = 0.5 * (b[l] + b[r]);
    b[l] = m;
    b[r] = m;
  }
  return b;
}

/** A pose [16][3] rebuilt from the root outwards with bone j - 1 of length lengths[j - 1] along the pose's own
 *  direction from joint j's parent to j; the root stays where it is; a bone shorter than 1e-9 (or not finite) puts
 *  its joint on its parent (graphsh_tf.anatomy.apply_lengths). Double precision. */
export function applyLengths(pose, lengths) {
  checkPose(pose, "applyLengths");
  checkLengths(lengths, "applyLengths");
  const out = [[Number(pose[0][0]), Number(pose[0][1]), Number(pose[0][2])]];
  for (let j = 1; j < NUM_JOINTS; j++) {
    const q = PARENTS[j];
    const v = [0, 1, 2].map((k) => pose[j][k] - pose[q][k]);
    const n = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    out.push([0, 1, 2].map((k) => out[q][k] + (n > 1e-9 ? v[k] / n : 0.0) * lengths[j - 1]));
  }
  return out;
}

/** numpy's median: the middle value of an odd count, the mean of the two middle values of an even one. */
export function median(values) {
  const a = Array.from(values).sort((x, y) => x - y);
  const n = a.length;
  if (n === 0) return NaN;
  return n % 2 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
}

/**
 * A person's bone lengths over a track (graphsh_tf.anatomy.BodyLengths; Java BodyLengths): the median over the last
 * `window` frames whose joints were all seen, left and right made equal; before any such frame a pose keeps its own
 * (symmetric) lengths. The one-body step of a stream (graphsh_tf.smoothing.LifterStream):
 * joints = applyLengths(joints, body.update(joints, confident)), confident = the pose is valid and every joint's
 * confidence > 0; reset() when the person is lost.
 */
export class BodyLengths {
  constructor(window = ONE_BODY_WINDOW) {
    if (!(Number.isInteger(window) && window >= 1)) {
      throw new RangeError(`BodyLengths(window=${window}): use a whole number of frames >= 1`);
    }
    this.window = window;
    this.seen = [];
  }

  /** Record `pose` [16][3] mm when `confident` (and its bone lengths are finite); the lengths [15] to give it. */
  update(pose, confident = true) {
    const b = boneLengths(pose);
    if (confident && b.every(Number.isFinite)) {
      this.seen.push(b);
      if (this.seen.length > this.window) this.seen.shift();
    }
    if (!this.seen.length) return symmetricLengths(b);
    return symmetricLengths(b.map((_, k) => median(this.seen.map((s) => s[k]))));
  }

  /** Forget the frames seen (a new person). */
  reset() {
    this.seen = [];
  }
}

/** p-th percentile (0..100) of a list of numbers, linear interpolation (numpy's default). */
export function percentile(values, p) {
  const a = Array.from(values).sort((x, y) => x - y);
  if (a.length === 0) return NaN;
  const pos = (a.length - 1) * p / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, a.length - 1);
  return a[lo] + (a[hi] - a[lo]) * (pos - lo);
}
