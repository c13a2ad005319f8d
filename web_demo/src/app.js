// The page: choose a variant and a bundled 2D sequence, lift every frame with LiteRT.js, time it, play the 3D
// skeleton back; or run a real detector (BlazePose from node_modules/@mediapipe/pose, in LiteRT.js) on the webcam,
// an image or a video file, draw its 2D keypoints on the frame, lift and draw in 3D, with BlazePose's own 3D (its
// world landmarks) overlaid in grey for comparison (the "BlazePose 3D" checkbox). URL parameters:
// ?variant=fp32|fp16|drq|int8|... &sample=NAME &models=BASE_URL (default models/) &autoplay=0
// &detector=blazepose-lite|blazepose-full|blazepose-heavy &hfov=DEGREES (camera field of view, default 65)
// &movenet=URL (a MoveNet SinglePose .tflite for the webcam instead of BlazePose; models/movenet.tflite is offered
// when the server has it). Nothing is fetched from outside this server. The page's state and a small API for tests
// and benchmarks live on window.graphsh.
import { BlazePoseDetector } from "./blazepose.js";
import * as core from "./lifter_core.js";
import { MoveNetDetector, WebLifter } from "./runtime.js";
import { SkeletonView } from "./view.js";

// LiteRT's WebAssembly writes its log lines ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.", "WARNING:
// ... NPU accelerator could not be loaded") to stderr, which the browser shows as console errors: they are
// information and warnings, and go to the console as such.
const consoleError = console.error.bind(console);
console.error = (...args) => {
  const text = typeof args[0] === "string" ? args[0] : "";
  if (/^INFO: /.test(text)) return console.info(...args);
  if (/^WARNING: /.test(text)) return console.warn(...args);
  return consoleError(...args);
};

const params = new URLSearchParams(location.search);
const MODELS = (params.get("models") || "models/").replace(/\/?$/, "/");
const DEFAULT_VARIANTS = ["fp32", "fp16", "drq", "int8"];
/** Keypoints MoveNet scores below this are treated as missing (as the Android app does). */
const WEBCAM_MIN_SCORE = 0.2;
/** Horizontal field of view (degrees) of the camera or file, for the intrinsics (python -m graphsh_tf.lift's --hfov). */
const HFOV = Number(params.get("hfov") || 65);
const DETECTOR = params.get("detector") || "blazepose-full";
const $ = (id) => document.getElementById(id);

const state = {
  status: "loading", error: null, variant: null, sample: null, meta: null, modelBytes: null,
  latenciesMs: [], modelLatenciesMs: [], p50Ms: null, modelP50Ms: null, mpjpeMm: null, baselineMm: null, frame: 0,
  framesShown: 0, poses: [], core, warning: null, media: null,
  /** BlazePose's own 3D in the view: available (the shown person has it), on (the checkbox), shown (drawn). */
  blazepose3d: { available: false, on: true, shown: false },
};
window.graphsh = state;

let lifter = null;
let samples = null;
let view = null;
let playing = params.get("autoplay") !== "0";
let timer = null;

function setStatus(text, error = false) {
  const el = $("status");
  el.textContent = text;
  el.className = error ? "status error" : "status";
}

function fail(err) {
  state.status = "error";
  state.error = `${err && err.name ? err.name + ": " : ""}${err && err.message ? err.message : err}`;
  setStatus(state.error, true);
  console.error(state.error);
}

async function fetchJson(url, what) {
  const r = await fetch(url);
  if (!r.ok) throw new core.KeypointError(`${url}: ${what} not found (HTTP ${r.status})`);
  return r.json();
}

async function listVariants() {
  try {
    const index = await fetchJson(`${MODELS}index.json`, "model index");
    if (Array.isArray(index.variants) && index.variants.length) return index.variants;
  } catch (e) {
    console.warn(`${e.message}; offering ${DEFAULT_VARIANTS.join(", ")}`);
  }
  return DEFAULT_VARIANTS;
}

