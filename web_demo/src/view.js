// The 3D skeleton: three.js, camera-space millimetres (x right, y down, z forward) shown upright; drag to rotate.
// A second, thinner grey skeleton can be overlaid (BlazePose's own 3D world landmarks, for comparison).
import * as THREE from "three";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { edges, NUM_JOINTS } from "./lifter_core.js";

/** Bone colours (sRGB): the subject's right side, left side, and the spine/head. The browser test counts them. */
export const COLORS = { right: 0xff3b30, left: 0x1e90ff, centre: 0xffd60a };
export const BACKGROUND = 0x101418;
/** Colour (sRGB) of the overlaid reference skeleton (BlazePose 3D); the page's legend and the browser test use it. */
export const REFERENCE_COLOR = 0xb4b4b4;
const RIGHT = new Set([1, 2, 3, 13, 14, 15]);
const LEFT = new Set([4, 5, 6, 10, 11, 12]);

function boneColor(child) {
  return RIGHT.has(child) ? COLORS.right : LEFT.has(child) ? COLORS.left : COLORS.centre;
}

export class SkeletonView {
  constructor(canvas) {
    this.canvas = canvas;
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: false, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(1);
    this.renderer.setClearColor(BACKGROUND, 1);
    this.scene = new THREE.Scene();
    this.camera = new THREE.PerspectiveCamera(40, 1, 10, 20000);
    this.camera.position.set(1200, 600, 3200);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.target.set(0, 0, 0);
    this.controls.addEventListener("change", () => this.render());
    const grid = new THREE.GridHelper(2000, 10, 0x3a4350, 0x262c35);
    grid.position.y = -950;
    this.scene.add(grid);
    const skeleton = (radius, jointRadius, color) => ({
      bones: edges().map(([child]) => {
        const mesh = new THREE.Mesh(new THREE.CylinderGeometry(radius, radius, 1, 8),
          new THREE.MeshBasicMaterial({ color: color(child) }));
        mesh.visible = false;
        this.scene.add(mesh);
        return mesh;
      }),
      joints: Array.from({ length: NUM_JOINTS }, (_, j) => {
        const mesh = new THREE.Mesh(new THREE.SphereGeometry(jointRadius, 12, 8),
          new THREE.MeshBasicMaterial({ color: j === 0 ? 0xffffff : color(j) }));
        mesh.visible = false;
        this.scene.add(mesh);
        return mesh;
      }),
    });
    ({ bones: this.bones, joints: this.joints } = skeleton(14, 24, boneColor));
    this.reference = skeleton(8, 14, () => REFERENCE_COLOR);
    this.resize();
    new ResizeObserver(() => this.resize()).observe(canvas);
  }

  resize() {
    const w = this.canvas.clientWidth || this.canvas.width;
    const h = this.canvas.clientHeight || this.canvas.height;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  /**
   * Joints [16][3] in mm, camera axes (y down): drawn with y up and z toward the viewer. `reference` (optional,
   * same axes, e.g. BlazePose's own 3D) is overlaid as a thinner grey skeleton; null hides it. `seen` (per joint,
   * optional: LiftResult.in_image) draws a bone to a joint not seen in the image thin and faint, a guess.
   */
  show(joints, reference = null, seen = null) {
    place(this, joints, seen);
    if (reference) {
      place(this.reference, reference);
    } else {
      for (const m of this.reference.bones.concat(this.reference.joints)) m.visible = false;
    }
    this.render();
  }

  render() {
    this.renderer.render(this.scene, this.camera);
  }
}

/** Moves one skeleton's meshes ({bones, joints}) onto joints [16][3] (camera axes, mm); `seen` as in show(). */
function place({ bones, joints: spheres }, joints, seen = null) {
  const p = joints.map(([x, y, z]) => new THREE.Vector3(x, -y, -z));
  const up = new THREE.Vector3(0, 1, 0);
  edges().forEach(([child, parent], i) => {
    const a = p[child], b = p[parent];
    const len = a.distanceTo(b);
    const bone = bones[i];
    bone.visible = len > 1e-3;
    bone.position.copy(a).add(b).multiplyScalar(0.5);
    const guess = seen != null && !(seen[child] && seen[parent]);
    bone.scale.set(guess ? 0.35 : 1, Math.max(len, 1e-3), guess ? 0.35 : 1);
    bone.material.transparent = guess;
    bone.material.opacity = guess ? 0.45 : 1;
    bone.quaternion.setFromUnitVectors(up, b.clone().sub(a).normalize());
  });
  p.forEach((v, j) => {
    spheres[j].position.copy(v);
    spheres[j].visible = true;
  });
}
