"""Human3.6M cameras: intrinsics, per-subject extrinsics, world↔camera transforms, projection with distortion.

Units: world and camera coordinates in millimetres; image coordinates in pixels. The camera frame is x right,
y down, z forward (looking direction). The world frame of Human3.6M is z up with the floor at z = 0.

Projection (VideoPose3D's model of the original MATLAB code), for a camera-space point ``(X, Y, Z)``:
``a = (X/Z, Y/Z)``, ``r2 = |a|^2``, ``radial = 1 + k1 r2 + k2 r2^2 + k3 r2^3``, ``tan = p1 a_x + p2 a_y``,
``d = a (radial + tan) + (p1, p2) r2``, ``pixel = f * d + c``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

from graphsh_tf.frame import normalize_screen_coordinates

import numpy as np

#: Intrinsics of the four Human3.6M cameras: id, focal (fx, fy) px, centre (cx, cy) px, radial (k1, k2, k3),
#: tangential (p1, p2), (res_w, res_h) px. Values as published with VideoPose3D.
_INTRINSICS = (
    ("54138969", (1145.0494384765625, 1143.7811279296875), (512.54150390625, 515.4514770507812),
     (-0.20709891617298126, 0.24777518212795258, -0.0030751503072679043),
     (-0.0009756988729350269, -0.00142447161488235), (1000, 1002)),
    ("55011271", (1149.6756591796875, 1147.5916748046875), (508.8486328125, 508.0649108886719),
     (-0.1942136287689209, 0.2404085397720337, 0.006819975562393665),
     (-0.0016190266469493508, -0.0027408944442868233), (1000, 1000)),
    ("58860488", (1149.1407470703125, 1148.7989501953125), (519.8158569335938, 501.40264892578125),
     (-0.2083381861448288, 0.25548800826072693, -0.0024604974314570427),
     (0.0014843869721516967, -0.0007599993259645998), (1000, 1000)),
    ("60457274", (1145.5113525390625, 1144.77392578125), (514.9682006835938, 501.88201904296875),
     (-0.198384091258049, 0.21832367777824402, -0.008947807364165783),
     (-0.0005872055771760643, -0.0018133620033040643), (1000, 1002)),
)

#: Extrinsics per subject, one entry per camera (same order as _INTRINSICS): orientation quaternion (w, x, y, z)
#: rotating camera axes into world axes, and the camera centre in world millimetres. As published with VideoPose3D.
_EXTRINSICS = {
    "S1": (
        ((0.1407056450843811, -0.1500701755285263, -0.755240797996521, 0.6223280429840088),
         (1841.1070556640625, 4955.28466796875, 1563.4454345703125)),
        ((0.6157187819480896, -0.764836311340332, -0.14833825826644897, 0.11794740706682205),
         (1761.278564453125, -5078.0068359375, 1606.2650146484375)),
        ((0.14651472866535187, -0.14647851884365082, 0.7653023600578308, -0.6094175577163696),
         (-1846.7777099609375, 5215.04638671875, 1491.972412109375)),
        ((0.5834008455276489, -0.7853162288665771, 0.14548823237419128, -0.14749594032764435),
         (-1794.7896728515625, -3722.698974609375, 1574.8927001953125)),
    ),
    "S5": (
        ((0.1467377245426178, -0.162370964884758, -0.7551892995834351, 0.6178938746452332),
         (2097.3916015625, 4880.94482421875, 1605.732421875)),
        ((0.6159758567810059, -0.7626792192459106, -0.15728192031383514, 0.1189815029501915),
         (2031.7008056640625, -5167.93310546875, 1612.923095703125)),
        ((0.14291371405124664, -0.12907841801643372, 0.7678384780883789, -0.6110143065452576),
         (-1620.5948486328125, 5171.65869140625, 1496.43701171875)),
        ((0.5920479893684387, -0.7814217805862427, 0.1274748593568802, -0.15036417543888092),
         (-1637.1737060546875, -3867.3173828125, 1547.033203125)),
    ),
    "S6": (
        ((0.1337897777557373, -0.15692396461963654, -0.7571090459823608, 0.6198879480361938),
         (1935.4517822265625, 4950.24560546875, 1618.0838623046875)),
        ((0.6147197484970093, -0.7628812789916992, -0.16174767911434174, 0.11819244921207428),
         (1969.803955078125, -5128.73876953125, 1632.77880859375)),
        ((0.1529948115348816, -0.13529130816459656, 0.7646096348762512, -0.6112781167030334),
         (-1769.596435546875, 5185.361328125, 1476.993408203125)),
        ((0.5916101336479187, -0.7804774045944214, 0.12832270562648773, -0.1561593860387802),
         (-1721.668701171875, -3884.13134765625, 1540.4879150390625)),
    ),
    "S7": (
        ((0.1435241848230362, -0.1631336808204651, -0.7548328638076782, 0.6188824772834778),
         (1974.512939453125, 4926.3544921875, 1597.8326416015625)),
        ((0.6141672730445862, -0.7638262510299683, -0.1596645563840866, 0.1177929937839508),
         (1937.0584716796875, -5119.7900390625, 1631.5665283203125)),
        ((0.14550060033798218, -0.12874816358089447, 0.7660516500473022, -0.6127139329910278),
         (-1741.8111572265625, 5208.24951171875, 1464.8245849609375)),
        ((0.5912848114967346, -0.7821764349937439, 0.12445473670959473, -0.15196487307548523),
         (-1734.7105712890625, -3832.42138671875, 1548.5830078125)),
    ),
    "S8": (
        ((0.14110587537288666, -0.15589867532253265, -0.7561917304992676, 0.619644045829773),
         (2150.65185546875, 4896.1611328125, 1611.9046630859375)),
        ((0.6169601678848267, -0.7647668123245239, -0.14846350252628326, 0.11158157885074615),
         (2219.965576171875, -5148.453125, 1613.0440673828125)),
        ((0.1471444070339203, -0.13377119600772858, 0.7670128345489502, -0.6100369691848755),
         (-1571.2215576171875, 5137.0185546875, 1498.1761474609375)),
        ((0.5927824378013611, -0.7825870513916016, 0.12147816270589828, -0.14631995558738708),
         (-1476.913330078125, -3896.7412109375, 1547.97216796875)),
    ),
    "S9": (
        ((0.15540587902069092, -0.15548215806484222, -0.7532095313072205, 0.6199594736099243),
         (2044.45849609375, 4935.1171875, 1481.2275390625)),
        ((0.618784487247467, -0.7634735107421875, -0.14132238924503326, 0.11933968216180801),
         (1990.959716796875, -5123.810546875, 1568.8048095703125)),
        ((0.13357827067375183, -0.1367100477218628, 0.7689454555511475, -0.6100738644599915),
         (-1670.9921875, 5211.98583984375, 1528.387939453125)),
        ((0.5879399180412292, -0.7823407053947449, 0.1427614390850067, -0.14794869720935822),
         (-1696.04345703125, -3827.099853515625, 1591.4127197265625)),
    ),
    "S11": (
        ((0.15232472121715546, -0.15442320704460144, -0.7547563314437866, 0.6191070079803467),
         (2098.440185546875, 4926.5546875, 1500.278564453125)),
        ((0.6189449429512024, -0.7600917220115662, -0.15300633013248444, 0.1255258321762085),
         (2083.182373046875, -4912.1728515625, 1561.07861328125)),
        ((0.14943228662014008, -0.15650227665901184, 0.7681233882904053, -0.6026304364204407),
         (-1609.8153076171875, 5177.3359375, 1537.896728515625)),
        ((0.5894251465797424, -0.7818877100944519, 0.13991211354732513, -0.14715361595153809),
         (-1590.738037109375, -3854.1689453125, 1578.017578125)),
    ),
}

#: Subjects with published extrinsics.
H36M_SUBJECTS: Tuple[str, ...] = tuple(_EXTRINSICS)
#: The four camera ids, in the order of the VideoPose3D 2D files (index 0..3).
H36M_CAMERA_IDS: Tuple[str, ...] = tuple(c[0] for c in _INTRINSICS)


@dataclass(frozen=True)
class Camera:
    """A pinhole camera with VideoPose3D distortion.

    ``rotation``: (3, 3) matrix whose columns are the camera axes in world coordinates (camera → world).
    ``position``: (3,) camera centre in world millimetres. ``focal``/``center`` in pixels.
    """

    name: str
    focal: np.ndarray
    center: np.ndarray
    radial: np.ndarray
    tangential: np.ndarray
    res_w: int
    res_h: int
    rotation: np.ndarray
    position: np.ndarray

    @property
    def image_size(self) -> np.ndarray:
        """(2,) float32 (w, h) in pixels."""
        return np.array([self.res_w, self.res_h], dtype=np.float32)


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """Unit quaternion(s) ``(..., 4)`` as (w, x, y, z) → rotation matrices ``(..., 3, 3)``."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    m = np.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], axis=-1)
    return m.reshape(q.shape[:-1] + (3, 3))


