package org.graphsh.lifter;

/**
 * H36M-16 joint facts (copied from graphsh_tf/skeleton.py; the golden tests catch any drift) and the source
 * tables of the adapters (graphsh_tf.keypoints.COCO17_SOURCES / MEDIAPIPE33_SOURCES).
 */
public final class Skeleton {
    private Skeleton() {
    }

    public static final int NUM_JOINTS = 16;

    public static final String[] JOINT_NAMES = {
        "Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax", "Head",
        "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist"};

    /** Parent of each H36M-16 joint (-1 for the root); every parent index is smaller than its child's. */
    public static final int[] PARENTS = {-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14};

    /** Bones as (child, parent) pairs, for drawing. */
    public static int[][] edges() {
        int[][] e = new int[NUM_JOINTS - 1][];
        for (int j = 1; j < NUM_JOINTS; j++) {
            e[j - 1] = new int[] {j, PARENTS[j]};
        }
        return e;
    }

    public static final int HIP = 0;
    public static final int SPINE = 7;
    public static final int THORAX = 8;

    /**
     * Sources per H36M-16 joint for a layout: {@code SOURCES[j]} lists the keypoint indices averaged into joint j
     * (null for Spine, which is derived from Hip and Thorax); {@code REQUIRED[j]} is how many must be present
     * for a nonzero confidence.
     */
    static int[][] sources(Layout layout) {
        switch (layout) {
            case COCO17:
                return new int[][] {
                    {11, 12}, {12}, {14}, {16}, {11}, {13}, {15}, null, {5, 6}, {0, 3, 4},
                    {5}, {7}, {9}, {6}, {8}, {10}};
            case MEDIAPIPE33:
                return new int[][] {
                    {23, 24}, {24}, {26}, {28}, {23}, {25}, {27}, null, {11, 12}, {0, 7, 8},
                    {11}, {13}, {15}, {12}, {14}, {16}};
            default:
                throw new IllegalArgumentException("no source table for layout " + layout.id);
        }
    }

    /** Number of present sources required for confidence: both hips, both shoulders, else one. */
    static final int[] REQUIRED = {2, 1, 1, 1, 1, 1, 1, 0, 2, 1, 1, 1, 1, 1, 1, 1};
}
