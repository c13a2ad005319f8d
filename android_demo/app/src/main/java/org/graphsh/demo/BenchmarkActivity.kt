package org.graphsh.demo

import android.app.Activity
import android.os.Bundle
import android.os.SystemClock
import android.widget.ScrollView
import android.widget.TextView

/**
 * Latency of one lift call (pre-processing + inference + decoding) for every bundled model on the CPU
 * (1/2/4 threads, XNNPACK on and off) and with NNAPI, 30 warm-up and 300 timed runs each, on a worker thread.
 * GPU and per-op numbers: benchmark/run_benchmark.sh (TFLite's benchmark_model).
 */
class BenchmarkActivity : Activity() {
    private lateinit var out: TextView
    @Volatile private var cancelled = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        out = TextView(this).apply { setPadding(24, 24, 24, 24); typeface = android.graphics.Typeface.MONOSPACE }
        setContentView(ScrollView(this).apply { addView(out) })
        out.text = "model        config            mean    p50     p90   (ms)\n"
        Thread { run() }.start()
    }

    override fun onDestroy() {
        cancelled = true
        super.onDestroy()
    }

    private fun run() {
        val samples = Samples.load(this)
        val seq = samples.sequences.first()
        data class Config(val label: String, val threads: Int, val xnnpack: Boolean, val nnapi: Boolean)
        val configs = listOf(1, 2, 4).flatMap { t ->
            listOf(Config("cpu t=$t xnn", t, true, false), Config("cpu t=$t", t, false, false))
        } + Config("nnapi", 1, false, true)
        for (model in TfliteLifter.availableModels(this)) {
            for (c in configs) {
                if (cancelled) return
                val line = try {
                    TfliteLifter(this, model, c.threads, c.xnnpack, c.nnapi).use { l ->
                        val times = DoubleArray(300)
                        for (i in 0 until 30 + times.size) {
                            val f = i % seq.xy.size
                            val t0 = SystemClock.elapsedRealtimeNanos()
                            l.lift(seq.xy[f], seq.scores[f], samples.width, samples.height, samples.layout)
                            val ms = (SystemClock.elapsedRealtimeNanos() - t0) / 1e6
                            if (i >= 30) times[i - 30] = ms
                        }
                        times.sort()
                        String.format("%-12s %-16s %6.3f  %6.3f  %6.3f", model.removeSuffix(".tflite"), c.label,
                            times.average(), times[times.size / 2], times[(times.size * 9) / 10])
                    }
                } catch (e: Exception) {
                    String.format("%-12s %-16s failed: %s", model.removeSuffix(".tflite"), c.label, e.message)
                }
                runOnUiThread { out.append(line + "\n") }
            }
        }
        runOnUiThread { out.append("done\n") }
    }
}
