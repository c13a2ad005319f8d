"""Read ``.npz`` files that hold pickled Python containers (VideoPose3D's ``data_3d_h36m.npz`` /
``data_2d_h36m_*.npz``) without running code stored in them.

``np.load(..., allow_pickle=True)`` unpickles object members with the plain :mod:`pickle`, which calls any function
the file names. :func:`load_npz_safe` reads plain numeric members with ``allow_pickle=False`` and unpickles object
members with :class:`RestrictedUnpickler`, which resolves only the numpy array / dtype / scalar reconstructors;
dicts, lists, tuples, strings and numbers are pickle opcodes and need no lookup. Any other global (``os.system``,
``builtins.eval``, a class of some package ...) refuses the file with :class:`UnsafePickleError`; nothing is called.
"""
from __future__ import annotations

import importlib
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any, Union

import numpy as np
from numpy.lib import format as npy_format

__all__ = ["NpzFileError", "UnsafePickleError", "RestrictedUnpickler", "NpzContents", "load_npz_safe",
           "NUMPY_GLOBALS"]


class NpzFileError(ValueError):
    """An ``.npz`` file is missing, corrupt or not an ``.npz`` archive; the one-line message names the file."""


class UnsafePickleError(NpzFileError):
    """A pickled member names a global outside the allowlist: reading it would run code, so the file is refused."""


_MULTIARRAY = importlib.import_module("numpy._core.multiarray" if np.lib.NumpyVersion(np.__version__) >= "2.0.0"
                                      else "numpy.core.multiarray")

#: ``(module, name) -> object``: all a pickled numpy array (any dtype, object arrays included) or numpy scalar
#: needs; both the numpy 1 (``numpy.core``) and numpy 2 (``numpy._core``) spellings are accepted.
NUMPY_GLOBALS = {
    **{(mod, name): getattr(_MULTIARRAY, name)
       for mod in ("numpy.core.multiarray", "numpy._core.multiarray") for name in ("_reconstruct", "scalar")},
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry, or an empty zip


def _one_line(err: BaseException) -> str:
    return f"{type(err).__name__}: {' '.join(str(err).split())}".rstrip(": ")


class RestrictedUnpickler(pickle.Unpickler):
    """A :class:`pickle.Unpickler` that resolves only :data:`NUMPY_GLOBALS`; ``source`` names the data in errors."""

    def __init__(self, file, source: str = "pickle"):
        super().__init__(file)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        try:
            return NUMPY_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafePickleError(f"{self.source}: refused: its pickle calls {module}.{name}, and loading it would "
                                    "run code (only numpy arrays, numbers, strings, lists and dicts are accepted); "
                                    "re-create the file from plain arrays") from None

    def persistent_load(self, pid):
        raise UnsafePickleError(f"{self.source}: refused: its pickle uses persistent ids, which only code can "
                                "resolve; re-create the file from plain arrays")


class NpzContents(dict):
    """``{member name: array}`` as ``np.load`` returns the members: pickled members are object arrays, a pickled
    dict is a 0-d object array (``.item()`` gives the dict). Like ``NpzFile`` it has ``.files`` and works in a
    ``with`` statement, so it can stand in for ``np.load(path, allow_pickle=True)``; it holds no open file."""

    @property
    def files(self):
        return list(self)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def _read_object_member(path: Path, key: str) -> np.ndarray:
    """Unpickle the object-array member ``key`` (``key.npy`` in the zip) with :class:`RestrictedUnpickler`."""
    source = f"{path} (member {key!r})"
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        member = key + ".npy" if key + ".npy" in names else key
        with zf.open(member) as f:
            version = npy_format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = npy_format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = npy_format.read_array_header_2_0(f)
            else:
                raise NpzFileError(f"{source}: unsupported .npy format version {version} for an object array")
            if not dtype.hasobject:
                raise NpzFileError(f"{source}: cannot be read although its dtype {dtype} holds no objects")
            # the pickle is small next to the numeric members; reading it first keeps the zip stream simple
            value = RestrictedUnpickler(io.BytesIO(f.read()), source).load()
    if not isinstance(value, np.ndarray) or value.shape != tuple(shape):
        raise NpzFileError(f"{source}: the pickle holds {type(value).__name__}, not the object array of shape "
                           f"{tuple(shape)} its header announces; re-create the file")
    return value


def load_npz_safe(path: Union[str, Path]) -> NpzContents:
    """Read every member of the ``.npz`` ``path`` without running code stored in it.

    Numeric members load as with ``np.load``; object members (pickled dicts / lists of arrays) are unpickled with
    :class:`RestrictedUnpickler` and returned as the object arrays ``np.load`` would give (``.item()`` unwraps a
    0-d one). Raises :class:`UnsafePickleError` for a pickle that would call anything but numpy's array
    reconstructors, and :class:`NpzFileError` (both ``ValueError``) for a missing, empty, truncated or non-npz file.
    """
    path = Path(path)
    if not path.is_file():
        raise NpzFileError(f"{path}: file not found")
    with open(path, "rb") as f:
        head = f.read(4)
    if not head:
        raise NpzFileError(f"{path}: empty file (0 bytes); re-download or re-create it")
    if head not in _ZIP_MAGIC:  # np.load would try it as .npy or pickle; an .npz is always a zip archive
        raise NpzFileError(f"{path}: not an .npz file (it does not start with the zip signature 'PK': a text or "
                           ".npy file, or corrupt); re-download or re-create it")
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - BadZipFile (truncated), OSError ... all mean unreadable
        raise NpzFileError(f"{path}: not a readable .npz file ({_one_line(e)}); it is corrupt or truncated, "
                           "re-download or re-create it") from None
    out = NpzContents()
    with archive:
        for key in archive.files:
            try:
                try:
                    out[key] = archive[key]
                except ValueError as e:
                    if "allow_pickle" not in str(e):
                        raise
                    out[key] = _read_object_member(path, key)
            except NpzFileError:
                raise
            except Exception as e:  # noqa: BLE001 - CRC / zlib / truncation / bad header inside the member
                raise NpzFileError(f"{path}: member {key!r} is unreadable ({_one_line(e)}); the file is corrupt or "
                                   "truncated, re-download or re-create it") from None
    return out
