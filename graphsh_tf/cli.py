"""The error boundary every command-line tool shares.

:func:`run` calls a CLI's body and turns every failure a user can cause into ONE line on stderr (``prog: error:
message``, the message naming the file or field and the fix) and exit code 2: our own errors (all subclasses of
``ValueError``: ConfigError, DataError, RunDirError, ModelFileError, ...), operating-system errors (a missing or
unwritable path, an output under a regular file, a full disk: ``OSError`` names the path), and TensorFlow's errors
from reading checkpoints or models. Anything else is a bug and keeps its traceback. ``--verbose`` (see
:func:`add_verbose`) keeps TensorFlow's own start-up messages (:mod:`graphsh_tf.quiet`).
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Optional

from graphsh_tf.quiet import VERBOSE_ENV, import_tensorflow


def add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verbose", action="store_true",
                        help=f"also print TensorFlow's own start-up and log messages (or set {VERBOSE_ENV}=1)")


def _int_at_least(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} must be >= {minimum}")
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (rejected before any work starts)."""
    return _int_at_least(text, 1)


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    return _int_at_least(text, 0)


def positive_int_list(text: str) -> list:
    """argparse type: comma-separated integers >= 1 (e.g. thread counts ``1,2,4``)."""
    return [positive_int(t) for t in text.split(",") if t.strip()]


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    if isinstance(err, OSError) and err.filename and str(err.filename) not in text:
        text = f"{err.filename}: {text}"
    return text


def _expected(err: BaseException) -> bool:
    if isinstance(err, (ValueError, OSError)):
        return True
    tf = sys.modules.get("tensorflow")
    return bool(tf is not None and isinstance(err, tf.errors.OpError))


def run(prog: str, body: Callable[[], Optional[int]], verbose: bool = False, tensorflow: bool = True) -> int:
    """Run ``body()`` behind the boundary; returns its exit code (0 when it returns None) or 2 on an expected
    failure. ``tensorflow``: import TensorFlow quietly first (unless ``verbose``)."""
    try:
        if tensorflow:
            import_tensorflow(force_verbose=verbose)
        code = body()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - sorted below: expected failures are one line, bugs re-raise
        if not _expected(err):
            raise
        sys.stdout.flush()
        print(f"{prog + ': ' if prog else ''}error: {_one_line(err)}", file=sys.stderr)
        return 2
    return int(code or 0)

