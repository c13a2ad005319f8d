package android.content;

import android.content.res.AssetManager;

public class ContextWrapper extends Context {
    public ContextWrapper(Context base) { throw new RuntimeException("compile stub"); }
    @Override public AssetManager getAssets() { throw new RuntimeException("compile stub"); }
    @Override public int checkSelfPermission(String permission) { throw new RuntimeException("compile stub"); }
}