function describe(meta, bytes) {
  const m = meta.model || {};
  const q = (t) => (t.quantization ? ` (scale ${t.quantization.scale}, zero point ${t.quantization.zero_point})` : "");
  return [
    `variant      ${meta.variant}   (${(bytes / 1024).toFixed(1)} KiB)`,
    `format       ${meta.format}, graphsh_tf ${meta.version}`,
    `model        ${m.arch || "graphsh"} ${m.gcn || ""}, hid ${m.hid_dim ?? "?"}, ${m.num_stacks ?? "?"} stack(s)`,
    `input        ${meta.input.name} ${JSON.stringify(meta.input.shape)} ${meta.input.dtype}${q(meta.input)}`,
    `             ${meta.input.normalization}`,
    `output       ${meta.output.name} ${JSON.stringify(meta.output.shape)} ${meta.output.dtype}${q(meta.output)}`,
    `             ${meta.output.unit}, root-relative (${meta.output.root_joint})`,
    `joints       ${meta.joint_names.join(" ")}`,
    "",
    JSON.stringify(meta, null, 1),
  ].join("\n");
}

/** Lift every frame of a sequence; per-frame latency = adapters + model call + decoding. */
async function liftSequence(seq) {
  const poses = [];
  const total = [];
  const model = [];
  for (const frame of seq.frames) {
    const t0 = performance.now();
    const a = core.adapt(frame, seq.layout);
    const x = core.encodeInput(a.xy, seq.image_size[0], seq.image_size[1], lifter.io.inputQuant, null,
      lifter.io.inputNorm, lifter.io.channels.length === 3 ? a.confidence : null);
    const t1 = performance.now();
    const joints = await lifter.run(x);
    const t2 = performance.now();
    poses.push(joints);
    total.push(t2 - t0);
    model.push(t2 - t1);
  }
  return { poses, total, model };
}

function mpjpe(poses, truth) {
  let sum = 0, n = 0;
  poses.forEach((p, i) => p.forEach((j, k) => {
    sum += Math.hypot(j[0] - truth[i][k][0], j[1] - truth[i][k][1], j[2] - truth[i][k][2]);
    n++;
  }));
  return sum / n;
}

/** MPJPE of always answering the sequence's own mean pose: a model above it has learnt nothing useful. */
function meanPoseMpjpe(truth) {
  const mean = truth[0].map((_, k) => [0, 1, 2].map((c) => truth.reduce((a, p) => a + p[k][c], 0) / truth.length));
  return mpjpe(truth.map(() => mean), truth);
}

/** Largest joint distance from the root (mm) over the lifted poses: a collapsed skeleton stays far below 1 m. */
function poseExtent(poses) {
  let best = 0;
  for (const p of poses) {
    for (const j of p) best = Math.max(best, Math.hypot(j[0] - p[0][0], j[1] - p[0][1], j[2] - p[0][2]));
  }
  return best;
}

/** Say so when the model is useless (worse than the mean pose, or a collapsed skeleton), instead of a silent blob. */
function checkModelQuality(poses, mpjpeMm, baselineMm) {
  const extent = poseExtent(poses);
  let text = "";
  if (mpjpeMm != null && baselineMm != null && mpjpeMm > baselineMm) {
    text = `This model is worse than always answering the mean pose (MPJPE ${mpjpeMm.toFixed(0)} mm vs ` +
      `${baselineMm.toFixed(0)} mm): it looks undertrained. Train longer (python3 training/fit.py, the default ` +
      "recipe) and export again.";
  } else if (extent < 400) {
    text = `The lifted skeleton is collapsed (joints at most ${extent.toFixed(0)} mm from the hip, a person spans ` +
      "~900 mm): the model looks undertrained. Train longer (python3 training/fit.py) and export again.";
  }
  state.warning = text || null;
  $("warning").textContent = text;
  $("warning").hidden = !text;
}

/**
 * The 3D view: our joints, with `reference` (BlazePose's own 3D, or null) overlaid when the checkbox is on; `seen`
 * (per joint, or null = all) thins the bones to joints not seen in the image.
 */
function show3d(joints, reference = null, seen = null) {
  const b = state.blazepose3d;
  b.available = reference != null;
  b.on = $("blazepose3d").checked;
  b.shown = b.available && b.on;
  state.shown3d = { joints, reference, seen };
  $("blazepose3d").disabled = !b.available;
  $("blazepose3d-legend").hidden = !b.shown;
  view.show(joints, b.shown ? reference : null, seen);
}

