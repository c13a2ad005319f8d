// The 3D skeleton: three.js, camera-space millimetres (x right, y down, z forward) shown upright; drag to rotate.
import * as THREE from "three";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { edges, NUM_JOINTS } from "./lifter_core.js";

/** Bone colours (sRGB): the subject's right side, left side, and the spine/head. The browser test counts them. */
export const COLORS = { right: 0xff3b30, left: 0x1e90ff, centre: 0xffd60a };
export const BACKGROUND = 0x101418;
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
    this.bones = edges().map(([child]) => {
      const mesh = new THREE.Mesh(new THREE.CylinderGeometry(14, 14, 1, 8),
        new THREE.MeshBasicMaterial({ color: boneColor(child) }));
      mesh.visible = false;
      this.scene.add(mesh);
      return mesh;
    });
    this.joints = Array.from({ length: NUM_JOINTS }, (_, j) => {
      const mesh = new THREE.Mesh(new THREE.SphereGeometry(24, 12, 8),
        new THREE.MeshBasicMaterial({ color: j === 0 ? 0xffffff : boneColor(j) }));
      mesh.visible = false;
      this.scene.add(mesh);
      return mesh;
    });
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

  /** Joints [16][3] in mm, camera axes (y down): drawn with y up and z toward the viewer. */
  show(joints) {
    const p = joints.map(([x, y, z]) => new THREE.Vector3(x, -y, -z));
    const up = new THREE.Vector3(0, 1, 0);
    edges().forEach(([child, parent], i) => {
      const a = p[child], b = p[parent];
      const len = a.distanceTo(b);
      const bone = this.bones[i];
      bone.visible = len > 1e-3;
      bone.position.copy(a).add(b).multiplyScalar(0.5);
      bone.scale.set(1, Math.max(len, 1e-3), 1);
      bone.quaternion.setFromUnitVectors(up, b.clone().sub(a).normalize());
    });
    p.forEach((v, j) => {
      this.joints[j].position.copy(v);
      this.joints[j].visible = true;
    });
    this.render();
  }

  render() {
    this.renderer.render(this.scene, this.camera);
  }
}
