package android.graphics;

public class Paint {
    public static final int ANTI_ALIAS_FLAG = 1;

    public enum Cap { BUTT, ROUND, SQUARE }

    public Paint() {}
    public Paint(int flags) {}
    public int getColor() { throw new RuntimeException("compile stub"); }
    public void setColor(int color) {}
    public float getStrokeWidth() { throw new RuntimeException("compile stub"); }
    public void setStrokeWidth(float width) {}
    public Cap getStrokeCap() { throw new RuntimeException("compile stub"); }
    public void setStrokeCap(Cap cap) {}
    public float getTextSize() { throw new RuntimeException("compile stub"); }
    public void setTextSize(float textSize) {}
}
