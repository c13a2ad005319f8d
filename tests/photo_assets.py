"""Photos of real people for the detector and lifting tests, taken from a registry package at test set-up and never
committed: ``bus.jpg`` (810x1080, people standing in front of a bus) and ``zidane.jpg`` (1280x720, two men, waist
up), the sample images of the PyPI package ``ultralytics`` (pinned below; AGPL-3.0 package, images used as test
data only). ``pip download --no-deps`` fetches the wheel once into a cache folder; later runs read the cache.

Also: whether the BlazePose files are installed (``python -m graphsh_tf.detect.install``).
Without them the tests skip with the reason, except when CI is set: then they fail.
"""
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

WHEEL_SPEC = "ultralytics==8.4.190"
PHOTOS = ("bus.jpg", "zidane.jpg")


def ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_or_fail(msg: str) -> None:
    if ci():
        pytest.fail(f"CI is set, so this test must run: {msg}")
    pytest.skip(msg)


def photo_cache() -> Path:
    from graphsh_tf.io import cache_folder

    return cache_folder("GRAPHSH_TF_TEST_PHOTOS", "test_photos")


def fetch_photos() -> Path:
    """The cache folder holding :data:`PHOTOS`; fetches the wheel when they are missing. Skips (fails under CI) with
    the command to run when the registry cannot be reached."""
    cache = photo_cache()
    if all((cache / name).is_file() for name in PHOTOS):
        return cache
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([sys.executable, "-m", "pip", "download", WHEEL_SPEC, "--no-deps", "--quiet", "-d", tmp],
                           capture_output=True, text=True, timeout=300)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if r.returncode != 0 or not wheels:
            skip_or_fail(f"the photo tests need {', '.join(PHOTOS)} from `pip download {WHEEL_SPEC} --no-deps` "
                         f"(PyPI not reachable: {' '.join(r.stderr.split())[-200:]}); or put the files in {cache} "
                         "(or $GRAPHSH_TF_TEST_PHOTOS)")
        cache.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheels[0]) as z:
            for name in PHOTOS:
                data = z.read(f"ultralytics/assets/{name}")
                tmp_out = cache / f".{name}.part"
                tmp_out.write_bytes(data)
                os.replace(tmp_out, cache / name)
    return cache


def require_blazepose() -> None:
    from graphsh_tf.detect.models import DetectorError, blazepose_paths

    try:
        blazepose_paths("full")
    except DetectorError as e:
        skip_or_fail(str(e))