def intrinsic_camera(index: int, rotation: np.ndarray = None, position: np.ndarray = None,
                     name: str = None) -> Camera:
    """Camera ``index`` (0..3) of Human3.6M with the given extrinsics (identity / origin by default)."""
    if not 0 <= index < len(_INTRINSICS):
        raise ValueError(f"Human3.6M camera index {index} is not in 0..{len(_INTRINSICS) - 1}")
    cam_id, focal, center, radial, tangential, (res_w, res_h) = _INTRINSICS[index]
    rotation = np.eye(3) if rotation is None else np.asarray(rotation, dtype=np.float64)
    position = np.zeros(3) if position is None else np.asarray(position, dtype=np.float64)
    return Camera(name or cam_id, np.array(focal), np.array(center), np.array(radial), np.array(tangential),
                  int(res_w), int(res_h), rotation, position)


def h36m_camera(subject: str, index: int) -> Camera:
    """Calibrated camera ``index`` (0..3) of a Human3.6M subject (S1, S5, S6, S7, S8, S9, S11)."""
    if subject not in _EXTRINSICS:
        raise ValueError(f"no Human3.6M extrinsics for subject {subject!r}; known: {', '.join(H36M_SUBJECTS)}")
    quat, position = _EXTRINSICS[subject][index]
    return intrinsic_camera(index, quaternion_to_matrix(np.array(quat)), np.array(position),
                            name=f"{subject}/{_INTRINSICS[index][0]}")


