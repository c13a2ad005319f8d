"""TFLite: :mod:`~graphsh_tf.lite.variants` (THE table of variants: converter settings, I/O types, file names),
:mod:`~graphsh_tf.lite.folded` (the inference graph rebuilt from Keras weights, one emitter per layer type) with
:mod:`~graphsh_tf.lite.fold_ops` (its building blocks), :mod:`~graphsh_tf.lite.hooks` (constants and int8 ranges)
and :mod:`~graphsh_tf.lite.head` (head equalization), :mod:`~graphsh_tf.lite.calibrate` (representative poses,
head factors), :mod:`~graphsh_tf.lite.qat` (quantization-aware fine-tuning), :mod:`~graphsh_tf.lite.convert` (one
variant's flatbuffer), :mod:`~graphsh_tf.lite.metadata` (the sidecar and its one reader),
:mod:`~graphsh_tf.lite.export` (the only module that uses both QAT and the converter),
:mod:`~graphsh_tf.lite.temporal` (the temporal lifter's export: its Keras graph and the stream's two signatures),
:mod:`~graphsh_tf.lite.runtime` (interpreter, predictor, op lists), :mod:`~graphsh_tf.lite.bench` (host latency),
:mod:`~graphsh_tf.lite.benchmark_log` (phone ``benchmark_model`` logs) and :mod:`~graphsh_tf.lite.lifter`
(``Lifter``)."""
