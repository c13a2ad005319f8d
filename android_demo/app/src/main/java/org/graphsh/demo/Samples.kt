package org.graphsh.demo

import android.content.Context
import org.graphsh.lifter.Intrinsics
import org.graphsh.lifter.Layout
import org.json.JSONObject

/** One 2D sequence of assets/samples.json: frames[f][k] = (x, y) pixels, scores[f][k]. */
class SampleSequence(val name: String, val xy: List<Array<DoubleArray>>, val scores: List<DoubleArray>)

/**
 * assets/samples.json, written by tools/write_golden.py; [intrinsics]: the camera the sequences were projected
 * through (null in an older file).
 */
class Samples(
    val layout: Layout,
    val width: Double,
    val height: Double,
    val fps: Int,
    val sequences: List<SampleSequence>,
    val intrinsics: Intrinsics? = null,
) {
    companion object {
        fun load(context: Context): Samples {
            val j = JSONObject(context.assets.open("samples.json").bufferedReader().use { it.readText() })
            val size = j.getJSONArray("image_size")
            val seqs = j.getJSONArray("sequences")
            val out = ArrayList<SampleSequence>()
            for (s in 0 until seqs.length()) {
                val seq = seqs.getJSONObject(s)
                val frames = seq.getJSONArray("frames")
                val xy = ArrayList<Array<DoubleArray>>()
                val sc = ArrayList<DoubleArray>()
                for (f in 0 until frames.length()) {
                    val rows = frames.getJSONArray(f)
                    xy.add(Array(rows.length()) { k -> doubleArrayOf(rows.getJSONArray(k).getDouble(0), rows.getJSONArray(k).getDouble(1)) })
                    sc.add(DoubleArray(rows.length()) { k -> rows.getJSONArray(k).getDouble(2) })
                }
                out.add(SampleSequence(seq.getString("name"), xy, sc))
            }
            val k = j.optJSONArray("intrinsics")?.let { Intrinsics(it.getDouble(0), it.getDouble(1), it.getDouble(2), it.getDouble(3)) }
            return Samples(Layout.fromId(j.getString("layout")), size.getDouble(0), size.getDouble(1), j.optInt("fps", 24), out, k)
        }
    }
}
