"""Hostile inputs at every door: each case ends in ONE clear line naming the argument or file (exit code 2 for a
command, a ``ValueError`` subclass for the library), with nothing half-written and nothing served, loaded or run
from outside what the user named; or it ends in a correct result.

:data:`CASES` lists every case with its origin (``issue``: a case reported against an earlier version; ``new``:
invented here) and its outcome (``line`` or ``result``); ``test_every_case_ran`` checks that each ran. Everything
is made on the fly (one tiny run of two training steps, its fp32/int8 exports); commands are called in-process.
"""
from __future__ import annotations

import errno
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "web_demo"
TINY = ["--downsample", "40", "--hid-dim", "8", "--stacks", "1", "--batch-size", "64", "--steps", "2", "--quiet",
        "--no-xla"]
TINY_FIT = [*TINY, "--epochs", "1"]

#: case -> (origin, outcome)
CASES = {
    # the web door
    "web_symlink_model_to_any_file": ("issue", "line"),
    "web_failed_copy_keeps_served_models": ("issue", "line"),
    "web_symlink_out_of_root_not_served": ("issue", "result"),
    "web_no_directory_listing": ("issue", "result"),
    "web_non_loopback_host_needs_flag": ("issue", "line"),
    "web_allow_network_warns": ("issue", "result"),
    "web_index_has_no_absolute_path": ("issue", "result"),
    "web_port_in_use_named_before_replacing": ("issue", "line"),
    "web_dotdot_traversal": ("new", "result"),
    "web_encoded_dotdot_traversal": ("new", "result"),
    "web_nul_and_backslash": ("new", "result"),
    "web_not_allow_listed_file_in_root": ("new", "result"),
    "web_npm_bin_not_served": ("new", "result"),
    "web_models_symlink_out_not_served": ("new", "result"),
    "web_post_refused": ("new", "result"),
    "web_variants_only_commas": ("new", "line"),
    "web_run_dir_is_a_file": ("new", "line"),
    "web_models_folder_is_a_file": ("new", "line"),
    "web_sidecar_of_another_model": ("new", "line"),
    "web_sidecar_claims_another_batch": ("new", "line"),
    "web_movenet_kept_on_recopy": ("new", "result"),
    # sidecars
    "sidecar_wrong_normalization": ("issue", "line"),
    "sidecar_infinite_scale": ("issue", "line"),
    "sidecar_wrong_finite_scale": ("issue", "line"),
    "sidecar_17_joint_names": ("issue", "line"),
    "sidecar_other_model_section": ("issue", "line"),
    "evaluate_foreign_model_with_copied_sidecar": ("issue", "line"),
    "evaluate_mismatched_sidecar_even_allow_foreign": ("new", "line"),
    "sidecar_three_channels_on_two_channel_model": ("new", "line"),
    "sidecar_zero_point_fraction": ("new", "line"),
    "sidecar_nan_with_line": ("new", "line"),
    "sidecar_is_a_folder": ("new", "line"),
    "sidecar_symlink_loop": ("new", "line"),
    "validate_mismatched_sidecar": ("new", "line"),
    # full disk
    "fit_full_disk_resumable": ("issue", "line"),
    "convert_full_disk": ("issue", "line"),
    "lift_npz_full_disk": ("issue", "line"),
    "report_png_full_disk": ("issue", "line"),
    # finiteness
    "bvh_nan_offset": ("issue", "line"),
    "bvh_huge_offset": ("issue", "line"),
    "bvh_infinite_frame_time": ("issue", "line"),
    "config_json_nan": ("new", "line"),
    "npz_nan_member": ("issue", "line"),
    "npz_string_member": ("issue", "line"),
    # vague lines
    "resume_garbled_history": ("issue", "line"),
    "evaluate_noise_px_inf": ("issue", "line"),
    "evaluate_noise_px_nan": ("new", "line"),
    "lifter_num_threads_zero": ("issue", "line"),
    "lifter_tiny_image_size": ("issue", "line"),
    "torch_import_text_npz": ("issue", "line"),
    "torch_import_string_npz": ("new", "line"),
    "lifter_model_symlink_loop": ("issue", "line"),
    "evaluate_model_is_a_folder": ("issue", "line"),
    "convert_variants_only_commas": ("issue", "line"),
    "convert_unknown_variant": ("new", "line"),
    "validate_limit_negative": ("issue", "line"),
    "validate_files_only_commas": ("new", "line"),
    "data_unknown_option": ("issue", "line"),
    "data_frames_too_many": ("issue", "result"),
    "data_unknown_source": ("new", "line"),
    # robustness flags, the lift door, the library
    "evaluate_corrupt_unknown_preset": ("new", "line"),
    "evaluate_corrupt_rate_above_one": ("new", "line"),
    "lift_missing_input": ("new", "line"),
    "lift_text_file_named_jpg": ("new", "line"),
    "lift_empty_folder": ("new", "line"),
    "lift_every_zero": ("new", "line"),
    "lift_hfov_out_of_range": ("new", "line"),
    "lift_model_not_a_lifter": ("new", "line"),
    "lift_blank_image_no_people": ("new", "result"),
    "detector_text_file_model": ("new", "line"),
    "lifter_intrinsics_zero_focal": ("new", "line"),
    "lifter_wrong_keypoint_count": ("new", "line"),
    "lifter_inf_keypoints_not_valid": ("new", "result"),
    "lifter_nan_scores_not_valid": ("new", "result"),
    "lifter_truncated_model": ("new", "line"),
    "fit_out_is_a_symlink_loop": ("new", "line"),
    # the last bad inputs (issue 30)
    "lifter_intrinsics_principal_point_far_away": ("issue", "line"),
    "root_solver_one_viewing_ray_is_nan": ("new", "result"),
    "h36m_positions_3d_strings": ("issue", "line"),
    "evaluate_best_weights_is_a_folder": ("issue", "line"),
    "evaluate_config_json_symlink_loop": ("issue", "line"),
    "lifter_min_score_nan": ("issue", "line"),
    "weights_extra_layer_group": ("issue", "line"),
    "lift_folder_skips_an_unreadable_photo": ("issue", "result"),
}
RAN = set()


def ran(case: str) -> None:
    assert case in CASES, case
    RAN.add(case)


