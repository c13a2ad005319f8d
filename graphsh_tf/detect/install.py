"""Install the BlazePose model files into the model cache, from the npm package ``@mediapipe/pose`` (pinned).

    python -m graphsh_tf.detect.install                 # from web_demo/node_modules, else `npm pack` from the registry
    python -m graphsh_tf.detect.install --from DIR|TGZ  # from an unpacked package folder or its .tgz

Idempotent: files already in the cache with the right SHA-256 are left alone (a second run takes milliseconds).
Every file is checked against its pinned SHA-256 before it is written (atomically). Nothing else in the package
downloads anything; the detector and ``graphsh_tf.lift`` only read the cache.
"""
from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Optional

from graphsh_tf.detect.models import BLAZEPOSE_FILES, NPM_PACKAGE, NPM_VERSION, DetectorError, cache_dir
from graphsh_tf.io import atomic_write_bytes

REPO_NODE_MODULES = Path(__file__).resolve().parents[2] / "web_demo" / "node_modules" / "@mediapipe" / "pose"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _installed(dest: Path) -> bool:
    for name, (_, digest) in BLAZEPOSE_FILES.items():
        p = dest / name
        if not p.is_file() or _sha256(p.read_bytes()) != digest:
            return False
    return True


def _package_version(folder: Path) -> Optional[str]:
    import json

    try:
        return json.loads((folder / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def _from_tgz(tgz: Path, work: Path) -> Path:
    with tarfile.open(tgz) as t:
        names = {f"package/{src}" for src, _ in BLAZEPOSE_FILES.values()} | {"package/package.json"}
        for m in t.getmembers():
            if m.name in names and m.isfile():
                out = work / Path(m.name).name
                out.write_bytes(t.extractfile(m).read())
    return work


def _npm_pack(work: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise DetectorError(f"npm not found: install Node.js/npm, or `npm ci --prefix web_demo`, or pass --from with "
                            f"a downloaded {NPM_PACKAGE}-{NPM_VERSION}.tgz")
    spec = f"{NPM_PACKAGE}@{NPM_VERSION}"
    proc = subprocess.run([npm, "pack", spec, "--silent", "--pack-destination", str(work)],
                          check=False, capture_output=True, text=True)
    tgzs = sorted(work.glob("*.tgz"))
    if proc.returncode != 0 or not tgzs:
        raise DetectorError(f"`npm pack {spec}` failed: {' '.join(proc.stderr.split())[:300]}")
    return _from_tgz(tgzs[0], work)


def install(source=None, dest=None, quiet: bool = False) -> Path:
    """Copy the BlazePose files into ``dest`` (default :func:`cache_dir`); returns ``dest``."""
    dest = Path(dest) if dest is not None else cache_dir()
    if source is None and _installed(dest):
        if not quiet:
            print(f"BlazePose models already installed in {dest}")
        return dest
    with tempfile.TemporaryDirectory() as tmp:
        if source is not None:
            src = Path(source)
            if src.is_file():
                src = _from_tgz(src, Path(tmp))
            elif not src.is_dir():
                raise DetectorError(f"{src}: not a folder or .tgz of the npm package {NPM_PACKAGE}")
        elif REPO_NODE_MODULES.is_dir() and _package_version(REPO_NODE_MODULES) == NPM_VERSION:
            src = REPO_NODE_MODULES
        else:
            src = _npm_pack(Path(tmp))
        version = _package_version(src)
        if version != NPM_VERSION:
            raise DetectorError(f"{src}: {NPM_PACKAGE} version {version!r}, expected {NPM_VERSION}")
        for name, (member, digest) in BLAZEPOSE_FILES.items():
            p = src / member
            if not p.is_file():
                raise DetectorError(f"{p}: missing from the {NPM_PACKAGE} package")
            data = p.read_bytes()
            if _sha256(data) != digest:
                raise DetectorError(f"{p}: SHA-256 {_sha256(data)[:16]}... is not the pinned {digest[:16]}...; "
                                    f"re-install {NPM_PACKAGE}@{NPM_VERSION}")
            atomic_write_bytes(dest / name, data)
    if not quiet:
        print(f"BlazePose models installed in {dest} (from {NPM_PACKAGE}@{NPM_VERSION})")
    return dest


def main(argv=None) -> int:
    from graphsh_tf.cli import run

    p = argparse.ArgumentParser(prog="python -m graphsh_tf.detect.install", description=__doc__.split("\n\n")[0])
    p.add_argument("--from", dest="source", help=f"an unpacked {NPM_PACKAGE} folder or its .tgz")
    p.add_argument("--dest", help="target folder (default: $GRAPHSH_TF_MODELS or ~/.cache/graphsh_tf/models)")
    args = p.parse_args(argv)
    return run("graphsh_tf.detect.install", lambda: install(args.source, args.dest) and None, tensorflow=False)


if __name__ == "__main__":
    sys.exit(main())
