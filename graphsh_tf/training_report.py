"""Moved to :mod:`graphsh_tf.report` (figures) and :mod:`graphsh_tf.evaluate` (eval.json/eval.md). Old names kept."""
from graphsh_tf.evaluate import eval_markdown, write_eval  # noqa: F401
from graphsh_tf.report import plot_curves, plot_skeletons  # noqa: F401