function showFrame(i) {
  if (!state.poses.length) return;
  state.frame = ((i % state.poses.length) + state.poses.length) % state.poses.length;
  show3d(state.poses[state.frame]);
  $("frame").value = String(state.frame);
  state.framesShown++;
}

function play() {
  clearInterval(timer);
  timer = null;
  $("play").textContent = playing ? "Pause" : "Play";
  if (playing && state.poses.length > 1) {
    timer = setInterval(() => showFrame(state.frame + 1), 1000 / (samples.fps || 24));
  }
}

async function runSample() {
  const seq = samples.sequences.find((s) => s.name === $("sample").value) || samples.sequences[0];
  state.sample = seq.name;
  state.status = "lifting";
  setStatus(`lifting ${seq.name} (${seq.frames.length} frames)…`);
  const r = await liftSequence(seq);
  state.poses = r.poses;
  state.latenciesMs = r.total;
  state.modelLatenciesMs = r.model;
  state.p50Ms = core.percentile(r.total, 50);
  state.modelP50Ms = core.percentile(r.model, 50);
  state.mpjpeMm = seq.joints_3d_mm ? mpjpe(r.poses, seq.joints_3d_mm) : null;
  state.baselineMm = seq.joints_3d_mm ? meanPoseMpjpe(seq.joints_3d_mm) : null;
  checkModelQuality(r.poses, state.mpjpeMm, state.baselineMm);
  $("p50").textContent = `${state.p50Ms.toFixed(3)} ms`;
  $("p50model").textContent = `${state.modelP50Ms.toFixed(3)} ms`;
  $("frames").textContent = String(seq.frames.length);
  $("mpjpe").textContent = state.mpjpeMm == null ? "– (no ground truth)"
    : `${state.mpjpeMm.toFixed(1)} mm (mean pose: ${state.baselineMm.toFixed(1)} mm)`;
  $("frame").max = String(seq.frames.length - 1);
  showFrame(0);
  state.status = "ready";
  setStatus(`${state.variant}: ${seq.name} lifted, ${seq.frames.length} frames`);
  play();
}

async function loadVariant(variant) {
  clearInterval(timer);
  state.status = "loading";
  state.error = null;
  state.variant = variant;
  setStatus(`loading graphsh_${variant}.tflite…`);
  if (lifter) lifter.delete();
  lifter = null;
  const url = `${MODELS}graphsh_${variant}.tflite`;
  lifter = await WebLifter.load(url);
  state.meta = lifter.meta;
  state.modelBytes = (await (await fetch(url)).arrayBuffer()).byteLength;
  $("meta").textContent = describe(lifter.meta, state.modelBytes);
}

// --- real detector: webcam, image or video file -> people (2D) -> the same adapters -> the lifter ----------------

let blazepose = null;
let movenet = null;
let mediaLoop = null;   // {stop: true/false} of the running webcam/video loop
let webcamStream = null;
const grab = document.createElement("canvas");
const grabCtx = grab.getContext("2d", { willReadFrequently: true });

/** Bone colours of the 2D overlay: the same as the 3D view's (right, left, centre). */
const COLORS_2D = { right: "#ff3b30", left: "#1e90ff", centre: "#ffd60a" };
const RIGHT_JOINTS = new Set([1, 2, 3, 13, 14, 15]);
const LEFT_JOINTS = new Set([4, 5, 6, 10, 11, 12]);

async function loadBlazePose() {
  const variant = DETECTOR.replace(/^blazepose-?/, "") || "full";
  if (!blazepose || blazepose.variant !== variant) {
    setStatus(`loading BlazePose (${variant}) from node_modules/@mediapipe/pose…`);
    try {
      blazepose = await BlazePoseDetector.load({ variant });
    } catch (e) {
      throw new Error(`the detector could not load: ${e.message}`);
    }
  }
  return blazepose;
}

function intrinsicsFor(w, h) {
  const f = core.focalFromFov(w, HFOV);
  return [f, f, w / 2, h / 2];
}

/** One frame (video, image or canvas element, w x h) -> detector -> adapter -> lifter; draws 2D and 3D. `body`: the
 *  track's core.BodyLengths on video and webcam frames (null for a still image): the person shown in 3D gets one
 *  body, the joints rebuilt with the track's bone lengths as graphsh_tf.smoothing.LifterStream does
 *  (state.media.people[i].joints_one_body; .joints stays the lifter's output); a frame without a valid person
 *  resets it (the person is lost). */
