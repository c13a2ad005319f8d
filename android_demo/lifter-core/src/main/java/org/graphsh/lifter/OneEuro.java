package org.graphsh.lifter;

/**
 * One Euro filter (Casiez, Roussel, Vogel, CHI 2012) applied independently to each coordinate of a fixed-size
 * vector, e.g. a flattened pose {@code [16*3]} in mm or a root position. Mirrors graphsh_tf.smoothing.OneEuroFilter.
 *
 * <p>Per coordinate, at time {@code t} (seconds) with {@code dt = t - t_prev}:
 * {@code alpha(fc) = 1 / (1 + 1 / (2 pi fc dt))}; derivative {@code dx = (x - xhat_prev) / dt} smoothed with
 * {@code alpha(dCutoff)}; cutoff {@code fc = minCutoff + beta |dxhat|}; {@code xhat = alpha(fc) x + (1 - alpha(fc))
 * xhat_prev}. The first sample passes through. Non-finite inputs pass through and leave that coordinate's state
 * unchanged. Lower {@code minCutoff} (Hz) removes more jitter at rest; higher {@code beta} (1/unit) reduces lag
 * in fast motion.
 */
public final class OneEuro {
    /** Defaults for 3D joints in mm at about 30 fps (see android_demo/README.md). */
    public static final double DEFAULT_MIN_CUTOFF = 1.0;
    public static final double DEFAULT_BETA = 0.01;
    public static final double DEFAULT_D_CUTOFF = 1.0;

    private final double minCutoff;
    private final double beta;
    private final double dCutoff;
    private double[] xPrev;
    private double[] dxPrev;
    private double[] tPrev;

    public OneEuro() {
        this(DEFAULT_MIN_CUTOFF, DEFAULT_BETA, DEFAULT_D_CUTOFF);
    }

    /** Throws IllegalArgumentException unless {@code minCutoff > 0}, {@code beta >= 0}, {@code dCutoff > 0}. */
    public OneEuro(double minCutoff, double beta, double dCutoff) {
        if (!(minCutoff > 0) || !(beta >= 0) || !(dCutoff > 0) || Double.isInfinite(minCutoff)
            || Double.isInfinite(beta) || Double.isInfinite(dCutoff)) {
            throw new IllegalArgumentException("OneEuro: min_cutoff > 0, beta >= 0, d_cutoff > 0 required; got ("
                + minCutoff + ", " + beta + ", " + dCutoff + ")");
        }
        this.minCutoff = minCutoff;
        this.beta = beta;
        this.dCutoff = dCutoff;
    }

    static double alpha(double cutoff, double dt) {
        double tau = 1.0 / (2.0 * Math.PI * cutoff);
        return 1.0 / (1.0 + tau / dt);
    }

    /** Forget the history: the next sample passes through. */
    public void reset() {
        xPrev = null;
        dxPrev = null;
        tPrev = null;
    }

    /**
     * Filtered copy of {@code x} at time {@code t} seconds. Throws IllegalArgumentException when the length changes
     * between calls, or {@code t} is not finite or not later than the previous sample of a coordinate.
     */
    public double[] filter(double[] x, double t) {
        if (!Double.isFinite(t)) {
            throw new IllegalArgumentException("OneEuro: timestamp must be finite seconds, got " + t);
        }
        if (xPrev == null) {
            xPrev = new double[x.length];
            dxPrev = new double[x.length];
            tPrev = new double[x.length];
            java.util.Arrays.fill(tPrev, Double.NaN);
        } else if (x.length != xPrev.length) {
            throw new IllegalArgumentException("OneEuro: expected " + xPrev.length + " values, got " + x.length);
        }
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            if (!Double.isFinite(v)) {
                out[i] = v;
                continue;
            }
            if (Double.isNaN(tPrev[i])) {
                xPrev[i] = v;
                dxPrev[i] = 0.0;
                tPrev[i] = t;
                out[i] = v;
                continue;
            }
            double dt = t - tPrev[i];
            if (!(dt > 0)) {
                throw new IllegalArgumentException("OneEuro: timestamps must increase; got " + t + " after "
                    + tPrev[i]);
            }
            double dx = (v - xPrev[i]) / dt;
            double ad = alpha(dCutoff, dt);
            double dxHat = ad * dx + (1.0 - ad) * dxPrev[i];
            double a = alpha(minCutoff + beta * Math.abs(dxHat), dt);
            double xHat = a * v + (1.0 - a) * xPrev[i];
            xPrev[i] = xHat;
            dxPrev[i] = dxHat;
            tPrev[i] = t;
            out[i] = xHat;
        }
        return out;
    }

    /** Filtered copy of joints {@code [J][C]} (e.g. the lifter's {@code [16][3]} mm) at time {@code t} seconds. */
    public float[][] filter(float[][] joints, double t) {
        int c = joints.length > 0 ? joints[0].length : 0;
        double[] flat = new double[joints.length * c];
        for (int j = 0; j < joints.length; j++) {
            if (joints[j].length != c) {
                throw new IllegalArgumentException("OneEuro: ragged joints array");
            }
            for (int k = 0; k < c; k++) {
                flat[j * c + k] = joints[j][k];
            }
        }
        double[] f = filter(flat, t);
        float[][] out = new float[joints.length][c];
        for (int j = 0; j < joints.length; j++) {
            for (int k = 0; k < c; k++) {
                out[j][k] = (float) f[j * c + k];
            }
        }
        return out;
    }
}
