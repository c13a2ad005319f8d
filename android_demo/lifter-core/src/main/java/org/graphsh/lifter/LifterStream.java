package org.graphsh.lifter;

/**
 * A lifter with state across frames, 1:1 with graphsh_tf.smoothing.LifterStream: each {@link #lift} lifts one frame
 * with the wrapped {@link Lifter} and One-Euro filters the joints and, when the lifter solved one (intrinsics given),
 * the root position ({@link #lastRootMm()}, also filtered).
 *
 * <p>Two {@link OneEuro} filters with the same parameters: one over the {@code [16][3]} joints (mm), one over the
 * {@code [3]} root (mm, camera space). Defaults for mm at about 30 fps: {@code minCutoff} 1.0 Hz, {@code beta} 0.01
 * per mm/s, {@code dCutoff} 1.0 Hz ({@link OneEuro#DEFAULT_MIN_CUTOFF} ...). Timestamps are seconds and must
 * increase (use the camera frame's timestamp, e.g. {@link #seconds(long)} of CameraX's nanoseconds, not a frame
 * count); call {@link #reset()} when the person is lost or the stream restarts. {@link #step} is the filtering alone
 * (lifted joints and root in, smoothed out), checked against Python's {@code LifterStream.step} on
 * tests/fixtures/golden/stream.json.
 *
 * <p>Not thread-safe: use one instance per stream, from one thread.
 */
public final class LifterStream {
    /** What {@link LifterStream} wraps: graphsh_tf.lite.lifter.Lifter's call and the {@code root_mm} of its LiftResult. */
    public interface Lifter {
        /**
         * One pose: detector keypoints {@code [K][2]} pixels (+ scores, may be null) in an image of
         * {@code width x height} → root-relative joints {@code [16][3]} mm. With {@code intrinsics} (may be null) the
         * lifter also solves the root, returned by {@link #lastRootMm()}.
         */
        float[][] lift(double[][] keypointsPx, double[] scores, double width, double height, Intrinsics intrinsics);

        /** Root {@code {tx, ty, tz}} mm of the last lift (NaNs when too few joints were seen), or null without one. */
        double[] lastRootMm();
    }

    private final Lifter lifter;
    private final OneEuro joints;
    private final OneEuro root;
    private double[] lastRootMm;

    /** With the default filter parameters. {@code lifter} may be null when only {@link #step} is used. */
    public LifterStream(Lifter lifter) {
        this(lifter, OneEuro.DEFAULT_MIN_CUTOFF, OneEuro.DEFAULT_BETA, OneEuro.DEFAULT_D_CUTOFF);
    }

    /** Throws IllegalArgumentException unless {@code minCutoff > 0}, {@code beta >= 0}, {@code dCutoff > 0}. */
    public LifterStream(Lifter lifter, double minCutoff, double beta, double dCutoff) {
        this.lifter = lifter;
        this.joints = new OneEuro(minCutoff, beta, dCutoff);
        this.root = new OneEuro(minCutoff, beta, dCutoff);
    }

    /** Seconds from a timestamp in nanoseconds (CameraX {@code ImageInfo.getTimestamp()}). */
    public static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** Forget both filters' history and the last root: the next frame passes through. */
    public void reset() {
        joints.reset();
        root.reset();
        lastRootMm = null;
    }

    /** The smoothed root of the last frame ({@code {tx, ty, tz}} mm; NaNs pass through), or null without one. */
    public double[] lastRootMm() {
        return lastRootMm == null ? null : lastRootMm.clone();
    }

    /**
     * One frame at time {@code t} seconds: lift it, then {@link #step}. Returns the smoothed joints {@code [16][3]}
     * mm; the smoothed root is then {@link #lastRootMm()}.
     */
    public float[][] lift(double[][] keypointsPx, double width, double height, double t, double[] scores,
                          Intrinsics intrinsics) {
        if (lifter == null) {
            throw new IllegalStateException("LifterStream: no lifter; construct it with one, or call step()");
        }
        float[][] lifted = lifter.lift(keypointsPx, scores, width, height, intrinsics);
        return step(lifted, lifter.lastRootMm(), t);
    }

    /**
     * Filter one lifted frame: {@code jointsMm [16][3]} → smoothed (float, as the lifter's output); {@code rootMm}
     * {@code [3]} (or null: no intrinsics this frame, the root filter is left alone) → {@link #lastRootMm()} (NaN
     * coordinates pass through without touching the state). Throws IllegalArgumentException when {@code t} does not
     * increase (nothing is updated then).
     */
    public float[][] step(float[][] jointsMm, double[] rootMm, double t) {
        float[][] out = joints.filter(jointsMm, t);
        lastRootMm = rootMm == null ? null : root.filter(rootMm, t);
        return out;
    }
}
