"""Files, once: atomic writes (readers never see a half-written file) and JSON read with a named error.

Every writer goes through a temp file in the target's folder and ``os.replace`` (atomic on one file system). The
temp name keeps all suffixes of the target (``best.weights.h5`` → ``.best.tmp123.weights.h5``), because Keras and
matplotlib pick the format from the name.
"""
from __future__ import annotations

import errno
import io as pyio
import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any, Callable, Optional, Type, Union

PathLike = Union[str, os.PathLike]


def cache_folder(env_var: str, name: str) -> Path:
    """A folder of graphsh-tf's user cache: ``$env_var`` if set, else ``$XDG_CACHE_HOME/graphsh_tf/<name>``
    (``~/.cache/graphsh_tf/<name>``). Model files, test photos and benchmark recordings live there, never in the
    repository."""
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "graphsh_tf" / name


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
    except Exception as e:  # noqa: BLE001 - a full disk is told apart below, everything else passes unchanged
        code = _disk_full(e)
        if code is None:
            raise
        raise OSError(code, f"{path}: cannot write it ({os.strerror(code)}); nothing was changed there: free some "
                      "space (or choose another folder) and run again") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_save_h5(path: PathLike, fill: Callable[[Any], Any]) -> Path:
    """An HDF5 file built in memory by ``fill(h5py_file)``, then written to ``path`` atomically. A full disk then
    fails in Python's own write (one error naming ``path``, nothing left behind) instead of inside the HDF5
    library, which can crash the process when its writes fail."""
    import h5py

    buf = pyio.BytesIO()
    with h5py.File(buf, "w") as f:
        fill(f)
    return atomic_write_bytes(path, buf.getvalue())


def weights_h5_bytes(model) -> Optional[bytes]:
    """The bytes ``model.save_weights("x.weights.h5")`` would write (tf_keras' weights format), built in memory;
    None when this tf_keras has another internal layout."""
    try:
        from tf_keras.src.saving import saving_lib

        class _Sink:   # the in-memory HDF5 file arrives here when the store closes
            data = None

            def writestr(self, name, data):
                self.data = data

        sink = _Sink()
        store = saving_lib.H5IOStore("model.weights.h5", archive=sink, mode="w")
        saving_lib._save_state(model, weights_store=store, assets_store=None, inner_path="", visited_trackables=set())
        store.close()
    except (ImportError, AttributeError, TypeError):
        return None
    return sink.data


def atomic_save_weights(path: PathLike, model) -> Path:
    """``model.save_weights(path)`` for a ``.weights.h5`` path (tf_keras' weights format), built in memory and then
    written atomically (see :func:`atomic_save_h5`)."""
    data = weights_h5_bytes(model)
    if data is None:   # another tf_keras layout: its own writer, through a temp file
        return atomic_save(path, lambda tmp: model.save_weights(tmp))
    return atomic_write_bytes(path, data)


def raise_if_disk_full(err: BaseException, path: PathLike) -> None:
    """Re-raise ``err`` as one OSError naming ``path`` when it says the disk (or quota) is full; else return."""
    code = _disk_full(err)
    if code is not None:
        raise OSError(code, f"{path}: cannot write it ({os.strerror(code)}); free some space (or choose another "
                      "folder) and run again") from None


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _disk_full(err: BaseException) -> Optional[int]:
    """The errno when ``err`` (or an error it was raised from) says the disk or quota is full, else None. Libraries
    that write through C (HDF5, TensorFlow) report it as text rather than as ``errno``."""
    seen = 0
    while err is not None and seen < 8:
        if getattr(err, "errno", None) in _FULL:
            return err.errno
        text = str(err)
        if "No space left on device" in text or "errno = 28" in text or "errno 28" in text.lower():
            return errno.ENOSPC
        if "Disk quota exceeded" in text:
            return errno.EDQUOT
        err, seen = err.__cause__ or err.__context__, seen + 1
    return None


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


def require_file(path: PathLike, error: Type[Exception] = ValueError, fix: str = "pass an existing file") -> Path:
    """``path`` as a Path when it is (or links to) a regular file; otherwise ``error`` saying which of missing, a
    broken or looping symbolic link, a folder or a special file it is, with ``fix``."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise error(f"{path}: a symbolic link loop (the link leads back to itself); point it at the real file"
                        ) from None
        if path.is_symlink():
            raise error(f"{path}: a broken symbolic link (to {os.readlink(path)}, which does not exist); {fix}"
                        ) from None
        if e.errno == errno.ENOTDIR:
            raise error(f"{path}: a part of this path is a file, not a folder; {fix}") from None
        raise error(f"{path}: not found; {fix}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{path}: is a folder where a file is expected; {fix}")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{path}: not a regular file (a device, pipe or socket); {fix}")
    return path


#: A JSON string, or a number / the non-standard constants NaN and Infinity that Python's parser accepts.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)')


class _NonFinite(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def loads_finite(text: str, source: str, error: Type[Exception] = ValueError, fix: str = "fix or re-create the file"
                 ) -> Any:
    """``json.loads(text)`` that refuses NaN, Infinity and numbers too large for a float (``1e999``): ``error``
    naming ``source``, the line and ``fix``; not JSON at all is ``error`` too."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NonFinite as e:
        bad, line = str(e), None
        for m in _JSON_TOKEN.finditer(text):
            if m.group(1) and not math.isfinite(float(m.group(1))):
                bad, line = m.group(1), text.count("\n", 0, m.start()) + 1
                break
        where = f" line {line}" if line else ""
        raise error(f"{source}:{where}: {bad} is not a finite number; {fix}") from None
    except json.JSONDecodeError as e:
        raise error(f"{source}: not valid JSON ({e}); {fix}") from None


def read_json(path: PathLike, error: Type[Exception] = ValueError, fix: str = "fix or re-create the file") -> Any:
    """The JSON document in ``path``; ``error`` (naming the file and ``fix``) when it is missing, a folder, not JSON,
    or holds a non-finite number (NaN, Infinity, 1e999: the line is named)."""
    path = require_file(path, error, fix)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise error(f"{path}: not valid JSON ({e}); {fix}") from None
    return loads_finite(text, str(path), error, fix)
