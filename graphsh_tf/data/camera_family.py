"""Camera families: where the cameras that see a training pose come from, and the 2D frame each one needs.

``h36m``: the calibrated Human3.6M cameras (lens distortion included), 2D normalized by the image size.
``virtual``: random cameras around the person with Human3.6M intrinsics (:data:`VIRTUAL`), normalized by the image
size. ``phone``: random handheld phone cameras (:data:`PHONE`: pinhole, portrait or landscape), 2D normalized through
their intrinsics (:func:`graphsh_tf.frame.normalize_with_intrinsics`, what ``Lifter(intrinsics=...)`` feeds the
model). A mix draws each sample's family with the given weights (``mix`` = :data:`DEFAULT_MIX`).

:mod:`graphsh_tf.data.stream` draws these per sample in TensorFlow; :func:`fixed_cameras` gives the numpy cameras
of a family for a split rendered once (a test split, a calibration sample), seeded by the sequence's name.
"""
from __future__ import annotations

import hashlib
from typing import Any, List, Tuple

from graphsh_tf.data import cameras as cam
from graphsh_tf.data.types import DataError

import numpy as np

#: Family name → the 2D frame its rows are normalized in (:data:`graphsh_tf.data.render.NORMALIZATIONS`).
FAMILIES = {"h36m": "image", "virtual": "image", "phone": "intrinsics"}
#: Ranges of the random handheld phone cameras (as :func:`graphsh_tf.data.cameras.random_phone_cameras` draws
#: them): horizontal field of view (degrees), distance and height (mm), roll (degrees); portrait 1080x1920 or
#: landscape 1920x1080 with equal odds.
PHONE = {"hfov": (55.0, 80.0), "distance": (2000.0, 4500.0), "height": (1000.0, 1700.0), "roll": (-5.0, 5.0)}
PHONE_SIZES = ((1080, 1920), (1920, 1080))
#: Ranges of the random virtual cameras (as :func:`graphsh_tf.data.cameras.virtual_cameras` draws them).
VIRTUAL = {"distance": (3500.0, 6000.0), "height": (500.0, 2200.0), "roll": (-5.0, 5.0)}
#: The weights of ``cameras=mix``.
DEFAULT_MIX = (("h36m", 0.25), ("virtual", 0.25), ("phone", 0.5))
#: What the ``cameras`` option of a streamed source accepts.
CHOICES = (*FAMILIES, "mix")


def parse_mix(cameras: str, mix: Any = None) -> Tuple[Tuple[str, float], ...]:
    """``((family, weight), ...)`` with weights summing to 1, from a family name, or ``mix`` with ``mix`` weights
    (``{"phone": 0.7, "h36m": 0.3}``, default :data:`DEFAULT_MIX`); :class:`DataError` naming what is wrong."""
    if cameras in FAMILIES:
        if mix:
            raise DataError(f"camera_mix is only read with cameras=mix (cameras={cameras!r})")
        return ((cameras, 1.0),)
    if cameras != "mix":
        raise DataError(f"cameras={cameras!r} must be one of {', '.join(CHOICES)}")
    pairs = DEFAULT_MIX if not mix else tuple(dict(mix).items()) if isinstance(mix, dict) else None
    if pairs is None:
        raise DataError(f"camera_mix={mix!r} must be an object family -> weight, e.g. "
                        '{"phone": 0.7, "h36m": 0.3}')
    for name, weight in pairs:
        if name not in FAMILIES or isinstance(weight, bool) or not isinstance(weight, (int, float)) or \
                not np.isfinite(weight) or weight < 0:
            raise DataError(f"camera_mix: {name!r}: {weight!r}; the families are {', '.join(FAMILIES)} with weights "
                            ">= 0")
    total = float(sum(w for _, w in pairs))
    if total <= 0:
        raise DataError(f"camera_mix={mix!r}: the weights sum to 0")
    return tuple((name, float(w) / total) for name, w in pairs if w > 0)


def main_family(mix: Tuple[Tuple[str, float], ...]) -> str:
    """The family with the largest weight (the first on a tie): the fixed cameras of a test split."""
    return max(mix, key=lambda p: p[1])[0]


def _digest(*parts) -> int:
    return int(hashlib.md5("/".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def fixed_cameras(family: str, seed: int, sequence: str, world_mm: np.ndarray, h36m_subject: str,
                  num: int = 4) -> List[cam.Camera]:
    """The fixed cameras through which a split rendered once sees one sequence: ``h36m``, the calibrated cameras of
    ``h36m_subject``; ``virtual``/``phone``, ``num`` random ones around the sequence's mean root, drawn from a
    generator seeded by ``seed`` and the sequence name (the same cameras on every load)."""
    if family == "h36m":
        return cam.h36m_cameras(h36m_subject)
    rng = np.random.default_rng(_digest(seed, sequence))
    target = np.asarray(world_mm, np.float64)[:, 0].mean(axis=0)
    if family == "phone":
        return cam.random_phone_cameras(rng, target, num, PHONE["hfov"], PHONE["distance"], PHONE["height"],
                                        PHONE["roll"])
    if family == "virtual":
        return cam.virtual_cameras(rng, target, num, VIRTUAL["distance"], VIRTUAL["height"], roll=VIRTUAL["roll"])
    raise DataError(f"camera family {family!r} is not one of {', '.join(FAMILIES)}")
