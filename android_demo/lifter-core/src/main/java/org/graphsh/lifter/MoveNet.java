package org.graphsh.lifter;

/**
 * MoveNet SinglePose (Lightning: 192x192 input, Thunder: 256x256) output decoding. The model's output
 * {@code [1, 1, 17, 3]} float32 holds, per COCO-17 keypoint, {@code (y, x, score)} with y and x in [0, 1] of the
 * square (letterboxed) input image; {@link #decode} maps them to upright-frame pixels with the {@link Letterbox}
 * used to make the input, in {@link Layout#COCO17} order, ready for {@link LifterCore}.
 */
public final class MoveNet {
    public static final int KEYPOINTS = 17;
    public static final int LIGHTNING_SIZE = 192;
    public static final int THUNDER_SIZE = 256;

    private MoveNet() {}

    /** {@code raw}: the 51 floats of the output in tensor order (y0, x0, s0, y1, ...). */
    public static Keypoints2D decode(float[] raw, Letterbox box) {
        if (raw.length != KEYPOINTS * 3) {
            throw new IllegalArgumentException("MoveNet output has " + raw.length + " values, expected "
                + (KEYPOINTS * 3) + " ([1, 1, 17, 3])");
        }
        double[][] xy = new double[KEYPOINTS][2];
        double[] scores = new double[KEYPOINTS];
        for (int k = 0; k < KEYPOINTS; k++) {
            xy[k][0] = box.toPixelX(raw[3 * k + 1]);
            xy[k][1] = box.toPixelY(raw[3 * k]);
            scores[k] = raw[3 * k + 2];
        }
        return new Keypoints2D(xy, scores, box.width, box.height);
    }

    /** The output tensor as the interpreter fills it: {@code out[1][1][17][3]}. */
    public static Keypoints2D decode(float[][][][] out, Letterbox box) {
        if (out.length != 1 || out[0].length != 1 || out[0][0].length != KEYPOINTS) {
            throw new IllegalArgumentException("MoveNet output must be [1, 1, 17, 3]");
        }
        float[] raw = new float[KEYPOINTS * 3];
        for (int k = 0; k < KEYPOINTS; k++) {
            if (out[0][0][k].length != 3) {
                throw new IllegalArgumentException("MoveNet output must be [1, 1, 17, 3]");
            }
            System.arraycopy(out[0][0][k], 0, raw, 3 * k, 3);
        }
        return decode(raw, box);
    }
}
