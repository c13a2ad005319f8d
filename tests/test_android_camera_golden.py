"""Golden vectors of the camera path's pure pieces, for lifter-core's CameraGoldenTest (run by
tests/test_java_lifter_core.py with javac + JUnit, and by ``./gradlew :lifter-core:test``).

The numpy reference here is written independently of the Java code (np.rot90 for the rotation, vectorised
sampling), and the file it writes is committed at android_demo/lifter-core/src/test/resources/golden/camera.json:

* ``letterbox``: an RGBA sensor buffer (with row padding) + rotation (0/90/180/270 clockwise, CameraX's
  rotationDegrees) + square input size → upright size, scale, padding, and the RGB detector input (nearest
  neighbour, black outside the frame).
* ``movenet``: a raw MoveNet SinglePose output ``[1, 1, 17, 3]`` (y, x, score in [0, 1] of the letterboxed input)
  → COCO-17 keypoints in upright-frame pixels → the lifter's float input (graphsh_tf.keypoints.prepare_input, the
  adapter + normalization the Java side already mirrors).

Regenerate after a deliberate change: ``python tests/test_android_camera_golden.py --write``.
"""
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "android_demo" / "lifter-core" / "src" / "test" / "resources" / "golden" / "camera.json"


def letterbox_geometry(sensor_w: int, sensor_h: int, rotation: int, size: int):
    w, h = (sensor_h, sensor_w) if rotation in (90, 270) else (sensor_w, sensor_h)
    scale = size / max(w, h)
    return w, h, scale, (size - w * scale) / 2.0, (size - h * scale) / 2.0


def upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """Sensor image (rows, cols, channels) turned ``rotation`` degrees clockwise."""
    return np.rot90(image, k=-(rotation // 90), axes=(0, 1))


def letterbox_rgb(image: np.ndarray, rotation: int, size: int) -> np.ndarray:
    """[size, size, 3] uint8: the upright image scaled into the square, centred, nearest neighbour, black pad."""
    sensor_h, sensor_w = image.shape[:2]
    w, h, scale, pad_x, pad_y = letterbox_geometry(sensor_w, sensor_h, rotation, size)
    up = upright(image, rotation)[..., :3]
    assert up.shape[:2] == (h, w)
    xu = (np.arange(size) + 0.5 - pad_x) / scale
    yu = (np.arange(size) + 0.5 - pad_y) / scale
    col_ok, row_ok = (xu >= 0) & (xu < w), (yu >= 0) & (yu < h)
    cols = np.clip(np.floor(xu).astype(int), 0, w - 1)
    rows = np.clip(np.floor(yu).astype(int), 0, h - 1)
    out = up[rows][:, cols].copy()
    out[~(row_ok[:, None] & col_ok[None, :])] = 0
    return out


def movenet_to_pixels(raw: np.ndarray, sensor_w: int, sensor_h: int, rotation: int, size: int):
    """raw [17, 3] (y, x, score) in [0, 1] of the square input → (xy [17, 2] upright pixels, scores [17])."""
    w, h, scale, pad_x, pad_y = letterbox_geometry(sensor_w, sensor_h, rotation, size)
    raw = raw.astype(np.float64)
    xy = np.stack([(raw[:, 1] * size - pad_x) / scale, (raw[:, 0] * size - pad_y) / scale], axis=1)
    return xy, raw[:, 2], (w, h)


def _letterbox_case(rng, name, sensor_w, sensor_h, rotation, size, row_padding):
    image = rng.integers(0, 256, size=(sensor_h, sensor_w, 4), dtype=np.uint8)
    row_stride = sensor_w * 4 + row_padding
    buf = rng.integers(0, 256, size=(sensor_h, row_stride), dtype=np.uint8)  # padding bytes are garbage
    buf[:, :sensor_w * 4] = image.reshape(sensor_h, sensor_w * 4)
    w, h, scale, pad_x, pad_y = letterbox_geometry(sensor_w, sensor_h, rotation, size)
    return {"name": name, "sensor_size": [sensor_w, sensor_h], "rotation": rotation, "size": size,
            "row_stride": row_stride, "pixel_stride": 4, "rgba": buf.reshape(-1).tolist(),
            "upright_size": [w, h], "scale": scale, "pad": [pad_x, pad_y],
            "rgb": letterbox_rgb(image, rotation, size).reshape(-1).tolist()}


def _movenet_case(rng, name, sensor_w, sensor_h, rotation, size, min_score):
    from graphsh_tf import keypoints as kp

    w, h, scale, pad_x, pad_y = letterbox_geometry(sensor_w, sensor_h, rotation, size)
    # keypoints inside the frame part of the square, a few low scores
    y = rng.uniform(pad_y / size + 0.02, 1 - pad_y / size - 0.02, 17)
    x = rng.uniform(pad_x / size + 0.02, 1 - pad_x / size - 0.02, 17)
    s = rng.uniform(0.3, 0.95, 17)
    s[rng.choice(17, size=3, replace=False)] = rng.uniform(0.0, 0.1, 3)
    raw = np.stack([y, x, s], axis=1).astype(np.float32)
    xy, scores, (w, h) = movenet_to_pixels(raw, sensor_w, sensor_h, rotation, size)
    x_in = kp.prepare_input(xy, float(w), float(h), "coco17", scores, min_score)
    return {"name": name, "sensor_size": [sensor_w, sensor_h], "rotation": rotation, "size": size,
            "raw": [[float(v) for v in row] for row in raw], "upright_size": [w, h],
            "xy": xy.tolist(), "scores": scores.tolist(), "min_score": min_score,
            "input_float": np.asarray(x_in[0], dtype=np.float64).tolist()}


def golden() -> dict:
    rng = np.random.default_rng(20241125)
    letterbox = [
        _letterbox_case(rng, "landscape_r0", 7, 5, 0, 8, 4),
        _letterbox_case(rng, "landscape_r90", 7, 5, 90, 8, 4),
        _letterbox_case(rng, "landscape_r180", 7, 5, 180, 8, 0),
        _letterbox_case(rng, "landscape_r270", 7, 5, 270, 8, 12),
        _letterbox_case(rng, "portrait_r90_upscale", 4, 9, 90, 12, 0),
        _letterbox_case(rng, "square_r270_downscale", 10, 10, 270, 6, 8),
    ]
    movenet = [
        _movenet_case(rng, "lightning_640x480_r90", 640, 480, 90, 192, 0.2),
        _movenet_case(rng, "thunder_640x480_r0", 640, 480, 0, 256, 0.0),
        _movenet_case(rng, "lightning_1280x720_r270", 1280, 720, 270, 192, 0.3),
    ]
    return {"format": "graphsh-golden/1", "letterbox": letterbox, "movenet": movenet}


def _text(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":")) + "\n"


def test_committed_camera_golden_is_current():
    assert GOLDEN.is_file(), f"missing {GOLDEN}: python {Path(__file__).relative_to(ROOT)} --write"
    committed = json.loads(GOLDEN.read_text())
    fresh = json.loads(_text(golden()))
    assert [c["name"] for c in committed["letterbox"]] == [c["name"] for c in fresh["letterbox"]]
    for a, b in zip(committed["letterbox"], fresh["letterbox"]):
        assert a == b, a["name"]
    for a, b in zip(committed["movenet"], fresh["movenet"]):
        assert a.keys() == b.keys() and a["raw"] == b["raw"], a["name"]
        np.testing.assert_allclose(a["xy"], b["xy"], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(a["input_float"], b["input_float"], rtol=1e-6, atol=1e-7)
    assert len(committed["movenet"]) == len(fresh["movenet"])


def test_reference_letterbox_rotations_and_mapping():
    img = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)  # 3 wide, 2 high
    # 90 degrees clockwise: the top-left of the upright image is the sensor's bottom-left pixel
    assert (upright(img, 90)[0, 0] == img[1, 0]).all() and upright(img, 90).shape[:2] == (3, 2)
    assert (upright(img, 270)[0, 0] == img[0, 2]).all()
    assert (upright(img, 180)[0, 0] == img[1, 2]).all()
    # a keypoint at the centre of the square is the centre of the frame; a corner of the frame part maps to 0
    xy, _, (w, h) = movenet_to_pixels(np.array([[0.5, 0.5, 1.0]] * 17, np.float32), 640, 480, 90, 192)
    assert (w, h) == (480, 640) and np.allclose(xy[0], [240, 320])
    _, _, scale, pad_x, pad_y = letterbox_geometry(640, 480, 0, 256)
    assert pad_x == 0 and pad_y == 32 and scale == 0.4
    out = letterbox_rgb(np.full((480, 640, 4), 200, np.uint8), 0, 256)
    assert (out[:32] == 0).all() and (out[-32:] == 0).all() and (out[32:-32] == 200).all()


def test_golden_covers_every_rotation_and_both_movenet_sizes():
    doc = json.loads(GOLDEN.read_text())
    assert {c["rotation"] for c in doc["letterbox"]} == {0, 90, 180, 270}
    assert any(c["row_stride"] > 4 * c["sensor_size"][0] for c in doc["letterbox"])
    assert {c["size"] for c in doc["movenet"]} == {192, 256}
    assert any(0.0 in c["input_float"] or min(c["scores"]) < c["min_score"] for c in doc["movenet"])
    assert GOLDEN.stat().st_size < 40_000


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(f"usage: python {sys.argv[0]} --write   (rewrites {GOLDEN})")
    sys.path.insert(0, str(ROOT))
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(_text(golden()))
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size} bytes)")
