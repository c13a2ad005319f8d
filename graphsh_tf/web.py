"""The lifter in a web page: copy a run's ``.tflite`` models into the web demo and serve it on this machine.

``python -m graphsh_tf.web RUN_DIR [--port N] [--no-serve]`` copies every batch-1 ``graphsh_*.tflite`` of
``RUN_DIR/tflite/`` (or of ``RUN_DIR`` itself when it holds the files) with its sidecar JSON into the git-ignored
``web_demo/models/``, writes ``web_demo/models/index.json`` (the variants the page offers) and serves ``web_demo/``
on http://127.0.0.1:PORT/ — the page runs the models with LiteRT.js (WebAssembly), all files from this server, no
CDN. The npm packages must be installed first: ``npm ci --prefix web_demo``.

:func:`make_server` is also what the browser test (tests/test_web_browser.py) and benchmarks/web_latency.py use,
with ``models_dir`` pointing ``/models/`` at a folder of their own.

What it serves (nothing else, whatever is in the folder): the page's own files (:data:`PAGE_FILES`), the npm files
the page imports (:data:`PACKAGE_FILES`), and in ``/models/`` the index, ``graphsh_*.tflite`` + sidecars and
``movenet*.tflite``. A request is resolved to a real path, which must lie inside the folder it was asked from (a
symbolic link leading out is refused), and must be a regular file; folders are never listed. Before anything is
copied, every model is checked to be a GraphSH lifter (the ``lift`` signature with the H36M-16 input and output, its
embedded metadata agreeing with its sidecar); the copies are staged beside ``models/`` and swapped in by renames, so
a failure leaves the served models as they were. The CLI binds its port before copying, listens on 127.0.0.1 unless
``--host`` names another address together with ``--allow-network``, and ``/models/index.json`` names the run by its
folder name only.
"""
from __future__ import annotations

import argparse
import errno
import fnmatch
import functools
import http.server
import ipaddress
import os
import shutil
import socket
import sys
import tempfile
import threading
import urllib.parse
from pathlib import Path
from typing import List, Optional, Sequence, Union

from graphsh_tf import cli
from graphsh_tf.contract import ContractError, LifterContract
from graphsh_tf.io import require_file, write_json
from graphsh_tf.lite.metadata import MetadataError, find_tflite, read_metadata, sidecar_path, variant_from_filename
from graphsh_tf.run import Run

DEMO_DIR = Path(__file__).resolve().parents[1] / "web_demo"
MODELS = "models"
INDEX = "index.json"

PathLike = Union[str, Path]

#: The page's own files (paths relative to the demo folder; ``*`` stays within one folder).
PAGE_FILES = ("index.html", "style.css", "src/*.js", "samples/*.json")
#: The files of the npm packages the page imports (LiteRT.js, three.js, the BlazePose models of @mediapipe/pose).
PACKAGE_FILES = ("node_modules/three/build/*.js", "node_modules/three/examples/jsm/*/*.js",
                 "node_modules/@litertjs/core/dist/*.js", "node_modules/@litertjs/core/wasm/*.js",
                 "node_modules/@litertjs/core/wasm/*.wasm", "node_modules/@litertjs/wasm-utils/dist/*.js",
                 "node_modules/@mediapipe/pose/pose_landmark_*.tflite",
                 "node_modules/@mediapipe/pose/pose_solution_packed_assets.data")
#: The files of ``/models/``: the index, the lifters and their sidecars, a MoveNet the user put there.
MODEL_FILES = (INDEX, "graphsh_*.tflite", "graphsh_*.json", "movenet*.tflite")


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
            meta = read_metadata(f, embedded=False)    # checked against the model's embedded copy
            shape = (meta.get("input") or {}).get("shape") if isinstance(meta, dict) else None
            if isinstance(shape, list) and shape and shape[0] != 1:
                why.append(f"{f.name}: batch {shape[0]}")   # another batch size: an export the page does not run
                continue
            LifterContract.from_sidecar(meta, str(sidecar_path(f)))
        except ContractError as e:   # a MetadataError is one too
            raise WebError(str(e)) from None
        usable.append(f)
    if not usable:
        raise WebError(f"{folder}: no .tflite model a lifter can load ({'; '.join(why)[:300]})")
    return usable


