package org.graphsh.lifter;

/**
 * Pixels to the model's screen-normalized frame: {@code u = 2*x/w - 1, v = 2*y/w - h/w} (x spans [-1, 1] across
 * the width, aspect kept). Mirrors graphsh_tf.contract.normalize_screen_coordinates: computed in double,
 * rounded to float. Models trained with {@code input_norm="pose"} then take {@link #poseNormalize} of that (the
 * sidecar's {@code input.normalization} is {@link #POSE_FORMULA}; see {@link InputNorm}).
 */
public final class Normalization {
    private Normalization() {
    }

    /** The sidecar's {@code input.normalization} of screen-normalized models (metadata.NORMALIZATION). */
    public static final String FORMULA = "u = 2*x/w - 1, v = 2*y/w - h/w";

    /**
     * The sidecar's {@code input.normalization} of models trained with {@code input_norm="pose"}
     * (graphsh_tf.lite.metadata.POSE_NORMALIZATION): the screen (or intrinsics) normalization, then
     * {@link #poseNormalize}.
     */
    public static final String POSE_FORMULA = FORMULA + "; then pose: p = (p - p_hip) / max|p - p_hip|";

    /** The smallest pose scale {@link #poseNormalize} divides by (graphsh_tf.contract.POSE_NORM_EPS). */
    public static final double POSE_NORM_EPS = 1e-6;

    /**
     * Normalized coordinates {@code u[J][2]} (the output of {@link #normalize} or {@link #normalizeWithIntrinsics})
     * to the input of an {@code input_norm="pose"} model: centred on joint 0 (the hip) and divided by the pose's
     * largest absolute hip offset over joints and both axes, {@code p = (u - u_hip) / max(max|u - u_hip|, EPS)}, so
     * the pose spans [-1, 1] with the hip at 0; a pose with every joint on the hip maps to zeros. Mirrors
     * graphsh_tf.contract.pose_normalize: computed in double, rounded to float.
     */
    public static float[][] poseNormalize(float[][] u) {
        if (u.length == 0) {
            throw new IllegalArgumentException("pose_normalize: expected poses (joints, 2), got no joints");
        }
        double[][] d = new double[u.length][2];
        double s = 0.0;
        for (int j = 0; j < u.length; j++) {
            if (u[j].length != 2) {
                throw new IllegalArgumentException("pose_normalize: expected poses (joints, 2), got a row of "
                    + u[j].length + " values at joint " + j);
            }
            for (int c = 0; c < 2; c++) {
                d[j][c] = (double) u[j][c] - (double) u[0][c];
                s = Math.max(s, Math.abs(d[j][c]));  // Math.max propagates NaN, as numpy's max
            }
        }
        s = Math.max(s, POSE_NORM_EPS);
        float[][] out = new float[u.length][2];
        for (int j = 0; j < u.length; j++) {
            out[j][0] = (float) (d[j][0] / s);
            out[j][1] = (float) (d[j][1] / s);
        }
        return out;
    }

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
     * {@code v = f (y - cy) / fy}. Mirrors graphsh_tf.contract.normalize_with_intrinsics (double, then float).
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