def h36m_cameras(subject: str) -> List[Camera]:
    """The four calibrated cameras of a subject, in file order."""
    return [h36m_camera(subject, i) for i in range(len(_INTRINSICS))]


def look_at_camera(position: np.ndarray, target: np.ndarray, index: int = 0, roll_deg: float = 0.0,
                   name: str = "virtual") -> Camera:
    """A virtual camera at ``position`` (world mm, z up) looking at ``target``, with intrinsics of H36M camera
    ``index``; image y points down (towards -z) and ``roll_deg`` rotates about the viewing axis."""
    position = np.asarray(position, dtype=np.float64)
    forward = np.asarray(target, dtype=np.float64) - position
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    if np.linalg.norm(right) < 1e-9:
        raise ValueError("look_at_camera: the viewing direction is vertical; move the camera sideways")
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    roll = np.deg2rad(roll_deg)
    right, down = np.cos(roll) * right + np.sin(roll) * down, -np.sin(roll) * right + np.cos(roll) * down
    return intrinsic_camera(index, np.stack([right, down, forward], axis=1), position, name=name)


def phone_camera(position: np.ndarray, target: np.ndarray, hfov_deg: float, res_w: int, res_h: int,
                 roll_deg: float = 0.0, name: str = "phone") -> Camera:
    """A virtual phone camera: pinhole, no distortion, principal point at the image centre, horizontal field of view
    ``hfov_deg`` across ``res_w`` pixels (portrait when ``res_h > res_w``), at ``position`` looking at ``target``
    (world mm, z up)."""
    import dataclasses

    if not 1.0 < hfov_deg < 179.0 or res_w < 1 or res_h < 1:
        raise ValueError(f"phone_camera: hfov_deg={hfov_deg} must be in (1, 179) and the resolution positive")
    f = 0.5 * res_w / np.tan(np.deg2rad(hfov_deg) / 2.0)
    base = look_at_camera(position, target, 0, roll_deg, name)
    return dataclasses.replace(base, focal=np.array([f, f]), center=np.array([res_w / 2.0, res_h / 2.0]),
                               radial=np.zeros(3), tangential=np.zeros(2), res_w=int(res_w), res_h=int(res_h))


def random_phone_cameras(rng: np.random.Generator, target: np.ndarray, num: int, hfov=(55.0, 80.0),
                         distance=(2000.0, 4500.0), height=(1000.0, 1700.0), roll=(-5.0, 5.0)) -> List[Camera]:
    """``num`` random handheld phone cameras around ``target`` (world mm): horizontal field of view ``hfov``
    (degrees), portrait 1080x1920 or landscape 1920x1080, ``distance`` and ``height`` in mm, any azimuth."""
    out = []
    for k in range(num):
        w, h = (1080, 1920) if rng.uniform() < 0.5 else (1920, 1080)
        a, d = rng.uniform(0, 2 * np.pi), rng.uniform(*distance)
        position = np.array([target[0] + d * np.cos(a), target[1] + d * np.sin(a), rng.uniform(*height)])
        out.append(phone_camera(position, target, rng.uniform(*hfov), w, h, rng.uniform(*roll), f"phone{k}"))
    return out


