"""The lifter in a web page: copy a run's ``.tflite`` models into the web demo and serve it on this machine.

``python -m graphsh_tf.web RUN_DIR [--port N] [--no-serve]`` copies every batch-1 ``graphsh_*.tflite`` of
``RUN_DIR/tflite/`` (or of ``RUN_DIR`` itself when it holds the files) with its sidecar JSON into the git-ignored
``web_demo/models/``, writes ``web_demo/models/index.json`` (the variants the page offers) and serves ``web_demo/``
on http://127.0.0.1:PORT/ — the page runs the models with LiteRT.js (WebAssembly), all files from this server, no
CDN. The npm packages must be installed first: ``npm ci --prefix web_demo``.

:func:`make_server` is also what the browser test (tests/test_web_browser.py) and benchmarks/web_latency.py use,
with ``models_dir`` pointing ``/models/`` at a folder of their own.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import sys
import threading
from pathlib import Path
from typing import List, Optional, Sequence, Union

from graphsh_tf import cli
from graphsh_tf.contract import ContractError, LifterContract
from graphsh_tf.lite.metadata import MetadataError, find_tflite, read_metadata, sidecar_path, variant_from_filename
from graphsh_tf.run import Run

DEMO_DIR = Path(__file__).resolve().parents[1] / "web_demo"
MODELS = "models"
INDEX = "index.json"

PathLike = Union[str, Path]


class WebError(ValueError):
    """The run, its models or the demo folder are not usable; the message names the path and the fix."""


def demo_dir(path: Optional[PathLike] = None) -> Path:
    """The web demo folder (``web_demo/`` of this checkout unless ``path``), checked to hold the page."""
    d = Path(path) if path is not None else DEMO_DIR
    if not (d / "index.html").is_file():
        raise WebError(f"{d}: no web demo here (index.html missing); run from a checkout of graphsh-tf or pass "
                       "--demo DIR")
    return d


def check_packages(demo: PathLike) -> None:
    """The npm packages the page imports must be installed under ``demo/node_modules``."""
    missing = [p for p in ("@litertjs/core/wasm", "@litertjs/wasm-utils/dist", "three/build/three.module.js",
                           "@mediapipe/pose/pose_landmark_full.tflite")
               if not (Path(demo) / "node_modules" / p).exists()]
    if missing:
        raise WebError(f"{demo}/node_modules: {', '.join(missing)} not installed; run: npm ci --prefix {demo}")


def run_models(run_dir: PathLike) -> List[Path]:
    """The batch-1 lifter models of a run (``RUN_DIR/tflite/*.tflite``, or ``RUN_DIR/*.tflite``) whose sidecar a
    lifter accepts, in variant order. WebError when there are none."""
    run = Path(run_dir)
    if not run.is_dir():
        raise WebError(f"{run}: run directory not found; pass a training run folder (its tflite/ holds the models)")
    folder = Run(run).exported_dir()
    try:
        files = find_tflite(folder, what="serve")
    except MetadataError:
        raise WebError(f"{run}: no .tflite models in {folder}; export them first: python3 tflite/convert.py {run}") \
            from None
    usable, why = [], []
    for f in files:
        try:
            LifterContract.from_sidecar(read_metadata(f, embedded=False), str(sidecar_path(f)))
            usable.append(f)
        except ContractError as e:   # a MetadataError is one too
            why.append(str(e))
    if not usable:
        raise WebError(f"{folder}: no .tflite model a lifter can load ({'; '.join(why)[:300]})")
    return usable


def copy_models(run_dir: PathLike, demo: Optional[PathLike] = None, variants: Sequence[str] = ()) -> List[Path]:
    """Copy a run's models + sidecars into ``demo/models/`` (replacing the ones copied before) and write
    ``models/index.json``; returns the copied ``.tflite`` paths."""
    demo = demo_dir(demo)
    files = run_models(run_dir)
    if variants:
        unknown = sorted(set(variants) - {variant_from_filename(f) for f in files})
        if unknown:
            raise WebError(f"{run_dir}: no model for variant(s) {', '.join(unknown)}; it has "
                           f"{', '.join(variant_from_filename(f) for f in files)}")
        files = [f for f in files if variant_from_filename(f) in variants]
    out = demo / MODELS
    out.mkdir(parents=True, exist_ok=True)
    for old in list(out.glob("graphsh_*.tflite")) + list(out.glob("graphsh_*.json")):
        old.unlink()
    copied = []
    for f in files:
        shutil.copyfile(sidecar_path(f), sidecar_path(out / f.name))
        shutil.copyfile(f, out / f.name)
        copied.append(out / f.name)
    index = {"variants": [variant_from_filename(f) for f in copied], "run": str(Path(run_dir).resolve()),
             "files": [f.name for f in copied]}
    (out / INDEX).write_text(json.dumps(index, indent=1) + "\n")
    return copied


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files of the demo; ``/models/`` from ``models_dir`` when given; no caching, cross-origin isolated (fine
    timers); quiet unless verbose."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json",
                      ".tflite": "application/octet-stream"}

    def __init__(self, *args, models_dir: Optional[str] = None, verbose: bool = False, **kwargs):
        self.models_dir = models_dir
        self.verbose = verbose
        super().__init__(*args, **kwargs)

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if self.models_dir and clean.startswith(f"/{MODELS}/"):
            name = Path(clean[len(MODELS) + 2:]).name          # a bare file name: nothing outside models_dir
            return str(Path(self.models_dir) / name)
        return super().translate_path(path)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        # cross-origin isolation: performance.now() at microsecond resolution (else 100 us steps) for the latency
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        if self.verbose:
            super().log_message(format, *args)


def make_server(demo: Optional[PathLike] = None, models_dir: Optional[PathLike] = None, host: str = "127.0.0.1",
                port: int = 8000, verbose: bool = False) -> http.server.ThreadingHTTPServer:
    """An HTTP server for the demo (``port`` 0: any free port; ``server.server_address`` says which). Call
    ``serve_forever()`` (or :func:`serve_in_thread`)."""
    demo = demo_dir(demo)
    check_packages(demo)
    handler = functools.partial(_Handler, directory=str(demo), verbose=verbose,
                                models_dir=str(models_dir) if models_dir is not None else None)
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve_in_thread(server: http.server.ThreadingHTTPServer) -> threading.Thread:
    """Serve in a daemon thread; stop with ``server.shutdown(); server.server_close()``."""
    thread = threading.Thread(target=server.serve_forever, name="graphsh-web", daemon=True)
    thread.start()
    return thread


def url_of(server: http.server.ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m graphsh_tf.web", description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", help="training run folder (its tflite/ holds graphsh_*.tflite + sidecars)")
    ap.add_argument("--port", type=cli.non_negative_int, default=8000, help="port on 127.0.0.1 (default 8000)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ap.add_argument("--variants", default="", help="comma-separated variants to copy (default: all)")
    ap.add_argument("--demo", default=None, help="web demo folder (default: web_demo/ of this checkout)")
    ap.add_argument("--no-serve", action="store_true", help="copy the models and exit")
    cli.add_verbose(ap)
    args = ap.parse_args(argv)

    def body() -> int:
        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
        copied = copy_models(args.run_dir, args.demo, variants)
        print(f"copied {len(copied)} model(s) into {copied[0].parent}: "
              + ", ".join(variant_from_filename(p) for p in copied))
        if args.no_serve:
            return 0
        server = make_server(args.demo, host=args.host, port=args.port, verbose=args.verbose)
        print(f"serving {demo_dir(args.demo)} on {url_of(server)} (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        finally:
            server.server_close()
        return 0

    return cli.run("graphsh_tf.web", body, verbose=args.verbose, tensorflow=False)


if __name__ == "__main__":
    sys.exit(main())
