"""Training: :mod:`~graphsh_tf.train.strategy` (tf.distribute from a name and TF_CONFIG),
:mod:`~graphsh_tf.train.optim` (Adam/AdamW, LR schedule, loss and metric), :mod:`~graphsh_tf.train.callbacks`
(run directory, TensorBoard, LR) and :mod:`~graphsh_tf.train.loop` (:func:`train`, the fit recipe). The named
recipes are :data:`graphsh_tf.config.RECIPES`."""
