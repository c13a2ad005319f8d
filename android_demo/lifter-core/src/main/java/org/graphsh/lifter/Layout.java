package org.graphsh.lifter;

import java.util.Locale;

/** 2D keypoint layouts the lifter accepts; mirrors graphsh_tf.keypoints.ADAPTERS. */
public enum Layout {
    COCO17("coco17", 17),
    MEDIAPIPE33("mediapipe33", 33),
    H36M16("h36m16", 16);

    /** Name used in JSON files and on the Python side. */
    public final String id;
    /** Number of keypoints K of the layout. */
    public final int numKeypoints;

    Layout(String id, int numKeypoints) {
        this.id = id;
        this.numKeypoints = numKeypoints;
    }

    /** Layout by its id ("coco17", "mediapipe33", "h36m16"). */
    public static Layout fromId(String id) {
        for (Layout l : values()) {
            if (l.id.equals(id.toLowerCase(Locale.ROOT))) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown keypoint layout '" + id + "'; use coco17, mediapipe33 or h36m16");
    }
}
