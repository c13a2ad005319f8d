"""tf_keras layers of GraphSH (importing this package registers them for model loading)."""
from graphsh_tf.layers.graph_conv import CONV_TYPES, GraphConv, graph_conv
from graphsh_tf.layers.hourglass import graph_conv_block, graph_hourglass
from graphsh_tf.layers.input_norm import InputNormalization, input_contract, model_input_layer
from graphsh_tf.layers.pooling import SkeletalPool, SkeletalUnpool
from graphsh_tf.layers.se import se_block
from graphsh_tf.layers.temporal import CropTime, FoldTime, NewestFrame, UnfoldTime

CUSTOM_OBJECTS = {"SkeletalPool": SkeletalPool, "SkeletalUnpool": SkeletalUnpool,
                  "InputNormalization": InputNormalization,
                  "FoldTime": FoldTime, "UnfoldTime": UnfoldTime, "CropTime": CropTime, "NewestFrame": NewestFrame,
                  **{c.__name__: c for c in CONV_TYPES.values()}}

__all__ = ["CONV_TYPES", "GraphConv", "graph_conv", "InputNormalization", "input_contract", "model_input_layer",
           "SkeletalPool", "SkeletalUnpool", "graph_conv_block", "graph_hourglass", "se_block", "CUSTOM_OBJECTS"]
