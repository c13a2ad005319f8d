package org.graphsh.lifter;

/**
 * The pure steps around the TFLite call, 1:1 with graphsh_tf.keypoints.prepare_input / decode_output:
 * detector pixels -> H36M-16 -> normalized float input (-> pose-normalized for {@link InputNorm#POSE} models)
 * (-> int8 input); raw output (float, or int8) -> mm.
 * The model's "lift" signature takes keypoints_2d [1,16,2] (or [1,16,3] with the per-joint confidence,
 * {@link InputChannels}) and returns joints_3d [1,16,3], already in mm, root-relative (Hip = origin).
 */
public final class LifterCore {
    private LifterCore() {
    }

    /** Float model input {@code [16][2]} for one pose. */
    public static float[][] prepareFloatInput(Layout layout, double[][] xyPx, double[] scores, double minScore,
                                              double w, double h) {
        Adapted a = KeypointAdapter.adapt(layout, xyPx, scores, minScore);
        return Normalization.normalize(a.xy, w, h);
    }

    /** int8 model input {@code [16][2]} for one pose (normalized coordinates quantized with {@code quant}). */
    public static byte[][] prepareInt8Input(Layout layout, double[][] xyPx, double[] scores, double minScore,
                                            double w, double h, Quantization quant) {
        return quantize(prepareFloatInput(layout, xyPx, scores, minScore, w, h), quant);
    }

    /**
     * Float model input {@code [16][2]} through the camera's intrinsics (as prepare_input(..., intrinsics=k)):
     * viewing rays in the training cameras' field of view. {@code k == null} falls back to screen normalization.
     * {@code w, h} are still checked (the image size is used for the out-of-image test).
     */
    public static float[][] prepareFloatInput(Layout layout, double[][] xyPx, double[] scores, double minScore,
                                              double w, double h, Intrinsics k) {
        if (k == null) {
            return prepareFloatInput(layout, xyPx, scores, minScore, w, h);
        }
        checkImageSize(w, h);
        return encodeFloatInput(KeypointAdapter.adapt(layout, xyPx, scores, minScore), w, h, k);
    }

    /**
     * Float model input {@code [16][2]} from already adapted keypoints (as graphsh_tf.keypoints.encode_input, for
     * callers that also need the confidences: adapt once, then encode, solve the root, check {@link #validPose}):
     * through the intrinsics {@code k}, or the screen normalization when {@code k == null}.
     */
    public static float[][] encodeFloatInput(Adapted adapted, double w, double h, Intrinsics k) {
        return encodeFloatInput(adapted, w, h, k, InputNorm.SCREEN);
    }

    /**
     * As {@link #encodeFloatInput(Adapted, double, double, Intrinsics)} for a model taking {@code norm} (its
     * sidecar's, {@link InputNorm#fromSidecar}): {@link InputNorm#POSE} applies {@link Normalization#poseNormalize}
     * after the screen or intrinsics normalization (as encode_input(..., input_norm="pose")).
     */
    public static float[][] encodeFloatInput(Adapted adapted, double w, double h, Intrinsics k, InputNorm norm) {
        checkNorm(norm);
        checkImageSize(w, h);
        if (k != null) {
            k.checkImage(w, h);
        }
        return norm.apply(k == null ? Normalization.normalize(adapted.xy, w, h)
            : Normalization.normalizeWithIntrinsics(adapted.xy, k));
    }

    /**
     * Model input {@code [16][C]} for a model taking {@code norm} and {@code channels} (its sidecar's,
     * {@link InputNorm#fromSidecar} and {@link InputChannels#fromSidecar}): {@link #encodeFloatInput(Adapted, double,
     * double, Intrinsics, InputNorm)}, then for {@link InputChannels#XY_CONFIDENCE} the adapters' confidence as third
     * channel (as prepare_input(..., contract=InputContract(norm, CHANNELS))).
     */
    public static float[][] encodeFloatInput(Adapted adapted, double w, double h, Intrinsics k, InputNorm norm,
                                             InputChannels channels) {
        checkChannels(channels);
        return channels.apply(encodeFloatInput(adapted, w, h, k, norm), adapted.confidence);
    }

