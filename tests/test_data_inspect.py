"""The inspect CLI: loads like training, prints the summary, fails with one line on bad data."""
import os
import subprocess
import sys
from pathlib import Path

from graphsh_tf.data import inspect as data_inspect

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "graphsh_tf.data.inspect", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_cli_synthetic_exits_zero_with_summary():
    proc = run("--data", "synthetic")
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert "data=synthetic" in first and "train=40000 frames" in first and "test=8000 frames" in first


def test_cli_bad_folder_one_line_error(tmp_path):
    proc = run("--data", f"h36m:{tmp_path / 'missing'}")
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "data_3d_h36m.npz" in lines[0]
    assert "Traceback" not in proc.stderr


def test_main_writes_png(tmp_path, capsys):
    png = tmp_path / "samples.png"
    code = data_inspect.main(["--data", "synthetic", "--png", str(png)])
    assert code == 0 and png.stat().st_size > 1000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p != png]  # no temp file left behind
    assert "mean bone lengths" in capsys.readouterr().out


def test_main_bad_keypoints_for_synthetic(capsys):
    assert data_inspect.main(["--data", "synthetic", "--keypoints", "cpn_ft_h36m_dbb"]) != 0
    assert "only available for Human3.6M" in capsys.readouterr().err


def test_cli_converter_output_loads_with_16_joint_gt_and_bad_count_is_one_line(tmp_path):
    """The VideoPose3D writer's files (16-joint GT 2D, as SemGCN/the reference write them) load through inspect;
    a 2D file with another joint count fails with one line naming file, count and the accepted counts."""
    from graphsh_tf.data.videopose3d import convert

    import numpy as np

    out = tmp_path / "vp3d"
    stats = convert("synthetic", out)
    assert stats["train_frames"] > 0 and stats["test_frames"] > 0
    proc = run("--data", f"h36m:{out}")
    assert proc.returncode == 0, proc.stderr
    assert "joints=16" in proc.stdout.splitlines()[0]
    with np.load(out / "data_2d_h36m_gt.npz", allow_pickle=True) as f:  # our own file, written above
        pos2d, meta = f["positions_2d"].item(), f["metadata"].item()
    assert meta["num_joints"] == 16
    bad = {s: {a: [v[:, :15] for v in views] for a, views in acts.items()} for s, acts in pos2d.items()}
    np.savez_compressed(out / "data_2d_h36m_gt.npz", positions_2d=bad, metadata={**meta, "num_joints": 15})
    proc = run("--data", f"h36m:{out}")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(lines) == 1 and "Traceback" not in proc.stderr
    assert "data_2d_h36m_gt.npz" in lines[0] and "num_joints=15" in lines[0] and "16, 17, 32" in lines[0]


def test_sources_lists_every_source_with_its_options(capsys):
    assert data_inspect.main(["--sources"]) == 0
    out = capsys.readouterr().out
    for line in ("synthetic[:key=value,...]", "  frames: a whole number of training rows", "bvh:DIR",
                 "  cameras: one of h36m, virtual, phone", "h36m:DIR", "mpi_inf_3dhp:DIR", "  sequences: "):
        assert line in out, line
