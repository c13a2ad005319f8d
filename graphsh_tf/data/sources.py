"""The data-source registry: a data spec ``KIND[:ARG]`` names a source that a module registered with
:func:`register_source`.

A source module decorates one loader ``load(arg, *, keypoints, downsample, seed, **options) -> PoseData`` and
declares its options (name → :class:`Option`). Options reach a loader from two places, both checked here against
that declaration before anything is loaded: the keyword arguments of :func:`graphsh_tf.data.dataset.load_data`
(``DataConfig.options``, the flags of ``training/fit.py``) and, for a source without a folder argument, the spec
itself: ``synthetic:frames=400000,cameras=phone`` (list values separated by ``+``). An option the source does not
declare, or a value its :class:`Option` refuses, is a :class:`~graphsh_tf.data.types.DataError` naming the option
and what the source takes.

:mod:`graphsh_tf.data.dataset` imports the built-in source modules, so asking it for a spec finds every source.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

from graphsh_tf.data.types import DataError


@dataclass(frozen=True)
class Option:
    """One loader option: ``takes`` (what it accepts, for messages and help) and ``parse`` (a value from a spec
    string or from JSON/Python → the loader's value; ``ValueError`` with the reason when it is refused)."""

    takes: str
    parse: Callable[[Any], Any]
    choices: Tuple[str, ...] = ()


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"must be {what}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be {what}") from None
    if not math.isfinite(number):
        raise ValueError(f"must be {what} (finite)")
    return number


def integer(low: Optional[int] = None, high: Optional[int] = None) -> Option:
    """A whole number in ``[low, high]``."""
    what = "a whole number" + (f" >= {low}" if low is not None else "") + (f" <= {high}" if high is not None else "")

    def parse(value):
        number = _number(value, what)
        if number != int(number) or (low is not None and number < low) or (high is not None and number > high):
            raise ValueError(f"must be {what}")
        return int(number)

    return Option(what, parse)


def number(low: Optional[float] = None, high: Optional[float] = None, positive: bool = False) -> Option:
    """A finite number in ``[low, high]`` (``positive``: strictly above 0)."""
    if low is not None and high is not None:
        what = f"a number in [{low:g}, {high:g}]"
    else:
        what = "a number" + (" > 0" if positive else "") + (f" >= {low:g}" if low is not None else "") + (
            f" <= {high:g}" if high is not None else "")

    def parse(value):
        x = _number(value, what)
        if (positive and not x > 0) or (low is not None and x < low) or (high is not None and x > high):
            raise ValueError(f"must be {what}")
        return x

    return Option(what, parse)


def choice(*values: str) -> Option:
    """One of ``values``."""
    what = "one of " + ", ".join(values)

    def parse(value):
        if value not in values:
            raise ValueError(f"must be {what}")
        return value

    return Option(what, parse, tuple(values))


def flag() -> Option:
    """True or false (``true``/``false``/``1``/``0``/``yes``/``no`` in a spec)."""
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def parse(value):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in words:
            return words[value.strip().lower()]
        raise ValueError("must be true or false")

    return Option("true or false", parse)


def names(allowed: Sequence[str] = ()) -> Option:
    """A list of names (``a+b`` in a spec), each one of ``allowed`` when given."""
    what = "a list of names (a+b in a spec)" + (f" from {', '.join(allowed)}" if allowed else "")

    def parse(value):
        items = value.split("+") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(n, str) for n in items):
            raise ValueError(f"must be {what}")
        unknown = [n for n in items if allowed and n not in allowed]
        if unknown:
            raise ValueError(f"names {', '.join(unknown)} unknown; use {what}")
        return list(items)

    return Option(what, parse)


def span(low: Optional[float] = None) -> Option:
    """Two finite numbers ``[lo, hi]`` with ``lo <= hi`` (each ``>= low`` when given)."""
    what = "two numbers [low, high]" + (f" >= {low:g}" if low is not None else "")

    def parse(value):
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ValueError(f"must be {what}")
        lo, hi = (_number(v, what) for v in value)
        if lo > hi or (low is not None and lo < low):
            raise ValueError(f"must be {what}")
        return (lo, hi)

    return Option(what, parse)


