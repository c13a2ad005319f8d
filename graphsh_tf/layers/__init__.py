"""tf_keras layers of GraphSH (importing this package registers them for model loading)."""
from graphsh_tf.config import GCN_TYPES
from graphsh_tf.layers.graph_conv import GraphConv
from graphsh_tf.layers.hourglass import graph_conv_block, graph_hourglass
from graphsh_tf.layers.input_norm import InputNormalization, input_contract, model_input_layer
from graphsh_tf.layers.pooling import SkeletalPool, SkeletalUnpool
from graphsh_tf.layers.se import se_block

CUSTOM_OBJECTS = {"GraphConv": GraphConv, "SkeletalPool": SkeletalPool, "SkeletalUnpool": SkeletalUnpool,
                  "InputNormalization": InputNormalization}

__all__ = ["GCN_TYPES", "GraphConv", "InputNormalization", "input_contract", "model_input_layer", "SkeletalPool",
           "SkeletalUnpool", "graph_conv_block", "graph_hourglass", "se_block", "CUSTOM_OBJECTS"]
