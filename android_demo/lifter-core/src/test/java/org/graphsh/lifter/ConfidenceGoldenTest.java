package org.graphsh.lifter;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * Models with a confidence channel against tools/write_golden.py (confidence.json): the input (x, y, confidence)
 * from detector pixels, float within 1e-5 and int8 exactly, screen and intrinsics, screen and pose normalization
 * (the confidence is the adapters', 0 for a filled joint); the sidecar's input.channels read as
 * graphsh_tf.contract.InputContract.channels_from_sidecar reads them.
 */
public class ConfidenceGoldenTest {
    @SuppressWarnings("unchecked")
    private static Map<String, Object> file() throws IOException {
        String text = new String(Files.readAllBytes(new File(GoldenTest.goldenDir(), "confidence.json").toPath()),
            StandardCharsets.UTF_8);
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(text);
        assertEquals("graphsh-golden/1", root.get("format"));
        return root;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(String key) throws IOException {
        List<Map<String, Object>> cases = (List<Map<String, Object>>) file().get(key);
        assertTrue(key + " is empty", cases != null && cases.size() > 0);
        return cases;
    }

    private static void closeAll(String what, double[][] expected, float[][] actual) {
        assertEquals(what + " joints", expected.length, actual.length);
        for (int j = 0; j < expected.length; j++) {
            assertEquals(what + " channels", expected[j].length, actual[j].length);
            for (int c = 0; c < expected[j].length; c++) {
                GoldenTest.close(what + "[" + j + "][" + c + "]", expected[j][c], actual[j][c]);
            }
        }
    }

    private static void sameInt8(String what, double[][] expected, byte[][] actual) {
        for (int j = 0; j < expected.length; j++) {
            assertEquals(what + " channels", expected[j].length, actual[j].length);
            for (int c = 0; c < expected[j].length; c++) {
                assertEquals(what + "[" + j + "][" + c + "]", (int) expected[j][c], actual[j][c]);
            }
        }
    }

    @Test
    public void channelNamesAreThePythonOnes() throws IOException {
        assertEquals(file().get("channels"), InputChannels.XY_CONFIDENCE.names());
        assertEquals(Arrays.asList("x", "y"), InputChannels.XY.names());
        assertEquals(3, InputChannels.XY_CONFIDENCE.count());
    }

    @Test
    public void confidenceInputMatchesPythonFloatAndInt8() throws IOException {
        int filled = 0;
        int pose = 0;
        for (Map<String, Object> c : list("prepare_cases")) {
            String name = (String) c.get("name");
            Layout layout = Layout.fromId((String) c.get("layout"));
            double[] size = GoldenTest.vector(c.get("image_size"));
            double minScore = (Double) c.get("min_score");
            double[][] kpts = GoldenTest.matrix(c.get("keypoints"));
            double[] scores = GoldenTest.vector(c.get("scores"));
            Intrinsics k = null;
            if (c.get("intrinsics") != null) {
                double[] kv = GoldenTest.vector(c.get("intrinsics"));
                k = new Intrinsics(kv[0], kv[1], kv[2], kv[3]);
            }
            InputNorm norm = InputNorm.fromId((String) c.get("input_norm"));
            pose += norm == InputNorm.POSE ? 1 : 0;
            Quantization q = GoldenTest.quant(c.get("input_quantization"));
            double[][] expected = GoldenTest.matrix(c.get("input_float"));
            double[][] qExpected = GoldenTest.matrix(c.get("input_int8"));
            double[] conf = GoldenTest.vector(c.get("confidence"));
            for (int j = 0; j < conf.length; j++) {
                assertEquals(name + " confidence channel " + j, conf[j], expected[j][2], 1e-6);
                filled += conf[j] == 0.0 ? 1 : 0;
            }
            closeAll(name + " input", expected, LifterCore.prepareFloatInput(layout, kpts, scores, minScore, size[0],
                size[1], k, norm, InputChannels.XY_CONFIDENCE));
            sameInt8(name + " int8 input", qExpected, LifterCore.prepareInt8Input(layout, kpts, scores, minScore,
                size[0], size[1], q, k, norm, InputChannels.XY_CONFIDENCE));
            Adapted a = KeypointAdapter.adapt(layout, kpts, scores, minScore);
            closeAll(name + " encoded", expected,
                LifterCore.encodeFloatInput(a, size[0], size[1], k, norm, InputChannels.XY_CONFIDENCE));
            sameInt8(name + " int8 encoded", qExpected,
                LifterCore.encodeInt8Input(a, size[0], size[1], q, k, norm, InputChannels.XY_CONFIDENCE));
            // the 2-channel input is the first two channels
            float[][] xy = LifterCore.encodeFloatInput(a, size[0], size[1], k, norm, InputChannels.XY);
            for (int j = 0; j < xy.length; j++) {
                assertEquals(name + " xy channels", 2, xy[j].length);
                GoldenTest.close(name + " x[" + j + "]", expected[j][0], xy[j][0]);
                GoldenTest.close(name + " y[" + j + "]", expected[j][1], xy[j][1]);
            }
        }
        assertTrue("confidence.json lacks filled joints or pose cases", filled > 0 && pose > 0);
    }

    @Test
    @SuppressWarnings("unchecked")
    public void sidecarChannelsAreReadAsPythonReadsThem() throws IOException {
        int errors = 0;
        for (Map<String, Object> c : list("sidecar_cases")) {
            String name = (String) c.get("name");
            Object value = ((Map<String, Object>) c.get("input")).get("channels");
            Object want = c.get("channels");
            if (want != null) {
                assertEquals(name, want, InputChannels.fromSidecar(value, "graphsh_fp32.json").names());
                continue;
            }
            errors++;
            try {
                InputChannels.fromSidecar(value, "graphsh_fp32.json");
                fail(name + ": " + value + " accepted");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("graphsh_fp32.json")
                    && e.getMessage().contains("'input.channels'"));
            }
        }
        assertTrue("no rejected sidecar case", errors > 0);
    }

    @Test
    public void misuseIsOneClearError() {
        Adapted a = KeypointAdapter.adapt(Layout.H36M16, new double[16][2], null, 0.0);
        try {
            LifterCore.encodeFloatInput(a, 640.0, 480.0, null, InputNorm.SCREEN, null);
            fail("null InputChannels accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("InputChannels"));
        }
        try {
            InputChannels.XY_CONFIDENCE.apply(new float[16][2], new double[3]);
            fail("3 confidences for 16 joints accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("confidence"));
        }
    }
}
