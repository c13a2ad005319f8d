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
 * <p>{@code oneBody} (the default, as Python's {@code one_body=True}) gives every frame of the track one body: after
 * the filter, {@link #lift} rebuilds the joints along their own bone directions with the person's bone lengths, the
 * median over the track's confident frames ({@link Lifter#lastConfident()}), left and right equal
 * ({@link BodyLengths}); {@link #reset()} forgets the lengths too (a new person).
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

        /**
         * Whether the last lift may count towards the person's bone lengths: as Python's stream, the pose was valid
         * ({@link LifterCore#validPose}) and every one of its 16 joints seen (adapter confidence > 0). A lifter that
         * cannot tell counts every frame.
         */
        default boolean lastConfident() {
            return true;
        }
    }

    private final Lifter lifter;
    private final OneEuro joints;
    private final OneEuro root;
    private final BodyLengths body;
    private double[] lastRootMm;

    /** With the default filter parameters and one body. {@code lifter} may be null when only {@link #step} is used. */
    public LifterStream(Lifter lifter) {
        this(lifter, true);
    }

    /** With the default filter parameters; {@code oneBody} false: the filtering alone. */
    public LifterStream(Lifter lifter, boolean oneBody) {
        this(lifter, OneEuro.DEFAULT_MIN_CUTOFF, OneEuro.DEFAULT_BETA, OneEuro.DEFAULT_D_CUTOFF, oneBody);
    }

    /**
     * With one body. Throws IllegalArgumentException unless {@code minCutoff > 0}, {@code beta >= 0},
     * {@code dCutoff > 0}.
     */
    public LifterStream(Lifter lifter, double minCutoff, double beta, double dCutoff) {
        this(lifter, minCutoff, beta, dCutoff, true);
    }

    /** Throws IllegalArgumentException unless {@code minCutoff > 0}, {@code beta >= 0}, {@code dCutoff > 0}. */
    public LifterStream(Lifter lifter, double minCutoff, double beta, double dCutoff, boolean oneBody) {
        this.lifter = lifter;
        this.joints = new OneEuro(minCutoff, beta, dCutoff);
        this.root = new OneEuro(minCutoff, beta, dCutoff);
        this.body = oneBody ? new BodyLengths() : null;
    }

    /** Whether {@link #lift} gives the track one body. */
    public boolean oneBody() {
        return body != null;
    }

    /** Seconds from a timestamp in nanoseconds (CameraX {@code ImageInfo.getTimestamp()}). */
    public static double seconds(long nanos) {
        return nanos / 1e9;
    }

    /** Forget both filters' history, the last root and the bone lengths: the next frame passes through. */
    public void reset() {
        joints.reset();
        root.reset();
        if (body != null) {
            body.reset();
        }
        lastRootMm = null;
    }

    /** The smoothed root of the last frame ({@code {tx, ty, tz}} mm; NaNs pass through), or null without one. */
    public double[] lastRootMm() {
        return lastRootMm == null ? null : lastRootMm.clone();
    }

    /**
     * One frame at time {@code t} seconds: lift it, then {@link #step}, then (one body) give the smoothed joints the
     * track's bone lengths. Returns the joints {@code [16][3]} mm; the smoothed root is then {@link #lastRootMm()}.
     */
    public float[][] lift(double[][] keypointsPx, double width, double height, double t, double[] scores,
                          Intrinsics intrinsics) {
        if (lifter == null) {
            throw new IllegalStateException("LifterStream: no lifter; construct it with one, or call step()");
        }
        float[][] lifted = lifter.lift(keypointsPx, scores, width, height, intrinsics);
        float[][] out = step(lifted, lifter.lastRootMm(), t);
        if (body != null) {
            out = BodyLengths.applyLengths(out, body.update(out, lifter.lastConfident()));
        }
        return out;
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
