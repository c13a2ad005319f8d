"""Moved to :mod:`graphsh_tf.lite.metadata`. Old names kept."""
from graphsh_tf.io import atomic_write_bytes as write_atomic  # noqa: F401
from graphsh_tf.lite.metadata import (  # noqa: F401
    FORMAT, METADATA_NAME, NORMALIZATION, MetadataError, build_metadata, embed_metadata, read_embedded,
    read_metadata, sidecar_path, write_report, write_sidecar)
