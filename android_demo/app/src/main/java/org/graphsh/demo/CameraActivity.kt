package org.graphsh.demo

import android.Manifest
import android.content.pm.PackageManager
import android.os.Bundle
import android.os.Handler
import android.os.Looper
import android.os.SystemClock
import android.widget.Button
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
import org.graphsh.lifter.LifterStream

/**
 * Live camera path: CameraX frames (RGBA, back camera, latest frame only) → MoveNet SinglePose on the detector's
 * letterboxed input → 17 COCO keypoints in pixels → [PoseLifter] (lifter-core adapter, normalization through the
 * camera's intrinsics, the GraphSH model, the root position from [org.graphsh.lifter.RootSolver]) → [LifterStream]
 * (One-Euro smoothing of joints and root, timed by the frames' camera timestamps) → 3D skeleton (drag to rotate)
 * with the distance of the person from the camera, and the latency of each stage. Detection and lifting run on one
 * worker thread ([analysisThread]); any failure is shown on screen and stops the analysis.
 *
 * CameraX gives no intrinsics for the analysis frames: they come from a horizontal field of view across the frame's
 * long side, [PhoneCamera.DEFAULT_HFOV_DEG] unless the intent extra `hfov_deg` says otherwise; the intent extra
 * `normalization` = `screen` switches back to the image normalization ([InputNormalization]).
 */
class CameraActivity : ComponentActivity() {
    private val handler = Handler(Looper.getMainLooper())
    private val mainThread = Executor { handler.post(it) }
    private val analysisThread: ExecutorService = Executors.newSingleThreadExecutor()
    private lateinit var view: SkeletonView
    private lateinit var status: TextView
    private var provider: ProcessCameraProvider? = null
    private var hfovDeg = PhoneCamera.DEFAULT_HFOV_DEG
    private var normalization = InputNormalization.INTRINSICS
    @Volatile private var smoothing = true

    // Owned by the analysis thread.
    private var detector: MoveNetDetector? = null
    private var lifter: TfliteLifter? = null
    private var pose: PoseLifter? = null
    private var stream: LifterStream? = null
    private var lastT = Double.NEGATIVE_INFINITY
    private var failed = false
    private var frames = 0
    private var detectorMs = 0.0
    private var lifterMs = 0.0

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        view = SkeletonView(this)
        status = TextView(this).apply { setPadding(16, 8, 16, 8) }
        val toggle = Button(this).apply {
            text = "Smoothing: on"
            setOnClickListener { smoothing = !smoothing; text = if (smoothing) "Smoothing: on" else "Smoothing: off" }
        }
        val root = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        root.addView(toggle)
        root.addView(status)
        root.addView(view, LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 0, 1f))
        setContentView(root)

        try {
            hfovDeg = intent.getFloatExtra(PhoneCamera.EXTRA_HFOV, PhoneCamera.DEFAULT_HFOV_DEG.toFloat()).toDouble()
            PhoneCamera.intrinsics(640, 480, hfovDeg)  // checks the range
            normalization = InputNormalization.fromId(intent.getStringExtra(PhoneCamera.EXTRA_NORMALIZATION))
        } catch (e: IllegalArgumentException) {
            status.text = "Bad intent extra: ${e.message}"
            return
        }
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
                val l = TfliteLifter(this, lifterAsset, threads = 2)
                lifter = l
                val p = PoseLifter(l, Layout.COCO17, MIN_SCORE, normalization)
                pose = p
                stream = LifterStream(p)  // One-Euro defaults for mm at ~30 fps
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
            val p = pose
            val s = stream
            if (failed || d == null || l == null || p == null || s == null) return
            val plane = image.planes[0]
            val t = LifterStream.seconds(image.imageInfo.timestamp)  // the frame's capture time, not a frame count
            val t0 = SystemClock.elapsedRealtimeNanos()
            val kp = d.detect(plane.buffer, image.width, image.height, plane.rowStride, plane.pixelStride,
                image.imageInfo.rotationDegrees)
            val t1 = SystemClock.elapsedRealtimeNanos()
            val w = kp.width.toDouble()
            val h = kp.height.toDouble()
            val k = PhoneCamera.intrinsics(kp.width, kp.height, hfovDeg)
            if (!(t > lastT) || !smoothing) s.reset()  // the timestamps must increase; off: start afresh when on
            lastT = t
            val joints: Array<FloatArray>
            val root: DoubleArray?
            if (smoothing) {
                joints = s.lift(kp.xy, w, h, t, kp.scores, k)
                root = s.lastRootMm()
            } else {
                joints = p.lift(kp.xy, kp.scores, w, h, k)
                root = p.lastRootMm()
            }
            if (!p.lastValid) s.reset()  // the person is lost: the next valid frame starts the filters afresh
            val t2 = SystemClock.elapsedRealtimeNanos()
            frames++
            detectorMs += (t1 - t0) / 1e6
            lifterMs += (t2 - t1) / 1e6
            val visible = kp.scores.count { it >= MIN_SCORE }
            val text = String.format(
                "%s + %s  %dx%d  keypoints %d/17  joints %d/16%s\n" +
                    "%s normalization, hfov %.0f deg (fx %.0f px)%s  smoothing %s\n" +
                    "detector %.2f ms (mean %.2f)  lifter %.3f ms (mean %.3f)",
                d.assetName.removeSuffix(".tflite"), l.sidecar.variant, kp.width, kp.height, visible,
                p.lastPresentJoints, if (p.lastValid) "" else " (no person)", p.normalizationLabel, hfovDeg, k.fx,
                l.sidecar.trainedCameras?.let { ", trained on $it cameras" } ?: "", if (smoothing) "on" else "off",
                (t1 - t0) / 1e6, detectorMs / frames, (t2 - t1) / 1e6, lifterMs / frames,
            )
            val valid = p.lastValid
            runOnUiThread {
                status.text = text
                if (valid) view.setJoints(joints, root)
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
            pose = null
            stream = null
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
