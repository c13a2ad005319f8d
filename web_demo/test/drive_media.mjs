// Drives the demo page's real-detector paths in headless Chromium (puppeteer-core, the system's browser) and writes
// what the page computed as JSON. Used by tests/test_detect_browser.py.
//
//   node web_demo/test/drive_media.mjs CONFIG.json
//
// CONFIG: {"url": "http://127.0.0.1:PORT/", "chromium": "/usr/bin/chromium", "variant": "fp32",
//          "upload": "/path/photo.jpg" (opened through the page's file button), "upload_video": "/path/clip.webm",
//          "fake_video": "/path/frames.y4m" (Chromium's fake camera plays it), "webcam_frames": 3,
//          "screenshot": "PATH.png", "out": "RESULT.json", "timeout_ms": 120000,
//          "check_variants": [{"variant": "v", "sample": "NAME"}] (each loaded in a fresh page: status, warning)}
// Every request that does not go to the page's own server (127.0.0.1 / localhost, data:, blob:) is aborted and
// listed in RESULT.external_requests.
// RESULT: {"status", "error", "warning", "upload": MEDIA, "video": MEDIA, "webcam": MEDIA, "after_stop": {...}, "console": [...],
//          "external_requests": [...], "toggle": {"on": TOGGLE, "off": TOGGLE}}; MEDIA = the page's state.media
//          (people with keypoints, scores, joints, world_mm, ...); TOGGLE = the "BlazePose 3D" checkbox and legend
//          after the photo, checked as loaded ("on", the 3D canvas in SCREENSHOT_3d.png) and after one click ("off",
//          SCREENSHOT_3d_off.png).
import { readFileSync, writeFileSync } from "node:fs";
import puppeteer from "puppeteer-core";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const timeout = cfg.timeout_ms || 120000;
const log = [];
const external = [];
const result = { console: log, external_requests: external };
const args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-dev-shm-usage", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-first-run",
  "--disable-extensions", "--window-size=1200,900", "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream"];
if (cfg.fake_video) args.push(`--use-file-for-fake-video-capture=${cfg.fake_video}`);
const browser = await puppeteer.launch({ executablePath: cfg.chromium || "/usr/bin/chromium", headless: true, args,
  defaultViewport: { width: 1200, height: 900 }, timeout });

