package android.graphics;

public class Color {
    public static final int DKGRAY = 0xFF444444;
    public static final int LTGRAY = 0xFFCCCCCC;
    public static final int WHITE = 0xFFFFFFFF;
    public static int rgb(int red, int green, int blue) { throw new RuntimeException("compile stub"); }
}
