package org.tensorflow.lite;

public interface Tensor {
    class QuantizationParams {
        public QuantizationParams(float scale, int zeroPoint) {}
        public float getScale() { throw new RuntimeException("compile stub"); }
        public int getZeroPoint() { throw new RuntimeException("compile stub"); }
    }

    DataType dataType();
    int[] shape();
    String name();
    QuantizationParams quantizationParams();
}
