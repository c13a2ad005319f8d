package org.graphsh.lifter;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.junit.Test;

/** Hand-made checks of lifter-core that do not need the golden files. */
public class LifterCoreTest {
    private static double[][] coco(double base) {
        double[][] k = new double[17][2];
        for (int i = 0; i < 17; i++) {
            k[i][0] = base + 10 * i;
            k[i][1] = base + 7 * i;
        }
        return k;
    }

    @Test
    public void pelvisIsMidHips() {
        double[][] k = coco(100);
        Adapted a = KeypointAdapter.adapt(Layout.COCO17, k, null, 0.0);
        assertEquals((k[11][0] + k[12][0]) / 2, a.xy[Skeleton.HIP][0], 1e-12);
        assertEquals(1.0, a.confidence[Skeleton.HIP], 0.0);
    }

    @Test
    public void headFallsBackToNose() {
        double[] s = new double[17];
        java.util.Arrays.fill(s, 0.9);
        s[3] = 0.0;
        s[4] = 0.0;
        Adapted a = KeypointAdapter.adapt(Layout.COCO17, coco(50), s, 0.0);
        assertEquals(coco(50)[0][0], a.xy[9][0], 1e-12);
        assertEquals(0.9, a.confidence[9], 0.0);
    }

    @Test
    public void wrongShapeNamesExpectedShape() {
        try {
            KeypointAdapter.adapt(Layout.COCO17, new double[16][2], null, 0.0);
            fail("expected IllegalArgumentException");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("(17, 2)"));
        }
    }

    @Test
    public void quantizeRoundsAwayFromZeroAndClips() {
        Quantization q = new Quantization(0.25, 3);
        assertEquals(4, q.quantize(0.125));
        assertEquals(2, q.quantize(-0.125));
        assertEquals(127, q.quantize(100.0));
        assertEquals(-128, q.quantize(-100.0));
        assertEquals(1.0f, q.dequantize(7), 0.0f);
    }
}
