// Checks web_demo/src/lifter_core.js against the Python golden vectors (tests/fixtures/golden: adapters.json,
// decode.json, intrinsics.json, confidence.json, one_body.json), the same files android_demo/lifter-core is tested
// on.
//
//   node web_demo/test/golden.mjs [GOLDEN_DIR [CAMERA_JSON]]
//        (defaults: tests/fixtures/golden, and android_demo/lifter-core's test resource golden/camera.json for the
//         camera path: letterbox + MoveNet decoding, web_demo/src/camera.js)
//   node web_demo/test/golden.mjs --tables          (prints the JS joint/source tables as JSON)
//   node web_demo/test/golden.mjs --calls FILE      (cases written at test time: [{name, fn, args, expected}];
//                                                    core[fn](...args) must equal expected to 1e-5)
//
// Prints one JSON line {"checked": n, "max_abs_err": e, "one_body_frames": f, "failures": [...]} and exits 1 on any
// failure. Tolerance: 1e-5 absolute on floats (one_body.json: 1e-3 mm), exact on int8 values and confidences'
// presence.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as camera from "../src/camera.js";
import * as core from "../src/lifter_core.js";

const TOL = 1e-5;
const here = dirname(fileURLToPath(import.meta.url));

if (process.argv[2] === "--tables") {
  console.log(JSON.stringify({ JOINT_NAMES: core.JOINT_NAMES, PARENTS: core.PARENTS, SOURCES: core.SOURCES,
    REQUIRED: core.REQUIRED, LAYOUTS: core.LAYOUTS, NORMALIZATION: core.NORMALIZATION,
    H36M_FOCAL_NORM: core.H36M_FOCAL_NORM, MIN_PRESENT_JOINTS: core.MIN_PRESENT_JOINTS, BONE_PAIRS: core.BONE_PAIRS,
    ONE_BODY_WINDOW: core.ONE_BODY_WINDOW }));
  process.exit(0);
}

let checked = 0;
let maxErr = 0;
const failures = [];

if (process.argv[2] === "--calls") {
  for (const c of JSON.parse(readFileSync(process.argv[3], "utf8"))) {
    guard(`calls/${c.name}`, () => close(`calls/${c.name}`, core[c.fn](...c.args), c.expected));
  }
  console.log(JSON.stringify({ checked, max_abs_err: maxErr, failures }));
  process.exit(failures.length ? 1 : 0);
}

const goldenDir = resolve(process.argv[2] || join(here, "..", "..", "tests", "fixtures", "golden"));
const load = (name) => JSON.parse(readFileSync(join(goldenDir, name), "utf8"));

function close(where, got, want, tol = TOL) {
  const g = Array.isArray(got) ? got.flat(3) : [got];
  const w = Array.isArray(want) ? want.flat(3) : [want];
  if (g.length !== w.length) {
    failures.push(`${where}: ${g.length} values, expected ${w.length}`);
    return;
  }
  for (let i = 0; i < w.length; i++) {
    const e = Math.abs(g[i] - w[i]);
    checked++;
    if (!(e <= tol)) failures.push(`${where}[${i}]: got ${g[i]}, expected ${w[i]} (|d| = ${e})`);
    else maxErr = Math.max(maxErr, e);
  }
}

function exact(where, got, want) {
  close(where, got, want, 0);
}

function guard(where, fn) {
  try {
    fn();
  } catch (e) {
    failures.push(`${where}: threw ${e.name}: ${e.message}`);
  }
}

for (const c of load("adapters.json").cases) {
  guard(`adapters/${c.name}`, () => {
    const [w, h] = c.image_size;
    const a = core.adapt(c.keypoints, c.layout, c.scores, c.min_score);
    close(`adapters/${c.name}/h36m16_xy`, a.xy, c.h36m16_xy);
    close(`adapters/${c.name}/confidence`, a.confidence, c.confidence);
    close(`adapters/${c.name}/input_float`, core.prepareInput(c.keypoints, w, h, c.layout, c.scores, c.min_score),
      c.input_float);
    exact(`adapters/${c.name}/input_int8`, core.prepareInput(c.keypoints, w, h, c.layout, c.scores, c.min_score,
      c.input_quantization), c.input_int8);
    // the [x, y, score] row form gives the same input
    const rows = c.keypoints.map((r, i) => [r[0], r[1], c.scores[i]]);
    close(`adapters/${c.name}/input_float_rows`, core.prepareInput(rows, w, h, c.layout, null, c.min_score),
      c.input_float);
  });
}

