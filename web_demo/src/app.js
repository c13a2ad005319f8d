// The page: choose a variant and a bundled 2D sequence, lift every frame with LiteRT.js, time it, play the 3D
// skeleton back. URL parameters: ?variant=fp32|fp16|drq|int8|... &sample=NAME &models=BASE_URL (default models/)
// &autoplay=0 &movenet=URL (the webcam's MoveNet .tflite; default: models/movenet.tflite when the server has it,
// else MOVENET_URL). The page's state and a small API for tests and benchmarks live on window.graphsh.
import * as core from "./lifter_core.js";
import { MoveNetDetector, WebLifter } from "./runtime.js";
import { SkeletonView } from "./view.js";

const params = new URLSearchParams(location.search);
const MODELS = (params.get("models") || "models/").replace(/\/?$/, "/");
const DEFAULT_VARIANTS = ["fp32", "fp16", "drq", "int8"];
/** MoveNet SinglePose Lightning (float16 weights, uint8 input) as TF Hub serves it; fetched when the webcam starts. */
const MOVENET_URL =
  "https://tfhub.dev/google/lite-model/movenet/singlepose/lightning/tflite/float16/4?lite-format=tflite";
/** Keypoints MoveNet scores below this are treated as missing (as the Android app does). */
const WEBCAM_MIN_SCORE = 0.2;
const $ = (id) => document.getElementById(id);

const state = {
  status: "loading", error: null, variant: null, sample: null, meta: null, modelBytes: null,
  latenciesMs: [], modelLatenciesMs: [], p50Ms: null, modelP50Ms: null, mpjpeMm: null, frame: 0, framesShown: 0,
  poses: [], core,
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
      lifter.io.inputNorm);
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

function showFrame(i) {
  if (!state.poses.length) return;
  state.frame = ((i % state.poses.length) + state.poses.length) % state.poses.length;
  view.show(state.poses[state.frame]);
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
  $("p50").textContent = `${state.p50Ms.toFixed(3)} ms`;
  $("p50model").textContent = `${state.modelP50Ms.toFixed(3)} ms`;
  $("frames").textContent = String(seq.frames.length);
  $("mpjpe").textContent = state.mpjpeMm == null ? "– (no ground truth)" : `${state.mpjpeMm.toFixed(1)} mm`;
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

// --- webcam: MoveNet (LiteRT.js) -> the same adapters -> the lifter ------------------------------------------------

let detector = null;
let webcamStream = null;

async function movenetUrl() {
  if (params.get("movenet")) return params.get("movenet");
  const local = `${MODELS}movenet.tflite`;
  const r = await fetch(local, { method: "HEAD" }).catch(() => null);
  return r && r.ok ? local : MOVENET_URL;
}

/** Start the webcam loop (a second call stops it). state.webcam records frames, timings and the last pose. */
async function toggleWebcam(url = null) {
  if (webcamStream) {
    webcamStream.getTracks().forEach((t) => t.stop());
    webcamStream = null;
    $("video").hidden = true;
    $("webcam").textContent = "Webcam (MoveNet)";
    return;
  }
  const w = (state.webcam = { status: "loading", error: null, frames: 0, detectMs: [], liftMs: [] });
  try {
    $("webcam").textContent = "Stop webcam";
    const src = url || (await movenetUrl());
    setStatus(`loading MoveNet from ${src}…`);
    if (!detector || detector.url !== src) detector = await MoveNetDetector.load(src);
    webcamStream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    const video = $("video");
    video.srcObject = webcamStream;
    video.hidden = false;
    await video.play();
    playing = false;
    play();
    const grab = document.createElement("canvas");
    const ctx = grab.getContext("2d", { willReadFrequently: true });
    w.status = "running";
    setStatus(`webcam: MoveNet ${detector.size}x${detector.size} -> ${state.variant}`);
    const stream = webcamStream;
    while (webcamStream === stream) {
      const vw = video.videoWidth, vh = video.videoHeight;
      if (vw && vh) {
        grab.width = vw;
        grab.height = vh;
        ctx.drawImage(video, 0, 0, vw, vh);
        const img = ctx.getImageData(0, 0, vw, vh);
        const t0 = performance.now();
        const kp = await detector.detect(img.data, vw, vh);
        const t1 = performance.now();
        const joints = await lifter.lift(kp.keypoints, [vw, vh], { layout: "coco17", scores: kp.scores,
          minScore: WEBCAM_MIN_SCORE });
        const t2 = performance.now();
        w.frames++;
        w.detectMs.push(t1 - t0);
        w.liftMs.push(t2 - t1);
        Object.assign(w, { width: vw, height: vh, keypoints: kp.keypoints, scores: kp.scores, joints,
          valid: lifter.lastValid, minScore: WEBCAM_MIN_SCORE });
        if (lifter.lastValid && webcamStream === stream) view.show(joints);
        $("webcamstats").textContent = `${core.percentile(w.detectMs, 50).toFixed(2)} ms / ` +
          `${core.percentile(w.liftMs, 50).toFixed(2)} ms (${w.frames} frames${lifter.lastValid ? "" : ", no pose"})`;
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    w.status = "stopped";
  } catch (e) {
    w.status = "error";
    w.error = `${e.name}: ${e.message}`;
    setStatus(`webcam: ${w.error}; put a MoveNet SinglePose .tflite at web_demo/models/movenet.tflite or pass ` +
      "?movenet=URL", true);
    if (webcamStream) webcamStream.getTracks().forEach((t) => t.stop());
    webcamStream = null;
    $("webcam").textContent = "Webcam (MoveNet)";
  }
}

// --- the API used by the browser test and the latency benchmark ---------------------------------------------------

/** Lift golden cases [{keypoints, image_size, layout, scores, min_score, intrinsics}] -> {inputs, joints, valid}. */
state.liftCases = async (cases) => {
  const out = [];
  for (const c of cases) {
    const joints = await lifter.lift(c.keypoints, c.image_size, { layout: c.layout, scores: c.scores ?? null,
      minScore: c.min_score ?? 0, intrinsics: c.intrinsics ?? null });
    out.push({ input: lifter.lastInput, joints, confidence: lifter.lastConfidence, valid: lifter.lastValid });
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
/** Start the webcam loop with the MoveNet .tflite at `url` (default as the button). */
state.startWebcam = (url = null) => {
  toggleWebcam(url);
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
    $("webcam").addEventListener("click", () => toggleWebcam());
    await loadVariant(wanted);
    await runSample();
  } catch (e) {
    fail(e);
  }
}

main();
