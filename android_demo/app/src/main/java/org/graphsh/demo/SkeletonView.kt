package org.graphsh.demo

import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.view.MotionEvent
import android.view.View
import kotlin.math.cos
import kotlin.math.min
import kotlin.math.sin
import kotlin.math.sqrt
import org.graphsh.lifter.Skeleton

/**
 * Draws 16 root-relative joints (mm, camera axes: x right, y down, z forward) as a stick figure, orthographic,
 * rotated by yaw/pitch the user changes by dragging. Left limbs blue, right limbs red. With a root position (the
 * pelvis in camera space, mm) it also writes the person's distance from the camera and the root coordinates.
 */
class SkeletonView(context: Context) : View(context) {
    private var joints: Array<FloatArray>? = null
    private var yaw = 0.0
    private var pitch = 0.0
    private var lastX = 0f
    private var lastY = 0f
    private val edges = Skeleton.edges()
    private val left = setOf(4, 5, 6, 10, 11, 12)
    private val right = setOf(1, 2, 3, 13, 14, 15)
    private val bone = Paint(Paint.ANTI_ALIAS_FLAG).apply { strokeWidth = 8f; strokeCap = Paint.Cap.ROUND }
    private val dot = Paint(Paint.ANTI_ALIAS_FLAG).apply { color = Color.DKGRAY }
    private val ground = Paint().apply { color = Color.LTGRAY; strokeWidth = 2f }
    private val label = Paint(Paint.ANTI_ALIAS_FLAG).apply { color = Color.DKGRAY; textSize = 36f }
    private var root: DoubleArray? = null

    /** Root-relative joints [16][3] mm and, if known, the root {tx, ty, tz} mm in camera space (NaNs: unknown). */
    fun setJoints(mm: Array<FloatArray>, rootMm: DoubleArray? = null) {
        joints = mm
        root = rootMm
        invalidate()
    }

    override fun onTouchEvent(event: MotionEvent): Boolean {
        when (event.actionMasked) {
            MotionEvent.ACTION_DOWN -> { lastX = event.x; lastY = event.y }
            MotionEvent.ACTION_MOVE -> {
                yaw += (event.x - lastX) * 0.01
                pitch = (pitch - (event.y - lastY) * 0.01).coerceIn(-1.5, 1.5)
                lastX = event.x
                lastY = event.y
                invalidate()
            }
        }
        return true
    }

    private fun project(p: FloatArray, scale: Float, cx: Float, cy: Float): FloatArray {
        // yaw about the vertical (y) axis, then pitch about the horizontal (x) axis
        val x1 = p[0] * cos(yaw) + p[2] * sin(yaw)
        val z1 = -p[0] * sin(yaw) + p[2] * cos(yaw)
        val y2 = p[1] * cos(pitch) - z1 * sin(pitch)
        return floatArrayOf(cx + (x1 * scale).toFloat(), cy + (y2 * scale).toFloat())
    }

    override fun onDraw(canvas: Canvas) {
        super.onDraw(canvas)
        canvas.drawColor(Color.WHITE)
        val j = joints ?: return
        val scale = min(width, height) / 2200f  // ~2.2 m fit the shorter side
        val cx = width / 2f
        val cy = height / 2f
        canvas.drawLine(0f, cy, width.toFloat(), cy, ground)
        val pts = Array(j.size) { project(j[it], scale, cx, cy) }
        for (e in edges) {
            bone.color = when (e[0]) {
                in left -> Color.rgb(30, 90, 220)
                in right -> Color.rgb(220, 50, 40)
                else -> Color.DKGRAY
            }
            canvas.drawLine(pts[e[0]][0], pts[e[0]][1], pts[e[1]][0], pts[e[1]][1], bone)
        }
        for (p in pts) canvas.drawCircle(p[0], p[1], 7f, dot)
        val r = root ?: return
        val text = if (r.all { it.isFinite() }) {
            String.format("%.2f m from the camera  (x %+.2f, y %+.2f, z %.2f m)",
                sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]) / 1000.0, r[0] / 1000.0, r[1] / 1000.0, r[2] / 1000.0)
        } else {
            "distance unknown (too few joints)"
        }
        canvas.drawText(text, 24f, height - 24f, label)
    }
}
