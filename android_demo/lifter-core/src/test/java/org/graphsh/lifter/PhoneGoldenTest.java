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
 * Phone-camera steps against tools/write_golden.py (intrinsics.json, smoothing.json): normalization through the
 * intrinsics and prepare_input(..., intrinsics=...) within 1e-5 relative, int8 exactly; the root solver within
 * 1e-3 mm; the One Euro filter within 1e-5 relative.
 */
public class PhoneGoldenTest {
    private static final double ROOT_TOL_MM = 1e-3;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> file(String name) throws IOException {
        String text = new String(Files.readAllBytes(new File(GoldenTest.goldenDir(), name).toPath()),
            StandardCharsets.UTF_8);
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(text);
        assertEquals("graphsh-golden/1", root.get("format"));
        return root;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> root, String key) {
        List<Map<String, Object>> cases = (List<Map<String, Object>>) root.get(key);
        assertTrue(key + " is empty", cases != null && cases.size() > 0);
        return cases;
    }

    private static Intrinsics intrinsics(Object o) {
        double[] k = GoldenTest.vector(o);
        return new Intrinsics(k[0], k[1], k[2], k[3]);
    }

    @Test
    public void focalNormIsTheTrainingCameras() throws IOException {
        assertEquals((Double) file("intrinsics.json").get("h36m_focal_norm"), Normalization.H36M_FOCAL_NORM, 0.0);
    }

    @Test
    public void intrinsicsNormalizationMatchesPython() throws IOException {
        for (Map<String, Object> c : list(file("intrinsics.json"), "cases")) {
            String name = (String) c.get("name");
            float[][] uv = Normalization.normalizeWithIntrinsics(GoldenTest.matrix(c.get("xy")),
                intrinsics(c.get("intrinsics")));
            double[][] expected = GoldenTest.matrix(c.get("uv"));
            for (int j = 0; j < expected.length; j++) {
                for (int k = 0; k < 2; k++) {
                    GoldenTest.close(name + " uv[" + j + "][" + k + "]", expected[j][k], uv[j][k]);
                }
            }
        }
    }

    @Test
    public void prepareInputWithIntrinsicsMatchesPython() throws IOException {
        for (Map<String, Object> c : list(file("intrinsics.json"), "prepare_cases")) {
            String name = (String) c.get("name");
            Layout layout = Layout.fromId((String) c.get("layout"));
            double[] size = GoldenTest.vector(c.get("image_size"));
            double minScore = (Double) c.get("min_score");
            double[][] kpts = GoldenTest.matrix(c.get("keypoints"));
            double[] scores = GoldenTest.vector(c.get("scores"));
            Intrinsics k = intrinsics(c.get("intrinsics"));
            float[][] in = LifterCore.prepareFloatInput(layout, kpts, scores, minScore, size[0], size[1], k);
            double[][] expected = GoldenTest.matrix(c.get("input_float"));
            byte[][] q = LifterCore.prepareInt8Input(layout, kpts, scores, minScore, size[0], size[1],
                GoldenTest.quant(c.get("input_quantization")), k);
            double[][] qExpected = GoldenTest.matrix(c.get("input_int8"));
            for (int j = 0; j < Skeleton.NUM_JOINTS; j++) {
                for (int d = 0; d < 2; d++) {
                    GoldenTest.close(name + " input[" + j + "][" + d + "]", expected[j][d], in[j][d]);
                    assertEquals(name + " int8 input[" + j + "][" + d + "]", (int) qExpected[j][d], q[j][d]);
                }
            }
            // the root as Lifter(..., intrinsics=...) returns it as LiftResult.root_mm (adapter confidences as weights)
            double[][] j64 = GoldenTest.matrix(c.get("joints_mm"));
            float[][] joints = new float[j64.length][3];
            for (int j = 0; j < j64.length; j++) {
                for (int d = 0; d < 3; d++) {
                    joints[j][d] = (float) j64[j][d];
                }
            }
            double[] root = LifterCore.rootPosition(layout, kpts, scores, minScore, joints, k);
            double[] rootExpected = GoldenTest.vector(c.get("root_mm"));
            for (int d = 0; d < 3; d++) {
                if (!(Math.abs(rootExpected[d] - root[d]) <= ROOT_TOL_MM)) {
                    fail(name + " root[" + d + "]: expected " + rootExpected[d] + ", got " + root[d]);
                }
            }
            // null intrinsics = the screen normalization (backwards compatible)
            float[][] screen = LifterCore.prepareFloatInput(layout, kpts, scores, minScore, size[0], size[1], null);
            float[][] old = LifterCore.prepareFloatInput(layout, kpts, scores, minScore, size[0], size[1]);
            for (int j = 0; j < Skeleton.NUM_JOINTS; j++) {
                assertEquals(old[j][0], screen[j][0], 0.0);
                assertEquals(old[j][1], screen[j][1], 0.0);
            }
        }
    }

