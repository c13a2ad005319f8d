"""Data: cameras, Human3.6M (VideoPose3D files), BVH motion capture, the synthetic default, MPI-INF-3DHP, tf.data."""
