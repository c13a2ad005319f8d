package android.app;

import android.content.Intent;
import android.os.Bundle;
import android.view.ContextThemeWrapper;
import android.view.View;

public class Activity extends ContextThemeWrapper {
    public Activity() {}
    protected void onCreate(Bundle savedInstanceState) {}
    protected void onResume() {}
    protected void onPause() {}
    protected void onDestroy() {}
    public void setContentView(View view) {}
    public final void runOnUiThread(Runnable action) {}
    public void startActivity(Intent intent) {}
    public Intent getIntent() { throw new RuntimeException("compile stub"); }
    public final void requestPermissions(String[] permissions, int requestCode) {}
    public void onRequestPermissionsResult(int requestCode, String[] permissions, int[] grantResults) {}
}
