"""Files, once: atomic writes (readers never see a half-written file) and JSON read with a named error.

Every writer goes through a temp file in the target's folder and ``os.replace`` (atomic on one file system). The
temp name keeps all suffixes of the target (``best.weights.h5`` → ``.best.tmp123.weights.h5``), because Keras and
matplotlib pick the format from the name.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Type, Union

PathLike = Union[str, os.PathLike]


def tmp_path_for(path: PathLike) -> Path:
    """A temp file name in the same folder as ``path`` (so ``os.replace`` is atomic), keeping all suffixes."""
    path = Path(path)
    base, dot, suffixes = path.name.partition(".")
    return path.with_name(f".{base}.tmp{os.getpid()}{dot}{suffixes}")


def atomic_save(path: PathLike, writer: Callable[[str], Any]) -> Path:
    """Call ``writer(tmp_path)`` then move the temp file onto ``path`` atomically (h5, png, npz...).

    The file gets mode ``0666 & ~umask`` like any newly created file; the temp file never survives an error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path_for(path)
    try:
        writer(str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (fsync'ed before the rename)."""
    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    return atomic_save(path, write)


def atomic_write_text(path: PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: PathLike, doc: Any) -> Path:
    """``doc`` as indented JSON with sorted keys and a final newline, atomically."""
    return atomic_write_text(path, json.dumps(doc, indent=2, sort_keys=True) + "\n")


def read_json(path: PathLike, error: Type[Exception] = ValueError, fix: str = "fix or re-create the file") -> Any:
    """The JSON document in ``path``; ``error`` (naming the file and ``fix``) when it is missing or not JSON."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: not found; {fix}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise error(f"{path}: not valid JSON ({e}); {fix}") from None
