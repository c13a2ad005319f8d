package org.graphsh.lifter;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
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
 * LifterStream against graphsh_tf.smoothing.LifterStream.step (tests/fixtures/golden/stream.json, written by
 * tools/write_golden.py): smoothed joints and root within 1e-5 relative, frame by frame, with NaN roots, frames
 * without a root, irregular timestamps, dropped frames and resets; plus the wrapping of a lifter.
 */
public class StreamGoldenTest {
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> cases() throws IOException {
        String text = new String(Files.readAllBytes(new File(GoldenTest.goldenDir(), "stream.json").toPath()),
            StandardCharsets.UTF_8);
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(text);
        assertEquals("graphsh-golden/1", root.get("format"));
        List<Map<String, Object>> cases = (List<Map<String, Object>>) root.get("cases");
        assertTrue("stream.json has no cases", cases != null && cases.size() >= 3);
        return cases;
    }

    /** A root row: null (no root) or 3 numbers where null means NaN. */
    @SuppressWarnings("unchecked")
    private static double[] nullableRoot(Object o) {
        if (o == null) {
            return null;
        }
        List<Object> v = (List<Object>) o;
        double[] a = new double[v.size()];
        for (int k = 0; k < a.length; k++) {
            a[k] = v.get(k) == null ? Double.NaN : (Double) v.get(k);
        }
        return a;
    }

    private static float[][] floats(double[][] m) {
        float[][] f = new float[m.length][];
        for (int j = 0; j < m.length; j++) {
            f[j] = new float[m[j].length];
            for (int k = 0; k < m[j].length; k++) {
                f[j][k] = (float) m[j][k];
            }
        }
        return f;
    }

    @Test
    @SuppressWarnings("unchecked")
    public void stepMatchesPython() throws IOException {
        int nanRoots = 0;
        int missingRoots = 0;
        int resets = 0;
        for (Map<String, Object> c : cases()) {
            String name = (String) c.get("name");
            double minCutoff = (Double) c.get("min_cutoff");
            double beta = (Double) c.get("beta");
            double dCutoff = (Double) c.get("d_cutoff");
            LifterStream stream = name.startsWith("defaults") ? new LifterStream(null)
                : new LifterStream(null, minCutoff, beta, dCutoff);
            if (name.startsWith("defaults")) {  // Python's defaults = Java's
                assertEquals(OneEuro.DEFAULT_MIN_CUTOFF, minCutoff, 0.0);
                assertEquals(OneEuro.DEFAULT_BETA, beta, 0.0);
                assertEquals(OneEuro.DEFAULT_D_CUTOFF, dCutoff, 0.0);
            }
            double[] t = GoldenTest.vector(c.get("timestamps"));
            List<Object> jointsIn = (List<Object>) c.get("joints_mm");
            List<Object> rootsIn = (List<Object>) c.get("root_mm");
            List<Object> jointsOut = (List<Object>) c.get("out_joints_mm");
            List<Object> rootsOut = (List<Object>) c.get("out_root_mm");
            double[] resetBefore = GoldenTest.vector(c.get("reset_before"));
            for (int i = 0; i < t.length; i++) {
                for (double r : resetBefore) {
                    if ((int) r == i) {
                        stream.reset();
                        assertNull(stream.lastRootMm());
                        resets++;
                    }
                }
                double[] rootIn = nullableRoot(rootsIn.get(i));
                if (rootIn == null) {
                    missingRoots++;
                } else if (Double.isNaN(rootIn[0]) || Double.isNaN(rootIn[1]) || Double.isNaN(rootIn[2])) {
                    nanRoots++;
                }
                float[][] out = stream.step(floats(GoldenTest.matrix(jointsIn.get(i))), rootIn, t[i]);
                double[][] expected = GoldenTest.matrix(jointsOut.get(i));
                assertEquals(Skeleton.NUM_JOINTS, out.length);
                for (int j = 0; j < expected.length; j++) {
                    for (int d = 0; d < 3; d++) {
                        GoldenTest.close(name + " frame " + i + " joint " + j + "[" + d + "]", expected[j][d],
                            out[j][d]);
                    }
                }
                double[] rootExpected = nullableRoot(rootsOut.get(i));
                double[] root = stream.lastRootMm();
                if (rootExpected == null) {
                    assertNull(name + " frame " + i + ": no root expected", root);
                    continue;
                }
                assertTrue(name + " frame " + i + ": a root expected", root != null && root.length == 3);
                for (int d = 0; d < 3; d++) {
                    String what = name + " frame " + i + " root[" + d + "]";
                    if (Double.isNaN(rootExpected[d])) {
                        assertTrue(what + ": expected NaN, got " + root[d], Double.isNaN(root[d]));
                    } else {
                        GoldenTest.close(what, rootExpected[d], root[d]);
                    }
                }
            }
        }
        assertTrue("golden cases must cover NaN roots, missing roots and resets",
            nanRoots > 0 && missingRoots > 0 && resets > 0);
    }

    /** A fake lifter: fixed joints plus a per-call offset, and a root when intrinsics are given. */
    private static final class FakeLifter implements LifterStream.Lifter {
        int calls;
        Intrinsics lastIntrinsics;
        private double[] root;

