// The lifter in the browser: a graphsh_*.tflite + its sidecar JSON, run by LiteRT.js (XNNPack on WebAssembly),
// with the adapters of lifter_core.js around it — the web twin of graphsh_tf.lite.lifter.Lifter and the Android
// app's LifterCore + Interpreter.
import { loadAndCompile, loadLiteRt, Tensor } from "@litertjs/core";
import { decodeMoveNet, Letterbox, MOVENET_KEYPOINTS } from "./camera.js";
import * as core from "./lifter_core.js";

/** Where the page's server has LiteRT.js's WebAssembly (web_demo/node_modules/@litertjs/core/wasm/). */
export const WASM_DIR = new URL("../node_modules/@litertjs/core/wasm/", import.meta.url).href;

let liteRtLoading = null;

/** Load LiteRT.js's WebAssembly once; `wasmDir` is where node_modules/@litertjs/core/wasm/ is served. */
export function initLiteRt(wasmDir = WASM_DIR) {
  if (!liteRtLoading) liteRtLoading = loadLiteRt(wasmDir);
  return liteRtLoading;
}

export class WebLifter {
  /** Use {@link WebLifter.load}. */
  constructor(model, meta, io, url) {
    this.model = model;
    this.meta = meta;
    this.io = io;
    this.url = url;
    this.lastConfidence = null;
    this.lastValid = null;
  }

  /**
   * Fetch the model and its sidecar (`graphsh_fp32.tflite` -> `graphsh_fp32.json`), check the sidecar as
   * graphsh_tf.lite.metadata.lifter_io does and compile the model for the CPU (wasm).
   */
  static async load(modelUrl, { wasmDir = WASM_DIR, numThreads = 1 } = {}) {
    const sidecarUrl = modelUrl.replace(/\.tflite$/, ".json");
    const resp = await fetch(sidecarUrl);
    if (!resp.ok) throw new core.KeypointError(`${sidecarUrl}: sidecar JSON not found (HTTP ${resp.status}); export ` +
      "writes it beside the .tflite (python -m graphsh_tf.web RUN_DIR copies both)");
    let meta;
    try {
      meta = await resp.json();
    } catch (e) {
      throw new core.KeypointError(`${sidecarUrl}: not valid JSON (${e.message})`);
    }
    const io = core.lifterIO(meta, sidecarUrl);
    if (io.inputQuant || io.outputQuant) {
      throw new core.KeypointError(`${sidecarUrl}: int8 input/output tensors; LiteRT.js tensors are float32/int32/` +
        "uint8 only, so export the int8 variants with float input/output (tflite/convert.py's default --io float)");
    }
    await initLiteRt(wasmDir);
    const modelResp = await fetch(modelUrl);
    if (!modelResp.ok) throw new core.KeypointError(`${modelUrl}: model not found (HTTP ${modelResp.status})`);
    const bytes = new Uint8Array(await modelResp.arrayBuffer());
    const model = await loadAndCompile(bytes, { accelerator: "wasm", cpuOptions: { numThreads } });
    const sig = model.signatures && model.signatures.lift ? model.signatures.lift : model;
    const ins = sig.getInputDetails().map((d) => d.name);
    const outs = sig.getOutputDetails().map((d) => d.name);
    if (!ins.includes(io.inputName) || !outs.includes(io.outputName)) {
      throw new core.KeypointError(`${modelUrl}: the model's tensors are ${JSON.stringify(ins)} -> ` +
        `${JSON.stringify(outs)}, the sidecar names ${io.inputName} -> ${io.outputName}; re-export the model`);
    }
    const lifter = new WebLifter(model, meta, io, modelUrl);
    lifter.signature = sig;
    return lifter;
  }

