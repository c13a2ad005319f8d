package org.graphsh.lifter;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * The camera path's pure pieces (letterbox of a rotated RGBA frame, MoveNet decoding to pixels, then the COCO-17
 * adapter + normalization) against golden/camera.json, a test resource written by
 * tests/test_android_camera_golden.py with a numpy reference. RGB bytes agree exactly; pixels within 1e-9;
 * model inputs within 1e-5.
 */
public class CameraGoldenTest {
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> cases(String key) throws IOException {
        try (InputStream in = CameraGoldenTest.class.getResourceAsStream("/golden/camera.json")) {
            assertNotNull("golden/camera.json not on the test classpath (lifter-core/src/test/resources)", in);
            Map<String, Object> root = (Map<String, Object>) MiniJson.parse(
                new String(in.readAllBytes(), StandardCharsets.UTF_8));
            assertEquals("graphsh-golden/1", root.get("format"));
            List<Map<String, Object>> cases = (List<Map<String, Object>>) root.get(key);
            assertTrue("camera.json has no " + key + " cases", cases.size() > 0);
            return cases;
        }
    }

    private static int integer(Object o) {
        return (int) Math.round((Double) o);
    }

    private static int[] ints(Object o) {
        double[] d = GoldenTest.vector(o);
        int[] v = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            v[i] = (int) Math.round(d[i]);
        }
        return v;
    }

    private static Letterbox box(Map<String, Object> c) {
        int[] sensor = ints(c.get("sensor_size"));
        return new Letterbox(sensor[0], sensor[1], integer(c.get("rotation")), integer(c.get("size")));
    }

    @Test
    public void letterboxMatchesPython() throws IOException {
        for (Map<String, Object> c : cases("letterbox")) {
            String name = (String) c.get("name");
            Letterbox b = box(c);
            assertArrayEquals(name + " upright size", ints(c.get("upright_size")), new int[] {b.width, b.height});
            assertEquals(name + " scale", (Double) c.get("scale"), b.scale, 1e-12);
            double[] pad = GoldenTest.vector(c.get("pad"));
            assertEquals(name + " padX", pad[0], b.padX, 1e-12);
            assertEquals(name + " padY", pad[1], b.padY, 1e-12);

            int[] rgba = ints(c.get("rgba"));
            // a buffer whose position is not 0 (a slice of a larger one): reads are relative to the position
            ByteBuffer buf = ByteBuffer.allocate(rgba.length + 5);
            buf.position(5);
            for (int v : rgba) {
                buf.put((byte) v);
            }
            buf.position(5);
            byte[] out = new byte[b.size * b.size * 3];
            b.fillRgb(buf, integer(c.get("row_stride")), integer(c.get("pixel_stride")), out);
            assertEquals(name + " buffer position kept", 5, buf.position());
            int[] want = ints(c.get("rgb"));
            assertEquals(name, want.length, out.length);
            for (int i = 0; i < want.length; i++) {
                if ((out[i] & 0xff) != want[i]) {
                    fail(name + ": byte " + i + " (row " + (i / 3 / b.size) + ", col " + (i / 3 % b.size) + ", channel "
                        + (i % 3) + ") is " + (out[i] & 0xff) + ", Python says " + want[i]);
                }
            }
        }
    }

    @Test
    public void moveNetDecodingAndLifterInputMatchPython() throws IOException {
        for (Map<String, Object> c : cases("movenet")) {
            String name = (String) c.get("name");
            Letterbox b = box(c);
            double[][] raw = GoldenTest.matrix(c.get("raw"));
            float[][][][] out = new float[1][1][MoveNet.KEYPOINTS][3];
            for (int k = 0; k < MoveNet.KEYPOINTS; k++) {
                for (int j = 0; j < 3; j++) {
                    out[0][0][k][j] = (float) raw[k][j];
                }
            }
            Keypoints2D kp = MoveNet.decode(out, b);
            assertArrayEquals(name + " frame size", ints(c.get("upright_size")), new int[] {kp.width, kp.height});
            double[][] xy = GoldenTest.matrix(c.get("xy"));
            for (int k = 0; k < xy.length; k++) {
                assertArrayEquals(name + " keypoint " + k, xy[k], kp.xy[k], 1e-9);
            }
            assertArrayEquals(name + " scores", GoldenTest.vector(c.get("scores")), kp.scores, 1e-9);
            float[][] x = LifterCore.prepareFloatInput(Layout.COCO17, kp.xy, kp.scores, (Double) c.get("min_score"),
                kp.width, kp.height);
            double[][] want = GoldenTest.matrix(c.get("input_float"));
            assertEquals(name, want.length, x.length);
            for (int j = 0; j < want.length; j++) {
                for (int d = 0; d < 2; d++) {
                    GoldenTest.close(name + " input[" + j + "][" + d + "]", want[j][d], x[j][d]);
                }
            }
        }
    }

    @Test
    public void badArgumentsAreRefused() {
        try {
            new Letterbox(640, 480, 45, 192);
            fail("rotation 45 accepted");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("rotationDegrees"));
        }
        try {
            MoveNet.decode(new float[50], new Letterbox(640, 480, 0, 192));
            fail("50 values accepted");
        } catch (IllegalArgumentException expected) {
            assertTrue(expected.getMessage().contains("51"));
        }
    }
}
