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

/**
 * Plays the bundled 2D sample sequences through the lifter and draws the 3D result (drag to rotate), with the
 * per-frame latency of pre-processing + inference + decoding.
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
    private lateinit var samples: Samples
    private lateinit var view: SkeletonView
    private lateinit var status: TextView

    // Owned by the worker thread.
    private var lifter: TfliteLifter? = null
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
            buttons.addView(Button(this).apply { text = s.name; setOnClickListener { sequence = i; frame = 0 } })
        }
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
            totalMs = 0.0
            count = 0
            try {
                lifter = TfliteLifter(this, model, threads = 2)
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
            val t0 = SystemClock.elapsedRealtimeNanos()
            val joints = try {
                l.lift(seq.xy[f], seq.scores[f], samples.width, samples.height, samples.layout)
            } catch (e: Exception) {
                l.close()
                lifter = null
                show("${l.assetName} failed: ${describe(e)}")
                return
            }
            val ms = (SystemClock.elapsedRealtimeNanos() - t0) / 1e6
            totalMs += ms
            count++
            val text = String.format(
                "%s  %s  frame %d/%d  latency %.3f ms (mean %.3f ms)",
                l.sidecar.variant, seq.name, f + 1, seq.xy.size, ms, totalMs / count,
            )
            runOnUiThread {
                status.text = text
                view.setJoints(joints)
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
        }
        worker.shutdown()
        super.onDestroy()
    }
}
