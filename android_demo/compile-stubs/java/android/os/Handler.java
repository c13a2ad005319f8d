package android.os;

public class Handler {
    public Handler(Looper looper) {}
    public final boolean post(Runnable r) { throw new RuntimeException("compile stub"); }
    public final boolean postDelayed(Runnable r, long delayMillis) { throw new RuntimeException("compile stub"); }
    public final void removeCallbacks(Runnable r) {}
}