        @Override
        public float[][] lift(double[][] keypointsPx, double[] scores, double width, double height, Intrinsics k) {
            calls++;
            lastIntrinsics = k;
            float[][] j = new float[Skeleton.NUM_JOINTS][3];
            for (int i = 1; i < j.length; i++) {
                j[i][0] = 10f * i + (calls % 2 == 0 ? 5f : -5f);
                j[i][1] = -20f * i;
                j[i][2] = 3f * i;
            }
            root = k == null ? null : new double[] {100.0, -50.0, 3000.0 + (calls % 2 == 0 ? 40.0 : -40.0)};
            return j;
        }

        @Override
        public double[] lastRootMm() {
            return root;
        }
    }

    @Test
    public void liftWrapsTheLifterAndSmoothsJointsAndRoot() {
        FakeLifter fake = new FakeLifter();
        LifterStream stream = new LifterStream(fake, false);  // the filtering alone (one body: OneBodyGoldenTest)
        Intrinsics k = Intrinsics.fromFov(640, 480, 65.0);
        double[][] kp = new double[17][2];
        LifterStream reference = new LifterStream(null, false);
        FakeLifter replay = new FakeLifter();
        double maxJitter = 0.0;
        double prevZ = Double.NaN;
        for (int i = 0; i < 60; i++) {
            double t = LifterStream.seconds(1_000_000_000L + i * 33_333_333L);
            float[][] out = stream.lift(kp, 640, 480, t, null, k);
            assertTrue(fake.lastIntrinsics == k);
            // lift = the lifter's output through step()
            float[][] lifted = replay.lift(kp, null, 640, 480, k);
            float[][] expected = reference.step(lifted, replay.lastRootMm(), t);
            for (int j = 0; j < out.length; j++) {
                assertArrayEquals(expected[j], out[j], 0.0f);
            }
            assertArrayEquals(reference.lastRootMm(), stream.lastRootMm(), 0.0);
            double z = stream.lastRootMm()[2];
            if (i > 30) {
                maxJitter = Math.max(maxJitter, Math.abs(z - prevZ));
            }
            prevZ = z;
        }
        // the raw root alternates +-40 mm (80 mm steps); smoothed it barely moves once settled
        assertTrue("root jitter " + maxJitter, maxJitter < 0.25 * 80.0);
        // without intrinsics the lifter gives no root, and neither does the stream
        stream.lift(kp, 640, 480, 10.0, null, null);
        assertNull(stream.lastRootMm());
        stream.reset();
        assertNull(stream.lastRootMm());
        float[][] first = stream.lift(kp, 640, 480, 11.0, null, k);
        assertEquals(10f * 1 + (fake.calls % 2 == 0 ? 5f : -5f), first[1][0], 0.0f);  // after reset: passes through
    }

    @Test
    public void timestampsMustIncreaseAndNothingIsUpdatedOtherwise() {
        LifterStream stream = new LifterStream(null);
        float[][] pose = new float[Skeleton.NUM_JOINTS][3];
        stream.step(pose, new double[] {1.0, 2.0, 3000.0}, 5.0);
        try {
            stream.step(pose, new double[] {9.0, 9.0, 9.0}, 5.0);
            fail("same timestamp twice");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("increase"));
        }
        assertArrayEquals(new double[] {1.0, 2.0, 3000.0}, stream.lastRootMm(), 0.0);
        try {
            new LifterStream(null).lift(new double[17][2], 640, 480, 0.0, null, null);
            fail("no lifter");
        } catch (IllegalStateException expected) {
            assertTrue(expected.getMessage().contains("step"));
        }
        try {
            new LifterStream(null, 0.0, 0.01, 1.0);
            fail("min_cutoff 0");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("min_cutoff"));
        }
    }

    @Test
    public void encodeInputAndValidityMatchThePrepareFunctions() {
        double[][] xy = new double[17][2];
        double[] scores = new double[17];
        for (int k = 0; k < 17; k++) {
            xy[k][0] = 100 + 20 * k;
            xy[k][1] = 400 - 15 * k;
            scores[k] = k < 12 ? 0.9 : 0.1;
        }
        Intrinsics cam = Intrinsics.fromFov(1280, 720, 65.0);
        Adapted a = KeypointAdapter.adapt(Layout.COCO17, xy, scores, 0.2);
        for (Intrinsics k : new Intrinsics[] {null, cam}) {
            float[][] viaPrepare = LifterCore.prepareFloatInput(Layout.COCO17, xy, scores, 0.2, 1280, 720, k);
            float[][] viaEncode = LifterCore.encodeFloatInput(a, 1280, 720, k);
            for (int j = 0; j < viaPrepare.length; j++) {
                assertArrayEquals(viaPrepare[j], viaEncode[j], 0.0f);
            }
        }
        assertTrue(LifterCore.validPose(a, 1280, 720));
        double[] few = new double[17];
        few[11] = 0.9;
        few[12] = 0.9;
        assertFalse(LifterCore.validPose(KeypointAdapter.adapt(Layout.COCO17, xy, few, 0.2), 1280, 720));
        double[][] far = new double[17][];
        for (int k = 0; k < 17; k++) {
            far[k] = xy[k].clone();
        }
        far[9][0] = 2000.0;  // left wrist > half an image outside (x > 1.5 w)
        assertFalse(LifterCore.validPose(KeypointAdapter.adapt(Layout.COCO17, far, scores, 0.2), 1280, 720));
    }
}
