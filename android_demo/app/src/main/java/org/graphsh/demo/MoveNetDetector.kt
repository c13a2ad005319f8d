package org.graphsh.demo

import android.content.Context
import java.io.Closeable
import java.nio.ByteBuffer
import java.nio.ByteOrder
import org.graphsh.lifter.Keypoints2D
import org.graphsh.lifter.Letterbox
import org.graphsh.lifter.MoveNet
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter

/**
 * MoveNet SinglePose (Lightning or Thunder, the .tflite from the MoveNet model page: input [1, S, S, 3] uint8 or
 * float32 RGB in 0..255, output [1, 1, 17, 3] (y, x, score)) on an RGBA camera frame. The letterbox, rotation and
 * decoding to pixels are lifter-core's ([Letterbox], [MoveNet]); this class only owns the interpreter and buffers.
 * Not thread-safe: use one instance from one thread.
 */
class MoveNetDetector(context: Context, val assetName: String, threads: Int = 2) : Closeable {
    private val interpreter: Interpreter
    val size: Int
    private val floatInput: Boolean
    private val rgb: ByteArray
    private val input: ByteBuffer
    private val output = Array(1) { Array(1) { Array(MoveNet.KEYPOINTS) { FloatArray(3) } } }

    init {
        interpreter = Interpreter(TfliteLifter.mapAsset(context, assetName), Interpreter.Options().setNumThreads(threads))
        try {
            val t = interpreter.getInputTensor(0)
            val shape = t.shape()
            if (shape.size != 4 || shape[0] != 1 || shape[1] != shape[2] || shape[3] != 3) {
                throw IllegalArgumentException("$assetName: input shape ${shape.contentToString()}, expected [1, S, S, 3]")
            }
            floatInput = when (t.dataType()) {
                DataType.UINT8 -> false
                DataType.FLOAT32 -> true
                else -> throw IllegalArgumentException("$assetName: input dtype ${t.dataType()}, expected UINT8 or FLOAT32")
            }
            val out = interpreter.getOutputTensor(0).shape()
            if (!out.contentEquals(intArrayOf(1, 1, MoveNet.KEYPOINTS, 3))) {
                throw IllegalArgumentException("$assetName: output shape ${out.contentToString()}, expected [1, 1, 17, 3]" +
                    " (MoveNet SinglePose; MultiPose is not supported)")
            }
            size = shape[1]
        } catch (e: IllegalArgumentException) {
            interpreter.close()
            throw e
        }
        rgb = ByteArray(size * size * 3)
        input = ByteBuffer.allocateDirect(rgb.size * (if (floatInput) 4 else 1)).order(ByteOrder.nativeOrder())
    }

    /** One RGBA sensor frame (row/pixel strides in bytes, CameraX rotation) → 17 COCO keypoints, upright pixels. */
    fun detect(rgba: ByteBuffer, sensorWidth: Int, sensorHeight: Int, rowStride: Int, pixelStride: Int,
               rotationDegrees: Int): Keypoints2D {
        val box = Letterbox(sensorWidth, sensorHeight, rotationDegrees, size)
        box.fillRgb(rgba, rowStride, pixelStride, rgb)
        input.clear()
        if (floatInput) {
            for (b in rgb) input.putFloat((b.toInt() and 0xff).toFloat())
        } else {
            input.put(rgb)
        }
        input.rewind()
        interpreter.run(input, output)
        return MoveNet.decode(output, box)
    }

    override fun close() = interpreter.close()

    companion object {
        /** Detector assets present in the APK, Lightning first. */
        val NAMES = listOf("movenet_singlepose_lightning.tflite", "movenet_singlepose_thunder.tflite")

        fun availableModels(context: Context): List<String> {
            val assets = context.assets.list("")?.toSet() ?: emptySet()
            return NAMES.filter { it in assets }
        }
    }
}
