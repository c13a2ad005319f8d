package org.graphsh.demo

import android.Manifest
import android.content.pm.PackageManager
import android.os.Bundle
import android.os.Handler
import android.os.Looper
import android.os.SystemClock
import android.widget.LinearLayout
import android.widget.TextView
import androidx.activity.ComponentActivity
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.camera.lifecycle.ProcessCameraProvider
import java.util.concurrent.Executor
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import org.graphsh.lifter.Layout

/**
 * Live camera path: CameraX frames (RGBA, back camera, latest frame only) → MoveNet SinglePose on the detector's
 * letterboxed input → 17 COCO keypoints in pixels → lifter-core adapter/normalization and the GraphSH lifter →
 * 3D skeleton (drag to rotate), with the latency of each stage. Detection and lifting run on one worker thread
 * ([analysisThread]); any failure is shown on screen and stops the analysis.
 */
class CameraActivity : ComponentActivity() {
    private val handler = Handler(Looper.getMainLooper())
    private val mainThread = Executor { handler.post(it) }
    private val analysisThread: ExecutorService = Executors.newSingleThreadExecutor()
    private lateinit var view: SkeletonView
    private lateinit var status: TextView
    private var provider: ProcessCameraProvider? = null

    // Owned by the analysis thread.
    private var detector: MoveNetDetector? = null
    private var lifter: TfliteLifter? = null
    private var failed = false
    private var frames = 0
    private var detectorMs = 0.0
    private var lifterMs = 0.0

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        view = SkeletonView(this)
        status = TextView(this).apply { setPadding(16, 8, 16, 8) }
        val root = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        root.addView(status)
        root.addView(view, LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 0, 1f))
        setContentView(root)

        val detectors = MoveNetDetector.availableModels(this)
        val lifters = TfliteLifter.availableModels(this)
        when {
            detectors.isEmpty() -> status.text = "No MoveNet model in the APK: run ./gradlew :app:fetchMoveNet or put " +
                "${MoveNetDetector.NAMES.first()} into android_demo/models/ (see android_demo/README.md), then rebuild."
            lifters.isEmpty() -> status.text = "No GraphSH model in the APK (see android_demo/README.md)."
            checkSelfPermission(Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED ->
                start(detectors.first(), lifters.first())
            else -> {
                status.text = "Waiting for the camera permission ..."
                requestPermissions(arrayOf(Manifest.permission.CAMERA), REQUEST_CAMERA)
            }
        }
    }

    @Deprecated("ComponentActivity deprecates it in favour of the Activity Result API; kept: no extra dependency")
    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        @Suppress("DEPRECATION")
        super.onRequestPermissionsResult(requestCode, permissions, grantResults)
        if (requestCode != REQUEST_CAMERA) return
        if (grantResults.isNotEmpty() && grantResults[0] == PackageManager.PERMISSION_GRANTED) {
            start(MoveNetDetector.availableModels(this).first(), TfliteLifter.availableModels(this).first())
        } else {
            status.text = "The live camera screen needs the camera permission."
        }
    }

    private fun start(detectorAsset: String, lifterAsset: String) {
        status.text = "Loading $detectorAsset and $lifterAsset ..."
        analysisThread.execute {
            try {
                detector = MoveNetDetector(this, detectorAsset)
                lifter = TfliteLifter(this, lifterAsset, threads = 2)
            } catch (e: Exception) {
                fail("Cannot load the models: ${e.javaClass.simpleName}: ${e.message}")
            }
        }
        val future = ProcessCameraProvider.getInstance(this)
        future.addListener({
            try {
                val p = future.get()
                provider = p
                val analysis = ImageAnalysis.Builder()
                    .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                    .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
                    .build()
                analysis.setAnalyzer(analysisThread) { image -> analyze(image) }
                p.unbindAll()
                p.bindToLifecycle(this, CameraSelector.DEFAULT_BACK_CAMERA, analysis)
            } catch (e: Exception) {
                status.text = "Cannot open the camera: ${e.javaClass.simpleName}: ${e.message}"
            }
        }, mainThread)
    }

    /** Analysis thread: one frame through detector and lifter; the frame is always closed. */
    private fun analyze(image: ImageProxy) {
        try {
            val d = detector
            val l = lifter
            if (failed || d == null || l == null) return
            val plane = image.planes[0]
            val t0 = SystemClock.elapsedRealtimeNanos()
            val kp = d.detect(plane.buffer, image.width, image.height, plane.rowStride, plane.pixelStride,
                image.imageInfo.rotationDegrees)
            val t1 = SystemClock.elapsedRealtimeNanos()
            val joints = l.lift(kp.xy, kp.scores, kp.width.toDouble(), kp.height.toDouble(), Layout.COCO17, MIN_SCORE)
            val t2 = SystemClock.elapsedRealtimeNanos()
            frames++
            detectorMs += (t1 - t0) / 1e6
            lifterMs += (t2 - t1) / 1e6
            val visible = kp.scores.count { it >= MIN_SCORE }
            val text = String.format(
                "%s + %s  %dx%d  keypoints %d/17\ndetector %.2f ms (mean %.2f)  lifter %.3f ms (mean %.3f)",
                d.assetName.removeSuffix(".tflite"), l.sidecar.variant, kp.width, kp.height, visible,
                (t1 - t0) / 1e6, detectorMs / frames, (t2 - t1) / 1e6, lifterMs / frames,
            )
            runOnUiThread {
                status.text = text
                view.setJoints(joints)
            }
        } catch (e: Exception) {
            fail("Analysis failed: ${e.javaClass.simpleName}: ${e.message}")
        } finally {
            image.close()
        }
    }

    /** Analysis thread: stop analysing, say why. */
    private fun fail(message: String) {
        failed = true
        runOnUiThread { status.text = message }
    }

    override fun onDestroy() {
        provider?.unbindAll()
        analysisThread.execute {
            detector?.close()
            lifter?.close()
            detector = null
            lifter = null
        }
        analysisThread.shutdown()
        super.onDestroy()
    }

    companion object {
        private const val REQUEST_CAMERA = 1
        /** MoveNet keypoints below this score are treated as missing by the adapter (confidence 0, fallback). */
        private const val MIN_SCORE = 0.2
    }
}
