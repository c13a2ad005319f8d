package org.graphsh.lifter;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
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
 * BodyLengths and the one-body step of LifterStream against graphsh_tf.anatomy.BodyLengths + apply_lengths
 * (tests/fixtures/golden/one_body.json, written by tools/write_golden.py): per frame the lengths and the rebuilt pose
 * within 1e-3 mm, with frames not confident, a reset, a window that evicts old frames, a NaN joint and a zero-length
 * bone; and LifterStream.lift = the filtering, then the one-body step.
 */
public class OneBodyGoldenTest {
    private static final double TOL_MM = 1e-3;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> golden() throws IOException {
        String text = new String(Files.readAllBytes(new File(GoldenTest.goldenDir(), "one_body.json").toPath()),
            StandardCharsets.UTF_8);
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(text);
        assertEquals("graphsh-golden/1", root.get("format"));
        return root;
    }

    /** A pose [16][3] whose nulls are NaN. */
    @SuppressWarnings("unchecked")
    private static double[][] pose(Object o) {
        List<Object> rows = (List<Object>) o;
        double[][] m = new double[rows.size()][];
        for (int j = 0; j < m.length; j++) {
            List<Object> r = (List<Object>) rows.get(j);
            m[j] = new double[r.size()];
            for (int k = 0; k < m[j].length; k++) {
                m[j][k] = r.get(k) == null ? Double.NaN : (Double) r.get(k);
            }
        }
        return m;
    }

    private static void near(String what, double expected, double actual) {
        if (Double.isNaN(expected)) {
            assertTrue(what + ": expected NaN, got " + actual, Double.isNaN(actual));
        } else if (!(Math.abs(expected - actual) <= TOL_MM)) {
            fail(what + ": expected " + expected + ", got " + actual);
        }
    }

    @Test
    public void pairsAndDefaultWindowAreAnatomys() throws IOException {
        Map<String, Object> g = golden();
        assertEquals(((Double) g.get("default_window")).intValue(), BodyLengths.DEFAULT_WINDOW);
        double[][] pairs = GoldenTest.matrix(g.get("pairs"));
        assertEquals(pairs.length, BodyLengths.PAIRS.length);
        for (int i = 0; i < pairs.length; i++) {
            assertEquals((int) pairs[i][0], BodyLengths.PAIRS[i][0]);
            assertEquals((int) pairs[i][1], BodyLengths.PAIRS[i][1]);
        }
        assertEquals(BodyLengths.DEFAULT_WINDOW, new BodyLengths().window());
    }

    @Test
    @SuppressWarnings("unchecked")
    public void bodyLengthsMatchPython() throws IOException {
        int frames = 0;
        int notConfident = 0;
        int resets = 0;
        int nans = 0;
        for (Map<String, Object> c : (List<Map<String, Object>>) golden().get("cases")) {
            String name = (String) c.get("name");
            BodyLengths body = new BodyLengths(((Double) c.get("window")).intValue());
            List<Object> poses = (List<Object>) c.get("poses_mm");
            List<Object> lengths = (List<Object>) c.get("lengths_mm");
            List<Object> outs = (List<Object>) c.get("out_poses_mm");
            List<Object> confident = (List<Object>) c.get("confident");
            double[] resetBefore = GoldenTest.vector(c.get("reset_before"));
            for (int i = 0; i < poses.size(); i++) {
                for (double r : resetBefore) {
                    if ((int) r == i) {
                        body.reset();
                        resets++;
                    }
                }
                double[][] p = pose(poses.get(i));
                boolean conf = (Boolean) confident.get(i);
                notConfident += conf ? 0 : 1;
                for (double[] row : p) {
                    nans += Double.isNaN(row[0] + row[1] + row[2]) ? 1 : 0;
                }
                double[] got = body.update(p, conf);
                double[] want = GoldenTest.vector(lengths.get(i));
                assertEquals(BodyLengths.NUM_BONES, got.length);
                for (int k = 0; k < want.length; k++) {
                    near(name + " frame " + i + " length[" + k + "]", want[k], got[k]);
                }
                double[][] out = BodyLengths.applyLengths(p, got);
                double[][] expected = pose(outs.get(i));
                for (int j = 0; j < Skeleton.NUM_JOINTS; j++) {
                    for (int d = 0; d < 3; d++) {
                        near(name + " frame " + i + " joint " + j + "[" + d + "]", expected[j][d], out[j][d]);
                    }
                }
                frames++;
            }
        }
        assertTrue("one_body.json must cover frames not confident, resets and NaN joints: " + frames + " frames, "
            + notConfident + " not confident, " + resets + " resets, " + nans + " NaN joints",
            frames >= 60 && notConfident > 0 && resets > 0 && nans > 0);
    }

    @Test
    public void medianIsNumpys() {
        assertEquals(2.0, BodyLengths.median(new double[] {3.0, 1.0, 2.0}), 0.0);
        assertEquals(2.5, BodyLengths.median(new double[] {4.0, 1.0, 3.0, 2.0}), 0.0);
        assertEquals(7.0, BodyLengths.median(new double[] {7.0}), 0.0);
    }

