package org.graphsh.demo

import android.app.Activity
import android.content.Intent
import android.os.Bundle
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView

/** Start screen: lift the bundled samples, lift live camera poses (MoveNet + GraphSH), or benchmark the models. */
class MainActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val models = TfliteLifter.availableModels(this)
        val root = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL; setPadding(32, 32, 32, 32) }
        root.addView(TextView(this).apply {
            text = if (models.isEmpty()) {
                "No model in the APK. Copy graphsh_fp32.tflite + graphsh_fp32.json (see android_demo/README.md), " +
                    "then rebuild."
            } else {
                "Bundled models: ${models.joinToString()}"
            }
        })
        root.addView(Button(this).apply {
            text = "Lift sample sequences"
            isEnabled = models.isNotEmpty()
            setOnClickListener { startActivity(Intent(this@MainActivity, LiftActivity::class.java)) }
        })
        root.addView(Button(this).apply {
            text = "Live camera (MoveNet + lifter)"
            isEnabled = models.isNotEmpty()
            setOnClickListener { startActivity(Intent(this@MainActivity, CameraActivity::class.java)) }
        })
        root.addView(Button(this).apply {
            text = "Benchmark"
            isEnabled = models.isNotEmpty()
            setOnClickListener { startActivity(Intent(this@MainActivity, BenchmarkActivity::class.java)) }
        })
        setContentView(root)
    }
}
