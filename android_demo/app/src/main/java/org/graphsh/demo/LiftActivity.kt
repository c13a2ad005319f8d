package org.graphsh.demo

import android.app.Activity
import android.os.Bundle
import android.os.Handler
import android.os.Looper
import android.os.SystemClock
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicBoolean
import org.graphsh.lifter.InputNorm
import org.graphsh.lifter.LifterStream

/**
 * Plays the bundled 2D sample sequences through the lifter and draws the 3D result (drag to rotate), with the
 * per-frame latency of pre-processing + inference + decoding. The samples carry the intrinsics of the camera they
 * were projected through: the input is normalized through them, the root (about 4 m away) is solved with
 * lifter-core's RootSolver ([PoseLifter]) and joints and root are smoothed by a [LifterStream] timed at the
 * samples' frame rate (the button switches smoothing off and on; changing the model or sequence resets it).
 *
 * Threads: the interpreter is created, run and closed on one worker thread ([worker]); the UI thread only posts
 * frames to it (skipping a frame while the previous one is still running) and shows the results. Any failure of
 * loading or running a model (e.g. a sidecar from another export) is shown in the status line; the model is then
 * closed and the other buttons keep working.
 */
class LiftActivity : Activity() {
    private val handler = Handler(Looper.getMainLooper())
    private val worker: ExecutorService = Executors.newSingleThreadExecutor()
    private val busy = AtomicBoolean(false)
    private val resetStream = AtomicBoolean(false)
    @Volatile private var smoothing = true
    private lateinit var samples: Samples
    private lateinit var view: SkeletonView
    private lateinit var status: TextView

    // Owned by the worker thread.
    private var lifter: TfliteLifter? = null
    private var pose: PoseLifter? = null
    private var stream: LifterStream? = null
    private var played = 0L  // frames lifted since the stream started: its clock (played / fps seconds)
    private var totalMs = 0.0
    private var count = 0

    // Owned by the UI thread.
    private var sequence = 0
    private var frame = 0

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        status = TextView(this).apply { setPadding(16, 8, 16, 8) }
        samples = try {
            Samples.load(this)
        } catch (e: Exception) {
            status.text = "Cannot read samples.json: ${e.message}"
            setContentView(status)
            return
        }
        view = SkeletonView(this)
        val buttons = LinearLayout(this).apply { orientation = LinearLayout.HORIZONTAL }
        val models = TfliteLifter.availableModels(this)
        for (model in models) {
            buttons.addView(Button(this).apply {
                text = model.removePrefix("graphsh_").removeSuffix(".tflite")
                setOnClickListener { open(model) }
            })
        }
        samples.sequences.forEachIndexed { i, s ->
            buttons.addView(Button(this).apply {
                text = s.name
                setOnClickListener { sequence = i; frame = 0; resetStream.set(true) }
            })
        }
        buttons.addView(Button(this).apply {
            text = "Smooth: on"
            setOnClickListener {
                smoothing = !smoothing
                text = if (smoothing) "Smooth: on" else "Smooth: off"
                resetStream.set(true)
            }
        })
        val root = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        root.addView(buttons)
        root.addView(status)
        root.addView(view, LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 0, 1f))
        setContentView(root)
        if (models.isEmpty()) status.text = "No model in the APK (see android_demo/README.md)." else open(models.first())
    }

    private fun open(model: String) {
        status.text = "Loading $model ..."
        worker.execute {
            lifter?.close()
            lifter = null
            pose = null
            stream = null
            totalMs = 0.0
            count = 0
            try {
                val l = TfliteLifter(this, model, threads = 2)
                lifter = l
                val p = PoseLifter(l, samples.layout, 0.0, InputNormalization.INTRINSICS)
                pose = p
                stream = LifterStream(p)  // One-Euro defaults for mm at ~30 fps
                played = 0
            } catch (e: Exception) {
                show("Cannot load $model: ${describe(e)}")
            }
        }
    }

    private val tick = object : Runnable {
        override fun run() {
            step()
            handler.postDelayed(this, 1000L / samples.fps.coerceAtLeast(1))
        }
    }

    /** UI thread: hands the next frame to the worker unless it is still busy with the previous one. */
    private fun step() {
        if (!busy.compareAndSet(false, true)) return
        val seq = samples.sequences[sequence]
        frame %= seq.xy.size
        val f = frame
        frame++
        try {
            worker.execute { liftOnWorker(seq, f) }
        } catch (e: java.util.concurrent.RejectedExecutionException) {
            busy.set(false)  // shutting down
        }
    }

    /** Worker thread. */
    private fun liftOnWorker(seq: SampleSequence, f: Int) {
        try {
            val l = lifter ?: return
            val p = pose ?: return
            val s = stream ?: return
            if (resetStream.getAndSet(false)) s.reset()
            val t = played++ / samples.fps.coerceAtLeast(1).toDouble()
            val t0 = SystemClock.elapsedRealtimeNanos()
            val joints: Array<FloatArray>
            val root: DoubleArray?
            try {
                if (smoothing) {
                    joints = s.lift(seq.xy[f], samples.width, samples.height, t, seq.scores[f], samples.intrinsics)
                    root = s.lastRootMm()
                } else {
                    joints = p.lift(seq.xy[f], seq.scores[f], samples.width, samples.height, samples.intrinsics)
                    root = p.lastRootMm()
                }
            } catch (e: Exception) {
                l.close()
                lifter = null
                pose = null
                stream = null
                show("${l.assetName} failed: ${describe(e)}")
                return
            }
            val ms = (SystemClock.elapsedRealtimeNanos() - t0) / 1e6
            totalMs += ms
            count++
            val text = String.format(
                "%s  %s  frame %d/%d  latency %.3f ms (mean %.3f ms)  %s normalization  smoothing %s",
                l.sidecar.variant, seq.name, f + 1, seq.xy.size, ms, totalMs / count,
                (if (samples.intrinsics != null) "intrinsics" else "screen") +
                    (if (l.sidecar.inputNorm == InputNorm.POSE) "+pose" else ""), if (smoothing) "on" else "off",
            )
            runOnUiThread {
                status.text = text
                view.setJoints(joints, root)
            }
        } finally {
            busy.set(false)
        }
    }

    private fun show(message: String) = runOnUiThread { status.text = message }

    private fun describe(e: Exception): String = "${e.javaClass.simpleName}: ${e.message}"

    override fun onResume() {
        super.onResume()
        if (::view.isInitialized) handler.post(tick)
    }

    override fun onPause() {
        handler.removeCallbacks(tick)
        super.onPause()
    }

    override fun onDestroy() {
        handler.removeCallbacks(tick)
        worker.execute {
            lifter?.close()
            lifter = null
            pose = null
            stream = null
        }
        worker.shutdown()
        super.onDestroy()
    }
}
