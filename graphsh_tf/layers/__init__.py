"""tf_keras layers of GraphSH (importing this package registers them for model loading)."""
from graphsh_tf.config import GCN_TYPES
from graphsh_tf.layers.graph_conv import GraphConv
from graphsh_tf.layers.hourglass import graph_conv_block, graph_hourglass
from graphsh_tf.layers.pose_norm import PoseNormalize
from graphsh_tf.layers.pooling import SkeletalPool, SkeletalUnpool
from graphsh_tf.layers.se import se_block

CUSTOM_OBJECTS = {"GraphConv": GraphConv, "SkeletalPool": SkeletalPool, "SkeletalUnpool": SkeletalUnpool,
                  "PoseNormalize": PoseNormalize}

__all__ = ["GCN_TYPES", "GraphConv", "PoseNormalize", "SkeletalPool", "SkeletalUnpool", "graph_conv_block", "graph_hourglass",
           "se_block", "CUSTOM_OBJECTS"]