# --- helpers --------------------------------------------------------------------------------------------------------

def _script(path: str):
    spec = importlib.util.spec_from_file_location(Path(path).stem + "_hostile", ROOT / path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_MODULES = {}


def _main(door: str, argv, capsys):
    """(exit code, stdout, stderr) of a command's ``main(argv)`` called in-process."""
    if door not in _MODULES:
        _MODULES[door] = _script(door) if door.endswith(".py") else importlib.import_module(door)
    capsys.readouterr()
    try:
        code = _MODULES[door].main([str(a) for a in argv])
    except SystemExit as e:   # argparse
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(code, err, *needles) -> str:
    """Exit 2, no traceback, exactly one error line (argparse's usage lines aside) naming every needle."""
    assert "Traceback" not in err, err[-3000:]
    assert code == 2, (code, err[-2000:])
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(("usage:", " "))]
    assert len(lines) == 1, err[-3000:]
    for n in needles:
        assert str(n) in lines[0], (n, lines[0])
    return lines[0]


def _no_temp_files(folder: Path) -> None:
    left = [p for p in Path(folder).rglob("*") if p.name.startswith(".") and "tmp" in p.name or "_temp" in p.name]
    assert not left, left


class _Tmpfs:
    """A small tmpfs (root only) where writes run out of space; None when it cannot be mounted."""

    def __init__(self, path: Path, kb: int):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        ok = os.geteuid() == 0 and shutil.which("mount") and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={kb}k", "tmpfs", str(path)], capture_output=True).returncode == 0
        self.mounted = bool(ok)

    def resize(self, kb: int) -> None:
        subprocess.run(["mount", "-o", f"remount,size={kb}k", str(self.path)], check=True)

    def close(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], check=False)


def _full_disk(monkeypatch, target_dir: Path):
    """Without a tmpfs: every write into ``target_dir`` fails with ENOSPC (as a full disk does)."""
    real_open = open

    def full_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax") and str(Path(file).resolve()).startswith(str(target_dir.resolve())):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
        return real_open(file, mode, *args, **kwargs)

    import builtins

    monkeypatch.setattr(builtins, "open", full_open)


# --- fixtures -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny run (two training steps) and its fp32 + int8 exports, made once."""
    import graphsh_tf  # noqa: F401

    root = tmp_path_factory.mktemp("hostile")
    run = root / "run"
    fit = _script("training/fit.py")
    assert fit.main(["--out", str(run), *TINY_FIT]) == 0
    convert = _script("tflite/convert.py")
    assert convert.main([str(run), "--variants", "fp32,int8", "--calib-samples", "64"]) == 0
    # int8 input/output tensors (their sidecars carry the int8 scales), when the exporter still writes them
    try:
        int8io = convert.main([str(run), "--variants", "int8", "--io", "int8", "--calib-samples", "64", "--out",
                               str(root / "int8io")]) == 0
    except SystemExit:
        int8io = False
    return {"run": run, "tflite": run / "tflite", "fp32": run / "tflite" / "graphsh_fp32.tflite",
            "int8": run / "tflite" / "graphsh_int8.tflite",
            "int8io": root / "int8io" / "graphsh_int8.tflite" if int8io else None}


def _int8io(tiny):
    if tiny["int8io"] is None:
        pytest.skip("the exporter writes no int8 input/output tensors (float I/O only)")
    return "int8io"


def _copy_model(tiny, tmp_path, variant="fp32", name="m"):
    dst = tmp_path / f"{name}.tflite"
    shutil.copyfile(tiny[variant], dst)
    shutil.copyfile(tiny[variant].with_suffix(".json"), dst.with_suffix(".json"))
    return dst


def _edit_sidecar(model: Path, edit) -> None:
    side = model.with_suffix(".json")
    meta = json.loads(side.read_text())
    edit(meta)
    side.write_text(json.dumps(meta))


def _coco_pose():
    rng = np.random.default_rng(3)
    return rng.uniform(200, 400, (17, 2))


# --- the web door ---------------------------------------------------------------------------------------------------

