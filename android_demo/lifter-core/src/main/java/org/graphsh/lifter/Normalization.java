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
}