async function processFrame(source, w, h, detector, body = null) {
  grab.width = w;
  grab.height = h;
  grabCtx.drawImage(source, 0, 0, w, h);
  const img = grabCtx.getImageData(0, 0, w, h);
  const m = state.media;
  const t0 = performance.now();
  let people;
  let stages;
  if (detector instanceof MoveNetDetector) {
    const kp = await detector.detect(img.data, w, h);
    people = [{ keypoints: kp.keypoints, scores: kp.scores, layout: "coco17" }];
    stages = { detector: performance.now() - t0 };
  } else {
    people = await detector.detectPeople(img.data, w, h);
    stages = { ...detector.lastTimingsMs };
  }
  const k = detector instanceof MoveNetDetector ? null : intrinsicsFor(w, h);
  const minScore = detector instanceof MoveNetDetector ? WEBCAM_MIN_SCORE : 0;
  stages.adapter = 0;
  stages.lifter = 0;
  for (const p of people) {
    const ta = performance.now();
    p.adapted = core.adapt(p.keypoints, p.layout, p.scores, minScore);
    const tb = performance.now();
    p.joints = await lifter.lift(p.keypoints, [w, h], { layout: p.layout, scores: p.scores, minScore, intrinsics: k });
    const tc = performance.now();
    p.valid = lifter.lastValid;
    p.confidence = lifter.lastConfidence;
    p.inImage = lifter.lastInImage;
    stages.adapter += tb - ta;
    stages.lifter += tc - tb;
  }
  for (const [stage, ms] of Object.entries(stages)) (m.stageMs[stage] = m.stageMs[stage] || []).push(ms);
  m.frames++;
  $("frames").textContent = String(m.frames);
  Object.assign(m, { width: w, height: h, intrinsics: k, minScore,
    people: people.map((p) => ({ keypoints: p.keypoints, scores: p.scores, layout: p.layout, joints: p.joints,
      valid: p.valid, confidence: p.confidence, adapted: p.adapted.xy, roi: p.roi ?? null,
      world_mm: p.worldMm ?? null })) });
  drawFrame2d(img, people);
  const shown = people.find((p) => p.valid);
  if (body && shown) {   // valid; confident when every joint was seen too
    const confident = shown.confidence.every((c) => c > 0);
    shown.joints = core.applyLengths(shown.joints, body.update(shown.joints, confident));
    m.people[people.indexOf(shown)].joints_one_body = shown.joints;
  } else if (body) {
    body.reset();
  }
  if (shown) show3d(shown.joints, shown.worldMm ?? null, shown.inImage);
  $("people").textContent = people.length ? `${people.length} (3D: the first with a valid pose${shown ? "" : "; none"})`
    : "nobody found";
  showStages(m.stageMs);
  return people;
}

function showStages(stageMs) {
  const p50 = (s) => (stageMs[s] && stageMs[s].length ? `${core.percentile(stageMs[s], 50).toFixed(1)} ms` : "–");
  $("stages").textContent = ["detector", "landmarks", "adapter", "lifter"].map((s) => `${s} ${p50(s)}`).join(" · ");
}

function drawFrame2d(img, people) {
  const c = $("frame2d");
  c.width = img.width;
  c.height = img.height;
  c.hidden = false;
  const ctx = c.getContext("2d");
  ctx.putImageData(img, 0, 0);
  const r = Math.max(2, img.width / 250);
  for (const p of people) {
    ctx.lineWidth = r;
    core.edges().forEach(([child, parent]) => {
      const a = p.adapted.xy[child], b = p.adapted.xy[parent];
      ctx.strokeStyle = RIGHT_JOINTS.has(child) ? COLORS_2D.right : LEFT_JOINTS.has(child) ? COLORS_2D.left
        : COLORS_2D.centre;
      ctx.beginPath();
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(b[0], b[1]);
      ctx.stroke();
    });
    ctx.fillStyle = "#7cfc00";
    p.keypoints.forEach(([x, y], j) => {
      if (p.scores[j] > 0.3) ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
    });
  }
}