def verify_model(path: PathLike) -> bytes:
    """The bytes of ``path`` once they are known to be a GraphSH lifter: a TFLite flatbuffer that LiteRT loads, with
    the ``lift`` signature taking ``[1, 16, C]`` and giving ``[1, 16, 3]`` in the dtypes its sidecar states, and
    embedded metadata that agrees with that sidecar. Anything else (a symbolic link to some other file included)
    is a WebError naming the file. The returned bytes are the ones checked, so they are what gets copied."""
    path = Path(path)
    fix = "re-export it with tflite/convert.py"
    data = require_file(path, WebError, fix).read_bytes()
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise WebError(f"{path}: not a TFLite model (no 'TFL3' identifier); {fix}")
    try:
        contract = LifterContract.from_sidecar(read_metadata(path, embedded=False), str(sidecar_path(path)))
    except ContractError as e:
        raise WebError(str(e)) from None
    from ai_edge_litert.interpreter import Interpreter

    try:
        runner = Interpreter(model_content=data).get_signature_runner("lift")
        ins, outs = runner.get_input_details(), runner.get_output_details()
    except (ValueError, RuntimeError) as e:
        raise WebError(f"{path}: not a GraphSH lifter (no loadable 'lift' signature: {' '.join(str(e).split())[:160]}"
                       f"); {fix}") from None
    for key, side, details, shape in (("input", contract.input, ins, [1, 16, contract.input.num_channels]),
                                      ("output", contract.output, outs, [1, 16, 3])):
        d = details.get(side.name)
        got = None if d is None else [[int(v) for v in d["shape"]], str(d["dtype"].__name__)]
        want = [shape, "float32" if side.quant is None else "int8"]
        if got != want:
            raise WebError(f"{path}: its 'lift' signature's {key} is {got or sorted(details)}, its sidecar says "
                           f"{side.name} {want}; not the model the sidecar describes - {fix}")
    return data



def copy_models(run_dir: PathLike, demo: Optional[PathLike] = None, variants: Sequence[str] = ()) -> List[Path]:
    """Copy a run's models + sidecars into ``demo/models/`` (replacing the ones copied before) and write
    ``models/index.json``; returns the copied ``.tflite`` paths. Every model is verified (:func:`verify_model`)
    before anything changes; the new folder is staged beside ``models/`` and swapped in by renames. Files of
    ``models/`` that are not copied lifters (a ``movenet.tflite`` put there) are kept."""
    demo = demo_dir(demo)
    files = run_models(run_dir)
    if variants:
        unknown = sorted(set(variants) - {variant_from_filename(f) for f in files})
        if unknown:
            raise WebError(f"{run_dir}: no model for variant(s) {', '.join(unknown)}; it has "
                           f"{', '.join(variant_from_filename(f) for f in files)}")
        files = [f for f in files if variant_from_filename(f) in variants]
    checked = [(f, verify_model(f), sidecar_path(f).read_bytes()) for f in files]
    out = demo / MODELS
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise WebError(f"{out}: not a folder (a file or a symbolic link); remove it, the copy creates it")
    stage = Path(tempfile.mkdtemp(prefix=".models.new.", dir=demo))
    try:
        if out.is_dir():
            for old in out.iterdir():    # what the user put there stays (a MoveNet model), the old lifters go
                if old.is_file() and not old.is_symlink() and not old.name.startswith(("graphsh_", ".")) \
                        and old.name != INDEX:
                    shutil.copy2(old, stage / old.name)
        copied = []
        for f, data, side in checked:
            (stage / f.name).write_bytes(data)
            sidecar_path(stage / f.name).write_bytes(side)
            copied.append(out / f.name)
        write_json(stage / INDEX, {"variants": [variant_from_filename(f) for f in copied],
                                   "run": Path(run_dir).resolve().name, "files": [f.name for f in copied]})
        os.chmod(stage, 0o755)
        retired = None
        if out.is_dir():
            retired = Path(tempfile.mkdtemp(prefix=".models.old.", dir=demo))
            os.replace(out, retired / MODELS)
        os.replace(stage, out)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return copied


def _allowed(rel: str, patterns: Sequence[str]) -> bool:
    return any(rel.count("/") == p.count("/") and fnmatch.fnmatchcase(rel, p) for p in patterns)


