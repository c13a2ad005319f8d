package android.view;

public final class MotionEvent {
    public static final int ACTION_DOWN = 0;
    public static final int ACTION_MOVE = 2;
    private MotionEvent() {}
    public final int getActionMasked() { throw new RuntimeException("compile stub"); }
    public final float getX() { throw new RuntimeException("compile stub"); }
    public final float getY() { throw new RuntimeException("compile stub"); }
}
