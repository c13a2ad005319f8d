package org.graphsh.demo

import android.content.Context
import java.io.Closeable
import java.io.FileInputStream
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel
import org.graphsh.lifter.Layout
import org.graphsh.lifter.LifterCore
import org.graphsh.lifter.Normalization
import org.graphsh.lifter.Quantization
import org.json.JSONObject
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.Tensor

/** The fields of the model's sidecar JSON ("graphsh-tflite/1") the app needs. */
data class Sidecar(
    val variant: String,
    val inputName: String,
    val outputName: String,
    val inputQuant: Quantization?,
    val outputQuant: Quantization?,
) {
    companion object {
        /** Parses and checks a sidecar; throws IllegalArgumentException naming the file and the field. */
        fun parse(text: String, source: String): Sidecar {
            val j = JSONObject(text)
            fun bad(field: String, got: Any?, want: String): Nothing =
                throw IllegalArgumentException("$source: field '$field' is $got, expected $want")
            if (j.optString("format") != "graphsh-tflite/1") bad("format", j.opt("format"), "graphsh-tflite/1")
            if (j.optString("layout") != "h36m16") bad("layout", j.opt("layout"), "h36m16")
            val input = j.getJSONObject("input")
            val output = j.getJSONObject("output")
            val norm = input.optString("normalization", Normalization.FORMULA)
            if (norm.replace(" ", "") != Normalization.FORMULA.replace(" ", "")) {
                bad("input.normalization", norm, Normalization.FORMULA)
            }
            if (output.optString("unit", "mm") != "mm") bad("output.unit", output.opt("unit"), "mm")
            return Sidecar(
                variant = j.optString("variant", "?"),
                inputName = input.optString("name", "keypoints_2d"),
                outputName = output.optString("name", "joints_3d"),
                inputQuant = quant(input, "input", source),
                outputQuant = quant(output, "output", source),
            )
        }

        private fun quant(t: JSONObject, key: String, source: String): Quantization? {
            return when (val dtype = t.optString("dtype")) {
                "float32" -> null
                "int8" -> {
                    val q = t.optJSONObject("quantization")
                        ?: throw IllegalArgumentException("$source: field '$key.quantization' missing for int8")
                    Quantization(q.getDouble("scale"), q.getInt("zero_point"))
                }
                else -> throw IllegalArgumentException("$source: field '$key.dtype' is '$dtype', expected float32 or int8")
            }
        }
    }
}

/**
 * Detector pixels to root-relative 3D joints in mm with a bundled .tflite (signature "lift") and its sidecar.
 * Pre/post-processing is lifter-core's, identical to graphsh_tf.keypoints.Lifter.
 */
