package android.content;

public class Intent {
    public Intent(Context packageContext, Class<?> cls) { throw new RuntimeException("compile stub"); }
    public float getFloatExtra(String name, float defaultValue) { throw new RuntimeException("compile stub"); }
    public boolean getBooleanExtra(String name, boolean defaultValue) { throw new RuntimeException("compile stub"); }
    public String getStringExtra(String name) { throw new RuntimeException("compile stub"); }
}
