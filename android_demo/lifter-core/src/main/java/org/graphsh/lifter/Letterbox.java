package org.graphsh.lifter;

import java.nio.ByteBuffer;

/**
 * A camera frame fitted into a square detector input (MoveNet: 192 or 256 pixels) with its aspect ratio kept.
 *
 * <p>The sensor buffer ({@code sensorWidth x sensorHeight}, row-major) is first turned upright by
 * {@code rotationDegrees} clockwise (0, 90, 180 or 270: what CameraX reports as the rotation that makes the image
 * upright), giving a {@code width x height} frame. That frame is scaled by {@code scale = size / max(width, height)}
 * and centred: {@code padX = (size - width * scale) / 2}, {@code padY = (size - height * scale) / 2}; the rest is
 * black. Keypoints the detector gives in [0, 1] of the square input map back to upright-frame pixels with
 * {@link #toPixelX} / {@link #toPixelY}: {@code x = (xn * size - padX) / scale}.
 */
public final class Letterbox {
    public final int sensorWidth;
    public final int sensorHeight;
    public final int rotationDegrees;
    /** Upright frame size in pixels (sensor size swapped for 90 and 270 degrees). */
    public final int width;
    public final int height;
    /** Side of the square detector input in pixels. */
    public final int size;
    public final double scale;
    public final double padX;
    public final double padY;

    public Letterbox(int sensorWidth, int sensorHeight, int rotationDegrees, int size) {
        if (sensorWidth <= 0 || sensorHeight <= 0 || size <= 0) {
            throw new IllegalArgumentException("sizes must be positive: sensor " + sensorWidth + "x" + sensorHeight
                + ", input " + size);
        }
        if (rotationDegrees != 0 && rotationDegrees != 90 && rotationDegrees != 180 && rotationDegrees != 270) {
            throw new IllegalArgumentException("rotationDegrees must be 0, 90, 180 or 270, got " + rotationDegrees);
        }
        this.sensorWidth = sensorWidth;
        this.sensorHeight = sensorHeight;
        this.rotationDegrees = rotationDegrees;
        boolean swap = rotationDegrees == 90 || rotationDegrees == 270;
        this.width = swap ? sensorHeight : sensorWidth;
        this.height = swap ? sensorWidth : sensorHeight;
        this.size = size;
        this.scale = (double) size / Math.max(width, height);
        this.padX = (size - width * scale) / 2.0;
        this.padY = (size - height * scale) / 2.0;
    }

    /** Detector x in [0, 1] of the square input → upright-frame pixels. */
    public double toPixelX(double xNorm) {
        return (xNorm * size - padX) / scale;
    }

    /** Detector y in [0, 1] of the square input → upright-frame pixels. */
    public double toPixelY(double yNorm) {
        return (yNorm * size - padY) / scale;
    }

    /**
     * Fills {@code out} ({@code size * size * 3} bytes, RGB, row-major, unsigned values) from an RGBA sensor buffer
     * (CameraX {@code OUTPUT_IMAGE_FORMAT_RGBA_8888}: {@code rowStride} bytes per row, {@code pixelStride} bytes per
     * pixel, R, G, B first), nearest neighbour: input pixel (row i, column j) takes the upright pixel
     * {@code (floor((j + 0.5 - padX) / scale), floor((i + 0.5 - padY) / scale))}; outside the frame it is black.
     * Absolute reads: the buffer's position is not changed.
     */
    public void fillRgb(ByteBuffer rgba, int rowStride, int pixelStride, byte[] out) {
        if (out.length != size * size * 3) {
            throw new IllegalArgumentException("out has " + out.length + " bytes, expected " + (size * size * 3));
        }
        if (pixelStride < 3 || rowStride < sensorWidth * pixelStride) {
            throw new IllegalArgumentException("bad strides: row " + rowStride + ", pixel " + pixelStride
                + " for width " + sensorWidth);
        }
        int base = rgba.position();
        int o = 0;
        for (int i = 0; i < size; i++) {
            double yu = (i + 0.5 - padY) / scale;
            int y = (int) Math.floor(yu);
            for (int j = 0; j < size; j++, o += 3) {
                double xu = (j + 0.5 - padX) / scale;
                int x = (int) Math.floor(xu);
                if (yu < 0 || xu < 0 || y >= height || x >= width) {
                    out[o] = 0;
                    out[o + 1] = 0;
                    out[o + 2] = 0;
                    continue;
                }
                int sx;
                int sy;
                switch (rotationDegrees) {
                    case 90:
                        sx = y;
                        sy = sensorHeight - 1 - x;
                        break;
                    case 180:
                        sx = sensorWidth - 1 - x;
                        sy = sensorHeight - 1 - y;
                        break;
                    case 270:
                        sx = sensorWidth - 1 - y;
                        sy = x;
                        break;
                    default:
                        sx = x;
                        sy = y;
                }
                int p = base + sy * rowStride + sx * pixelStride;
                out[o] = rgba.get(p);
                out[o + 1] = rgba.get(p + 1);
                out[o + 2] = rgba.get(p + 2);
            }
        }
    }
}
