"""MoveNet SinglePose (Lightning 192 / Thunder 256) for users who have the ``.tflite``: letterbox -> one person,
17 COCO keypoints in image pixels (the same letterbox and decoding as web_demo/src/camera.js and lifter-core)."""
from __future__ import annotations

import time

from graphsh_tf.detect.blazepose import Person, crop, letterbox_roi
from graphsh_tf.detect.runtime import load_interpreter

import numpy as np


class MoveNet:
    layout = "coco17"

    def __init__(self, path, min_score: float = 0.2, num_threads: int = 2):
        self._it = load_interpreter(path, num_threads, inputs={(1, 192, 192, 3), (1, 256, 256, 3)})
        inp = self._it.get_input_details()[0]
        self._size = int(inp["shape"][1])
        self._dtype = inp["dtype"]
        self._out = self._it.get_output_details()[0]["index"]
        self.min_score = float(min_score)
        self.last_timings_ms = {}

    def __call__(self, image: np.ndarray) -> list[Person]:
        t0 = time.perf_counter()
        h, w = image.shape[:2]
        box = letterbox_roi(w, h)
        x = crop(image, box, self._size)
        x = np.round(x).astype(self._dtype) if np.issubdtype(self._dtype, np.integer) else x.astype(self._dtype)
        self._it.set_tensor(self._it.get_input_details()[0]["index"], x[None])
        self._it.invoke()
        raw = self._it.get_tensor(self._out).reshape(17, 3).astype(np.float64)
        xy = box.to_image(raw[:, [1, 0]])
        scores = raw[:, 2]
        self.last_timings_ms = {"detector": (time.perf_counter() - t0) * 1e3}
        if float(np.mean(scores)) < self.min_score:
            return []
        return [Person(xy, scores, self.layout, float(np.mean(scores)))]
