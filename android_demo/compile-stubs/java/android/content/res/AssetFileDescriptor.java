package android.content.res;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.IOException;

public class AssetFileDescriptor implements Closeable {
    private AssetFileDescriptor() {}
    public FileDescriptor getFileDescriptor() { throw new RuntimeException("compile stub"); }
    public long getStartOffset() { throw new RuntimeException("compile stub"); }
    public long getDeclaredLength() { throw new RuntimeException("compile stub"); }
    @Override public void close() throws IOException {}
}