def _demo(tmp_path: Path) -> Path:
    """A demo folder: the page's files and stand-ins for the npm files the server checks for."""
    demo = tmp_path / "demo"
    demo.mkdir()
    for name in ("index.html", "style.css"):
        shutil.copyfile(DEMO / name, demo / name)
    shutil.copytree(DEMO / "src", demo / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(DEMO / "samples", demo / "samples")
    nm = demo / "node_modules"
    for f in ("three/build/three.module.js", "@litertjs/core/wasm/litert_wasm_internal.wasm",
              "@litertjs/core/package.json", "@litertjs/wasm-utils/dist/index.js",
              "@mediapipe/pose/pose_landmark_full.tflite", ".bin/esparse"):
        (nm / f).parent.mkdir(parents=True, exist_ok=True)
        (nm / f).write_text("// stand-in\n")
    return demo


@pytest.fixture
def served(tmp_path):
    from graphsh_tf import web

    demo = _demo(tmp_path)
    models = tmp_path / "served_models"
    models.mkdir()
    (models / "graphsh_fp32.json").write_text("{}")
    (models / "notes.txt").write_text("not served")
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    (demo / "src" / "leak.js").symlink_to(secret)                        # a link out of the root
    (models / "graphsh_leak.tflite").symlink_to(secret)
    server = web.make_server(demo, models_dir=models, port=0)
    web.serve_in_thread(server)
    yield {"url": web.url_of(server), "demo": demo, "models": models, "server": server}
    server.shutdown()
    server.server_close()


def _get(url: str, method="GET"):
    """(status, body) of a request sent as written (no client-side path normalization)."""
    from urllib.parse import urlsplit

    u = urlsplit(url)
    conn = socket.create_connection((u.hostname, u.port), timeout=10)
    try:
        path = url[len(f"{u.scheme}://{u.netloc}"):] or "/"
        conn.sendall(f"{method} {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    finally:
        conn.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_web_serves_the_allow_list_only(served):
    base = served["url"].rstrip("/")
    status, body = _get(base + "/")
    assert status == 200 and b"<html" in body.lower()
    assert _get(base + "/src/app.js")[0] == 200
    assert _get(base + "/node_modules/three/build/three.module.js")[0] == 200
    assert _get(base + "/models/graphsh_fp32.json")[0] == 200
    for case, path in (("web_symlink_out_of_root_not_served", "/src/leak.js"),
                       ("web_models_symlink_out_not_served", "/models/graphsh_leak.tflite"),
                       ("web_no_directory_listing", "/src/"),
                       ("web_no_directory_listing", "/node_modules/"),
                       ("web_dotdot_traversal", "/src/../../secret.txt"),
                       ("web_dotdot_traversal", "/models/../secret.txt"),
                       ("web_encoded_dotdot_traversal", "/src/%2e%2e/%2e%2e/secret.txt"),
                       ("web_encoded_dotdot_traversal", "/models/..%2fsecret.txt"),
                       ("web_nul_and_backslash", "/src/app.js%00.png"),
                       ("web_nul_and_backslash", "/src\\..\\..\\secret.txt"),
                       ("web_not_allow_listed_file_in_root", "/models/notes.txt"),
                       ("web_not_allow_listed_file_in_root", "/node_modules/@litertjs/core/package.json"),
                       ("web_npm_bin_not_served", "/node_modules/.bin/esparse")):
        status, body = _get(base + path)
        assert status == 404 and b"SECRET" not in body, (path, status)
        ran(case)
    assert _get(base + "/src/app.js", "POST")[0] in (404, 501)
    ran("web_post_refused")


def _web(capsys, *argv):
    return _main("graphsh_tf.web", argv, capsys)


def _run_with(tiny, tmp_path, variants=("fp32",)) -> Path:
    run = tmp_path / "run"
    (run / "tflite").mkdir(parents=True)
    for v in variants:
        _copy_model(tiny, run / "tflite", v, f"graphsh_{v}")
    return run


def test_web_copy_verifies_models_and_keeps_the_served_ones(tiny, tmp_path, capsys):
    demo = _demo(tmp_path)
    run = _run_with(tiny, tmp_path, ("fp32", "int8"))
    assert _web(capsys, run, "--demo", demo, "--no-serve")[0] == 0
    served_before = {p.name: p.read_bytes() for p in (demo / "models").iterdir()}
    index = json.loads((demo / "models" / "index.json").read_text())
    assert index["run"] == "run" and not any(str(tmp_path) in json.dumps(v) for v in index.values())
    ran("web_index_has_no_absolute_path")
    (demo / "models" / "movenet.tflite").write_bytes(b"user's own")

    # a model that is a symbolic link to some file (its sidecar copied beside it)
    bad = tmp_path / "bad"
    (bad / "tflite").mkdir(parents=True)
    (bad / "tflite" / "graphsh_fp32.tflite").symlink_to("/etc/hostname" if Path("/etc/hostname").exists()
                                                       else tiny["run"] / "config.json")
    shutil.copyfile(tiny["fp32"].with_suffix(".json"), bad / "tflite" / "graphsh_fp32.json")
    code, _, err = _web(capsys, bad, "--demo", demo, "--no-serve")
    _one_line(code, err, "graphsh_fp32")
    ran("web_symlink_model_to_any_file")
    # a sidecar beside another model
    other = _run_with(tiny, tmp_path / "o", ("fp32",))
    shutil.copyfile(tiny["int8"], other / "tflite" / "graphsh_fp32.tflite")
    code, _, err = _web(capsys, other, "--demo", demo, "--no-serve")
    _one_line(code, err, "graphsh_fp32.json", "graphsh_fp32.tflite")
    ran("web_sidecar_of_another_model")
    tampered = _run_with(tiny, tmp_path / "t", ("fp32",))     # a batch-1 model whose sidecar claims batch 8
    _edit_sidecar(tampered / "tflite" / "graphsh_fp32.tflite",
                  lambda m: (m["input"].update(shape=[8, 16, 2]), m["output"].update(shape=[8, 16, 3])))
    code, _, err = _web(capsys, tampered, "--demo", demo, "--no-serve")
    _one_line(code, err, "graphsh_fp32.json", "input.shape")
    ran("web_sidecar_claims_another_batch")
    now = {p.name: p.read_bytes() for p in (demo / "models").iterdir()}
    assert {k: v for k, v in now.items() if k != "movenet.tflite"} == served_before
    ran("web_failed_copy_keeps_served_models")
    assert not [p for p in demo.iterdir() if p.name.startswith(".models")]

    assert _web(capsys, run, "--demo", demo, "--no-serve", "--variants", "fp32")[0] == 0
    assert (demo / "models" / "movenet.tflite").read_bytes() == b"user's own"
    assert not (demo / "models" / "graphsh_int8.tflite").exists()
    ran("web_movenet_kept_on_recopy")

    _one_line(*_web(capsys, run, "--demo", demo, "--no-serve", "--variants", ",")[::2], "--variants")
    ran("web_variants_only_commas")
    (tmp_path / "file").write_text("x")
    _one_line(*_web(capsys, tmp_path / "file", "--demo", demo, "--no-serve")[::2], "file")
    ran("web_run_dir_is_a_file")
    shutil.rmtree(demo / "models")
    (demo / "models").write_text("x")
    _one_line(*_web(capsys, run, "--demo", demo, "--no-serve")[::2], "models")
    ran("web_models_folder_is_a_file")


def test_web_host_and_port(tiny, tmp_path, capsys):
    demo = _demo(tmp_path)
    run = _run_with(tiny, tmp_path)
    code, _, err = _web(capsys, run, "--demo", demo, "--host", "0.0.0.0", "--port", "0")
    _one_line(code, err, "--host 0.0.0.0", "--allow-network")
    assert not (demo / "models").exists()
    ran("web_non_loopback_host_needs_flag")

    assert _web(capsys, run, "--demo", demo, "--no-serve")[0] == 0
    before = {p.name: p.read_bytes() for p in (demo / "models").iterdir()}
    other = _run_with(tiny, tmp_path / "other", ("int8",))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code, _, err = _web(capsys, other, "--demo", demo, "--port", port)
    _one_line(code, err, f"127.0.0.1:{port}", "--port")
    assert {p.name: p.read_bytes() for p in (demo / "models").iterdir()} == before   # nothing replaced
    ran("web_port_in_use_named_before_replacing")

    from graphsh_tf import web

    assert web.is_loopback("127.0.0.1") and web.is_loopback("::1") and web.is_loopback("localhost")
    assert not web.is_loopback("0.0.0.0") and not web.is_loopback("192.168.1.4")
    proc = subprocess.Popen([sys.executable, "-m", "graphsh_tf.web", str(run), "--demo", str(demo), "--host",
                             "0.0.0.0", "--port", "0", "--allow-network"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()
        for _ in range(600):
            if any("WARNING" in ln for ln in lines) or proc.poll() is not None:
                break
            threading.Event().wait(0.05)
        assert any("WARNING" in ln and "network" in ln for ln in lines), lines
    finally:
        proc.kill()
        proc.wait()
    ran("web_allow_network_warns")


# --- sidecars -------------------------------------------------------------------------------------------------------

SIDECAR_EDITS = {
    "sidecar_wrong_normalization": (lambda m: m["input"].update(normalization="u = x / w"), "input.normalization"),
    "sidecar_wrong_finite_scale": (lambda m: m["input"]["quantization"].update(scale=0.5), "input.quantization"),
    "sidecar_17_joint_names": (lambda m: m["joint_names"].append("Nose"), "joint_names"),
    "sidecar_other_model_section": (lambda m: m["model"].update(hid_dim=512), "model.hid_dim"),
    "sidecar_three_channels_on_two_channel_model": (
        lambda m: m["input"].update(channels=["x", "y", "confidence"], shape=[1, 16, 3]), "input."),
    "sidecar_zero_point_fraction": (lambda m: m["input"]["quantization"].update(zero_point=1.5), "input.quantization"),
}


@pytest.mark.parametrize("case", sorted(SIDECAR_EDITS))
def test_sidecar_must_describe_its_model(tiny, tmp_path, capsys, case):
    from graphsh_tf.keypoints import KeypointError
    from graphsh_tf.lite.lifter import Lifter

    edit, field = SIDECAR_EDITS[case]
    model = _copy_model(tiny, tmp_path, _int8io(tiny) if "quantization" in field else "int8")
    Lifter(model)(_coco_pose(), (640, 480))       # as exported: loads
    _edit_sidecar(model, edit)
    with pytest.raises(KeypointError) as e:
        Lifter(model)
    msg = str(e.value)
    assert "m.json" in msg and "m.tflite" in msg and field in msg and "\n" not in msg, msg
    code, _, err = _main("training/evaluate.py", [model, "--data", "synthetic:frames=200"], capsys)
    _one_line(code, err, "m.json", field)
    ran(case)


def test_sidecar_infinite_scale_and_nan(tiny, tmp_path, capsys):
    from graphsh_tf.keypoints import KeypointError
    from graphsh_tf.lite.lifter import Lifter

    model = _copy_model(tiny, tmp_path, "int8io" if tiny["int8io"] else "int8")
    side = model.with_suffix(".json")
    text = json.dumps(json.loads(side.read_text()), indent=1)
    q = json.loads(text)["input"].get("quantization") or {"scale": json.loads(text)["model"]["dropout"]}
    scale = q["scale"]
    key = '"scale"' if tiny["int8io"] else '"dropout"'
    side.write_text(text.replace(f'{key}: {scale!r}', f'{key}: Infinity', 1))
    with pytest.raises(KeypointError, match=r"m\.json: line \d+: Infinity is not a finite number"):
        Lifter(model)
    code, _, err = _main("training/evaluate.py", [model, "--data", "synthetic:frames=200"], capsys)
    _one_line(code, err, "m.json", "Infinity")
    ran("sidecar_infinite_scale")
    side.write_text(text.replace(f'{key}: {scale!r}', f'{key}: NaN', 1))
    with pytest.raises(KeypointError, match=r"m\.json: line \d+: NaN"):
        Lifter(model)
    ran("sidecar_nan_with_line")


def test_foreign_model_with_a_copied_sidecar(tiny, tmp_path, capsys):
    from graphsh_tf.keypoints import KeypointError
    from graphsh_tf.lite.lifter import Lifter

    import tensorflow as tf

    class Foreign(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 16, 2], tf.float32, name="keypoints_2d")])
        def lift(self, keypoints_2d):
            return {"joints_3d": tf.concat([keypoints_2d, keypoints_2d[..., :1]], -1) * 1000.0}

    m = Foreign()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([m.lift.get_concrete_function()], m)
    model = tmp_path / "m.tflite"
    model.write_bytes(conv.convert())
    shutil.copyfile(tiny["fp32"].with_suffix(".json"), model.with_suffix(".json"))
    with pytest.raises(KeypointError, match="no embedded 'graphsh' metadata"):
        Lifter(model)
    for extra in ([], ["--allow-foreign"]):
        code, _, err = _main("training/evaluate.py", [model, "--data", "synthetic:frames=200", *extra], capsys)
        _one_line(code, err, "m.tflite", "embedded")
    ran("evaluate_foreign_model_with_copied_sidecar")
    good = _copy_model(tiny, tmp_path, "fp32", "g")
    _edit_sidecar(good, lambda meta: meta["input"].update(normalization="u = x / w"))
    code, _, err = _main("training/evaluate.py", [good, "--data", "synthetic:frames=200", "--allow-foreign"], capsys)
    _one_line(code, err, "g.json", "input.normalization")
    ran("evaluate_mismatched_sidecar_even_allow_foreign")


def test_sidecar_folder_or_loop_and_validate(tiny, tmp_path, capsys):
    from graphsh_tf.keypoints import KeypointError
    from graphsh_tf.lite.lifter import Lifter

    model = _copy_model(tiny, tmp_path)
    side = model.with_suffix(".json")
    side.unlink()
    side.mkdir()
    with pytest.raises(KeypointError, match="m.json: is a folder"):
        Lifter(model)
    ran("sidecar_is_a_folder")
    side.rmdir()
    side.symlink_to(side.name)
    with pytest.raises(KeypointError, match="m.json: a symbolic link loop"):
        Lifter(model)
    ran("sidecar_symlink_loop")

    folder = tmp_path / "tfl"
    folder.mkdir()
    m = _copy_model(tiny, folder, "fp32", "graphsh_fp32")
    _edit_sidecar(m, lambda meta: meta["input"].update(normalization="u = x / w"))
    code, _, err = _main("tflite/validate.py", [tiny["run"], "--tflite-dir", folder, "--json", tmp_path / "v.json"],
                         capsys)
    _one_line(code, err, "graphsh_fp32.json", "input.normalization")
    assert not (tmp_path / "v.json").exists()
    ran("validate_mismatched_sidecar")


# --- a full disk ----------------------------------------------------------------------------------------------------

def test_fit_on_a_full_disk_is_one_line_and_resumable(tmp_path, capsys):
    fs = _Tmpfs(tmp_path / "disk", 950)
    if not fs.mounted:
        pytest.skip("needs root to mount a small tmpfs (the other full-disk cases simulate it)")
    try:
        out = fs.path / "run"
        args = ["--out", out, *TINY, "--epochs", "2"]
        code, _, err = _main("training/fit.py", args, capsys)
        line = _one_line(code, err, str(out), "No space left on device")
        assert "weights.h5" in line or "ckpt" in line
        _no_temp_files(out)
        fs.resize(16384)
        code, outp, err = _main("training/fit.py", [*args, "--resume"], capsys)
        assert code == 0, err[-2000:]
        assert "resumed" in outp + err and (out / "eval.json").is_file()
        _no_temp_files(out)
    finally:
        fs.close()
    ran("fit_full_disk_resumable")


def test_convert_on_a_full_disk(tiny, tmp_path, capsys, monkeypatch):
    fs = _Tmpfs(tmp_path / "disk", 64)
    try:
        out = (fs.path if fs.mounted else tmp_path / "full") / "tfl"
        if not fs.mounted:
            out.mkdir(parents=True)
            _full_disk(monkeypatch, out)
        code, _, err = _main("tflite/convert.py", [tiny["run"], "--variants", "fp32", "--out", out], capsys)
        _one_line(code, err, str(out / "graphsh_fp32"), "No space left on device")
        assert not list(out.glob("*.tflite")) and (not out.exists() or not [p for p in out.iterdir()
                                                                            if p.name.startswith(".")])
    finally:
        fs.close()
    ran("convert_full_disk")


def test_lift_outputs_and_report_pngs_on_a_full_disk(tmp_path, monkeypatch):
    from graphsh_tf import media, report

    fs = _Tmpfs(tmp_path / "disk", 16)
    try:
        folder = fs.path if fs.mounted else tmp_path / "full"
        folder.mkdir(exist_ok=True)
        if not fs.mounted:
            _full_disk(monkeypatch, folder)
        big = np.random.default_rng(0).integers(0, 255, (400, 400, 3), dtype=np.uint8)   # ~480 kB, incompressible
        with pytest.raises(OSError, match=r"frame\.png: cannot write it \(No space left on device\)"):
            media.write_png(folder / "frame.png", big)
        ran("lift_npz_full_disk")
        hist = [{"epoch": e, "loss": 1.0 / e, "val_mpjpe_mm": 100.0 / e, "lr": 1e-3} for e in range(1, 400)]
        (folder / "pad").write_bytes(b"x" * 15000) if fs.mounted else None
        with pytest.raises(OSError, match=r"curves\.png: cannot write it"):
            report.plot_curves(hist, folder / "curves.png")
        ran("report_png_full_disk")
        assert not [p for p in folder.iterdir() if p.name.startswith(".")]
        assert not (folder / "frame.png").exists() and not (folder / "curves.png").exists()
    finally:
        fs.close()


# --- finiteness -----------------------------------------------------------------------------------------------------

BVH = """HIERARCHY
ROOT Root
{
  OFFSET %s 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  End Site
  {
    OFFSET 0 10 0
  }
}
MOTION
Frames: 2
Frame Time: %s
1 2 3 0 0 0
1 2 3 0 0 9
"""


@pytest.mark.parametrize("case,offset,frame_time,needle", [
    ("bvh_nan_offset", "nan", "0.04", ":4:"), ("bvh_huge_offset", "1e300", "0.04", ":4:"),
    ("bvh_infinite_frame_time", "0", "inf", "Frame Time")])
def test_bvh_non_finite(tmp_path, case, offset, frame_time, needle):
    from graphsh_tf.data.bvh.parse import parse_bvh

    path = tmp_path / "clip.bvh"
    path.write_text(BVH % (offset, frame_time))
    with pytest.raises(ValueError) as e:
        parse_bvh(path)
    assert "clip.bvh" in str(e.value) and needle in str(e.value), str(e.value)
    ran(case)


def test_config_json_nan_names_the_line(tiny, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(tiny["run"], run, ignore=shutil.ignore_patterns("tflite", "tb"))
    cfg = run / "config.json"
    cfg.write_text(cfg.read_text().replace('"dropout": ', '"dropout": NaN, "x": ', 1))
    code, _, err = _main("training/evaluate.py", [run], capsys)
    _one_line(code, err, "config.json: line", "NaN is not a finite number")
    ran("config_json_nan")


def _videopose_files(folder: Path, pos):
    np.savez_compressed(folder / "data_3d_h36m.npz", positions_3d=pos)


def test_npz_nan_and_string_members(tmp_path, capsys):
    rng = np.random.default_rng(0)
    good = (rng.normal(0, 0.3, size=(6, 32, 3)) + [0.2, -0.1, 1.0]).astype(np.float32)
    bad = good.copy()
    bad[2, 5, 1] = np.nan
    _videopose_files(tmp_path, {s: {"Walking": bad if s == "S1" else good} for s in ("S1", "S9")})
    code, _, err = _main("graphsh_tf.data.inspect", ["--data", f"h36m:{tmp_path}"], capsys)
    _one_line(code, err, "data_3d_h36m.npz", "S1")
    ran("npz_nan_member")
    np.savez(tmp_path / "data_3d_h36m.npz", positions_3d=np.array(["S1", "Walking"]))
    code, _, err = _main("graphsh_tf.data.inspect", ["--data", f"h36m:{tmp_path}"], capsys)
    _one_line(code, err, "data_3d_h36m.npz", "positions_3d")
    ran("npz_string_member")


# --- vague lines ----------------------------------------------------------------------------------------------------

def test_resume_with_a_garbled_history(tiny, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(tiny["run"], run, ignore=shutil.ignore_patterns("tflite"))
    (run / "history.csv").write_text("epoch,loss,val_mpjpe_mm,lr\n1,0.5,\x00garbage,0.001\n")
    code, _, err = _main("training/fit.py", ["--out", run, *TINY, "--epochs", "2", "--resume"], capsys)
    _one_line(code, err, "history.csv: line 2", "val_mpjpe_mm")
    ran("resume_garbled_history")


@pytest.mark.parametrize("case,value", [("evaluate_noise_px_inf", "inf"), ("evaluate_noise_px_nan", "nan")])
def test_evaluate_noise_px(tiny, capsys, case, value):
    code, _, err = _main("training/evaluate.py", [tiny["run"], "--noise-px", value], capsys)
    _one_line(code, err, "--noise-px", value)
    ran(case)


def test_lifter_arguments(tiny, tmp_path):
    from graphsh_tf.keypoints import KeypointError
    from graphsh_tf.lite.lifter import Lifter

    for n in (0, -2, 1.5, True):
        with pytest.raises(KeypointError, match="num_threads"):
            Lifter(tiny["fp32"], num_threads=n)
    ran("lifter_num_threads_zero")
    lift = Lifter(tiny["fp32"])
    for size in ((1e-300, 1e-300), (1, 1)):
        try:
            res = lift(_coco_pose(), size)
        except KeypointError as e:
            assert "image_size" in str(e) and "re-export" not in str(e), str(e)
        else:
            assert np.isfinite(res.joints_mm).all() and res.valid is False
    ran("lifter_tiny_image_size")
    with pytest.raises(KeypointError, match="intrinsics"):
        lift(_coco_pose(), (640, 480), intrinsics=(0, 500, 320, 240))
    ran("lifter_intrinsics_zero_focal")
    with pytest.raises(KeypointError, match="17"):
        lift(np.zeros((5, 2)), (640, 480))
    ran("lifter_wrong_keypoint_count")
    kp = _coco_pose()
    kp[:] = np.inf
    res = lift(kp, (640, 480))
    assert np.isfinite(res.joints_mm).all() and res.valid is False
    ran("lifter_inf_keypoints_not_valid")
    res = lift(_coco_pose(), (640, 480), scores=np.full(17, np.nan))
    assert np.isfinite(res.joints_mm).all() and res.valid is False
    ran("lifter_nan_scores_not_valid")
    loop = tmp_path / "loop.tflite"
    loop.symlink_to(loop.name)
    with pytest.raises(KeypointError, match="symbolic link loop"):
        Lifter(loop)
    ran("lifter_model_symlink_loop")
    cut = _copy_model(tiny, tmp_path, "fp32", "cut")
    cut.write_bytes(cut.read_bytes()[:2000])
    with pytest.raises(KeypointError, match="cut.tflite"):
        Lifter(cut)
    ran("lifter_truncated_model")


def test_evaluate_model_is_a_folder(tmp_path, capsys):
    (tmp_path / "m.tflite").mkdir()
    code, _, err = _main("training/evaluate.py", [tmp_path / "m.tflite"], capsys)
    _one_line(code, err, "m.tflite", "folder")
    ran("evaluate_model_is_a_folder")


def test_torch_import_npz_text_and_strings(tmp_path, capsys):
    text = tmp_path / "w.npz"
    text.write_text("layer.weight,1,2,3\n")
    code, _, err = _main("graphsh_tf.torch_import", [text, tmp_path / "out.h5"], capsys)
    line = _one_line(code, err, "w.npz")
    assert "allow_pickle" not in line
    ran("torch_import_text_npz")
    np.savez(tmp_path / "s.npz", **{"state_dict/gconv_input.gconv.W": np.array(["a", "b"])})
    code, _, err = _main("graphsh_tf.torch_import", [tmp_path / "s.npz", tmp_path / "out.h5"], capsys)
    _one_line(code, err, "s.npz", "gconv_input.gconv.W", "<U1")
    assert not (tmp_path / "out.h5").exists()
    ran("torch_import_string_npz")


@pytest.mark.parametrize("case,variants,needle", [("convert_variants_only_commas", ",", "--variants"),
                                                  ("convert_unknown_variant", "int4", "int4")])
def test_convert_variants(tiny, tmp_path, capsys, case, variants, needle):
    code, _, err = _main("tflite/convert.py", [tiny["run"], "--variants", variants, "--out", tmp_path / "o"], capsys)
    _one_line(code, err, needle)
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())
    ran(case)


@pytest.mark.parametrize("case,args,needle", [("validate_limit_negative", ["--limit", "-1"], "--limit"),
                                              ("validate_files_only_commas", ["--files", ","], "--files")])
def test_validate_arguments(tiny, capsys, case, args, needle):
    code, _, err = _main("tflite/validate.py", [tiny["run"], *args], capsys)
    _one_line(code, err, needle)
    ran(case)


@pytest.mark.parametrize("case,spec,needle", [("data_unknown_option", "synthetic:bogus=1", "bogus"),
                                              ("data_unknown_source", "nosuch:x", "nosuch")])
def test_data_specs(capsys, case, spec, needle):
    code, _, err = _main("graphsh_tf.data.inspect", ["--data", spec], capsys)
    _one_line(code, err, needle)
    ran(case)


def test_data_frames_beyond_memory_are_honoured(capsys):
    """``frames=4000000`` used to be ignored (40,000 frames were used); beyond memory the split is streamed."""
    code, out, err = _main("graphsh_tf.data.inspect", ["--data", "synthetic:frames=4000000"], capsys)
    assert code == 0, err[-2000:]
    assert "train=4000000 frames" in out.replace(",", "")
    ran("data_frames_too_many")


@pytest.mark.parametrize("case,spec", [("evaluate_corrupt_unknown_preset", "bogus"),
                                       ("evaluate_corrupt_rate_above_one", "detector:swap_rate=2")])
def test_evaluate_corrupt_specs(tiny, capsys, case, spec):
    code, _, err = _main("training/evaluate.py", [tiny["run"], "--corrupt", spec], capsys)
    _one_line(code, err, "--corrupt")
    ran(case)


def test_fit_out_is_a_symlink_loop(tmp_path, capsys):
    loop = tmp_path / "loop"
    loop.symlink_to(loop.name)
    code, _, err = _main("training/fit.py", ["--out", loop / "run", *TINY_FIT], capsys)
    _one_line(code, err, "loop")
    ran("fit_out_is_a_symlink_loop")


# --- the detector and lift door -------------------------------------------------------------------------------------

def _blazepose_or_skip():
    from graphsh_tf.detect import install

    try:
        install.model_path("pose_detection.tflite") if hasattr(install, "model_path") else None
    except Exception as e:  # noqa: BLE001
        pytest.skip(f"BlazePose not installed ({e}); run python -m graphsh_tf.detect.install")
    cache = Path(os.environ.get("GRAPHSH_TF_MODELS", Path.home() / ".cache" / "graphsh_tf" / "models"))
    if not (cache / "pose_detection.tflite").is_file():
        pytest.skip("BlazePose not installed; run python -m graphsh_tf.detect.install")


@pytest.mark.parametrize("case", ["lift_missing_input", "lift_text_file_named_jpg", "lift_empty_folder",
                                  "lift_every_zero", "lift_hfov_out_of_range", "lift_model_not_a_lifter"])
def test_lift_door_bad_inputs(tiny, tmp_path, capsys, case):
    img = tmp_path / "photo.png"
    from PIL import Image

    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(img)
    args, needle = {
        "lift_missing_input": ([tmp_path / "nope.jpg"], "nope.jpg"),
        "lift_text_file_named_jpg": ([tmp_path / "t.jpg"], "t.jpg"),
        "lift_empty_folder": ([tmp_path / "empty"], "empty"),
        "lift_every_zero": ([img, "--every", "0"], "--every"),
        "lift_hfov_out_of_range": ([img, "--hfov", "180"], "hfov"),
        "lift_model_not_a_lifter": ([img, "--model", tmp_path / "t.jpg"], "t.jpg"),
    }[case]
    (tmp_path / "t.jpg").write_text("not an image")
    (tmp_path / "empty").mkdir()
    out = tmp_path / "out"
    model = [] if "--model" in args else ["--model", tiny["fp32"]]
    code, _, err = _main("graphsh_tf.lift", [*args, *model, "--out", out], capsys)
    _one_line(code, err, needle)
    assert not out.exists() or not list(out.iterdir())
    ran(case)


def test_lift_blank_image_finds_nobody(tiny, tmp_path, capsys):
    _blazepose_or_skip()
    from PIL import Image

    img = tmp_path / "blank.png"
    Image.fromarray(np.full((96, 128, 3), 127, np.uint8)).save(img)
    code, out, err = _main("graphsh_tf.lift", [img, "--model", tiny["fp32"], "--out", tmp_path / "o",
                                               "--no-pictures"], capsys)
    assert code == 0, err[-2000:]
    doc = json.loads((tmp_path / "o" / "lift.json").read_text())
    assert sum(len(f.get("people", [])) for f in doc["frames"]) == 0
    ran("lift_blank_image_no_people")


def test_detector_refuses_a_text_file(tmp_path):
    from graphsh_tf.detect import Detector

    bad = tmp_path / "movenet.tflite"
    bad.write_text("hello")
    with pytest.raises(ValueError, match="movenet.tflite"):
        Detector(str(bad))
    ran("detector_text_file_model")


# --- the last bad inputs (issue 30) ----------------------------------------------------------------------------------

def test_lifter_intrinsics_far_from_the_image(tiny):
    """Intrinsics of another image (a principal point 1e12 px away) used to reach the root solver (numpy's
    LinAlgError) or to give an answer without a word; they are refused by name. A pose on one viewing ray (all
    keypoints at one pixel) gets a NaN root, never a LinAlgError."""
    from graphsh_tf.contract import ContractError
    from graphsh_tf.keypoints import KeypointError, prepare_input
    from graphsh_tf.lite.lifter import Lifter
    from graphsh_tf.root import solve_root

    assert issubclass(KeypointError, ValueError) and issubclass(ContractError, ValueError)
    lift = Lifter(tiny["fp32"])
    for k in ((1000, 1000, -1e12, 1e12), (1000, 1000, 5000, 240), (1e-9, 1e-9, 320, 240), (1e9, 1e9, 320, 240)):
        with pytest.raises(KeypointError, match=r"^intrinsics: .*pixels of this image"):
            lift(_coco_pose(), (640, 480), intrinsics=k)
        with pytest.raises(ContractError, match=r"^intrinsics: "):
            prepare_input(_coco_pose(), 640, 480, intrinsics=k)
    ok = lift(_coco_pose(), (640, 480), intrinsics=(500, 500, 320, 240))
    assert np.isfinite(ok.root_mm).all()
    ran("lifter_intrinsics_principal_point_far_away")
    same = np.tile([[300.0, 200.0]], (17, 1))
    res = lift(same, (640, 480), intrinsics=(500, 500, 320, 240))
    assert np.isfinite(res.joints_mm).all() and np.isnan(res.root_mm).all()
    root = solve_root(np.tile([[10.0, 20.0]], (16, 1)), np.zeros((16, 3)), (1000, 1000, -1e12, 1e12))
    assert np.isnan(root).all()
    ran("root_solver_one_viewing_ray_is_nan")


def test_h36m_positions_3d_holding_strings(tmp_path, capsys):
    good = (np.random.default_rng(0).normal(0, 0.3, size=(6, 32, 3)) + [0.2, -0.1, 1.0]).astype(np.float32)
    _videopose_files(tmp_path, {"S1": {"Walking 1": np.full((6, 32, 3), "abc")}, "S9": {"Walking": good}})
    code, _, err = _main("graphsh_tf.data.inspect", ["--data", f"h36m:{tmp_path}"], capsys)
    line = _one_line(code, err, "data_3d_h36m.npz", "S1", "Walking 1", "positions_3d", "text", "metres",
                     "(frames, 32 or 17, 3)")
    assert "could not convert" not in line
    ran("h36m_positions_3d_strings")


def test_evaluate_run_with_a_folder_for_weights_or_a_looping_config(tiny, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(tiny["run"], run, ignore=shutil.ignore_patterns("tflite", "tb", "ckpt"))
    best = run / "best.weights.h5"
    best.unlink()
    best.mkdir()
    code, _, err = _main("training/evaluate.py", [run], capsys)
    line = _one_line(code, err, "best.weights.h5: is a folder, not a weights file")
    assert "config.json" not in line
    ran("evaluate_best_weights_is_a_folder")
    shutil.rmtree(best)
    shutil.copyfile(tiny["run"] / "best.weights.h5", best)
    cfg = run / "config.json"
    cfg.unlink()
    cfg.symlink_to(cfg.name)
    code, _, err = _main("training/evaluate.py", [run], capsys)
    line = _one_line(code, err, "config.json", "symbolic link loop")
    assert "not found" not in line
    ran("evaluate_config_json_symlink_loop")


def test_lifter_min_score_outside_zero_one(tiny):
    from graphsh_tf.keypoints import KeypointError, adapt, prepare_input
    from graphsh_tf.lite.lifter import Lifter

    for bad in (float("nan"), float("inf"), -0.1, 1.5, "high", True):
        with pytest.raises(KeypointError, match="min_score"):
            Lifter(tiny["fp32"], min_score=bad)
        with pytest.raises(KeypointError, match="min_score"):
            prepare_input(_coco_pose(), 640, 480, min_score=bad)
        with pytest.raises(KeypointError, match="min_score"):
            adapt(_coco_pose(), "coco17", min_score=bad)
    res = Lifter(tiny["fp32"], min_score=1.0)(_coco_pose(), (640, 480), scores=np.full(17, 0.9))
    assert res.valid is False and not res.confidence.any()   # 1.0 is a legal, strict threshold
    ran("lifter_min_score_nan")


def test_weights_with_an_extra_layer_group(tiny, tmp_path, capsys):
    import h5py

    run = tmp_path / "run"
    shutil.copytree(tiny["run"], run, ignore=shutil.ignore_patterns("tflite", "tb", "ckpt"))
    with h5py.File(run / "best.weights.h5", "a") as f:
        f["layers"].create_group("graph_conv_99/vars").create_dataset("0", data=np.ones((8, 8), np.float32))
    code, _, err = _main("training/evaluate.py", [run], capsys)
    _one_line(code, err, "best.weights.h5", "layers/graph_conv_99", "another config")
    from graphsh_tf.model_io import ModelFileError, load_model

    with pytest.raises(ModelFileError, match="graph_conv_99"):
        load_model(run / "best.weights.h5")
    assert load_model(tiny["run"]) is not None    # the run's own weights still load
    ran("weights_extra_layer_group")


def test_lift_folder_skips_an_unreadable_photo(tiny, tmp_path, capsys, monkeypatch):
    """One corrupt photo in a folder is skipped with one warning naming it; the others are lifted; the end says how
    many were skipped and the exit code is 1. A stub detector stands in for BlazePose (no model files needed)."""
    import graphsh_tf.detect as detect
    from graphsh_tf.detect import Person

    from PIL import Image

    class StubDetector:
        layout = "coco17"
        last_timings_ms = {"detector": 0.1}

        def __init__(self, *args, **kwargs):
            pass

        def __call__(self, rgb):
            return [Person(_coco_pose(), np.full(17, 0.9), "coco17", 0.9)]

    monkeypatch.setattr(detect, "Detector", StubDetector)
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a.png", "c.png"):
        Image.fromarray(np.full((48, 64, 3), 90, np.uint8)).save(photos / name)
    (photos / "b.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    out = tmp_path / "out"
    code, stdout, err = _main("graphsh_tf.lift", [photos, "--model", tiny["fp32"], "--out", out, "--no-pictures"],
                              capsys)
    assert "Traceback" not in err, err[-3000:]
    assert code == 1, (code, err[-2000:])
    warnings = [ln for ln in err.splitlines() if "warning" in ln]
    assert len(warnings) == 1 and "b.jpg" in warnings[0] and "not a readable image" in warnings[0], err
    assert "1 of 3 image file(s) skipped" in err.splitlines()[-1], err
    doc = json.loads((out / "lift.json").read_text())
    assert [f["source"] for f in doc["frames"]] == ["a.png", "c.png"]
    assert all(len(f["persons"]) == 1 for f in doc["frames"])
    assert [Path(s["file"]).name for s in doc["skipped"]] == ["b.jpg"]
    _no_temp_files(out)
    # the same file given by name stays one line and exit 2; a folder of only unreadable files too
    code, _, err = _main("graphsh_tf.lift", [photos / "b.jpg", "--model", tiny["fp32"], "--out", tmp_path / "o2"],
                         capsys)
    _one_line(code, err, "b.jpg", "not a readable image")
    bad_only = tmp_path / "bad_only"
    bad_only.mkdir()
    (bad_only / "x.png").write_text("text")
    code, _, err = _main("graphsh_tf.lift", [bad_only, "--model", tiny["fp32"], "--out", tmp_path / "o3"], capsys)
    assert code == 2 and "none of its 1 image file(s) is readable" in err.splitlines()[-1], err
    assert not (tmp_path / "o2").exists() and not (tmp_path / "o3").exists()
    ran("lift_folder_skips_an_unreadable_photo")


# --- the count ------------------------------------------------------------------------------------------------------

def test_every_case_ran():
    """Last in the file: every case of CASES was exercised by a test above (skips aside), and >= 30 are new."""
    assert sum(origin == "new" for origin, _ in CASES.values()) >= 30
    missing = sorted(set(CASES) - RAN)
    skippable = {"fit_full_disk_resumable", "lift_blank_image_no_people", "sidecar_wrong_finite_scale",
                 "sidecar_zero_point_fraction"} | {c for c in CASES if c.startswith("web_")}
    assert not [c for c in missing if c not in skippable], missing


def outcome_counts() -> dict:
    """{(origin, outcome): count} over :data:`CASES`."""
    counts: dict = {}
    for origin, outcome in CASES.values():
        counts[(origin, outcome)] = counts.get((origin, outcome), 0) + 1
    return counts


if __name__ == "__main__":
    print(outcome_counts())