for (const c of load("decode.json").cases) {
  guard(`decode/${c.name}`, () => {
    close(`decode/${c.name}/joints_mm`, core.decodeOutput(c.raw, c.quantization), c.joints_mm);
    close(`decode/${c.name}/joints_mm_flat`, core.decodeOutput(c.raw.flat(), c.quantization), c.joints_mm);
  });
}

const intr = load("intrinsics.json");
close("intrinsics/h36m_focal_norm", core.H36M_FOCAL_NORM, intr.h36m_focal_norm, 1e-12);
for (const c of intr.cases) {
  guard(`intrinsics/${c.name}`, () => close(`intrinsics/${c.name}/uv`, core.normalizeWithIntrinsics(c.xy, c.intrinsics),
    c.uv));
}
for (const c of intr.prepare_cases) {
  guard(`intrinsics/${c.name}`, () => {
    const [w, h] = c.image_size;
    close(`intrinsics/${c.name}/input_float`, core.prepareInput(c.keypoints, w, h, c.layout, c.scores, c.min_score,
      null, c.intrinsics), c.input_float);
    exact(`intrinsics/${c.name}/input_int8`, core.prepareInput(c.keypoints, w, h, c.layout, c.scores, c.min_score,
      c.input_quantization, c.intrinsics), c.input_int8);
  });
}