function newMedia(kind, name) {
  state.media = { kind, name, status: "loading", error: null, frames: 0, stageMs: {}, people: [] };
  // the sequence rows describe the bundled samples, not a camera or a file: the per-stage row replaces them
  $("p50").textContent = "– (see per stage)";
  $("p50model").textContent = "– (see per stage)";
  $("frames").textContent = "0";
  $("mpjpe").textContent = "– (no ground truth)";
  return state.media;
}

function stopMedia() {
  if (mediaLoop) mediaLoop.stop = true;
  mediaLoop = null;
  if (webcamStream) webcamStream.getTracks().forEach((t) => t.stop());
  webcamStream = null;
  const video = $("video");
  video.pause();
  video.removeAttribute("src");
  video.srcObject = null;
  $("webcam").textContent = "Webcam";
}

/** Back to the bundled sequence after the webcam or a video stops. */
function resumeSamples(reason) {
  playing = true;
  play();
  setStatus(`${reason}; playing ${state.sample}`);
}

/** Run detector -> lifter on every frame of a playing <video> until it ends or stopMedia(). Live frames get one
 *  detector pass (the most prominent person), shown with one body over the track; a still image is searched for
 *  everyone. */
async function videoLoop(video, detector, m) {
  const loop = (mediaLoop = { stop: false });
  const body = new core.BodyLengths();   // one body over the track (a new loop: a new person)
  if (detector instanceof BlazePoseDetector) detector.maxPersons = 1;
  playing = false;
  play();
  m.status = "running";
  while (!loop.stop && !video.ended) {
    const vw = video.videoWidth, vh = video.videoHeight;
    if (vw && vh && video.readyState >= 2) await processFrame(video, vw, vh, detector, body);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  m.status = loop.stop ? "stopped" : "done";
}

/** Start the webcam loop (a second call stops it). `movenetUrl`: run that MoveNet .tflite instead of BlazePose. */
async function toggleWebcam(movenetUrl = null) {
  if (webcamStream || (mediaLoop && state.media && state.media.kind === "webcam")) {
    stopMedia();
    if (state.media) state.media.status = "stopped";
    resumeSamples("webcam stopped");
    return;
  }
  stopMedia();
  const m = newMedia("webcam", "webcam");
  $("webcam").textContent = "Stop webcam";
  let detector;
  try {
    const url = movenetUrl || params.get("movenet");
    if (url) {
      setStatus(`loading MoveNet from ${url}…`);
      if (!movenet || movenet.url !== url) movenet = await MoveNetDetector.load(url);
      detector = movenet;
    } else {
      detector = await loadBlazePose();
    }
  } catch (e) {
    return mediaFailed(m, `webcam: ${e.message}`);
  }
  try {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) throw new Error("no camera API (the page " +
      "needs http://127.0.0.1 or https)");
    webcamStream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
  } catch (e) {
    const why = e.name === "NotFoundError" ? "no camera found" : e.name === "NotAllowedError"
      ? "camera access was refused" : `the camera could not start (${e.name}: ${e.message})`;
    return mediaFailed(m, `webcam: ${why}; open an image or video file instead`);
  }
  const video = $("video");
  video.srcObject = webcamStream;
  await video.play();
  setStatus(`webcam: ${detector instanceof MoveNetDetector ? `MoveNet ${detector.size}` : `BlazePose ` +
    `${detector.variant}`} -> ${state.variant}`);
  try {
    await videoLoop(video, detector, m);
  } catch (e) {
    stopMedia();
    return mediaFailed(m, `webcam: ${e.name}: ${e.message}`);
  }
}

function mediaFailed(m, message) {
  m.status = "error";
  m.error = message;
  setStatus(message, true);
  stopMedia();
  playing = true;
  play();
}

