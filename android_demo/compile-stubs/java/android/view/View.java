package android.view;

import android.content.Context;
import android.graphics.Canvas;

public class View {
    public interface OnClickListener {
        void onClick(View v);
    }

    public View(Context context) {}
    public void invalidate() {}
    public boolean onTouchEvent(MotionEvent event) { throw new RuntimeException("compile stub"); }
    protected void onDraw(Canvas canvas) {}
    public final int getWidth() { throw new RuntimeException("compile stub"); }
    public final int getHeight() { throw new RuntimeException("compile stub"); }
    public void setPadding(int left, int top, int right, int bottom) {}
    public boolean isEnabled() { throw new RuntimeException("compile stub"); }
    public void setEnabled(boolean enabled) {}
    public void setOnClickListener(OnClickListener l) {}
}
