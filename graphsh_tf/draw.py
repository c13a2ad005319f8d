"""The picture of a lifted frame: the photo with each person's 2D keypoints beside the 3D skeletons in camera
space (matplotlib, rendered off screen to an RGB array). Where the detector has its own 3D (BlazePose's world
landmarks, ``Person.world_mm``), it is drawn beside ours in the 3D view, thinner and in grey, at our solved root."""
from __future__ import annotations

import numpy as np

RIGHT_RGB, LEFT_RGB, MID_RGB = "#ff3b30", "#1e90ff", "#ffd60a"
#: the detector's own 3D (BlazePose 3D): a slate grey, apart from the neutral greys of text and anti-aliasing
DETECTOR_3D_RGB = "#7a828e"


def _bone_colour(j: int) -> str:
    from graphsh_tf.skeleton import H36M16

    if j in H36M16.joints_right:
        return RIGHT_RGB
    return LEFT_RGB if j in H36M16.joints_left else MID_RGB


def render(out: dict, title: str = "", dpi: int = 80) -> np.ndarray:
    """RGB ``(H, W, 3)`` uint8: the frame with each person's 2D keypoints (left) beside the 3D skeletons (right).
    A person whose ``person.world_mm`` is set (the detector's own 3D, hip-centred) gets it drawn too, thin and grey,
    its Hip at our skeleton's (the solved root when there is one), and the 3D view a legend "ours / BlazePose 3D".
    Bones to joints that were not seen in the image (``LiftResult.in_image``) are drawn thin and dotted."""
    import matplotlib

    matplotlib.use("Agg")
    from graphsh_tf.skeleton import H36M16, LAYOUTS

    import matplotlib.pyplot as plt

    rgb = out["frame"].rgb
    h, w = rgb.shape[:2]
    fig = plt.figure(figsize=(12, 6), dpi=dpi)
    ax2 = fig.add_subplot(1, 2, 1)
    ax2.imshow(rgb)
    ax2.set_axis_off()
    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    pts3 = []
    detector_3d = False
    for n, p in enumerate(out["persons"]):
        person, res = p["person"], p["result"]
        skel = LAYOUTS.get(person.layout)
        kp = person.keypoints_px
        if skel is not None:
            for j, parent in skel.edges:
                if parent >= 0 and min(person.scores[j], person.scores[parent]) > 0.3:
                    ax2.plot(kp[[j, parent], 0], kp[[j, parent], 1], "-", color="white", lw=1.2, alpha=0.8)
        ok = person.scores > 0.3
        ax2.scatter(kp[ok, 0], kp[ok, 1], s=10, c="lime", edgecolors="black", linewidths=0.4, zorder=3)
        xy16 = np.asarray(res.keypoints_px)
        for j, parent in H36M16.edges:
            ax2.plot(xy16[[j, parent], 0], xy16[[j, parent], 1], "-", color=_bone_colour(j), lw=2.2)
        ax2.text(kp[:, 0].min(), max(kp[:, 1].min() - 8, 10), f"#{n}" + ("" if res.valid else " (not valid)"),
                 color="white", fontsize=9, bbox={"facecolor": "black", "alpha": 0.5, "pad": 1})
        j3 = p["camera_mm"] if p["camera_mm"] is not None else np.asarray(res.joints_mm) + [1500.0 * n, 0, 4000]
        j3 = np.asarray(j3) / 1000.0
        pts3.append(j3)
        seen = getattr(res, "in_image", None)
        seen = np.ones(len(j3), bool) if seen is None else np.asarray(seen, bool)
        for j, parent in H36M16.edges:
            # plotted as (x, z, -y): camera right, depth away from the camera, up; a bone to a joint that was not
            # seen in the image (a desk webcam's legs) is a thin dotted guess, not drawn as if seen
            style = ("-", 2.5) if seen[j] and seen[parent] else (":", 1.2)
            ax3.plot(j3[[j, parent], 0], j3[[j, parent], 2], -j3[[j, parent], 1], style[0], color=_bone_colour(j),
                     lw=style[1])
        world = getattr(person, "world_mm", None)
        if world is not None and np.all(np.isfinite(world)):
            # the detector's own 3D, centred on its Hip: placed at ours (camera_mm's Hip is the solved root)
            w3 = (np.asarray(world, np.float64) - np.asarray(world, np.float64)[0]) / 1000.0 + j3[0]
            pts3.append(w3)
            detector_3d = True
            for j, parent in H36M16.edges:
                ax3.plot(w3[[j, parent], 0], w3[[j, parent], 2], -w3[[j, parent], 1], "-", color=DETECTOR_3D_RGB,
                         lw=1.3)
        head = j3[H36M16.index("Head")]
        ax3.text(head[0], head[2], -head[1] + 0.12, f"#{n}", fontsize=9)
    ax2.set_xlim(0, w)
    ax2.set_ylim(h, 0)
    ax2.set_title(title or out["frame"].source, fontsize=9)
    if pts3:
        allp = np.concatenate(pts3)
        mid = (allp.max(0) + allp.min(0)) / 2
        r = max(float((allp.max(0) - allp.min(0)).max()) / 2, 1.0)
        ax3.set_xlim(mid[0] - r, mid[0] + r)
        ax3.set_ylim(mid[2] - r, mid[2] + r)
        ax3.set_zlim(-mid[1] - r, -mid[1] + r)
    else:
        ax2.text(w / 2, h / 2, "no person found", color="white", ha="center", fontsize=14,
                 bbox={"facecolor": "black", "alpha": 0.6})
    ax3.set_xlabel("x right (m)")
    ax3.set_ylabel("depth (m)")
    ax3.set_zlabel("up (m)")
    ax3.view_init(elev=12, azim=-70)
    if detector_3d:
        from matplotlib.legend_handler import HandlerTuple
        from matplotlib.lines import Line2D

        ours = tuple(Line2D([], [], color=c, lw=2.5) for c in (RIGHT_RGB, LEFT_RGB, MID_RGB))
        ax3.legend([ours, Line2D([], [], color=DETECTOR_3D_RGB, lw=1.3)], ["ours", "BlazePose 3D"],
                   handler_map={tuple: HandlerTuple(ndivide=None, pad=0)}, loc="upper left", fontsize=8,
                   framealpha=0.8)
    ax3.set_title("3D, camera space (root solved from the field of view)", fontsize=9)
    fig.tight_layout()
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return img
