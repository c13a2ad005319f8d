package org.graphsh.lifter;

import java.util.Arrays;
import java.util.List;

/**
 * The per-joint channels a model's input carries, from its sidecar's {@code input.channels} (as
 * graphsh_tf.contract.InputContract.channels_from_sidecar): {@link #XY} (the paper's 2D positions) or
 * {@link #XY_CONFIDENCE} (positions and the adapters' per-joint confidence: the detector score, 0 for a joint the
 * adapters filled). The encoding paths of {@link LifterCore} take it.
 */
public enum InputChannels {
    /** {@code (x, y)}: input {@code [16][2]}. */
    XY("x", "y"),
    /** {@code (x, y, confidence)}: input {@code [16][3]}, the confidence clipped to [0, 1]. */
    XY_CONFIDENCE("x", "y", "confidence");

    private final String[] names;

    InputChannels(String... names) {
        this.names = names;
    }

    /** How many channels per joint (the input tensor's last dimension). */
    public int count() {
        return names.length;
    }

    /** The sidecar's names of the channels, in order. */
    public List<String> names() {
        return Arrays.asList(names.clone());
    }

    /**
     * The normalized positions {@code u[16][2]} (after the model's normalization) as this input: unchanged for
     * {@link #XY}; for {@link #XY_CONFIDENCE} each row gets the joint's confidence, clipped to [0, 1], as third value.
     */
    public float[][] apply(float[][] u, double[] confidence) {
        if (this == XY) {
            return u;
        }
        if (confidence == null || confidence.length != u.length) {
            throw new IllegalArgumentException("confidence: this model's input has a 'confidence' channel; pass the "
                + u.length + " per-joint confidences of the adapters, got "
                + (confidence == null ? "null" : confidence.length + " values"));
        }
        float[][] out = new float[u.length][3];
        for (int j = 0; j < u.length; j++) {
            out[j][0] = u[j][0];
            out[j][1] = u[j][1];
            float c = (float) confidence[j];
            out[j][2] = c > 1.0f ? 1.0f : (c >= 0.0f ? c : 0.0f);
        }
        return out;
    }

    /**
     * The sidecar's {@code input.channels} value (a JSON list of strings; {@code null} when the field is absent:
     * {@link #XY}, the contract of models exported before the confidence channel) to the channels it names. Anything
     * but {@code ["x", "y"]} or {@code ["x", "y", "confidence"]} throws IllegalArgumentException naming
     * {@code source} and the field.
     */
    public static InputChannels fromSidecar(Object channels, String source) {
        if (channels == null) {
            return XY;
        }
        if (channels instanceof List) {
            for (InputChannels v : values()) {
                if (v.names().equals(channels)) {
                    return v;
                }
            }
        }
        throw new IllegalArgumentException(source + ": field 'input.channels' is " + channels + ", expected "
            + XY.names() + " or " + XY_CONFIDENCE.names());
    }
}
