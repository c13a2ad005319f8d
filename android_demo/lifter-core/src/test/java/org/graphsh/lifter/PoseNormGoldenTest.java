package org.graphsh.lifter;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * Models trained with input_norm="pose" against tools/write_golden.py (pose_norm.json): pose_normalize within 1e-5
 * (incl. a pose with every joint on the hip and one whose spread is below POSE_NORM_EPS), prepare_input(...,
 * input_norm="pose") float within 1e-5 and int8 exactly, from the screen and from the intrinsics normalization, and
 * the sidecar's input.normalization strings read as graphsh_tf.lite.metadata.input_norm reads them.
 */
public class PoseNormGoldenTest {
    @SuppressWarnings("unchecked")
    private static Map<String, Object> file() throws IOException {
        String text = new String(Files.readAllBytes(new File(GoldenTest.goldenDir(), "pose_norm.json").toPath()),
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

    private static float[][] floats(double[][] m) {
        float[][] f = new float[m.length][];
        for (int j = 0; j < m.length; j++) {
            f[j] = new float[m[j].length];
            for (int c = 0; c < m[j].length; c++) {
                f[j][c] = (float) m[j][c];
            }
        }
        return f;
    }

    private static void closeAll(String what, double[][] expected, float[][] actual) {
        assertEquals(what + " joints", expected.length, actual.length);
        for (int j = 0; j < expected.length; j++) {
            for (int c = 0; c < 2; c++) {
                GoldenTest.close(what + "[" + j + "][" + c + "]", expected[j][c], actual[j][c]);
            }
        }
    }

    private static void sameInt8(String what, double[][] expected, byte[][] actual) {
        for (int j = 0; j < expected.length; j++) {
            for (int c = 0; c < 2; c++) {
                assertEquals(what + "[" + j + "][" + c + "]", (int) expected[j][c], actual[j][c]);
            }
        }
    }

    @Test
    public void constantsAreThePythonOnes() throws IOException {
        Map<String, Object> f = file();
        assertEquals(f.get("normalization"), Normalization.FORMULA);
        assertEquals(f.get("pose_normalization"), Normalization.POSE_FORMULA);
        assertEquals((Double) f.get("pose_norm_eps"), Normalization.POSE_NORM_EPS, 0.0);
        assertEquals(Normalization.FORMULA, InputNorm.SCREEN.formula);
        assertEquals(Normalization.POSE_FORMULA, InputNorm.POSE.formula);
    }

    @Test
    public void poseNormalizeMatchesPython() throws IOException {
        boolean degenerate = false;
        for (Map<String, Object> c : list("pose_cases")) {
            String name = (String) c.get("name");
            double[][] expected = GoldenTest.matrix(c.get("p"));
            float[][] p = Normalization.poseNormalize(floats(GoldenTest.matrix(c.get("u"))));
            closeAll(name + " p", expected, p);
            if (name.equals("all_on_hip")) {
                degenerate = true;
                for (float[] row : p) {
                    assertEquals(name, 0.0f, row[0], 0.0f);
                    assertEquals(name, 0.0f, row[1], 0.0f);
                }
            }
        }
        assertTrue("pose_norm.json has no all_on_hip case", degenerate);
    }

    @Test
    public void poseInputMatchesPythonFloatAndInt8() throws IOException {
        int screen = 0;
        int intrinsics = 0;
        for (Map<String, Object> c : list("prepare_cases")) {
            String name = (String) c.get("name");
            assertEquals(name, "pose", c.get("input_norm"));
            Layout layout = Layout.fromId((String) c.get("layout"));
            double[] size = GoldenTest.vector(c.get("image_size"));
            double minScore = (Double) c.get("min_score");
            double[][] kpts = GoldenTest.matrix(c.get("keypoints"));
            double[] scores = GoldenTest.vector(c.get("scores"));
            Intrinsics k = null;
            if (c.get("intrinsics") != null) {
                double[] kv = GoldenTest.vector(c.get("intrinsics"));
                k = new Intrinsics(kv[0], kv[1], kv[2], kv[3]);
                intrinsics++;
            } else {
                screen++;
            }
            Quantization q = GoldenTest.quant(c.get("input_quantization"));
            double[][] normalized = GoldenTest.matrix(c.get("normalized"));
            double[][] expected = GoldenTest.matrix(c.get("input_float"));
            double[][] qExpected = GoldenTest.matrix(c.get("input_int8"));
            InputNorm norm = InputNorm.fromId((String) c.get("input_norm"));

            // detector pixels -> input (prepare_input)
            closeAll(name + " normalized", normalized,
                LifterCore.prepareFloatInput(layout, kpts, scores, minScore, size[0], size[1], k, InputNorm.SCREEN));
            closeAll(name + " input", expected,
                LifterCore.prepareFloatInput(layout, kpts, scores, minScore, size[0], size[1], k, norm));
            sameInt8(name + " int8 input", qExpected,
                LifterCore.prepareInt8Input(layout, kpts, scores, minScore, size[0], size[1], q, k, norm));
            // adapt once, then encode (the app's path)
            Adapted a = KeypointAdapter.adapt(layout, kpts, scores, minScore);
            closeAll(name + " encoded", expected, LifterCore.encodeFloatInput(a, size[0], size[1], k, norm));
            sameInt8(name + " int8 encoded", qExpected, LifterCore.encodeInt8Input(a, size[0], size[1], q, k, norm));
            // the pose step alone, on the screen / intrinsics normalized input
            closeAll(name + " pose step", expected, Normalization.poseNormalize(floats(normalized)));
        }
        assertTrue("pose_norm.json lacks screen or intrinsics cases", screen > 0 && intrinsics > 0);
    }

    @Test
    @SuppressWarnings("unchecked")
    public void sidecarNormalizationIsReadAsPythonReadsIt() throws IOException {
        int errors = 0;
        for (Map<String, Object> c : list("sidecar_cases")) {
            String name = (String) c.get("name");
            String value = (String) ((Map<String, Object>) c.get("input")).get("normalization");
            String want = (String) c.get("input_norm");
            if (want != null) {
                assertEquals(name, want, InputNorm.fromSidecar(value, "graphsh_int8.json").id);
                continue;
            }
            errors++;
            try {
                InputNorm.fromSidecar(value, "graphsh_int8.json");
                fail(name + ": '" + value + "' accepted");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage(), e.getMessage().contains("graphsh_int8.json")
                    && e.getMessage().contains("'input.normalization'") && e.getMessage().contains(value));
            }
        }
        assertTrue("no rejected sidecar case", errors > 0);
    }

    @Test
    public void defaultsAndMisuse() {
        assertEquals(InputNorm.SCREEN, InputNorm.fromSidecar(null, "s.json"));
        assertEquals(InputNorm.POSE, InputNorm.fromId("pose"));
        try {
            InputNorm.fromId("intrinsics");
            fail("fromId accepted 'intrinsics'");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("'screen' or 'pose'"));
        }
        Adapted a = KeypointAdapter.adapt(Layout.H36M16, new double[16][2], null, 0.0);
        try {
            LifterCore.encodeFloatInput(a, 640.0, 480.0, null, null);
            fail("null InputNorm accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("InputNorm"));
        }
        // the old overloads are the screen normalization
        float[][] old = LifterCore.encodeFloatInput(a, 640.0, 480.0, null);
        float[][] screen = LifterCore.encodeFloatInput(a, 640.0, 480.0, null, InputNorm.SCREEN);
        for (int j = 0; j < old.length; j++) {
            assertEquals(old[j][0], screen[j][0], 0.0f);
            assertEquals(old[j][1], screen[j][1], 0.0f);
        }
    }
}
