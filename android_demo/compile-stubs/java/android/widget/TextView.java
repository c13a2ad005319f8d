package android.widget;

import android.content.Context;
import android.graphics.Typeface;
import android.view.View;

public class TextView extends View {
    public TextView(Context context) { super(context); }
    public CharSequence getText() { throw new RuntimeException("compile stub"); }
    public final void setText(CharSequence text) {}
    public final void append(CharSequence text) {}
    public Typeface getTypeface() { throw new RuntimeException("compile stub"); }
    public void setTypeface(Typeface tf) {}
}
