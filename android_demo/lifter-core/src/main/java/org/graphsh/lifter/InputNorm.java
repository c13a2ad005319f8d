package org.graphsh.lifter;

/**
 * Which input normalization a model takes, from its sidecar's {@code input.normalization} (as
 * graphsh_tf.lite.metadata.input_norm): {@link #SCREEN} ({@link Normalization#FORMULA}) or {@link #POSE}
 * ({@link Normalization#POSE_FORMULA}: the screen or intrinsics normalization, then
 * {@link Normalization#poseNormalize}). The encoding paths of {@link LifterCore} take it.
 */
public enum InputNorm {
    /** The normalized coordinates as they are (screen, or through the intrinsics). */
    SCREEN("screen", Normalization.FORMULA),
    /** Then hip-centred and divided by the largest hip offset ({@link Normalization#poseNormalize}). */
    POSE("pose", Normalization.POSE_FORMULA);

    /** "screen" / "pose", as graphsh_tf's {@code input_norm}. */
    public final String id;
    /** The sidecar's {@code input.normalization} string for it. */
    public final String formula;

    InputNorm(String id, String formula) {
        this.id = id;
        this.formula = formula;
    }

    /** {@code u} as this normalization wants it: unchanged for SCREEN, {@link Normalization#poseNormalize} for POSE. */
    public float[][] apply(float[][] u) {
        return this == POSE ? Normalization.poseNormalize(u) : u;
    }

    /**
     * The sidecar's {@code input.normalization} value ({@code null} when the field is absent: {@link #SCREEN}, as the
     * Python side) to the normalization it names; spaces are ignored. Anything else throws IllegalArgumentException
     * naming {@code source} and the field.
     */
    public static InputNorm fromSidecar(String normalization, String source) {
        if (normalization == null) {
            return SCREEN;
        }
        String n = normalization.replace(" ", "");
        for (InputNorm v : values()) {
            if (v.formula.replace(" ", "").equals(n)) {
                return v;
            }
        }
        throw new IllegalArgumentException(source + ": field 'input.normalization' is '" + normalization
            + "'; this runtime implements '" + Normalization.FORMULA + "' and '" + Normalization.POSE_FORMULA + "'");
    }

    /** "screen" / "pose" to the constant; anything else throws IllegalArgumentException. */
    public static InputNorm fromId(String id) {
        for (InputNorm v : values()) {
            if (v.id.equals(id)) {
                return v;
            }
        }
        throw new IllegalArgumentException("input_norm '" + id + "': expected 'screen' or 'pose'");
    }
}