def passed(takes: str) -> Option:
    """A value the loader checks itself (e.g. a joint map: a dict or a JSON file)."""
    return Option(takes, lambda value: value)


@dataclass(frozen=True)
class Source:
    """A registered data source (see the module docstring)."""

    name: str
    load: Callable[..., Any]
    options: Mapping[str, Option] = field(default_factory=dict)
    arg: str = "DIR"
    aliases: Tuple[str, ...] = ()
    summary: str = ""
    keypoints: bool = False
    recipe: str = "paper"
    title: str = ""

    @property
    def example(self) -> str:
        """How a spec for this source is written: ``h36m:DIR`` or ``synthetic[:key=value,...]``."""
        return f"{self.name}:{self.arg}" if self.arg else f"{self.name}[:key=value,...]"

    def check_options(self, options: Mapping[str, Any], where: str) -> Dict[str, Any]:
        """The parsed options; :class:`DataError` for an unknown option or a refused value. ``None`` values are
        left out (the loader's default applies)."""
        out = {}
        for key, value in options.items():
            if key not in self.options:
                takes = ", ".join(sorted(self.options)) or "none"
                raise DataError(f"{where}: {self.name} has no option {key!r}; it takes: {takes}")
            if value is None:
                continue
            try:
                out[key] = self.options[key].parse(value)
            except ValueError as err:
                raise DataError(f"{where}: option {key}={value!r} {err}") from None
        return out

    def spec_options(self, text: str, where: str) -> Dict[str, str]:
        """``key=value,key=value`` of a spec without a folder argument → raw strings by key."""
        out: Dict[str, str] = {}
        for item in (t.strip() for t in text.split(",")):
            if not item:
                continue
            key, eq, value = item.partition("=")
            if not eq or not key.strip():
                raise DataError(f"{where}: {item!r} is not key=value; write {self.example} with options from: "
                                f"{', '.join(sorted(self.options))}")
            if key.strip() in out:
                raise DataError(f"{where}: option {key.strip()} given twice")
            out[key.strip()] = value.strip()
        return out


_SOURCES: Dict[str, Source] = {}
_NAMES: Dict[str, str] = {}


def register_source(name: str, *, options: Optional[Mapping[str, Option]] = None, arg: str = "DIR",
                    aliases: Sequence[str] = (), summary: str = "", keypoints: bool = False, recipe: str = "paper",
                    title: str = ""):
    """Decorator: register ``load`` as the source ``name`` (spec prefix; ``aliases`` are other prefixes).

    ``options``: name → :class:`Option` (what the loader accepts beyond ``keypoints``/``downsample``/``seed``).
    ``arg``: what follows ``name:`` (``"DIR"``), or ``""`` when the source reads no folder and takes its options in
    the spec. ``keypoints``: the source has 2D detections besides the ground truth. ``recipe``: the training recipe
    ``fit.py`` uses for it by default (:data:`graphsh_tf.config.RECIPES`). ``title``: its name in messages
    (default ``name``)."""
    def decorate(load):
        source = Source(name, load, dict(options or {}), arg, tuple(aliases), summary, keypoints, recipe,
                        title or name)
        taken = [key for key in (name, *aliases) if _NAMES.get(key, name) != name]
        if taken:
            raise ValueError(f"data source prefix {taken[0]!r} is registered twice ({_NAMES[taken[0]]} and {name})")
        _NAMES.update(dict.fromkeys((name, *aliases), name))
        _SOURCES[name] = source
        return load

    return decorate


def registered() -> Tuple[Source, ...]:
    """The sources registered so far, in registration order."""
    return tuple(_SOURCES.values())


def lookup(kind: str) -> Optional[Source]:
    """The source registered under the prefix ``kind`` (case-insensitive), or None."""
    name = _NAMES.get(kind.strip().lower())
    return _SOURCES[name] if name else None
