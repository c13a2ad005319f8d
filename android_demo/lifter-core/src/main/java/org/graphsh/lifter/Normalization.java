package org.graphsh.lifter;

/**
 * Pixels to the model's screen-normalized frame: {@code u = 2*x/w - 1, v = 2*y/w - h/w} (x spans [-1, 1] across
 * the width, aspect kept). Mirrors graphsh_tf.data.normalize.normalize_screen_coordinates: computed in double,
 * rounded to float.
 */
public final class Normalization {
    private Normalization() {
    }

    /** The only normalization string the sidecar JSON may carry. */
    public static final String FORMULA = "u = 2*x/w - 1, v = 2*y/w - h/w";

    /** {@code xy[J][2]} pixels to {@code [J][2]} normalized float coordinates. */
    public static float[][] normalize(double[][] xy, double w, double h) {
        if (!(w > 0) || !(h > 0) || Double.isInfinite(w) || Double.isInfinite(h)) {
            throw new IllegalArgumentException("image_size: width and height must be positive pixels, got ("
                + w + ", " + h + ")");
        }
        float[][] out = new float[xy.length][2];
        for (int j = 0; j < xy.length; j++) {
            out[j][0] = (float) (xy[j][0] / w * 2.0 - 1.0);
            out[j][1] = (float) (xy[j][1] / w * 2.0 - h / w);
        }
        return out;
    }

    /** Normalized focal length of the Human3.6M training cameras: {@code 2 * 1147 / 1000} (H36M_FOCAL_NORM). */
    public static final double H36M_FOCAL_NORM = 2.0 * 1147.0 / 1000.0;

    /**
     * Pixels of a camera with intrinsics {@code k} to the coordinates the same viewing rays would have in a camera
     * of normalized focal {@link #H36M_FOCAL_NORM} centred on its image: {@code u = f (x - cx) / fx},
     * {@code v = f (y - cy) / fy}. Mirrors graphsh_tf.data.normalize.normalize_with_intrinsics (double, then float).
     */
    public static float[][] normalizeWithIntrinsics(double[][] xy, Intrinsics k) {
        return normalizeWithIntrinsics(xy, k, H36M_FOCAL_NORM);
    }

    /** As {@link #normalizeWithIntrinsics(double[][], Intrinsics)} with another normalized focal length. */
    public static float[][] normalizeWithIntrinsics(double[][] xy, Intrinsics k, double focalNorm) {
        float[][] out = new float[xy.length][2];
        for (int j = 0; j < xy.length; j++) {
            out[j][0] = (float) (focalNorm * (xy[j][0] - k.cx) / k.fx);
            out[j][1] = (float) (focalNorm * (xy[j][1] - k.cy) / k.fy);
        }
        return out;
    }
}