    /** int8 model input {@code [16][C]} for a model taking {@code norm} and {@code channels}, quantized. */
    public static byte[][] encodeInt8Input(Adapted adapted, double w, double h, Quantization quant, Intrinsics k,
                                           InputNorm norm, InputChannels channels) {
        return quantize(encodeFloatInput(adapted, w, h, k, norm, channels), quant);
    }

    /** Model input {@code [16][C]} from detector pixels for a model taking {@code norm} and {@code channels}. */
    public static float[][] prepareFloatInput(Layout layout, double[][] xyPx, double[] scores, double minScore,
                                              double w, double h, Intrinsics k, InputNorm norm,
                                              InputChannels channels) {
        checkNorm(norm);
        checkImageSize(w, h);
        return encodeFloatInput(KeypointAdapter.adapt(layout, xyPx, scores, minScore), w, h, k, norm, channels);
    }

    /** int8 model input {@code [16][C]} from detector pixels for a model taking {@code norm} and {@code channels}. */
    public static byte[][] prepareInt8Input(Layout layout, double[][] xyPx, double[] scores, double minScore,
                                            double w, double h, Quantization quant, Intrinsics k, InputNorm norm,
                                            InputChannels channels) {
        return quantize(prepareFloatInput(layout, xyPx, scores, minScore, w, h, k, norm, channels), quant);
    }

    private static void checkChannels(InputChannels channels) {
        if (channels == null) {
            throw new IllegalArgumentException("input channels: null; pass InputChannels.XY or "
                + "InputChannels.XY_CONFIDENCE (InputChannels.fromSidecar reads the model's sidecar)");
        }
    }

    /** int8 model input {@code [16][2]} from already adapted keypoints ({@link #encodeFloatInput}, quantized). */
    public static byte[][] encodeInt8Input(Adapted adapted, double w, double h, Quantization quant, Intrinsics k) {
        return encodeInt8Input(adapted, w, h, quant, k, InputNorm.SCREEN);
    }

    /** int8 model input {@code [16][2]} for a model taking {@code norm}: the pose normalization comes before int8. */
    public static byte[][] encodeInt8Input(Adapted adapted, double w, double h, Quantization quant, Intrinsics k,
                                           InputNorm norm) {
        return quantize(encodeFloatInput(adapted, w, h, k, norm), quant);
    }

    /** Lifter.MIN_PRESENT_JOINTS: a pose is worth showing with at least this many of the 16 joints present. */
    public static final int MIN_PRESENT_JOINTS = 8;

    /**
     * As graphsh_tf.lite.lifter.LiftResult.valid: at least {@link #MIN_PRESENT_JOINTS} joints present (confidence
     * &gt; 0) and no present joint more than half an image outside the {@code w x h} image.
     */
    public static boolean validPose(Adapted adapted, double w, double h) {
        int present = 0;
        for (int j = 0; j < adapted.confidence.length; j++) {
            if (!(adapted.confidence[j] > 0)) {
                continue;
            }
            present++;
            double x = adapted.xy[j][0];
            double y = adapted.xy[j][1];
            if (x < -0.5 * w || x > 1.5 * w || y < -0.5 * h || y > 1.5 * h) {
                return false;
            }
        }
        return present >= MIN_PRESENT_JOINTS;
    }

    private static void checkImageSize(double w, double h) {
        if (!(w > 0) || !(h > 0) || Double.isInfinite(w) || Double.isInfinite(h)) {
            throw new IllegalArgumentException("image_size: width and height must be positive pixels, got ("
                + w + ", " + h + ")");
        }
    }

