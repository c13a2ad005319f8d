package android;

public final class Manifest {
    private Manifest() {}

    public static final class permission {
        public static final String CAMERA = "android.permission.CAMERA";
        private permission() {}
    }
}
