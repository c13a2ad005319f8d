package org.graphsh.demo

import android.app.Activity
import android.os.Bundle
import android.os.Handler
import android.os.Looper
import android.os.SystemClock
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView

/**
 * Plays the bundled 2D sample sequences through the lifter and draws the 3D result (drag to rotate), with the
 * per-frame latency of pre-processing + inference + decoding. The model is tiny (well under a millisecond per
 * pose on recent phones), so it runs on the UI thread here; a camera app would use a worker thread.
 */
class LiftActivity : Activity() {
    private val handler = Handler(Looper.getMainLooper())
    private lateinit var samples: Samples
    private lateinit var view: SkeletonView
    private lateinit var status: TextView
    private var lifter: TfliteLifter? = null
    private var sequence = 0
    private var frame = 0
    private var totalMs = 0.0
    private var count = 0

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        samples = Samples.load(this)
        view = SkeletonView(this)
        status = TextView(this).apply { setPadding(16, 8, 16, 8) }
        val buttons = LinearLayout(this).apply { orientation = LinearLayout.HORIZONTAL }
        for (model in TfliteLifter.availableModels(this)) {
            buttons.addView(Button(this).apply { text = model.removePrefix("graphsh_").removeSuffix(".tflite"); setOnClickListener { open(model) } })
        }
        samples.sequences.forEachIndexed { i, s ->
            buttons.addView(Button(this).apply { text = s.name; setOnClickListener { sequence = i; frame = 0 } })
        }
        val root = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        root.addView(buttons)
        root.addView(status)
        root.addView(view, LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 0, 1f))
        setContentView(root)
        TfliteLifter.availableModels(this).firstOrNull()?.let { open(it) }
    }

    private fun open(model: String) {
        lifter?.close()
        lifter = try {
            TfliteLifter(this, model, threads = 2)
        } catch (e: Exception) {
            status.text = "Cannot load $model: ${e.message}"
            null
        }
        totalMs = 0.0
        count = 0
    }

    private val tick = object : Runnable {
        override fun run() {
            step()
            handler.postDelayed(this, 1000L / samples.fps)
        }
    }

    private fun step() {
        val l = lifter ?: return
        val seq = samples.sequences[sequence]
        frame %= seq.xy.size
        val t0 = SystemClock.elapsedRealtimeNanos()
        val joints = l.lift(seq.xy[frame], seq.scores[frame], samples.width, samples.height, samples.layout)
        val ms = (SystemClock.elapsedRealtimeNanos() - t0) / 1e6
        totalMs += ms
        count++
        status.text = String.format(
            "%s  %s  frame %d/%d  latency %.3f ms (mean %.3f ms)",
            l.sidecar.variant, seq.name, frame + 1, seq.xy.size, ms, totalMs / count,
        )
        view.setJoints(joints)
        frame++
    }

    override fun onResume() {
        super.onResume()
        handler.post(tick)
    }

    override fun onPause() {
        handler.removeCallbacks(tick)
        super.onPause()
    }

    override fun onDestroy() {
        lifter?.close()
        super.onDestroy()
    }
}
