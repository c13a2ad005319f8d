"""The single entry point :func:`load_data`: a data spec (``synthetic``, ``h36m:DIR``, ``bvh:DIR``,
``mpi_inf_3dhp:DIR``) → a :class:`~graphsh_tf.data.types.PoseData`. The types live in :mod:`graphsh_tf.data.types`
(re-exported here).
"""
from __future__ import annotations

import numpy as np

from graphsh_tf.data.types import DataError, PoseData, PoseSet, check_finite  # noqa: F401  (re-exported)


def load_data(spec: str, keypoints: str = "gt", downsample: int = 1, seed: int = 0, **options) -> PoseData:
    """Load a data set by spec: ``"synthetic"``, ``"h36m:DIR"``, ``"bvh:DIR"`` or ``"mpi_inf_3dhp:DIR"`` (test only).

    ``keypoints``: ``"gt"`` (projected ground truth, 16 joints) or, for Human3.6M, the suffix of a VideoPose3D
    detection file (``cpn_ft_h36m_dbb`` → ``data_2d_h36m_cpn_ft_h36m_dbb.npz``, 17 joints). ``downsample``: keep
    every k-th frame. ``options`` go to the loader (see each module). Prints nothing.
    """
    if not isinstance(spec, str) or not spec:
        raise DataError(f"data spec {spec!r} is empty; use synthetic, h36m:DIR, bvh:DIR or mpi_inf_3dhp:DIR")
    if not isinstance(downsample, (int, np.integer)) or downsample < 1:
        raise DataError(f"downsample={downsample!r} must be an integer >= 1")
    kind, _, path = spec.partition(":")
    kind = kind.strip().lower()
    if kind in ("synthetic", "bvh", "mpi_inf_3dhp") and keypoints not in ("gt", None, ""):
        raise DataError(f"{spec}: keypoints={keypoints!r} is only available for Human3.6M; use keypoints='gt'")
    if kind == "synthetic":
        from graphsh_tf.data import synthetic
        return synthetic.load_synthetic(downsample=downsample, seed=seed, **options)
    if not path:
        raise DataError(f"data spec {spec!r} names no folder; write it as {kind}:DIR "
                        "(e.g. h36m:/data/h36m, bvh:../shared/datasets/bandai-namco-motion-1/data)")
    if kind in ("h36m", "human36m"):
        from graphsh_tf.data import h36m
        return h36m.load_h36m(path, keypoints=keypoints, downsample=downsample, **options)
    if kind == "bvh":
        from graphsh_tf.data import bvh
        return bvh.load_bvh_dir(path, downsample=downsample, seed=seed, **options)
    if kind in ("mpi_inf_3dhp", "3dhp"):
        from graphsh_tf.data import mpi_inf_3dhp
        return mpi_inf_3dhp.load_3dhp(path, downsample=downsample, **options)
    raise DataError(f"unknown data spec {spec!r}; use synthetic, h36m:DIR, bvh:DIR or mpi_inf_3dhp:DIR")
