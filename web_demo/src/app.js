// The page: choose a variant and a bundled 2D sequence, lift every frame with LiteRT.js, time it, play the 3D
// skeleton back. URL parameters: ?variant=fp32|fp16|drq|int8|... &sample=NAME &models=BASE_URL (default models/)
// &autoplay=0. The page's state and a small API for tests and benchmarks live on window.graphsh.
import * as core from "./lifter_core.js";
import { WebLifter } from "./runtime.js";
import { SkeletonView } from "./view.js";

const params = new URLSearchParams(location.search);
const MODELS = (params.get("models") || "models/").replace(/\/?$/, "/");
const DEFAULT_VARIANTS = ["fp32", "fp16", "drq", "int8"];
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
    await loadVariant(wanted);
    await runSample();
  } catch (e) {
    fail(e);
  }
}

main();
