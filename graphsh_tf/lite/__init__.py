"""TFLite: :mod:`~graphsh_tf.lite.folded` (the inference graph from Keras weights), :mod:`~graphsh_tf.lite.calibrate`
(representative poses, head equalization), :mod:`~graphsh_tf.lite.qat` (quantization-aware fine-tuning),
:mod:`~graphsh_tf.lite.convert` (one variant's flatbuffer), :mod:`~graphsh_tf.lite.metadata` (variants, file names,
the sidecar and its one reader), :mod:`~graphsh_tf.lite.export` (the only module that uses both QAT and the
converter), :mod:`~graphsh_tf.lite.runtime` (interpreter, predictor, op lists),
:mod:`~graphsh_tf.lite.bench` and :mod:`~graphsh_tf.lite.lifter` (``Lifter``)."""
