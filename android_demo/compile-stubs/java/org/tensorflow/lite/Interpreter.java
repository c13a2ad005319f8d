package org.tensorflow.lite;

import java.nio.ByteBuffer;
import java.util.Map;

public final class Interpreter implements AutoCloseable {
    public static class Options {
        public Options() {}
        public Options setNumThreads(int numThreads) { return this; }
        public Options setUseXNNPACK(boolean useXNNPACK) { return this; }
        public Options setUseNNAPI(boolean useNNAPI) { return this; }
    }

    public Interpreter(ByteBuffer byteBuffer, Options options) {}
    public void run(Object input, Object output) {}
    public Tensor getInputTensor(int inputIndex) { throw new RuntimeException("compile stub"); }
    public Tensor getOutputTensor(int outputIndex) { throw new RuntimeException("compile stub"); }
    public void runSignature(Map<String, Object> inputs, Map<String, Object> outputs, String signatureKey) {}
    public String[] getSignatureKeys() { throw new RuntimeException("compile stub"); }
    public String[] getSignatureInputs(String signatureKey) { throw new RuntimeException("compile stub"); }
    public String[] getSignatureOutputs(String signatureKey) { throw new RuntimeException("compile stub"); }
    public Tensor getInputTensorFromSignature(String inputName, String signatureKey) { throw new RuntimeException("compile stub"); }
    public Tensor getOutputTensorFromSignature(String outputName, String signatureKey) { throw new RuntimeException("compile stub"); }
    @Override public void close() {}
}