def resolve_request(url_path: str, demo: PathLike, models_dir: Optional[PathLike] = None) -> Optional[Path]:
    """The file a request path is served from, or None (then: 404). Only the allow-listed names (:data:`PAGE_FILES`,
    :data:`PACKAGE_FILES`, :data:`MODEL_FILES` under ``models/``); no empty, ``.`` or ``..`` segment; the real path
    (symbolic links resolved) must lie inside the folder it was asked from (the demo, or ``models_dir`` for
    ``/models/``) and be a regular file."""
    path = urllib.parse.unquote(url_path.split("?", 1)[0].split("#", 1)[0])
    if path in ("", "/"):
        path = "/index.html"
    if not path.startswith("/") or "\\" in path or "\0" in path:
        return None
    parts = path[1:].split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    rel = "/".join(parts)
    if parts[0] == MODELS and len(parts) == 2 and _allowed(parts[1], MODEL_FILES):
        root, rel = Path(models_dir) if models_dir is not None else Path(demo) / MODELS, parts[1]
    elif _allowed(rel, PAGE_FILES) or _allowed(rel, PACKAGE_FILES):
        root = Path(demo)
    else:
        return None
    try:
        real_root = os.path.realpath(root)
        real = os.path.realpath(os.path.join(real_root, rel))
    except (OSError, ValueError):
        return None
    if os.path.commonpath([real_root, real]) != real_root or not os.path.isfile(real):
        return None
    return Path(real)


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

    def send_head(self):
        """Only allow-listed regular files inside their folder (:func:`resolve_request`); never a listing."""
        real = resolve_request(self.path, self.directory, self.models_dir)
        if real is None:
            self.send_error(404, "Not found")
            return None
        try:
            f = open(real, "rb")
        except OSError:
            self.send_error(404, "Not found")
            return None
        try:
            size = os.fstat(f.fileno()).st_size
            self.send_response(200)
            self.send_header("Content-type", self.guess_type(str(real)))
            self.send_header("Content-Length", str(size))
            self.end_headers()
        except Exception:
            f.close()
            raise
        return f

    def list_directory(self, path):   # never reached through send_head; refused if anything calls it
        self.send_error(404, "Not found")
        return None

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        # cross-origin isolation: performance.now() at microsecond resolution (else 100 us steps) for the latency
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        if self.verbose:
            super().log_message(format, *args)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def make_server(demo: Optional[PathLike] = None, models_dir: Optional[PathLike] = None, host: str = "127.0.0.1",
                port: int = 8000, verbose: bool = False) -> http.server.ThreadingHTTPServer:
    """An HTTP server for the demo, bound (``port`` 0: any free port; ``server.server_address`` says which). Call
    ``serve_forever()`` (or :func:`serve_in_thread`). A port that cannot be bound is a WebError naming it."""
    demo = demo_dir(demo)
    check_packages(demo)
    handler = functools.partial(_Handler, directory=str(demo), verbose=verbose,
                                models_dir=str(models_dir) if models_dir is not None else None)
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as e:
        why = {errno.EADDRINUSE: "already in use (another server?)",
               errno.EACCES: "not allowed for this user (ports below 1024 need privileges)",
               errno.EADDRNOTAVAIL: "not an address of this machine"}.get(e.errno, e.strerror or str(e))
        raise WebError(f"cannot listen on {host}:{port}: {why}; pass --port N (0: any free port)") from None
    except (socket.gaierror, UnicodeError, OverflowError) as e:
        raise WebError(f"--host {host!r}: not an address to listen on ({e})") from None


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
    ap.add_argument("--port", type=cli.non_negative_int, default=8000, help="port (default 8000; 0: any free port)")
    ap.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1; another address needs --allow-network)")
    ap.add_argument("--allow-network", action="store_true",
                    help="allow a --host that is not this machine only: anyone who reaches it can load the page "
                    "and the models")
    ap.add_argument("--variants", default="", help="comma-separated variants to copy (default: all)")
    ap.add_argument("--demo", default=None, help="web demo folder (default: web_demo/ of this checkout)")
    ap.add_argument("--no-serve", action="store_true", help="copy the models and exit")
    cli.add_verbose(ap)
    args = ap.parse_args(argv)

    def body() -> int:
        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
        if args.variants.strip() and not variants:
            raise WebError(f"--variants {args.variants!r}: names no variant; pass e.g. --variants fp32,int8 or "
                           "leave it out for all")
        server = None
        if not args.no_serve:
            if not is_loopback(args.host) and not args.allow_network:
                raise WebError(f"--host {args.host}: not a loopback address, so the demo and the models would be "
                               "reachable from the network; pass --allow-network as well to do that on purpose")
            server = make_server(args.demo, host=args.host, port=args.port, verbose=args.verbose)   # bound first
        try:
            copied = copy_models(args.run_dir, args.demo, variants)
            print(f"copied {len(copied)} model(s) into {copied[0].parent}: "
                  + ", ".join(variant_from_filename(p) for p in copied))
            if server is None:
                return 0
            if not is_loopback(args.host):
                print(f"WARNING: serving on {args.host}, reachable from the network (--allow-network): anyone who "
                      "reaches this machine can load the page and the models", file=sys.stderr, flush=True)
            print(f"serving {demo_dir(args.demo)} on {url_of(server)} (Ctrl-C stops)", flush=True)
            server.serve_forever()
        finally:
            if server is not None:
                server.server_close()
        return 0

    return cli.run("graphsh_tf.web", body, verbose=args.verbose, tensorflow=False)


if __name__ == "__main__":
    sys.exit(main())