class TfliteLifter(
    context: Context,
    val assetName: String,
    threads: Int = 2,
    useXnnpack: Boolean = true,
    useNnapi: Boolean = false,
) : Closeable {
    val sidecar: Sidecar
    private val interpreter: Interpreter

    init {
        val jsonName = assetName.removeSuffix(".tflite") + ".json"
        val text = try {
            context.assets.open(jsonName).bufferedReader().use { it.readText() }
        } catch (e: java.io.IOException) {
            throw IllegalArgumentException("$jsonName missing next to $assetName: copy the sidecar with the model", e)
        }
        sidecar = Sidecar.parse(text, jsonName)
        val options = Interpreter.Options().setNumThreads(threads).setUseXNNPACK(useXnnpack)
        if (useNnapi) {
            @Suppress("DEPRECATION")
            options.setUseNNAPI(true)
        }
        interpreter = Interpreter(mapAsset(context, assetName), options)
        try {
            checkModelMatchesSidecar(jsonName)
        } catch (e: IllegalArgumentException) {
            interpreter.close()
            throw e
        }
    }

    /**
     * The model's "lift" signature against its sidecar: tensor names, [1,16,2] in / [1,16,3] out, dtypes and int8
     * quantization. A mismatch (a sidecar from another export) throws IllegalArgumentException saying what differs.
     */
    private fun checkModelMatchesSidecar(jsonName: String) {
        fun bad(what: String): Nothing = throw IllegalArgumentException("$assetName does not match $jsonName: $what")
        if (SIGNATURE !in interpreter.signatureKeys) {
            bad("no signature '$SIGNATURE' (has ${interpreter.signatureKeys.joinToString()})")
        }
        val inputs = interpreter.getSignatureInputs(SIGNATURE)
        val outputs = interpreter.getSignatureOutputs(SIGNATURE)
        if (sidecar.inputName !in inputs) bad("input '${sidecar.inputName}' not in the model (${inputs.joinToString()})")
        if (sidecar.outputName !in outputs) bad("output '${sidecar.outputName}' not in the model (${outputs.joinToString()})")
        fun check(t: Tensor, role: String, shape: IntArray, quant: Quantization?) {
            if (!t.shape().contentEquals(shape)) {
                bad("$role shape ${t.shape().contentToString()}, the app feeds ${shape.contentToString()}")
            }
            val want = if (quant == null) DataType.FLOAT32 else DataType.INT8
            if (t.dataType() != want) bad("$role dtype ${t.dataType()} in the model, ${want} in the sidecar")
            if (quant != null) {
                val q = t.quantizationParams()
                if (q.zeroPoint != quant.zeroPoint ||
                    Math.abs(q.scale - quant.scale) > 1e-6 * Math.abs(quant.scale)) {
                    bad("$role quantization (${q.scale}, ${q.zeroPoint}) in the model, " +
                        "(${quant.scale}, ${quant.zeroPoint}) in the sidecar")
                }
            }
        }
        check(interpreter.getInputTensorFromSignature(sidecar.inputName, SIGNATURE), "input", intArrayOf(1, 16, 2),
            sidecar.inputQuant)
        check(interpreter.getOutputTensorFromSignature(sidecar.outputName, SIGNATURE), "output", intArrayOf(1, 16, 3),
            sidecar.outputQuant)
    }

    /** One pose: {@code xyPx[K][2]} pixels (+ scores) in [layout] → {@code [16][3]} mm. */
    fun lift(
        xyPx: Array<DoubleArray>,
        scores: DoubleArray?,
        width: Double,
        height: Double,
        layout: Layout,
        minScore: Double = 0.0,
    ): Array<FloatArray> {
        val inputs = HashMap<String, Any>()
        val outputs = HashMap<String, Any>()
        val inQ = sidecar.inputQuant
        inputs[sidecar.inputName] = if (inQ == null) {
            arrayOf(LifterCore.prepareFloatInput(layout, xyPx, scores, minScore, width, height))
        } else {
            arrayOf(LifterCore.prepareInt8Input(layout, xyPx, scores, minScore, width, height, inQ))
        }
        val outQ = sidecar.outputQuant
        return if (outQ == null) {
            val y = Array(1) { Array(16) { FloatArray(3) } }
            outputs[sidecar.outputName] = y
            interpreter.runSignature(inputs, outputs, SIGNATURE)
            LifterCore.decodeFloat(y[0])
        } else {
            val y = Array(1) { Array(16) { ByteArray(3) } }
            outputs[sidecar.outputName] = y
            interpreter.runSignature(inputs, outputs, SIGNATURE)
            LifterCore.decodeInt8(y[0], outQ)
        }
    }

    override fun close() = interpreter.close()

    companion object {
        /** The SignatureDef name tflite/convert.py exports. */
        const val SIGNATURE = "lift"

        /** Model assets present in the APK, e.g. ["graphsh_fp32.tflite", "graphsh_int8.tflite"]. */
        fun availableModels(context: Context): List<String> =
            listOf("graphsh_fp32.tflite", "graphsh_int8.tflite").filter { name ->
                context.assets.list("")?.contains(name) == true
            }

        fun mapAsset(context: Context, name: String): MappedByteBuffer =
            context.assets.openFd(name).use { fd ->
                FileInputStream(fd.fileDescriptor).use { stream ->
                    stream.channel.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
                }
            }
    }
}