    @Test
    public void rootSolverMatchesPython() throws IOException {
        int zeroWeightCases = 0;
        for (Map<String, Object> c : list(file("intrinsics.json"), "root_cases")) {
            String name = (String) c.get("name");
            double[] w = GoldenTest.vector(c.get("weights"));
            double[] root = RootSolver.solve(GoldenTest.matrix(c.get("keypoints_px")),
                GoldenTest.matrix(c.get("joints_mm")), intrinsics(c.get("intrinsics")), w);
            double[] expected = GoldenTest.vector(c.get("root_mm"));
            for (int d = 0; d < 3; d++) {
                if (!(Math.abs(expected[d] - root[d]) <= ROOT_TOL_MM)) {
                    fail(name + " root[" + d + "]: expected " + expected[d] + ", got " + root[d]);
                }
            }
            for (double v : w) {
                if (v == 0.0) {
                    zeroWeightCases++;
                    break;
                }
            }
        }
        assertTrue("expected a case with zero-weight joints", zeroWeightCases > 0);
    }

    @Test
    public void rootSolverRecoversAKnownTranslationAndRejectsTooFewJoints() {
        Intrinsics k = new Intrinsics(1000.0, 1000.0, 320.0, 240.0);
        double[][] pose = {{0, 0, 0}, {120, 30, -40}, {-90, 400, 60}, {10, -500, 30}};
        double[] t = {150.0, -80.0, 3500.0};
        double[][] px = new double[pose.length][2];
        for (int j = 0; j < pose.length; j++) {
            double z = pose[j][2] + t[2];
            px[j][0] = k.fx * (pose[j][0] + t[0]) / z + k.cx;
            px[j][1] = k.fy * (pose[j][1] + t[1]) / z + k.cy;
        }
        double[] root = RootSolver.solve(px, pose, k, null);
        for (int d = 0; d < 3; d++) {
            assertEquals(t[d], root[d], 1e-6);
        }
        try {
            RootSolver.solve(px, pose, k, new double[] {1.0, 0.0, 0.0, 0.0});
            fail("one joint cannot fix the depth");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("two joints"));
        }
        double[] nan = RootSolver.solve(new Adapted(px, new double[] {0.9, 0, 0, 0}), new float[4][3], k);
        assertTrue(Double.isNaN(nan[0]) && Double.isNaN(nan[1]) && Double.isNaN(nan[2]));
    }

    @Test
    public void oneEuroMatchesPython() throws IOException {
        for (Map<String, Object> c : list(file("smoothing.json"), "cases")) {
            String name = (String) c.get("name");
            OneEuro f = new OneEuro((Double) c.get("min_cutoff"), (Double) c.get("beta"), (Double) c.get("d_cutoff"));
            if (name.startsWith("defaults")) {  // Python's defaults = Java's
                assertEquals(OneEuro.DEFAULT_MIN_CUTOFF, (Double) c.get("min_cutoff"), 0.0);
                assertEquals(OneEuro.DEFAULT_BETA, (Double) c.get("beta"), 0.0);
                assertEquals(OneEuro.DEFAULT_D_CUTOFF, (Double) c.get("d_cutoff"), 0.0);
            }
            double[] t = GoldenTest.vector(c.get("timestamps"));
            double[][] in = GoldenTest.matrix(c.get("input"));
            double[][] expected = GoldenTest.matrix(c.get("output"));
            for (int i = 0; i < t.length; i++) {
                double[] out = f.filter(in[i], t[i]);
                for (int d = 0; d < out.length; d++) {
                    GoldenTest.close(name + " frame " + i + " [" + d + "]", expected[i][d], out[d]);
                }
            }
        }
    }

    @Test
    public void oneEuroKeepsAConstantAndRejectsNonIncreasingTime() {
        OneEuro f = new OneEuro();
        float[][] pose = {{1.5f, -2.0f, 300.0f}, {0.0f, 0.0f, 0.0f}};
        for (int i = 0; i < 50; i++) {
            float[][] out = f.filter(pose, i / 30.0);
            for (int j = 0; j < pose.length; j++) {
                for (int d = 0; d < 3; d++) {
                    assertEquals(pose[j][d], out[j][d], 0.0f);
                }
            }
        }
        try {
            f.filter(pose, 1.0);
            fail("time went backwards");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("increase"));
        }
    }
}
