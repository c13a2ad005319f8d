package org.graphsh.lifter;

/**
 * Root (pelvis) position in camera coordinates (x right, y down, z forward; mm) from 2D keypoints, the lifter's
 * root-relative joints and the intrinsics. Mirrors graphsh_tf.root.solve_root: per joint with weight w
 * ({@code a = (x - cx)/fx, b = (y - cy)/fy}) the rows {@code [1, 0, -a] T = a Z - X} and
 * {@code [0, 1, -b] T = b Z - Y}; weighted least squares via the 3x3 normal equations, solved in double.
 * Joints with weight 0 (or non-positive, NaN, or non-finite pixels) are ignored. When every weighted joint lies on
 * one viewing ray (e.g. all at one pixel) the depth is undetermined and the root is NaN ({@link #DEGENERATE_RATIO},
 * as graphsh_tf.root.DEGENERATE_RATIO).
 */
public final class RootSolver {
    /** The normal matrix M is degenerate (root NaN) when {@code det(M) <= DEGENERATE_RATIO * m00 m11 m22}. */
    public static final double DEGENERATE_RATIO = 1e-12;

    private RootSolver() {
    }

    /** Number of joints with a positive weight and finite pixels (at least two are needed). */
    public static int usableJoints(double[][] keypointsPx, double[] weights) {
        int n = 0;
        for (int j = 0; j < keypointsPx.length; j++) {
            if (weight(keypointsPx, weights, j) > 0) {
                n++;
            }
        }
        return n;
    }

    private static double weight(double[][] px, double[] weights, int j) {
        double w = weights == null ? 1.0 : weights[j];
        boolean finite = Double.isFinite(px[j][0]) && Double.isFinite(px[j][1]);
        return finite && w > 0 ? w : 0.0;
    }

    /**
     * Root {@code {tx, ty, tz}} mm. {@code keypointsPx[J][2]}, {@code jointsMm[J][3]} root-relative,
     * {@code weights[J]} (confidences; null = all 1). Throws IllegalArgumentException on mismatched shapes or when
     * fewer than two joints have a positive weight (the depth is then undetermined); NaNs when the weighted joints
     * all lie on one viewing ray.
     */
    public static double[] solve(double[][] keypointsPx, double[][] jointsMm, Intrinsics k, double[] weights) {
        int n = keypointsPx.length;
        if (jointsMm.length != n || (weights != null && weights.length != n)) {
            throw new IllegalArgumentException("solve_root: keypoints (" + n + "), joints (" + jointsMm.length
                + ") and weights must have the same number of joints");
        }
        double[][] lhs = new double[3][3];
        double[] rhs = new double[3];
        int used = 0;
        for (int j = 0; j < n; j++) {
            if (keypointsPx[j].length != 2 || jointsMm[j].length != 3) {
                throw new IllegalArgumentException("solve_root: keypoints must be (J, 2) and joints (J, 3)");
            }
            double w = weight(keypointsPx, weights, j);
            if (w <= 0) {
                continue;
            }
            used++;
            double a = (keypointsPx[j][0] - k.cx) / k.fx;
            double b = (keypointsPx[j][1] - k.cy) / k.fy;
            double x = jointsMm[j][0];
            double y = jointsMm[j][1];
            double z = jointsMm[j][2];
            // row [1, 0, -a], rhs a z - x
            double r1 = a * z - x;
            lhs[0][0] += w;
            lhs[0][2] -= w * a;
            lhs[2][2] += w * a * a;
            rhs[0] += w * r1;
            rhs[2] -= w * a * r1;
            // row [0, 1, -b], rhs b z - y
            double r2 = b * z - y;
            lhs[1][1] += w;
            lhs[1][2] -= w * b;
            lhs[2][2] += w * b * b;
            rhs[1] += w * r2;
            rhs[2] -= w * b * r2;
        }
        if (used < 2) {
            throw new IllegalArgumentException(
                "solve_root: at least two joints need a positive weight to fix the depth");
        }
        lhs[2][0] = lhs[0][2];
        lhs[2][1] = lhs[1][2];
        if (degenerate(lhs, rhs)) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
        return solve3(lhs, rhs);
    }

    /** Same with float joints (the lifter's output). */
    public static double[] solve(double[][] keypointsPx, float[][] jointsMm, Intrinsics k, double[] weights) {
        double[][] d = new double[jointsMm.length][];
        for (int j = 0; j < d.length; j++) {
            d[j] = new double[jointsMm[j].length];
            for (int c = 0; c < d[j].length; c++) {
                d[j][c] = jointsMm[j][c];
            }
        }
        return solve(keypointsPx, d, k, weights);
    }

    /**
     * Root for a lift: adapted keypoints (H36M-16 pixels and confidences, from {@link KeypointAdapter#adapt}) and
     * the decoded joints; NaNs when fewer than two joints are present (as LiftResult.root_mm).
     */
    public static double[] solve(Adapted adapted, float[][] jointsMm, Intrinsics k) {
        if (usableJoints(adapted.xy, adapted.confidence) < 2) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
        return solve(adapted.xy, jointsMm, k, adapted.confidence);
    }

    /** Not finite, or {@code det(M) <= DEGENERATE_RATIO * m00 m11 m22} (graphsh_tf.root._solve_normal). */
    static boolean degenerate(double[][] m, double[] v) {
        for (int i = 0; i < 3; i++) {
            if (!Double.isFinite(v[i]) || !Double.isFinite(m[i][0]) || !Double.isFinite(m[i][1])
                || !Double.isFinite(m[i][2])) {
                return true;
            }
        }
        double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
        double scale = m[0][0] * m[1][1] * m[2][2];
        return !(scale > 0 && det > DEGENERATE_RATIO * scale);
    }

    /** Symmetric 3x3 solve by Gaussian elimination with partial pivoting (double). */
    static double[] solve3(double[][] m, double[] v) {
        double[][] a = new double[3][4];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(m[i], 0, a[i], 0, 3);
            a[i][3] = v[i];
        }
        for (int c = 0; c < 3; c++) {
            int p = c;
            for (int r = c + 1; r < 3; r++) {
                if (Math.abs(a[r][c]) > Math.abs(a[p][c])) {
                    p = r;
                }
            }
            if (a[p][c] == 0.0) {
                throw new IllegalArgumentException("solve_root: singular normal equations");
            }
            double[] t = a[c];
            a[c] = a[p];
            a[p] = t;
            for (int r = c + 1; r < 3; r++) {
                double f = a[r][c] / a[c][c];
                for (int k = c; k < 4; k++) {
                    a[r][k] -= f * a[c][k];
                }
            }
        }
        double[] x = new double[3];
        for (int r = 2; r >= 0; r--) {
            double s = a[r][3];
            for (int k = r + 1; k < 3; k++) {
                s -= a[r][k] * x[k];
            }
            x[r] = s / a[r][r];
        }
        return x;
    }
}
