package org.graphsh.lifter;

/**
 * Detector keypoints (pixels) to H36M-16, the same formulas as graphsh_tf/keypoints.py.
 *
 * <p>A keypoint is present when its coordinates are finite and its score is &gt; 0 and &gt;= minScore. Each joint is
 * the mean of its present sources (Hip = mid-hips, Thorax = mid-shoulders, Head = mean of present nose/ears, limbs
 * one to one, feet = ankles); confidence = min score of the sources used, 0 if fewer than required are present.
 * Spine = midpoint of Hip and Thorax, confidence min of theirs. Joints without any present source are filled
 * (confidence 0): Hip with the centroid of all present keypoints (origin when none), Thorax then equals the Hip
 * (through Spine), others copy their parent.
 */
public final class KeypointAdapter {
    private KeypointAdapter() {
    }

    /**
     * @param layout detector layout
     * @param xy {@code [K][2]} pixels (K = layout.numKeypoints)
     * @param scores {@code [K]} scores or null (= all 1)
     * @param minScore keypoints scoring below are treated as missing
     */
    public static Adapted adapt(Layout layout, double[][] xy, double[] scores, double minScore) {
        int k = layout.numKeypoints;
        if (xy == null || xy.length != k) {
            throw new IllegalArgumentException(layout.id + " keypoints: expected shape (" + k + ", 2), got "
                + (xy == null ? "null" : xy.length + " rows"));
        }
        for (double[] row : xy) {
            if (row == null || row.length != 2) {
                throw new IllegalArgumentException(layout.id + " keypoints: expected shape (" + k
                    + ", 2): every row needs 2 values (x, y)");
            }
        }
        if (scores != null && scores.length != k) {
            throw new IllegalArgumentException(layout.id + " scores: expected " + k + " values, got " + scores.length);
        }
        boolean[] present = new boolean[k];
        for (int i = 0; i < k; i++) {
            double s = scores == null ? 1.0 : scores[i];
            present[i] = isFinite(xy[i][0]) && isFinite(xy[i][1]) && isFinite(s) && s > 0 && s >= minScore;
        }
        if (layout == Layout.H36M16) {
            return identity(xy, scores, present);
        }
        int n = Skeleton.NUM_JOINTS;
        int[][] sources = Skeleton.sources(layout);
        double[][] out = new double[n][2];
        double[] conf = new double[n];
        int[] count = new int[n];
        for (int j = 0; j < n; j++) {
            int[] src = sources[j];
            if (src == null) {
                continue;
            }
            double sx = 0.0;
            double sy = 0.0;
            double smin = Double.POSITIVE_INFINITY;
            int c = 0;
            for (int i : src) {
                if (present[i]) {
                    sx += xy[i][0];
                    sy += xy[i][1];
                    smin = Math.min(smin, scores == null ? 1.0 : scores[i]);
                    c++;
                }
            }
            int d = Math.max(c, 1);
            out[j][0] = sx / d;
            out[j][1] = sy / d;
            conf[j] = c >= Skeleton.REQUIRED[j] ? smin : 0.0;
            count[j] = c;
        }
        // fills, in joint order (parents come first)
        if (count[Skeleton.HIP] == 0) {
            double cx = 0.0;
            double cy = 0.0;
            int c = 0;
            for (int i = 0; i < k; i++) {
                if (present[i]) {
                    cx += xy[i][0];
                    cy += xy[i][1];
                    c++;
                }
            }
            int d = Math.max(c, 1);
            out[Skeleton.HIP][0] = cx / d;
            out[Skeleton.HIP][1] = cy / d;
        }
        for (int j = 1; j < n; j++) {
            if (j == Skeleton.SPINE) {
                double[] hip = out[Skeleton.HIP];
                double[] thorax = count[Skeleton.THORAX] > 0 ? out[Skeleton.THORAX] : hip;
                out[j][0] = 0.5 * (hip[0] + thorax[0]);
                out[j][1] = 0.5 * (hip[1] + thorax[1]);
                conf[j] = Math.min(conf[Skeleton.HIP], conf[Skeleton.THORAX]);
            } else if (count[j] == 0) {
                int p = Skeleton.PARENTS[j];
                out[j][0] = out[p][0];
                out[j][1] = out[p][1];
            }
        }
        return new Adapted(out, conf);
    }

    private static Adapted identity(double[][] xy, double[] scores, boolean[] present) {
        int n = Skeleton.NUM_JOINTS;
        double[][] out = new double[n][2];
        double[] conf = new double[n];
        for (int j = 0; j < n; j++) {
            if (!isFinite(xy[j][0]) || !isFinite(xy[j][1])) {
                throw new IllegalArgumentException("h36m16 keypoints: non-finite coordinates at joint " + j
                    + "; the identity layout has no fallbacks, pass finite pixels for all 16 joints");
            }
            out[j][0] = xy[j][0];
            out[j][1] = xy[j][1];
            conf[j] = present[j] ? (scores == null ? 1.0 : scores[j]) : 0.0;
        }
        return new Adapted(out, conf);
    }

    private static boolean isFinite(double v) {
        return !Double.isNaN(v) && !Double.isInfinite(v);
    }
}
