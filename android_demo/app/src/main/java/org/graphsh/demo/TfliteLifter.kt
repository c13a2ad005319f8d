package org.graphsh.demo

import android.content.Context
import java.io.Closeable
import java.io.FileInputStream
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel
import kotlin.math.max
import org.graphsh.lifter.Adapted
import org.graphsh.lifter.InputChannels
import org.graphsh.lifter.InputNorm
import org.graphsh.lifter.Intrinsics
import org.graphsh.lifter.KeypointAdapter
import org.graphsh.lifter.Layout
import org.graphsh.lifter.LifterCore
import org.graphsh.lifter.LifterStream
import org.graphsh.lifter.Quantization
import org.graphsh.lifter.RootSolver
import org.graphsh.lifter.Skeleton
import org.json.JSONArray
import org.json.JSONObject
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.Tensor

/**
 * The fields of the model's sidecar JSON ("graphsh-tflite/1") the app needs. [trainedCameras]: the training data's
 * cameras ("phone", "h36m", "virtual") when the sidecar carries the run's `data` section as config.json has it
 * (`data.options.cameras`); sidecars of tflite/convert.py do not yet, so it is usually null. [inputNorm]: what
 * `input.normalization` names, [InputNorm.SCREEN] or [InputNorm.POSE] (a model trained with
 * `fit.py --input-norm pose` takes its 2D hip-centred and scaled, after the screen or intrinsics normalization).
 */
