"""Frames in, pictures out, for :mod:`graphsh_tf.lift`: images (EXIF orientation applied) and videos (OpenCV)
read as RGB frames, each unreadable file one :class:`LiftError` naming it; PNG and animated GIF written atomically."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List

import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


class LiftError(ValueError):
    """A bad input file, model or option; the message names it and the fix."""


@dataclass
class Frame:
    source: str
    index: int
    t: float
    rgb: np.ndarray


def check_image(path) -> None:
    """Read only the header: LiftError naming the file when it is not an image Pillow can open."""
    import stat

    from PIL import Image, UnidentifiedImageError

    try:
        mode = os.stat(path).st_mode
    except (OSError, TypeError, ValueError):
        mode = None     # missing or unreadable: Pillow's own error below names it
    if mode is not None and not stat.S_ISREG(mode):   # a pipe would block Image.open forever
        raise LiftError(f"{path}: not a regular file (a folder, device, pipe or socket); pass an image file")
    try:
        with Image.open(path) as im:
            im.size  # noqa: B018 - the header is parsed on open
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise LiftError(f"{path}: not a readable image ({' '.join(str(e).split())[:160]})") from None


def read_image(path) -> np.ndarray:
    """RGB uint8 ``(H, W, 3)`` of an image file (EXIF orientation applied); LiftError for anything else."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            return np.asarray(im.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise LiftError(f"{path}: not a readable image ({' '.join(str(e).split())[:160]})") from None


class Video:
    """Frames of a video file through OpenCV (its bundled FFmpeg)."""

    def __init__(self, path):
        os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        import cv2

        self.path = str(path)
        self._cap = cv2.VideoCapture(self.path)
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok or first is None:
            self._cap.release()
            raise LiftError(f"{path}: not a readable video (no frame could be decoded); pass an image, a folder of "
                            f"images or a video ({', '.join(VIDEO_SUFFIXES)})")
        self._first = first
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 1.0 <= fps <= 1000.0 else 30.0
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)

    def frames(self) -> Iterator[np.ndarray]:
        import cv2

        frame = self._first
        try:
            while frame is not None:
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                ok, frame = self._cap.read()
                if not ok:
                    frame = None
        finally:
            self._cap.release()


def collect_inputs(path) -> tuple:
    """``("images", [files])`` or ``("video", file)``; LiftError naming the path otherwise. A folder lists every
    entry with an image suffix that is not a folder (an unreadable one, a broken link too: the caller skips it by
    name rather than not seeing it)."""
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if not f.is_dir() and f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise LiftError(f"{p}: no images in this folder ({', '.join(IMAGE_SUFFIXES)})")
        return "images", files
    if not p.exists():
        raise LiftError(f"{p}: no such file or folder")
    if p.suffix.lower() in VIDEO_SUFFIXES:
        return "video", p
    return "images", [p]

def write_png(path: Path, img: np.ndarray) -> None:
    from graphsh_tf.io import atomic_save

    from PIL import Image

    atomic_save(path, lambda tmp: Image.fromarray(img).save(tmp, format="PNG"))


def write_gif(path: Path, frames: List[np.ndarray], fps: float) -> None:
    from graphsh_tf.io import atomic_save

    from PIL import Image

    ims = [Image.fromarray(f) for f in frames]
    duration = max(int(round(1000.0 / max(fps, 1e-3))), 20)
    atomic_save(path, lambda tmp: ims[0].save(tmp, format="GIF", save_all=True, append_images=ims[1:],
                                              duration=duration, loop=0))