  /** Raw model call: normalized input (16 x C numbers, or [16][C]; C = the sidecar's channels) -> joints in mm
   *  [16][3]. */
  async run(input) {
    const flat = Float32Array.from(Array.isArray(input[0]) ? input.flat() : input);
    const c = this.io.channels.length;
    if (flat.length !== core.NUM_JOINTS * c) {
      throw new core.KeypointError(`model input: expected (16, ${c}), got ${flat.length} values`);
    }
    const x = new Tensor(flat, [1, core.NUM_JOINTS, c]);
    let outputs;
    try {
      outputs = await this.signature.run({ [this.io.inputName]: x });
    } finally {
      x.delete();
    }
    const y = outputs[this.io.outputName];
    const raw = y.toTypedArray().slice();
    for (const t of Object.values(outputs)) t.delete();
    const joints = core.decodeOutput(raw, this.io.outputQuant);
    if (!joints.flat().every(Number.isFinite)) {
      throw new core.KeypointError(`${this.url}: the model returned NaN/inf joints; re-export it from a finite run`);
    }
    return joints;
  }

  /**
   * Detector pixels (one pose: K rows [x, y] or [x, y, score]) -> root-relative joints in mm [16][3], the joints_mm of
   * Lifter(...)(keypoints, image_size, scores, intrinsics). Sets lastConfidence / lastValid / lastInImage / lastInput.
   */
  async lift(keypoints, [w, h], { layout = "coco17", scores = null, minScore = 0.0, intrinsics = null } = {}) {
    const a = core.adapt(keypoints, layout, scores, minScore);
    const x = core.encodeInput(a.xy, w, h, this.io.inputQuant, intrinsics, this.io.inputNorm,
      this.io.channels.length === 3 ? a.confidence : null);
    this.lastConfidence = a.confidence;
    this.lastValid = core.isValidPose(a, w, h);
    this.lastInImage = core.inImage(a, w, h);
    this.lastInput = x;
    return this.run(x);
  }

  delete() {
    this.model.delete();
  }
}

/**
 * MoveNet SinglePose (.tflite, Lightning 192 or Thunder 256) run by LiteRT.js: an RGBA frame -> letterboxed RGB
 * input -> COCO-17 keypoints in frame pixels with scores (camera.js: the Letterbox / MoveNet of lifter-core).
 */
export class MoveNetDetector {
  constructor(model, size, dtype, url) {
    this.model = model;
    this.size = size;
    this.dtype = dtype;
    this.url = url;
    this.rgb = new Uint8Array(size * size * 3);
  }

  static async load(url, { wasmDir = WASM_DIR } = {}) {
    await initLiteRt(wasmDir);
    const resp = await fetch(url);
    if (!resp.ok) throw new Error(`${url}: MoveNet model not found (HTTP ${resp.status})`);
    const model = await loadAndCompile(new Uint8Array(await resp.arrayBuffer()), { accelerator: "wasm" });
    const [input] = model.getInputDetails();
    const [output] = model.getOutputDetails();
    const shape = Array.from(input.shape);
    const outCount = Array.from(output.shape).reduce((a, b) => a * b, 1);
    if (shape.length !== 4 || shape[0] !== 1 || shape[1] !== shape[2] || shape[3] !== 3 ||
        outCount !== MOVENET_KEYPOINTS * 3) {
      throw new Error(`${url}: not a MoveNet SinglePose model (input ${JSON.stringify(shape)}, output ` +
        `${JSON.stringify(Array.from(output.shape))}; expected [1, S, S, 3] -> [1, 1, 17, 3])`);
    }
    return new MoveNetDetector(model, shape[1], input.dtype, url);
  }

  /** RGBA pixels (e.g. ImageData.data) of a width x height frame -> {keypoints [17][2] px, scores, width, height}. */
  async detect(rgba, width, height, rotationDegrees = 0) {
    const box = new Letterbox(width, height, rotationDegrees, this.size);
    box.fillRgb(rgba, width * 4, 4, this.rgb);
    const data = this.dtype === "uint8" ? this.rgb
      : this.dtype === "int32" ? Int32Array.from(this.rgb) : Float32Array.from(this.rgb);
    const x = new Tensor(data, [1, this.size, this.size, 3]);
    let outputs;
    try {
      outputs = await this.model.run([x]);
    } finally {
      x.delete();
    }
    const raw = outputs[0].toTypedArray().slice();
    for (const t of outputs) t.delete();
    return decodeMoveNet(raw, box);
  }

  delete() {
    this.model.delete();
  }
}