data class Sidecar(
    val variant: String,
    val inputName: String,
    val outputName: String,
    val inputQuant: Quantization?,
    val outputQuant: Quantization?,
    val trainedCameras: String? = null,
    val inputNorm: InputNorm = InputNorm.SCREEN,
    val inputChannels: InputChannels = InputChannels.XY,
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
            // the screen or the pose string (absent = screen); anything else throws naming the file and field
            val inputNorm = InputNorm.fromSidecar(input.opt("normalization")?.toString(), source)
            // x, y (absent) or x, y, confidence; anything else throws naming the file and field
            val channels = input.opt("channels")
            val inputChannels = InputChannels.fromSidecar(
                if (channels is JSONArray) (0 until channels.length()).map { channels.get(it) } else channels, source)
            if (output.optString("unit", "mm") != "mm") bad("output.unit", output.opt("unit"), "mm")
            return Sidecar(
                variant = j.optString("variant", "?"),
                inputName = input.optString("name", "keypoints_2d"),
                outputName = output.optString("name", "joints_3d"),
                inputQuant = quant(input, "input", source),
                outputQuant = quant(output, "output", source),
                trainedCameras = j.optJSONObject("data")?.optJSONObject("options")?.optString("cameras", "")
                    ?.takeIf { it.isNotEmpty() },
                inputNorm = inputNorm,
                inputChannels = inputChannels,
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
 * Pre/post-processing is lifter-core's, identical to graphsh_tf.lite.lifter.Lifter.
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
        check(interpreter.getInputTensorFromSignature(sidecar.inputName, SIGNATURE), "input",
            intArrayOf(1, 16, sidecar.inputChannels.count()),
            sidecar.inputQuant)
        check(interpreter.getOutputTensorFromSignature(sidecar.outputName, SIGNATURE), "output", intArrayOf(1, 16, 3),
            sidecar.outputQuant)
    }

    /** One pose: {@code xyPx[K][2]} pixels (+ scores) in [layout] → {@code [16][3]} mm (screen normalization). */
    fun lift(
        xyPx: Array<DoubleArray>,
        scores: DoubleArray?,
        width: Double,
        height: Double,
        layout: Layout,
        minScore: Double = 0.0,
    ): Array<FloatArray> = run(KeypointAdapter.adapt(layout, xyPx, scores, minScore), width, height, null)

    /**
     * One adapted pose (H36M-16 pixels, from [KeypointAdapter.adapt]) → {@code [16][3]} mm; normalized through
     * [normIntrinsics], or the screen normalization when it is null, then as the sidecar's [Sidecar.inputNorm] says
     * (pose models: hip-centred and scaled before int8), with the adapters' confidence as third channel when the
     * sidecar's [Sidecar.inputChannels] has it, as graphsh_tf.keypoints.encode_input.
     */
    fun run(adapted: Adapted, width: Double, height: Double, normIntrinsics: Intrinsics?): Array<FloatArray> {
        val inputs = HashMap<String, Any>()
        val outputs = HashMap<String, Any>()
        val inQ = sidecar.inputQuant
        inputs[sidecar.inputName] = if (inQ == null) {
            arrayOf(LifterCore.encodeFloatInput(adapted, width, height, normIntrinsics, sidecar.inputNorm,
                sidecar.inputChannels))
        } else {
            arrayOf(LifterCore.encodeInt8Input(adapted, width, height, inQ, normIntrinsics, sidecar.inputNorm,
                sidecar.inputChannels))
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

/**
 * How the lifter's input is normalized ([PoseLifter]): through the intrinsics or the screen. Independent of the
 * model's [Sidecar.inputNorm]: a pose model gets the pose step on top of either ([TfliteLifter.run]).
 */
enum class InputNormalization(val id: String) {
    /**
     * Through the camera's intrinsics (`Lifter(..., intrinsics=k)`): the default. It is how models trained with
     * `fit.py --cameras phone` were trained, and on phone views it also beats the image normalization for models
     * trained through the Human3.6M cameras (benchmarks/README.md, "Phone cameras": 54 vs 77 mm).
     */
    INTRINSICS("intrinsics"),

    /** `u = 2x/w - 1, v = 2y/w - h/w` (the sidecar's `input.normalization`; what the app did before). */
    SCREEN("screen");

    companion object {
        /** "intrinsics" / "screen" (e.g. an intent extra); null or empty = [INTRINSICS]. */
        fun fromId(id: String?): InputNormalization = when {
            id.isNullOrEmpty() -> INTRINSICS
            else -> values().firstOrNull { it.id == id }
                ?: throw IllegalArgumentException("normalization '$id': expected intrinsics or screen")
        }
    }
}

/** The phone camera's intrinsics: CameraX gives the analysis frames none, so they come from a field of view. */
object PhoneCamera {
    /**
     * Default horizontal field of view, degrees, across the frame's long side (the sensor's width): typical of a
     * phone's main camera (about 26 mm equivalent focal length gives 65-70 degrees; the training range of
     * `--cameras phone` is 55-80). Override with the intent extra [EXTRA_HFOV].
     */
    const val DEFAULT_HFOV_DEG = 65.0

    /** Intent extra (float, degrees): `adb shell am start -n org.graphsh.demo/.CameraActivity --ef hfov_deg 72`. */
    const val EXTRA_HFOV = "hfov_deg"

    /** Intent extra (string): `intrinsics` (default) or `screen`; see [InputNormalization]. */
    const val EXTRA_NORMALIZATION = "normalization"

    /** Square pixels, principal point at the frame centre, focal from [hfovDeg] across the frame's long side. */
    fun intrinsics(width: Int, height: Int, hfovDeg: Double): Intrinsics {
        val f = Intrinsics.focalFromFov(max(width, height).toDouble(), hfovDeg)
        return Intrinsics(f, f, width / 2.0, height / 2.0)
    }
}

/**
 * graphsh_tf.lite.lifter.Lifter on the phone, for one keypoint layout: adapts the detector keypoints once, runs the
 * model (input normalized through the intrinsics unless [normalization] is SCREEN, then pose-normalized when the
 * model's sidecar says so) and, when intrinsics are given,
 * solves the root position in camera space with lifter-core's [RootSolver] (weighted by the adapter confidences;
 * NaNs when fewer than two joints were seen). Wrap it in a [LifterStream] for smoothing. One thread only.
 */
class PoseLifter(
    val model: TfliteLifter,
    val layout: Layout,
    val minScore: Double,
    val normalization: InputNormalization = InputNormalization.INTRINSICS,
) : LifterStream.Lifter {
    /** As LiftResult.valid: enough joints present and none far outside the image (else: the person is lost). */
    var lastValid = false
        private set

    /** How many of the 16 H36M joints came from present keypoints in the last lift. */
    var lastPresentJoints = 0
        private set

    private var lastRoot: DoubleArray? = null

    /** The input normalization as a status-line label: "intrinsics", "screen", "intrinsics+pose", "screen+pose". */
    val normalizationLabel: String
        get() = normalization.id + if (model.sidecar.inputNorm == InputNorm.POSE) "+pose" else ""

    override fun lift(
        keypointsPx: Array<DoubleArray>,
        scores: DoubleArray?,
        width: Double,
        height: Double,
        intrinsics: Intrinsics?,
    ): Array<FloatArray> {
        val adapted = KeypointAdapter.adapt(layout, keypointsPx, scores, minScore)
        lastPresentJoints = adapted.confidence.count { it > 0 }
        lastValid = LifterCore.validPose(adapted, width, height)
        val normK = if (normalization == InputNormalization.INTRINSICS) intrinsics else null
        val joints = model.run(adapted, width, height, normK)
        lastRoot = intrinsics?.let { RootSolver.solve(adapted, joints, it) }
        return joints
    }

    override fun lastRootMm(): DoubleArray? = lastRoot

    /** Valid and every one of the 16 joints seen: the frame counts towards the person's bone lengths (one body). */
    override fun lastConfident(): Boolean = lastValid && lastPresentJoints == Skeleton.NUM_JOINTS
}
