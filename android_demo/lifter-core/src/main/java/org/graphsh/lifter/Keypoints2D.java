package org.graphsh.lifter;

/**
 * A detector's keypoints in upright-frame pixels: {@code xy[K][2]}, {@code scores[K]}, on a {@code width x height}
 * frame; what {@link LifterCore#prepareFloatInput} and the app's lifter take.
 */
public final class Keypoints2D {
    public final double[][] xy;
    public final double[] scores;
    public final int width;
    public final int height;

    public Keypoints2D(double[][] xy, double[] scores, int width, int height) {
        this.xy = xy;
        this.scores = scores;
        this.width = width;
        this.height = height;
    }
}