    @Test
    public void symmetricAndApplyKeepDirectionsAndRoot() {
        double[][] p = new double[Skeleton.NUM_JOINTS][3];
        for (int j = 0; j < p.length; j++) {
            p[j] = new double[] {10.0 + 37.0 * j, -5.0 + 11.0 * (j % 5), 3.0 * j * j};
        }
        double[] b = BodyLengths.boneLengths(p);
        double[] s = BodyLengths.symmetricLengths(b);
        for (int[] lr : BodyLengths.PAIRS) {
            assertEquals(s[lr[0]], s[lr[1]], 0.0);
            assertEquals(0.5 * (b[lr[0]] + b[lr[1]]), s[lr[0]], 1e-9);
        }
        double[][] q = BodyLengths.applyLengths(p, s);
        assertArrayEquals(p[0], q[0], 0.0);
        double[] got = BodyLengths.boneLengths(q);
        for (int j = 1; j < Skeleton.NUM_JOINTS; j++) {
            assertEquals(s[j - 1], got[j - 1], 1e-9);
            int parent = Skeleton.PARENTS[j];
            double dot = 0.0;
            for (int k = 0; k < 3; k++) {
                dot += (p[j][k] - p[parent][k]) * (q[j][k] - q[parent][k]);
            }
            assertEquals(b[j - 1] * s[j - 1], dot, 1e-6 * b[j - 1] * s[j - 1]);  // same direction
        }
        try {
            new BodyLengths(0);
            fail("window 0");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("window"));
        }
    }

    /** Returns the frames of a breathing body, confident except every fifth. */
    private static final class Breathing implements LifterStream.Lifter {
        int calls;

        @Override
        public float[][] lift(double[][] keypointsPx, double[] scores, double width, double height, Intrinsics k) {
            calls++;
            double s = 1.0 + 0.1 * Math.sin(calls);
            float[][] j = new float[Skeleton.NUM_JOINTS][3];
            for (int i = 1; i < j.length; i++) {
                int p = Skeleton.PARENTS[i];
                double len = (60.0 + 13.0 * i) * (i % 3 == 0 ? s : 2.0 - s);
                j[i][0] = (float) (j[p][0] + len * Math.cos(0.7 * i + 0.05 * calls));
                j[i][1] = (float) (j[p][1] + len * Math.sin(0.7 * i + 0.05 * calls));
                j[i][2] = (float) (j[p][2] + 0.3 * len);
            }
            return j;
        }

        @Override
        public double[] lastRootMm() {
            return null;
        }

        @Override
        public boolean lastConfident() {
            return calls % 5 != 0;
        }
    }

    @Test
    public void liftIsTheFilteringThenOneBody() {
        Breathing fake = new Breathing();
        LifterStream stream = new LifterStream(fake);
        assertTrue(stream.oneBody());
        assertFalse(new LifterStream(null, false).oneBody());
        Breathing replay = new Breathing();
        LifterStream plain = new LifterStream(null, false);
        BodyLengths body = new BodyLengths();
        double[][] kp = new double[17][2];
        double spreadRaw = 0.0;
        double spreadOut = 0.0;
        double[] first = null;
        double[] firstRaw = null;
        for (int i = 0; i < 40; i++) {
            double t = 0.5 + i / 30.0;
            if (i == 25) {
                stream.reset();
                plain.reset();
                body.reset();
                first = null;
                firstRaw = null;
            }
            float[][] out = stream.lift(kp, 640, 480, t, null, null);
            float[][] filtered = plain.step(replay.lift(kp, null, 640, 480, null), null, t);
            float[][] expected = BodyLengths.applyLengths(filtered, body.update(filtered, replay.lastConfident()));
            for (int j = 0; j < out.length; j++) {
                assertArrayEquals(expected[j], out[j], 0.0f);
            }
            double[] lengths = BodyLengths.boneLengths(toDouble(out));
            double[] raw = BodyLengths.boneLengths(toDouble(filtered));
            for (int[] lr : BodyLengths.PAIRS) {
                assertEquals(lengths[lr[0]], lengths[lr[1]], 1e-3);  // left = right
            }
            if (i >= 10 && i < 25) {  // one body: the lengths settle while the filtered ones keep breathing
                if (first == null) {
                    first = lengths;
                    firstRaw = raw;
                }
                for (int k = 0; k < lengths.length; k++) {
                    spreadOut = Math.max(spreadOut, Math.abs(lengths[k] - first[k]));
                    spreadRaw = Math.max(spreadRaw, Math.abs(raw[k] - firstRaw[k]));
                }
            }
        }
        assertTrue("one body: lengths spread " + spreadOut + " mm vs filtered " + spreadRaw + " mm",
            spreadRaw > 5.0 && spreadOut < 0.5 * spreadRaw);
    }

    @Test
    public void aLifterThatCannotTellCountsEveryFrame() {
        LifterStream.Lifter silent = new LifterStream.Lifter() {
            @Override
            public float[][] lift(double[][] keypointsPx, double[] scores, double w, double h, Intrinsics k) {
                return new float[Skeleton.NUM_JOINTS][3];
            }

            @Override
            public double[] lastRootMm() {
                return null;
            }
        };
        assertTrue(silent.lastConfident());
    }

    private static double[][] toDouble(float[][] f) {
        double[][] d = new double[f.length][3];
        for (int j = 0; j < f.length; j++) {
            for (int k = 0; k < 3; k++) {
                d[j][k] = f[j][k];
            }
        }
        return d;
    }
}