/** An image or video file (a File or a URL on this server) -> people in 2D and 3D. */
async function openMedia(file) {
  stopMedia();
  const name = typeof file === "string" ? file : file.name;
  const url = typeof file === "string" ? file : URL.createObjectURL(file);
  const isVideo = typeof file === "string" ? /\.(mp4|webm|mov|m4v|ogv)$/i.test(file) : file.type.startsWith("video/");
  const m = newMedia(isVideo ? "video" : "image", name);
  let detector;
  try {
    detector = await loadBlazePose();
  } catch (e) {
    return mediaFailed(m, `${name}: ${e.message}`);
  }
  try {
    if (isVideo) {
      const video = $("video");
      video.src = url;
      await video.play();
      setStatus(`${name}: BlazePose ${detector.variant} -> ${state.variant}`);
      await videoLoop(video, detector, m);
      setStatus(`${name}: ${m.frames} frames lifted`);
    } else {
      const img = new Image();
      img.src = url;
      try {
        await img.decode();
      } catch {
        throw new Error("not an image the browser can decode");
      }
      playing = false;
      play();
      detector.maxPersons = 4;
      const people = await processFrame(img, img.naturalWidth, img.naturalHeight, detector);
      m.status = "done";
      setStatus(`${name}: ${people.length ? `${people.length} ${people.length === 1 ? "person" : "people"} lifted`
        : "nobody found"} (${img.naturalWidth}x${img.naturalHeight}, field of view ${HFOV}°)`);
    }
  } catch (e) {
    return mediaFailed(m, `${name}: ${e.message}`);
  }
}

// --- the API used by the browser test and the latency benchmark ---------------------------------------------------

/** Lift golden cases [{keypoints, image_size, layout, scores, min_score, intrinsics}] -> {inputs, joints, valid}. */
state.liftCases = async (cases) => {
  const out = [];
  for (const c of cases) {
    const joints = await lifter.lift(c.keypoints, c.image_size, { layout: c.layout, scores: c.scores ?? null,
      minScore: c.min_score ?? 0, intrinsics: c.intrinsics ?? null });
    out.push({ input: lifter.lastInput, joints, confidence: lifter.lastConfidence, valid: lifter.lastValid,
      in_image: lifter.lastInImage });
  }
  return out;
};
/** Raw model calls on normalized inputs [[16][2], ...] -> [[16][3], ...] mm. */
state.runInputs = async (inputs) => {
  const out = [];
  for (const x of inputs) out.push(await lifter.run(x));
  return out;
};
/** Lift every bundled sequence `repeats` times; p50 of the per-frame latencies (ms). */
state.benchmark = async (repeats = 3) => {
  const total = [];
  const model = [];
  for (let r = 0; r < repeats; r++) {
    for (const seq of samples.sequences) {
      const res = await liftSequence(seq);
      total.push(...res.total);
      model.push(...res.model);
    }
  }
  return { frames: total.length, p50_ms: core.percentile(total, 50), model_p50_ms: core.percentile(model, 50),
    p90_ms: core.percentile(total, 90), mean_ms: total.reduce((a, b) => a + b, 0) / total.length };
};
/** Start (or stop) the webcam loop; `url`: a MoveNet .tflite instead of BlazePose. state.media records it. */
state.startWebcam = (url = null) => {
  toggleWebcam(url);
  return true;
};
/** Lift an image or video on this server (as the file button does); state.media records the result. */
state.openMedia = (url) => {
  openMedia(url);
  return true;
};
state.showFrame = (i) => {
  playing = false;
  play();
  showFrame(i);
};

async function main() {
  try {
    view = new SkeletonView($("skeleton"));
    samples = await fetchJson("samples/samples.json", "bundled samples");
    const variants = await listVariants();
    const wanted = params.get("variant") || (variants.includes("fp32") ? "fp32" : variants[0]);
    $("variant").innerHTML = variants.map((v) => `<option${v === wanted ? " selected" : ""}>${v}</option>`).join("");
    const sample = params.get("sample") || samples.sequences[0].name;
    $("sample").innerHTML = samples.sequences.map((s) =>
      `<option${s.name === sample ? " selected" : ""}>${s.name}</option>`).join("");
    $("variant").addEventListener("change", () => loadVariant($("variant").value).then(runSample).catch(fail));
    $("sample").addEventListener("change", () => runSample().catch(fail));
    $("play").addEventListener("click", () => {
      playing = !playing;
      play();
    });
    $("frame").addEventListener("input", () => state.showFrame(Number($("frame").value)));
    $("blazepose3d").addEventListener("change", () => {
      if (state.shown3d) show3d(state.shown3d.joints, state.shown3d.reference, state.shown3d.seen);
    });
    $("webcam").addEventListener("click", () => toggleWebcam());
    $("file").addEventListener("change", () => {
      if ($("file").files.length) openMedia($("file").files[0]);
    });
    await loadVariant(wanted);
    await runSample();
  } catch (e) {
    fail(e);
  }
}

main();
