package org.graphsh.lifter;

/** Affine int8 quantization of a TFLite tensor: {@code real = (q - zeroPoint) * scale}. */
public final class Quantization {
    public final double scale;
    public final int zeroPoint;

    public Quantization(double scale, int zeroPoint) {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("quantization.scale must be a positive number, got " + scale);
        }
        this.scale = scale;
        this.zeroPoint = zeroPoint;
    }

    /** {@code clip(round(x / scale) + zeroPoint, -128, 127)}, ties away from zero (as TFLite and the Python side). */
    public byte quantize(double x) {
        double v = x / scale;
        double r = Math.signum(v) * Math.floor(Math.abs(v) + 0.5);
        double q = r + zeroPoint;
        if (q < -128) {
            q = -128;
        } else if (q > 127) {
            q = 127;
        }
        return (byte) q;
    }

    /** {@code (q - zeroPoint) * scale}, computed in double, rounded to float. */
    public float dequantize(int q) {
        return (float) (((double) q - zeroPoint) * scale);
    }
}
