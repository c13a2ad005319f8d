// Drives the demo page in headless Chromium (puppeteer-core, the system's browser: no download) and writes what
// the page computed as JSON. Used by tests/test_web_browser.py and benchmarks/web_latency.py.
//
//   node web_demo/test/drive.mjs CONFIG.json
//
// CONFIG: {"url": "http://127.0.0.1:PORT/", "chromium": "/usr/bin/chromium", "variants": ["fp32", ...],
//          "sample": "walk", "cases": [...] (lifted through the page's adapters + model),
//          "inputs": [...] (raw normalized model inputs), "benchmark_repeats": 0, "screenshot": "PATH.png"
//          (of the variant listed first), "webcam": {"movenet": URL, "frames": 5} (with the variant listed first:
//          Chromium's fake camera -> MoveNet -> lifter), "out": "RESULT.json", "timeout_ms": 30000}
// RESULT: {"variants": {v: {status, error, meta, p50_ms, model_p50_ms, cases, inputs, benchmark}}, "console": [...]}
import { readFileSync, writeFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const timeout = cfg.timeout_ms || 30000;
const log = [];
const result = { variants: {}, console: log, browser: null };

const browser = await puppeteer.launch({
  executablePath: cfg.chromium || "/usr/bin/chromium",
  headless: true,
  args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-dev-shm-usage", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-first-run",
    "--disable-extensions", "--window-size=1200,900",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
  defaultViewport: { width: 1200, height: 900 },
  timeout,
});
try {
  result.browser = await browser.version();
  for (const [i, variant] of cfg.variants.entries()) {
    const page = await browser.newPage();
    page.on("console", (m) => log.push(`[${variant}] ${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => log.push(`[${variant}] pageerror: ${e.message}`));
    page.on("requestfailed", (r) => log.push(`[${variant}] requestfailed: ${r.url()} ${r.failure()?.errorText}`));
    const url = `${cfg.url}?variant=${encodeURIComponent(variant)}&sample=${encodeURIComponent(cfg.sample || "walk")}` +
      "&autoplay=0";
    const r = { url };
    result.variants[variant] = r;
    try {
      await page.goto(url, { waitUntil: "load", timeout });
      await page.waitForFunction(() => window.graphsh && ["ready", "error"].includes(window.graphsh.status),
        { timeout, polling: 100 });
      Object.assign(r, await page.evaluate(() => {
        const g = window.graphsh;
        return { status: g.status, error: g.error, meta: g.meta, model_bytes: g.modelBytes, sample: g.sample,
          frames: g.latenciesMs.length, p50_ms: g.p50Ms, model_p50_ms: g.modelP50Ms, mpjpe_mm: g.mpjpeMm,
          frames_shown: g.framesShown };
      }));
      if (r.status === "ready") {
        if (cfg.cases) r.cases = await page.evaluate((c) => window.graphsh.liftCases(c), cfg.cases);
        if (cfg.inputs) r.inputs = await page.evaluate((x) => window.graphsh.runInputs(x), cfg.inputs);
        if (cfg.benchmark_repeats) {
          r.benchmark = await page.evaluate((n) => window.graphsh.benchmark(n), cfg.benchmark_repeats);
        }
        if (i === 0 && cfg.webcam) {
          const n = cfg.webcam.frames || 5;
          await page.evaluate((u) => window.graphsh.startWebcam(u), cfg.webcam.movenet || null);
          await page.waitForFunction((k) => window.graphsh.media && window.graphsh.media.kind === "webcam" &&
            (window.graphsh.media.frames >= k || window.graphsh.media.status === "error"), { timeout, polling: 100 }, n);
          r.webcam = await page.evaluate(() => {
            const m = window.graphsh.media;
            const p = m.people[0] || {};
            const p50 = (v) => window.graphsh.core.percentile(v || [], 50);
            return { status: m.status, error: m.error, frames: m.frames, width: m.width, height: m.height,
              keypoints: p.keypoints, scores: p.scores, joints: p.joints, valid: p.valid, min_score: m.minScore,
              detect_p50_ms: p50(m.stageMs.detector), lift_p50_ms: p50(m.stageMs.lifter) };
          });
          await page.screenshot({ path: cfg.screenshot.replace(/\.png$/, "_webcam.png") });
          await page.evaluate(() => window.graphsh.startWebcam());   // stops it
        }
        if (i === 0 && cfg.screenshot) {
          await page.evaluate(() => window.graphsh.showFrame(0));
          await page.screenshot({ path: cfg.screenshot, fullPage: false });
          const canvas = await page.$("#skeleton");
          const box = await canvas.boundingBox();
          r.canvas_box = box;
          await canvas.screenshot({ path: cfg.screenshot.replace(/\.png$/, "_canvas.png") });
        }
      }
    } catch (e) {
      r.status = r.status === "ready" ? "error" : (r.status || "error");
      r.error = `driver: ${e.message}`;
    }
    await page.close();
  }
} finally {
  await browser.close();
}
writeFileSync(cfg.out, JSON.stringify(result));
