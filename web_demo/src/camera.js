// The camera path's pure pieces, one to one with android_demo/lifter-core's Letterbox and MoveNet (checked against
// the same golden/camera.json by web_demo/test/golden.mjs): a frame fitted into the detector's square input, and
// MoveNet's output mapped back to frame pixels in COCO-17 order, ready for lifter_core.adapt(..., "coco17").
// No DOM, no imports.

export const MOVENET_KEYPOINTS = 17;
export const LIGHTNING_SIZE = 192;
export const THUNDER_SIZE = 256;

/**
 * A sensor frame (sensorWidth x sensorHeight) turned upright by `rotationDegrees` clockwise (0/90/180/270), scaled
 * by scale = size / max(width, height) and centred in a size x size square: padX = (size - width * scale) / 2,
 * padY likewise; the rest is black. Detector coordinates in [0, 1] of the square map back with toPixelX/Y.
 */
export class Letterbox {
  constructor(sensorWidth, sensorHeight, rotationDegrees, size) {
    if (!(sensorWidth > 0 && sensorHeight > 0 && size > 0)) {
      throw new RangeError(`sizes must be positive: sensor ${sensorWidth}x${sensorHeight}, input ${size}`);
    }
    if (![0, 90, 180, 270].includes(rotationDegrees)) {
      throw new RangeError(`rotationDegrees must be 0, 90, 180 or 270, got ${rotationDegrees}`);
    }
    this.sensorWidth = sensorWidth;
    this.sensorHeight = sensorHeight;
    this.rotationDegrees = rotationDegrees;
    const swap = rotationDegrees === 90 || rotationDegrees === 270;
    this.width = swap ? sensorHeight : sensorWidth;
    this.height = swap ? sensorWidth : sensorHeight;
    this.size = size;
    this.scale = size / Math.max(this.width, this.height);
    this.padX = (size - this.width * this.scale) / 2.0;
    this.padY = (size - this.height * this.scale) / 2.0;
  }

  /** Detector x in [0, 1] of the square input -> upright-frame pixels. */
  toPixelX(xNorm) {
    return (xNorm * this.size - this.padX) / this.scale;
  }

  /** Detector y in [0, 1] of the square input -> upright-frame pixels. */
  toPixelY(yNorm) {
    return (yNorm * this.size - this.padY) / this.scale;
  }

  /**
   * Fill `out` (size * size * 3 bytes, RGB, row-major) from an RGBA buffer (`rowStride` bytes per row,
   * `pixelStride` per pixel, R, G, B first; e.g. ImageData.data with rowStride = 4 * width), nearest neighbour:
   * input pixel (row i, column j) takes upright pixel (floor((j + 0.5 - padX) / scale), floor((i + 0.5 - padY) /
   * scale)); outside the frame it is black. Returns `out`.
   */
  fillRgb(rgba, rowStride, pixelStride, out = new Uint8Array(this.size * this.size * 3), offset = 0) {
    const n = this.size;
    if (out.length !== n * n * 3) throw new RangeError(`out has ${out.length} bytes, expected ${n * n * 3}`);
    if (pixelStride < 3 || rowStride < this.sensorWidth * pixelStride) {
      throw new RangeError(`bad strides: row ${rowStride}, pixel ${pixelStride} for width ${this.sensorWidth}`);
    }
    let o = 0;
    for (let i = 0; i < n; i++) {
      const yu = (i + 0.5 - this.padY) / this.scale;
      const y = Math.floor(yu);
      for (let j = 0; j < n; j++, o += 3) {
        const xu = (j + 0.5 - this.padX) / this.scale;
        const x = Math.floor(xu);
        if (yu < 0 || xu < 0 || y >= this.height || x >= this.width) {
          out[o] = 0;
          out[o + 1] = 0;
          out[o + 2] = 0;
          continue;
        }
        let sx, sy;
        switch (this.rotationDegrees) {
          case 90: sx = y; sy = this.sensorHeight - 1 - x; break;
          case 180: sx = this.sensorWidth - 1 - x; sy = this.sensorHeight - 1 - y; break;
          case 270: sx = this.sensorWidth - 1 - y; sy = x; break;
          default: sx = x; sy = y;
        }
        const p = offset + sy * rowStride + sx * pixelStride;
        out[o] = rgba[p];
        out[o + 1] = rgba[p + 1];
        out[o + 2] = rgba[p + 2];
      }
    }
    return out;
  }
}

/**
 * MoveNet SinglePose output ([1, 1, 17, 3] float32: y, x, score per COCO-17 keypoint, in [0, 1] of the square
 * input) -> {keypoints: [17][x, y] upright-frame pixels, scores: [17], width, height}.
 */
export function decodeMoveNet(raw, box) {
  const flat = Array.isArray(raw) && Array.isArray(raw[0]) ? raw.flat(3) : Array.from(raw);
  if (flat.length !== MOVENET_KEYPOINTS * 3) {
    throw new RangeError(`MoveNet output has ${flat.length} values, expected ${MOVENET_KEYPOINTS * 3} ([1, 1, 17, 3])`);
  }
  const keypoints = [];
  const scores = [];
  for (let k = 0; k < MOVENET_KEYPOINTS; k++) {
    const y = Math.fround(flat[3 * k]);
    const x = Math.fround(flat[3 * k + 1]);
    keypoints.push([box.toPixelX(x), box.toPixelY(y)]);
    scores.push(Math.fround(flat[3 * k + 2]));
  }
  return { keypoints, scores, width: box.width, height: box.height };
}
