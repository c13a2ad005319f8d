package org.graphsh.lifter;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * One body per person, 1:1 with graphsh_tf.anatomy.BodyLengths / bone_lengths / symmetric_lengths / apply_lengths:
 * a running estimate of a track's 15 bone lengths (bone {@code j - 1} runs from joint {@code j} to its parent,
 * {@link Skeleton#PARENTS}), the median over the last {@code window} frames whose joints were all seen, with every
 * left/right pair ({@link #PAIRS}) replaced by the pair's mean. {@link LifterStream} gives every frame of a track
 * these lengths along the frame's own bone directions ({@link #applyLengths}), so a person keeps one body.
 *
 * <p>The median is numpy's: the middle value of an odd count, the mean of the two middle values of an even one.
 * Checked against Python on tests/fixtures/golden/one_body.json. Not thread-safe: one instance per track.
 */
public final class BodyLengths {
    /** Frames the median looks back over by default (graphsh_tf.anatomy.BodyLengths' {@code window}). */
    public static final int DEFAULT_WINDOW = 120;

    /** Number of bones of H36M-16: one per joint but the root. */
    public static final int NUM_BONES = Skeleton.NUM_JOINTS - 1;

    /**
     * Left/right bone pairs as indices into the bone lengths (graphsh_tf.anatomy.PAIRS): thigh, shin, upper arm,
     * forearm, hip, shoulder, each {left, right}.
     */
    public static final int[][] PAIRS = {
        pair("LKnee", "RKnee"), pair("LFoot", "RFoot"), pair("LElbow", "RElbow"), pair("LWrist", "RWrist"),
        pair("LHip", "RHip"), pair("LShoulder", "RShoulder")};

    private final int window;
    private final ArrayDeque<double[]> seen = new ArrayDeque<>();

    /** With {@link #DEFAULT_WINDOW} frames. */
    public BodyLengths() {
        this(DEFAULT_WINDOW);
    }

    /** Throws IllegalArgumentException unless {@code window >= 1}. */
    public BodyLengths(int window) {
        if (window < 1) {
            throw new IllegalArgumentException("BodyLengths(window=" + window
                + "): use a whole number of frames >= 1");
        }
        this.window = window;
    }

    private static int[] pair(String left, String right) {
        return new int[] {joint(left) - 1, joint(right) - 1};
    }

    private static int joint(String name) {
        int j = Arrays.asList(Skeleton.JOINT_NAMES).indexOf(name);
        if (j < 1) {
            throw new IllegalStateException("no joint " + name);
        }
        return j;
    }

    /** The number of frames the median looks back over. */
    public int window() {
        return window;
    }

    /** Forget the frames seen (a new person): until the next confident frame a pose keeps its own lengths. */
    public void reset() {
        seen.clear();
    }

    /**
     * Record {@code pose} {@code [16][3]} mm when {@code confident} (and every bone length is finite) and return the
     * lengths {@code [15]} mm to give it: the symmetric median over the recorded frames, or the pose's own symmetric
     * lengths before any.
     */
    public double[] update(double[][] pose, boolean confident) {
        double[] b = boneLengths(pose);
        boolean finite = true;
        for (double v : b) {
            finite &= Double.isFinite(v);
        }
        if (confident && finite) {
            if (seen.size() == window) {
                seen.removeFirst();
            }
            seen.addLast(b);
        }
        if (seen.isEmpty()) {
            return symmetricLengths(b);
        }
        double[] m = new double[NUM_BONES];
        double[] column = new double[seen.size()];
        for (int k = 0; k < NUM_BONES; k++) {
            int i = 0;
            for (double[] s : seen) {
                column[i++] = s[k];
            }
            m[k] = median(column);
        }
        return symmetricLengths(m);
    }

    /** {@link #update(double[][], boolean)} of a float pose (the lifter's joints). */
    public double[] update(float[][] pose, boolean confident) {
        return update(toDouble(pose), confident);
    }

    /** numpy's median of finite values: sorts {@code v} in place. */
    static double median(double[] v) {
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
    }

    /** {@code [16][3]} → {@code [15]}: the length of bone {@code j - 1} from joint {@code j} to its parent. */
    public static double[] boneLengths(double[][] pose) {
        check(pose);
        double[] b = new double[NUM_BONES];
        for (int j = 1; j < Skeleton.NUM_JOINTS; j++) {
            double[] c = pose[j];
            double[] p = pose[Skeleton.PARENTS[j]];
            double dx = c[0] - p[0];
            double dy = c[1] - p[1];
            double dz = c[2] - p[2];
            b[j - 1] = Math.sqrt(dx * dx + dy * dy + dz * dz);
        }
        return b;
    }

    /** Bone lengths {@code [15]} with every left/right pair replaced by the pair's mean (a new array). */
    public static double[] symmetricLengths(double[] lengths) {
        if (lengths.length != NUM_BONES) {
            throw new IllegalArgumentException("BodyLengths: expected " + NUM_BONES + " bone lengths, got "
                + lengths.length);
        }
        double[] b = lengths.clone();
        for (int[] lr : PAIRS) {
            double m = 0.5 * (b[lr[0]] + b[lr[1]]);
            b[lr[0]] = m;
            b[lr[1]] = m;
        }
        return b;
    }

    /**
     * {@code pose} {@code [16][3]} rebuilt from the root outwards with bone {@code j - 1} of length
     * {@code lengths[j - 1]} along the pose's own direction from joint {@code j}'s parent to {@code j}; the root
     * stays where it is. A bone shorter than 1e-9 (or not finite) has no direction: its joint lands on its parent.
     */
    public static double[][] applyLengths(double[][] pose, double[] lengths) {
        check(pose);
        if (lengths.length != NUM_BONES) {
            throw new IllegalArgumentException("BodyLengths: expected " + NUM_BONES + " bone lengths, got "
                + lengths.length);
        }
        double[][] out = new double[Skeleton.NUM_JOINTS][];
        out[0] = pose[0].clone();
        for (int j = 1; j < Skeleton.NUM_JOINTS; j++) {
            int q = Skeleton.PARENTS[j];
            double[] v = {pose[j][0] - pose[q][0], pose[j][1] - pose[q][1], pose[j][2] - pose[q][2]};
            double n = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            out[j] = new double[3];
            for (int k = 0; k < 3; k++) {
                double unit = n > 1e-9 ? v[k] / n : 0.0;
                out[j][k] = out[q][k] + unit * lengths[j - 1];
            }
        }
        return out;
    }

    /** {@link #applyLengths(double[][], double[])} of a float pose, rounded back to float (as Python's stream). */
    public static float[][] applyLengths(float[][] pose, double[] lengths) {
        double[][] d = applyLengths(toDouble(pose), lengths);
        float[][] out = new float[d.length][3];
        for (int j = 0; j < d.length; j++) {
            for (int k = 0; k < 3; k++) {
                out[j][k] = (float) d[j][k];
            }
        }
        return out;
    }

    private static void check(double[][] pose) {
        if (pose.length != Skeleton.NUM_JOINTS) {
            throw new IllegalArgumentException("BodyLengths: expected " + Skeleton.NUM_JOINTS + " joints, got "
                + pose.length);
        }
        for (double[] row : pose) {
            if (row.length != 3) {
                throw new IllegalArgumentException("BodyLengths: every joint needs 3 coordinates (x, y, z) mm");
            }
        }
    }

    private static double[][] toDouble(float[][] pose) {
        double[][] d = new double[pose.length][];
        for (int j = 0; j < pose.length; j++) {
            d[j] = new double[pose[j].length];
            for (int k = 0; k < pose[j].length; k++) {
                d[j][k] = pose[j][k];
            }
        }
        return d;
    }
}
