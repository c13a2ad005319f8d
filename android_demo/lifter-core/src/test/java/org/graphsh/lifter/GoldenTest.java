package org.graphsh.lifter;

import static org.junit.Assert.assertArrayEquals;
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
 * Checks lifter-core against the vectors tools/write_golden.py computes with graphsh_tf.keypoints.
 * Folder: system property {@code golden.dir}, else ../../tests/fixtures/golden relative to the working dir.
 * Floats agree within 1e-5 * max(1, |expected|); int8 values exactly.
 */
public class GoldenTest {
    private static final double TOL = 1e-5;

    static File goldenDir() {
        String prop = System.getProperty("golden.dir");
        File dir = prop != null ? new File(prop) : new File("../../tests/fixtures/golden");
        if (!dir.isDirectory()) {
            fail("golden folder " + dir.getAbsolutePath() + " not found; pass -Dgolden.dir=<repo>/tests/fixtures/golden");
        }
        return dir;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> cases(String file) throws IOException {
        String text = new String(Files.readAllBytes(new File(goldenDir(), file).toPath()), StandardCharsets.UTF_8);
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(text);
        assertEquals("graphsh-golden/1", root.get("format"));
        List<Map<String, Object>> cases = (List<Map<String, Object>>) root.get("cases");
        assertTrue(file + " has no cases", cases.size() > 0);
        return cases;
    }

    @SuppressWarnings("unchecked")
    static double[][] matrix(Object o) {
        List<Object> rows = (List<Object>) o;
        double[][] m = new double[rows.size()][];
        for (int r = 0; r < m.length; r++) {
            m[r] = vector(rows.get(r));
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    static double[] vector(Object o) {
        List<Object> v = (List<Object>) o;
        double[] a = new double[v.size()];
        for (int k = 0; k < a.length; k++) {
            a[k] = (Double) v.get(k);
        }
        return a;
    }

    @SuppressWarnings("unchecked")
    static Quantization quant(Object o) {
        Map<String, Object> q = (Map<String, Object>) o;
        return new Quantization((Double) q.get("scale"), ((Double) q.get("zero_point")).intValue());
    }

    static void close(String what, double expected, double actual) {
        double tol = TOL * Math.max(1.0, Math.abs(expected));
        if (!(Math.abs(expected - actual) <= tol)) {
            fail(what + ": expected " + expected + ", got " + actual);
        }
    }

    @Test
    public void adaptersMatchPython() throws IOException {
        int n = 0;
        for (Map<String, Object> c : cases("adapters.json")) {
            String name = (String) c.get("name");
            Layout layout = Layout.fromId((String) c.get("layout"));
            double[] size = vector(c.get("image_size"));
            double minScore = (Double) c.get("min_score");
            double[][] kpts = matrix(c.get("keypoints"));
            double[] scores = vector(c.get("scores"));

            Adapted a = KeypointAdapter.adapt(layout, kpts, scores, minScore);
            double[][] xy = matrix(c.get("h36m16_xy"));
            double[] conf = vector(c.get("confidence"));
            for (int j = 0; j < Skeleton.NUM_JOINTS; j++) {
                close(name + " xy[" + j + "][0]", xy[j][0], a.xy[j][0]);
                close(name + " xy[" + j + "][1]", xy[j][1], a.xy[j][1]);
                close(name + " confidence[" + j + "]", conf[j], a.confidence[j]);
            }

            float[][] in = LifterCore.prepareFloatInput(layout, kpts, scores, minScore, size[0], size[1]);
            double[][] inExpected = matrix(c.get("input_float"));
            for (int j = 0; j < Skeleton.NUM_JOINTS; j++) {
                close(name + " input[" + j + "][0]", inExpected[j][0], in[j][0]);
                close(name + " input[" + j + "][1]", inExpected[j][1], in[j][1]);
            }

            byte[][] q = LifterCore.prepareInt8Input(layout, kpts, scores, minScore, size[0], size[1],
                quant(c.get("input_quantization")));
            double[][] qExpected = matrix(c.get("input_int8"));
            for (int j = 0; j < Skeleton.NUM_JOINTS; j++) {
                for (int k = 0; k < 2; k++) {
                    assertEquals(name + " int8 input[" + j + "][" + k + "]", (int) qExpected[j][k], q[j][k]);
                }
            }
            n++;
        }
        assertTrue("expected COCO and MediaPipe cases, got " + n, n >= 4);
    }

    @Test
    public void decodingMatchesPython() throws IOException {
        for (Map<String, Object> c : cases("decode.json")) {
            String name = (String) c.get("name");
            double[][] raw = matrix(c.get("raw"));
            double[][] expected = matrix(c.get("joints_mm"));
            float[][] mm;
            if (c.get("quantization") == null) {
                float[][] f = new float[raw.length][3];
                for (int j = 0; j < raw.length; j++) {
                    for (int k = 0; k < 3; k++) {
                        f[j][k] = (float) raw[j][k];
                    }
                }
                mm = LifterCore.decodeFloat(f);
            } else {
                byte[][] b = new byte[raw.length][3];
                for (int j = 0; j < raw.length; j++) {
                    for (int k = 0; k < 3; k++) {
                        b[j][k] = (byte) (int) raw[j][k];
                    }
                }
                mm = LifterCore.decodeInt8(b, quant(c.get("quantization")));
            }
            for (int j = 0; j < expected.length; j++) {
                for (int k = 0; k < 3; k++) {
                    close(name + " mm[" + j + "][" + k + "]", expected[j][k], mm[j][k]);
                }
            }
        }
    }

    @Test
    public void skeletonEdgesCoverEveryJoint() {
        int[][] e = Skeleton.edges();
        assertEquals(15, e.length);
        assertArrayEquals(new int[] {9, 8}, e[8]);
    }
}