function local(url) {
  if (url.startsWith("data:") || url.startsWith("blob:")) return true;
  try {
    return ["127.0.0.1", "localhost"].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

const media = (page) => page.evaluate(() => {
  const m = window.graphsh.media;
  if (!m) return null;
  const p50 = {};
  for (const [k, v] of Object.entries(m.stageMs)) p50[k] = window.graphsh.core.percentile(v, 50);
  return { kind: m.kind, name: m.name, status: m.status, error: m.error, frames: m.frames, width: m.width,
    height: m.height, intrinsics: m.intrinsics, min_score: m.minScore, people: m.people, stage_p50_ms: p50,
    stages_text: document.getElementById("stages").textContent, status_text: document.getElementById("status")
      .textContent };
});

try {
  const page = await browser.newPage();
  page.on("console", (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
  await page.setRequestInterception(true);
  page.on("request", (r) => {
    if (local(r.url())) return r.continue();
    external.push(r.url());
    return r.abort();
  });
  await page.goto(`${cfg.url}?variant=${encodeURIComponent(cfg.variant || "fp32")}&autoplay=0`,
    { waitUntil: "load", timeout });
  await page.waitForFunction(() => window.graphsh && ["ready", "error"].includes(window.graphsh.status),
    { timeout, polling: 100 });
  Object.assign(result, await page.evaluate(() => ({ status: window.graphsh.status, error: window.graphsh.error,
    warning: window.graphsh.warning })));
  if (result.status === "ready" && cfg.upload) {
    const input = await page.$("#file");
    await input.uploadFile(cfg.upload);
    await page.waitForFunction(() => window.graphsh.media && ["done", "error"].includes(window.graphsh.media.status),
      { timeout, polling: 200 });
    result.upload = await media(page);
    if (cfg.screenshot) await page.screenshot({ path: cfg.screenshot });
    const toggle = () => page.evaluate(() => {
      const box = document.getElementById("blazepose3d");
      const label = document.getElementById("blazepose3d-label");
      const legend = document.getElementById("blazepose3d-legend");
      return { exists: !!box, checked: !!box && box.checked, disabled: !box || box.disabled,
        label: label ? label.textContent.trim() : null, legend_shown: !!legend && !legend.hidden,
        legend_text: legend ? legend.textContent.trim() : null, state: { ...window.graphsh.blazepose3d } };
    });
    result.toggle = { on: await toggle() };
    const shot3d = async (suffix) => {
      if (cfg.screenshot) {
        await (await page.$("#skeleton")).screenshot({ path: cfg.screenshot.replace(/\.png$/, `${suffix}.png`) });
      }
    };
    await shot3d("_3d");
    if (result.toggle.on.exists && !result.toggle.on.disabled) {
      await page.click("#blazepose3d");
      result.toggle.off = await toggle();
      await shot3d("_3d_off");
      await page.click("#blazepose3d");
    }
  }
  if (result.status === "ready" && cfg.upload_video) {
    const input = await page.$("#file");
    await input.uploadFile(cfg.upload_video);
    await page.waitForFunction(() => window.graphsh.media && window.graphsh.media.kind === "video" &&
      ["done", "error"].includes(window.graphsh.media.status), { timeout, polling: 200 });
    result.video = await media(page);
  }
  if (result.status === "ready" && cfg.webcam_frames) {
    await page.evaluate(() => window.graphsh.startWebcam());
    await page.waitForFunction((k) => window.graphsh.media && window.graphsh.media.kind === "webcam" &&
      (window.graphsh.media.frames >= k || window.graphsh.media.status === "error"), { timeout, polling: 200 },
    cfg.webcam_frames);
    result.webcam = await media(page);
    if (cfg.screenshot) await page.screenshot({ path: cfg.screenshot.replace(/\.png$/, "_webcam.png") });
    await page.evaluate(() => window.graphsh.startWebcam());   // stops it
    await new Promise((resolve) => setTimeout(resolve, 500));
    result.after_stop = await page.evaluate(() => ({ media_status: window.graphsh.media.status,
      status_text: document.getElementById("status").textContent, button: document.getElementById("webcam")
        .textContent, frame_before: window.graphsh.framesShown }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    result.after_stop.frame_after = await page.evaluate(() => window.graphsh.framesShown);
  }
  result.checks = [];
  for (const c of cfg.check_variants || []) {
    const p = await browser.newPage();
    p.on("console", (m) => log.push(`[${c.variant}] ${m.type()}: ${m.text()}`));
    await p.setRequestInterception(true);
    p.on("request", (r) => {
      if (local(r.url())) return r.continue();
      external.push(r.url());
      return r.abort();
    });
    await p.goto(`${cfg.url}?variant=${encodeURIComponent(c.variant)}&sample=${encodeURIComponent(c.sample)}` +
      "&autoplay=0", { waitUntil: "load", timeout });
    await p.waitForFunction(() => window.graphsh && ["ready", "error"].includes(window.graphsh.status),
      { timeout, polling: 100 });
    result.checks.push(await p.evaluate(() => ({ status: window.graphsh.status, error: window.graphsh.error,
      warning: window.graphsh.warning, mpjpe_mm: window.graphsh.mpjpeMm, baseline_mm: window.graphsh.baselineMm,
      shown: !document.getElementById("warning").hidden })));
    await p.close();
  }
} catch (e) {
  result.error = `driver: ${e.message}`;
} finally {
  await browser.close();
}
writeFileSync(cfg.out, JSON.stringify(result));
