package org.graphsh.lifter;

/** H36M-16 pixel coordinates {@code xy[16][2]} and per-joint confidences {@code confidence[16]}. */
public final class Adapted {
    public final double[][] xy;
    public final double[] confidence;

    public Adapted(double[][] xy, double[] confidence) {
        this.xy = xy;
        this.confidence = confidence;
    }
}