    /** int8 model input {@code [16][2]} through the camera's intrinsics. */
    public static byte[][] prepareInt8Input(Layout layout, double[][] xyPx, double[] scores, double minScore,
                                            double w, double h, Quantization quant, Intrinsics k) {
        return quantize(prepareFloatInput(layout, xyPx, scores, minScore, w, h, k), quant);
    }

    /**
     * Float model input {@code [16][2]} for a model taking {@code norm} (as prepare_input(..., intrinsics=k,
     * input_norm=...)): through the intrinsics {@code k} (or the screen normalization when null), then for
     * {@link InputNorm#POSE} hip-centred and scaled ({@link Normalization#poseNormalize}).
     */
    public static float[][] prepareFloatInput(Layout layout, double[][] xyPx, double[] scores, double minScore,
                                              double w, double h, Intrinsics k, InputNorm norm) {
        checkNorm(norm);
        checkImageSize(w, h);
        return encodeFloatInput(KeypointAdapter.adapt(layout, xyPx, scores, minScore), w, h, k, norm);
    }

    /** int8 model input {@code [16][2]} for a model taking {@code norm}: the pose normalization comes before int8. */
    public static byte[][] prepareInt8Input(Layout layout, double[][] xyPx, double[] scores, double minScore,
                                            double w, double h, Quantization quant, Intrinsics k, InputNorm norm) {
        return quantize(prepareFloatInput(layout, xyPx, scores, minScore, w, h, k, norm), quant);
    }

    private static void checkNorm(InputNorm norm) {
        if (norm == null) {
            throw new IllegalArgumentException("input normalization: null; pass InputNorm.SCREEN or InputNorm.POSE "
                + "(InputNorm.fromSidecar reads the model's sidecar)");
        }
    }

    /**
     * Root (pelvis) position in camera space, mm, for one lift (as LiftResult.root_mm): the detector keypoints
     * are adapted to H36M-16 and weighted by their confidences; {@code jointsMm} is the decoded output. NaNs when
     * fewer than two joints are present.
     */
    public static double[] rootPosition(Layout layout, double[][] xyPx, double[] scores, double minScore,
                                        float[][] jointsMm, Intrinsics k) {
        return RootSolver.solve(KeypointAdapter.adapt(layout, xyPx, scores, minScore), jointsMm, k);
    }

    /** Element-wise {@link Quantization#quantize} of a {@code [J][C]} array. */
    public static byte[][] quantize(float[][] x, Quantization quant) {
        byte[][] q = new byte[x.length][];
        for (int j = 0; j < x.length; j++) {
            q[j] = new byte[x[j].length];
            for (int c = 0; c < x[j].length; c++) {
                q[j][c] = quant.quantize(x[j][c]);
            }
        }
        return q;
    }

    /** Float output {@code [16][3]} is already in mm: a checked copy. */
    public static float[][] decodeFloat(float[][] raw) {
        checkOutput(raw.length, raw.length > 0 ? raw[0].length : 0);
        float[][] out = new float[raw.length][];
        for (int j = 0; j < raw.length; j++) {
            checkOutput(raw.length, raw[j].length);
            out[j] = raw[j].clone();
        }
        return out;
    }

    /** int8 output {@code [16][3]} to mm: {@code (q - zeroPoint) * scale}. */
    public static float[][] decodeInt8(byte[][] raw, Quantization quant) {
        checkOutput(raw.length, raw.length > 0 ? raw[0].length : 0);
        float[][] out = new float[raw.length][];
        for (int j = 0; j < raw.length; j++) {
            checkOutput(raw.length, raw[j].length);
            out[j] = new float[raw[j].length];
            for (int c = 0; c < raw[j].length; c++) {
                out[j][c] = quant.dequantize(raw[j][c]);
            }
        }
        return out;
    }

    private static void checkOutput(int joints, int channels) {
        if (joints != Skeleton.NUM_JOINTS || channels != 3) {
            throw new IllegalArgumentException("model output: expected shape (16, 3), got (" + joints + ", "
                + channels + ")");
        }
    }
}