function sameJson(where, got, want) {
  checked++;
  if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${where}: got ${JSON.stringify(got)}`);
}

const conf = load("confidence.json");
sameJson("confidence/channels", core.CHANNELS, conf.channels);
for (const c of conf.prepare_cases) {
  guard(`confidence/${c.name}`, () => {
    const [w, h] = c.image_size;
    close(`confidence/${c.name}/input_float`, core.prepareInput(c.keypoints, w, h, c.layout, c.scores, c.min_score,
      null, c.intrinsics, c.input_norm, 3), c.input_float);
    exact(`confidence/${c.name}/input_int8`, core.prepareInput(c.keypoints, w, h, c.layout, c.scores, c.min_score,
      c.input_quantization, c.intrinsics, c.input_norm, 3), c.input_int8);
    const a = core.adapt(c.keypoints, c.layout, c.scores, c.min_score);
    close(`confidence/${c.name}/encoded`, core.encodeInput(a.xy, w, h, null, c.intrinsics, c.input_norm,
      a.confidence), c.input_float);
  });
}
for (const c of conf.sidecar_cases) {
  guard(`confidence/sidecar/${c.name}`, () => {
    if (c.channels !== null) {
      sameJson(`confidence/sidecar/${c.name}`, core.channelsFromSidecar(c.input.channels, "s.json"), c.channels);
      return;
    }
    checked++;
    try {
      core.channelsFromSidecar(c.input.channels, "s.json");
      failures.push(`confidence/sidecar/${c.name}: accepted ${JSON.stringify(c.input.channels)}`);
    } catch (e) {
      if (!(e instanceof core.KeypointError) || !/'input\.channels'/.test(e.message)) {
        failures.push(`confidence/sidecar/${c.name}: ${e.message}`);
      }
    }
  });
}

// one body per track: BodyLengths.update + applyLengths, frame by frame, to 1e-3 mm (null = NaN in the file)
const oneBody = load("one_body.json");
sameJson("one_body/pairs", core.BONE_PAIRS, oneBody.pairs);
sameJson("one_body/default_window", core.ONE_BODY_WINDOW, oneBody.default_window);
let oneBodyFrames = 0;
const nanPose = (p) => p.map((r) => r.map((v) => (v === null ? NaN : v)));
function closeNan(where, got, want) {
  const g = got.flat(), w = want.flat();
  for (let i = 0; i < w.length; i++) {
    if (w[i] === null) {
      checked++;
      if (!Number.isNaN(g[i])) failures.push(`${where}[${i}]: got ${g[i]}, expected NaN`);
    } else {
      close(`${where}[${i}]`, g[i], w[i], 1e-3);
    }
  }
}
for (const c of oneBody.cases) {
  guard(`one_body/${c.name}`, () => {
    const body = new core.BodyLengths(c.window);
    c.poses_mm.forEach((p, i) => {
      if (c.reset_before.includes(i)) body.reset();
      const pose = nanPose(p);
      const lengths = body.update(pose, c.confident[i]);
      close(`one_body/${c.name}/${i}/lengths_mm`, lengths, c.lengths_mm[i], 1e-3);
      closeNan(`one_body/${c.name}/${i}/out_poses_mm`, core.applyLengths(pose, lengths), c.out_poses_mm[i]);
      oneBodyFrames++;
    });
  });
}

const cameraFile = resolve(process.argv[3] || join(here, "..", "..", "android_demo", "lifter-core", "src", "test",
  "resources", "golden", "camera.json"));
const cam = JSON.parse(readFileSync(cameraFile, "utf8"));
for (const c of cam.letterbox) {
  guard(`letterbox/${c.name}`, () => {
    const b = new camera.Letterbox(c.sensor_size[0], c.sensor_size[1], c.rotation, c.size);
    exact(`letterbox/${c.name}/upright_size`, [b.width, b.height], c.upright_size);
    close(`letterbox/${c.name}/scale_pad`, [b.scale, b.padX, b.padY], [c.scale, ...c.pad], 1e-12);
    exact(`letterbox/${c.name}/rgb`, Array.from(b.fillRgb(Uint8Array.from(c.rgba), c.row_stride, c.pixel_stride)),
      c.rgb);
    // a view into a larger buffer: reads start at the offset
    const big = new Uint8Array(c.rgba.length + 5);
    big.set(c.rgba, 5);
    exact(`letterbox/${c.name}/rgb_offset`, Array.from(b.fillRgb(big, c.row_stride, c.pixel_stride, undefined, 5)),
      c.rgb);
  });
}
for (const c of cam.movenet) {
  guard(`movenet/${c.name}`, () => {
    const b = new camera.Letterbox(c.sensor_size[0], c.sensor_size[1], c.rotation, c.size);
    const kp = camera.decodeMoveNet(Float32Array.from(c.raw.flat()), b);
    exact(`movenet/${c.name}/size`, [kp.width, kp.height], c.upright_size);
    close(`movenet/${c.name}/xy`, kp.keypoints, c.xy, 1e-9);
    close(`movenet/${c.name}/scores`, kp.scores, c.scores, 1e-9);
    close(`movenet/${c.name}/input_float`, core.prepareInput(kp.keypoints, kp.width, kp.height, "coco17", kp.scores,
      c.min_score), c.input_float);
  });
}

// bad inputs fail with a KeypointError naming the problem
for (const [what, fn, pattern, type = core.KeypointError] of [
  ["wrong keypoint count", () => core.adapt([[1, 2]], "coco17"), /coco17 keypoints: expected 17/],
  ["unknown layout", () => core.adapt([], "openpose"), /unknown keypoint layout/],
  ["bad image size", () => core.encodeInput(new Array(16).fill([1, 2]), 0, 480), /image_size/],
  ["bad intrinsics", () => core.normalizeWithIntrinsics([[1, 2]], [0, 1, 2, 3]), /intrinsics/],
  ["bad output", () => core.decodeOutput(new Float32Array(47)), /model output/],
  ["bad sidecar", () => core.lifterIO({ format: "x" }), /format/],
  ["bad rotation", () => new camera.Letterbox(640, 480, 45, 192), /rotationDegrees/, RangeError],
  ["bad MoveNet output", () => camera.decodeMoveNet(new Float32Array(50), new camera.Letterbox(640, 480, 0, 192)),
    /51/, RangeError],
]) {
  checked++;
  try {
    fn();
    failures.push(`${what}: no error`);
  } catch (e) {
    if (!(e instanceof type) || !pattern.test(e.message)) failures.push(`${what}: ${e.message}`);
  }
}

console.log(JSON.stringify({ golden_dir: goldenDir, camera_file: cameraFile, checked, max_abs_err: maxErr,
  one_body_frames: oneBodyFrames, failures }));
process.exit(failures.length ? 1 : 0);
