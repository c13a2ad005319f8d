package org.graphsh.lifter;

/**
 * Pinhole camera intrinsics in pixels: focal lengths {@code fx, fy} and principal point {@code cx, cy}.
 * Mirrors graphsh_tf.frame.intrinsics_matrix / check_intrinsics and graphsh_tf.root.focal_from_fov.
 */
public final class Intrinsics {
    public final double fx;
    public final double fy;
    public final double cx;
    public final double cy;

    /** Throws IllegalArgumentException unless all four are finite and {@code fx, fy > 0}. */
    public Intrinsics(double fx, double fy, double cx, double cy) {
        if (!(fx > 0) || !(fy > 0) || Double.isInfinite(fx) || Double.isInfinite(fy) || !Double.isFinite(cx)
            || !Double.isFinite(cy)) {
            throw new IllegalArgumentException("intrinsics: expected (fx, fy, cx, cy) in pixels with fx, fy > 0; got ("
                + fx + ", " + fy + ", " + cx + ", " + cy + ")");
        }
        this.fx = fx;
        this.fy = fy;
        this.cx = cx;
        this.cy = cy;
    }

    /** From a row-major 3x3 camera matrix {@code [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]}. */
    public static Intrinsics fromMatrix(double[][] k) {
        if (k.length != 3 || k[0].length != 3 || k[1].length != 3 || k[2].length != 3) {
            throw new IllegalArgumentException("intrinsics: expected a 3x3 camera matrix");
        }
        return new Intrinsics(k[0][0], k[1][1], k[0][2], k[1][2]);
    }

    /** Accepted focal lengths: these multiples of the image's larger side (graphsh_tf.frame.FOCAL_RANGE_PER_SIDE). */
    public static final double MIN_FOCAL_PER_SIDE = 1e-3;
    public static final double MAX_FOCAL_PER_SIDE = 1e3;

    /**
     * Throws IllegalArgumentException unless these can be the intrinsics of a {@code w x h} image (as
     * graphsh_tf.frame.check_intrinsics): principal point within {@code [-w, 2w] x [-h, 2h]}, focal lengths within
     * {@link #MIN_FOCAL_PER_SIDE} .. {@link #MAX_FOCAL_PER_SIDE} times {@code max(w, h)}. An image size that is not
     * positive and finite is left to the caller's own check.
     */
    public void checkImage(double w, double h) {
        if (!(w > 0 && h > 0 && Double.isFinite(w) && Double.isFinite(h))) {
            return;
        }
        if (!(cx >= -w && cx <= 2 * w && cy >= -h && cy <= 2 * h)) {
            throw new IllegalArgumentException("intrinsics: principal point (cx, cy) = (" + cx + ", " + cy
                + ") px lies far outside the " + w + " x " + h + " image (accepted: cx in [" + (-w) + ", " + (2 * w)
                + "], cy in [" + (-h) + ", " + (2 * h) + "]); pass (fx, fy, cx, cy) in pixels of this image");
        }
        double lo = MIN_FOCAL_PER_SIDE * Math.max(w, h);
        double hi = MAX_FOCAL_PER_SIDE * Math.max(w, h);
        if (!(fx >= lo && fx <= hi && fy >= lo && fy <= hi)) {
            throw new IllegalArgumentException("intrinsics: focal lengths (fx, fy) = (" + fx + ", " + fy
                + ") px are not those of a " + w + " x " + h + " image (accepted: " + lo + " to " + hi
                + " px); pass (fx, fy, cx, cy) in pixels of this image (e.g. Intrinsics.fromFov)");
        }
    }

    /** Focal length in pixels of a camera whose image {@code imageWidth} pixels wide spans {@code hfovDeg}. */
    public static double focalFromFov(double imageWidth, double hfovDeg) {
        if (!(hfovDeg > 1.0 && hfovDeg < 179.0)) {
            throw new IllegalArgumentException("horizontal_fov_deg=" + hfovDeg + ": must be between 1 and 179 degrees");
        }
        return 0.5 * imageWidth / Math.tan(Math.toRadians(hfovDeg) / 2.0);
    }

    /** Square pixels, principal point at the image centre, focal from the horizontal field of view. */
    public static Intrinsics fromFov(double imageWidth, double imageHeight, double hfovDeg) {
        double f = focalFromFov(imageWidth, hfovDeg);
        return new Intrinsics(f, f, imageWidth / 2.0, imageHeight / 2.0);
    }

    @Override
    public String toString() {
        return "Intrinsics(fx=" + fx + ", fy=" + fy + ", cx=" + cx + ", cy=" + cy + ")";
    }
}
