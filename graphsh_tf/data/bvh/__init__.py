"""BVH motion capture: the parser (:mod:`.parse`), the writer (:mod:`.write`), forward kinematics and the joint maps
to H36M16 (:mod:`.joints`) and the ``bvh:DIR`` data source (:mod:`.source`). Rendering through cameras is
:mod:`graphsh_tf.data.render`, shared with the other sources."""

from graphsh_tf.data.bvh.joints import (
                                        BANDAI_NAMCO_MAP,
                                        BUILTIN_MAPS,
                                        CMU_MAP,
                                        clip_fk,
                                        h36m_world_poses,
                                        load_joint_map,
                                        resolve_joint_map,
)
from graphsh_tf.data.bvh.parse import MAX_ABS_VALUE, BvhClip, BvhError, parse_bvh
from graphsh_tf.data.bvh.source import center_on_origin, clip_action, is_test_clip, list_bvh, load_bvh_dir
from graphsh_tf.data.bvh.write import write_bvh

__all__ = ["BANDAI_NAMCO_MAP", "BUILTIN_MAPS", "CMU_MAP", "MAX_ABS_VALUE", "BvhClip", "BvhError", "center_on_origin",
           "clip_action", "clip_fk", "h36m_world_poses", "is_test_clip", "list_bvh", "load_bvh_dir",
           "load_joint_map", "parse_bvh", "resolve_joint_map", "write_bvh"]
