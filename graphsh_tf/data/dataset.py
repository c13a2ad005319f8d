"""The single entry point :func:`load_data`: a data spec → a :class:`~graphsh_tf.data.types.PoseData`, through the
source registered for the spec's prefix (:mod:`graphsh_tf.data.sources`). The built-in sources are imported here;
a new source is one module that registers itself, plus its import below. The types live in
:mod:`graphsh_tf.data.types` (re-exported here).
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from graphsh_tf.data import bvh, h36m, mpi_inf_3dhp, shard_format, synthetic  # noqa: F401  (each registers its source)
from graphsh_tf.data.sources import Source, lookup, registered
from graphsh_tf.data.types import DataError, PoseData, PoseSet, check_finite  # noqa: F401  (re-exported)

import numpy as np


def spec_help() -> str:
    """The accepted spec forms, for messages and ``--data`` help: ``synthetic[:key=value,...] | h36m:DIR | ...``."""
    ordered = sorted(registered(), key=lambda s: bool(s.arg))   # sources that read no files first
    return " | ".join(s.example + (f" ({s.summary})" if s.summary else "") for s in ordered)


def resolve(spec: str, keypoints: Optional[str] = "gt",
            options: Optional[Mapping[str, Any]] = None) -> Tuple[Source, str, Dict[str, Any]]:
    """``(source, argument, parsed options)`` of a spec, checked without loading anything: the prefix is a
    registered source, a folder source names a folder, every option (from the spec or ``options``) is one the
    source takes with a value it accepts, and ``keypoints`` other than ``gt`` only for a source that has them."""
    if not isinstance(spec, str) or not spec.strip():
        raise DataError(f"data spec {spec!r} is empty; use {spec_help()}")
    kind, _, arg = spec.strip().partition(":")
    source = lookup(kind)
    if source is None:
        raise DataError(f"unknown data spec {spec!r}; use {spec_help()}")
    if not source.keypoints and keypoints not in ("gt", None, ""):
        raise DataError(f"{spec}: keypoints={keypoints!r} is only available for "
                        f"{', '.join(f'{s.title} ({s.example})' for s in registered() if s.keypoints)}; "
                        "use keypoints='gt'")
    raw = dict(options or {})
    if source.arg:
        if not arg:
            raise DataError(f"data spec {spec!r} names no folder; write it as {source.name}:{source.arg} "
                            "(e.g. h36m:/data/h36m, bvh:../shared/datasets/bandai-namco-motion-1/data)")
    else:
        for key, value in source.spec_options(arg, spec).items():
            if key in raw:
                raise DataError(f"{spec}: option {key} is given in the spec and as {key}={raw[key]!r}; give it once")
            raw[key] = value
        arg = ""
    return source, arg, source.check_options(raw, spec)


def option_choices(name: str) -> Tuple[str, ...]:
    """Every value some source accepts for the option ``name`` (e.g. ``cameras``), in registration order."""
    out: Dict[str, None] = {}
    for source in registered():
        if name in source.options:
            out.update(dict.fromkeys(source.options[name].choices))
    return tuple(out)


def load_data(spec: str, keypoints: str = "gt", downsample: int = 1, seed: int = 0, **options) -> PoseData:
    """Load a data set by spec (:func:`spec_help`): ``"synthetic"`` (or ``"synthetic:frames=400000"``),
    ``"h36m:DIR"``, ``"bvh:DIR"`` or ``"mpi_inf_3dhp:DIR"`` (test only).

    ``keypoints``: ``"gt"`` (projected ground truth, 16 joints) or, for Human3.6M, the suffix of a VideoPose3D
    detection file (``cpn_ft_h36m_dbb`` → ``data_2d_h36m_cpn_ft_h36m_dbb.npz``, 17 joints). ``downsample``: keep
    every k-th frame. ``options`` go to the loader, which declares the ones it takes (an unknown one is a
    :class:`DataError` naming it). Prints nothing.
    """
    if isinstance(downsample, bool) or not isinstance(downsample, (int, np.integer)) or downsample < 1:
        raise DataError(f"downsample={downsample!r} must be an integer >= 1")
    source, arg, parsed = resolve(spec, keypoints, options)
    return source.load(arg, keypoints=keypoints or "gt", downsample=int(downsample), seed=seed, **parsed)
