package androidx.activity;

import android.app.Activity;
import androidx.lifecycle.Lifecycle;
import androidx.lifecycle.LifecycleOwner;

public class ComponentActivity extends Activity implements LifecycleOwner {
    public ComponentActivity() {}
    @Override public Lifecycle getLifecycle() { throw new RuntimeException("compile stub"); }
    @Deprecated
    @Override public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] grantResults) {}
}