def virtual_cameras(rng: np.random.Generator, target: np.ndarray, num: int,
                    distance: Tuple[float, float] = (3500.0, 6000.0), height: Tuple[float, float] = (500.0, 2200.0),
                    azimuth: Tuple[float, float] = (0.0, 360.0), roll: Tuple[float, float] = (-5.0, 5.0)
                    ) -> List[Camera]:
    """``num`` random cameras around ``target`` (world mm): horizontal distance, height above the floor (mm),
    azimuth (degrees), roll (degrees); intrinsics of a random H36M camera."""
    out = []
    for k in range(num):
        d, h = rng.uniform(*distance), rng.uniform(*height)
        a = np.deg2rad(rng.uniform(*azimuth))
        position = np.array([target[0] + d * np.cos(a), target[1] + d * np.sin(a), h])
        out.append(look_at_camera(position, target, index=int(rng.integers(4)), roll_deg=rng.uniform(*roll),
                                  name=f"virtual{k}"))
    return out


def world_to_camera(points: np.ndarray, camera: Camera) -> np.ndarray:
    """World points ``(..., 3)`` mm → camera space ``(..., 3)`` mm (float64)."""
    points = np.asarray(points, dtype=np.float64)
    return (points - camera.position) @ camera.rotation


def camera_to_world(points: np.ndarray, camera: Camera) -> np.ndarray:
    """Inverse of :func:`world_to_camera`."""
    points = np.asarray(points, dtype=np.float64)
    return points @ camera.rotation.T + camera.position


def distort(a: np.ndarray, camera: Camera) -> np.ndarray:
    """Ideal normalized image points ``(..., 2)`` (X/Z, Y/Z) → distorted normalized points."""
    r2 = np.sum(a * a, axis=-1, keepdims=True)
    k1, k2, k3 = camera.radial
    radial = 1.0 + k1 * r2 + k2 * r2 ** 2 + k3 * r2 ** 3
    tan = np.sum(camera.tangential * a, axis=-1, keepdims=True)
    return a * (radial + tan) + camera.tangential * r2


def undistort(d: np.ndarray, camera: Camera, iterations: int = 30) -> np.ndarray:
    """Inverse of :func:`distort` by fixed-point iteration (accurate to ~1e-9 inside the image)."""
    d = np.asarray(d, dtype=np.float64)
    a = d.copy()
    k1, k2, k3 = camera.radial
    for _ in range(iterations):
        r2 = np.sum(a * a, axis=-1, keepdims=True)
        radial = 1.0 + k1 * r2 + k2 * r2 ** 2 + k3 * r2 ** 3
        tan = np.sum(camera.tangential * a, axis=-1, keepdims=True)
        a = (d - camera.tangential * r2) / (radial + tan)
    return a


def project(points_cam: np.ndarray, camera: Camera) -> np.ndarray:
    """Camera-space points ``(..., 3)`` mm (z > 0) → pixels ``(..., 2)`` (float64), with distortion."""
    points_cam = np.asarray(points_cam, dtype=np.float64)
    a = points_cam[..., :2] / points_cam[..., 2:3]
    return camera.focal * distort(a, camera) + camera.center


def unproject(pixels: np.ndarray, depth: np.ndarray, camera: Camera) -> np.ndarray:
    """Pixels ``(..., 2)`` and camera-space depths ``(...)`` mm → camera-space points ``(..., 3)`` mm."""
    a = undistort((np.asarray(pixels, dtype=np.float64) - camera.center) / camera.focal, camera)
    depth = np.asarray(depth, dtype=np.float64)[..., None]
    return np.concatenate([a * depth, depth], axis=-1)


def project_normalized(points_cam: np.ndarray, camera: Camera) -> np.ndarray:
    """Camera-space points ``(..., 3)`` mm → normalized screen coordinates ``(..., 2)`` float32."""
    return normalize_screen_coordinates(project(points_cam, camera), camera.res_w, camera.res_h)


def in_image(pixels: np.ndarray, camera: Camera, margin: float = 0.0) -> np.ndarray:
    """Boolean ``(...)``: pixel ``(..., 2)`` lies inside the image (shrunk by ``margin`` px)."""
    x, y = pixels[..., 0], pixels[..., 1]
    return (x >= margin) & (x <= camera.res_w - margin) & (y >= margin) & (y <= camera.res_h - margin)


def render(world_mm: np.ndarray, camera: Camera, root: int = 0) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World poses ``(T, J, 3)`` mm seen by ``camera``.

    Returns ``pixels`` ``(T, J, 2)`` float64, ``poses_2d`` ``(T, J, 2)`` float32 normalized and ``poses_3d``
    ``(T, J, 3)`` float32 camera-space root-relative mm (root joint exactly 0).
    """
    cam = world_to_camera(world_mm, camera)
    pixels = project(cam, camera)
    rel = cam - cam[:, root:root + 1]
    rel[:, root] = 0.0
    poses_2d = normalize_screen_coordinates(pixels, camera.res_w, camera.res_h)
    return pixels, poses_2d, rel.astype(np.float32)
