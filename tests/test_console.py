"""What a user reads on the console: fit, evaluate (70 clips), convert and benchmark on tiny models, with output
piped (progress as periodic lines) and with --quiet (no progress); each transcript under 40 lines at 80 columns
apart from progress, and no line that reads as a failure."""
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROGRESS = re.compile(r"^(fit|qat|validate|benchmark): \d+(/\d+)? \w+ (\(|in )")
FAILURE = re.compile(r"error:|failed|traceback|warning|deprecated|E0000|cuInit|fully_quantize|XNNPACK|"
                     r"\bnan\b", re.I)
CONTENTS = ["bow", "bye", "call", "dance", "dash", "guide", "kick", "punch", "respond", "run", "slash", "walk",
            "walk-back", "walk-left"]
STYLES = ["active", "angry", "childish", "chimpira", "feminine"]


def _run(script, *args, quiet_env=True):
    env = dict(os.environ, PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="", COLUMNS="80")
    for key in ("GRAPHSH_VERBOSE", "GRAPHSH_PROGRESS", "TF_CPP_MIN_LOG_LEVEL", "TF_CONFIG"):
        env.pop(key, None)    # the user's environment: TensorFlow's own logging left at its default
    r = subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], env=env, capture_output=True,
                       text=True, timeout=400, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    return r


def _screen_lines(text):
    """Lines on an 80-column terminal (long lines wrap), progress lines left out."""
    lines = [line for line in text.splitlines() if not PROGRESS.match(line)]
    return sum(max(1, math.ceil(len(line) / 80)) for line in lines), lines


def _check_transcript(r, name):
    text = r.stdout + r.stderr
    n, lines = _screen_lines(text)
    assert n < 40, f"{name}: {n} lines at 80 columns\n{text}"
    bad = [line for line in lines if FAILURE.search(line)]
    assert not bad, f"{name}: reads as a failure: {bad}\n{text}"
    return [line for line in text.splitlines() if PROGRESS.match(line)]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("console") / "run"
    r = _run("training/fit.py", "--epochs", "1", "--steps", "12", "--hid-dim", "8", "--stacks", "1",
             "--downsample", "40", "--batch-size", "64", "--out", out)
    return out, r


@pytest.fixture(scope="module")
def seventy_clips(tmp_path_factory):
    """Human3.6M files (VideoPose3D format) whose 70 test clips are named as Bandai-Namco's (14 actions x 5
    styles), the motion drawn by the synthetic generator."""
    from graphsh_tf.data.videopose3d import build_files, synthetic_clips, write_files

    names = iter(f"dataset-1_{c}_{s}_001" for c in CONTENTS for s in STYLES)
    clips = []
    for name, style, test, world in synthetic_clips(0, train_poses_per_subject=100, test_poses_per_subject=700,
                                                    seq_len=20):
        clips.append((next(names) if test else name, style, test, world))
    out = tmp_path_factory.mktemp("vp3d70")
    pos3d, pos2d, stats = build_files(clips)
    assert stats["test_clips"] == 70, stats
    write_files(out, pos3d, pos2d)
    return out


@pytest.mark.slow
def test_fit_transcript(run_dir):
    out, r = run_dir
    progress = _check_transcript(r, "fit")
    assert progress and progress[-1].startswith("fit: 12/12 steps in "), r.stdout
    assert re.search(r"^lr linear warm-up to 0.002 over 200 steps; the run's 12 steps end inside it, at lr 0.00012$",
                     r.stdout, re.M)
    assert re.search(r"^time: (under a minute|about \d+ min) for \d+ more steps \(from \d+ timed steps; plus "
                     r"validation\)$", r.stdout, re.M)
    assert f"run dir {out}" in r.stdout


@pytest.mark.slow
def test_fit_quiet_has_no_progress(tmp_path):
    r = _run("training/fit.py", "--epochs", "1", "--steps", "4", "--hid-dim", "8", "--stacks", "1",
             "--downsample", "40", "--batch-size", "64", "--out", tmp_path / "q", "--quiet")
    assert not _check_transcript(r, "fit --quiet") and "time:" not in r.stdout
    assert "done: MPJPE" in r.stdout


@pytest.mark.slow
def test_evaluate_seventy_clips_fits_a_terminal(run_dir, seventy_clips, tmp_path):
    out, _ = run_dir
    md = tmp_path / "eval.md"
    r = _run("training/evaluate.py", out, "--data", f"h36m:{seventy_clips}", "--md", md)
    _check_transcript(r, "evaluate")
    lines = r.stdout.splitlines()
    header = [i for i, line in enumerate(lines) if line.startswith("action ")][0]
    assert max(len(line) for line in lines[header - 2:header + 16]) <= 80, r.stdout     # the table
    assert lines[0].startswith(f"{out} on h36m:") and "MPJPE" in lines[0]       # the summary first
    assert "70 actions in 14 groups" in r.stdout and f"all 70 actions: {md}" in r.stdout
    rows = [line.split()[0] for line in lines if line.split() and line.split()[0] in CONTENTS]
    assert sorted(rows) == sorted(CONTENTS)
    assert md.read_text().count("dataset-1_") == 70          # the file keeps one column per clip


@pytest.mark.slow
def test_convert_and_benchmark_transcripts(run_dir):
    out, _ = run_dir
    r = _run("tflite/convert.py", out, "--variants", "fp32,qat_int8", "--qat-steps", "20")
    progress = _check_transcript(r, "convert")
    assert any(p.startswith("qat: 20/20 steps in ") for p in progress), r.stdout
    assert any(p.startswith("validate: ") for p in progress) and "fully_quantize" not in r.stderr
    assert (out / "tflite" / "graphsh_qat_int8.tflite").is_file()
    q = _run("tflite/convert.py", out, "--variants", "fp32", "--out", out / "q", "--quiet")
    assert not _check_transcript(q, "convert --quiet")

    b = _run("tflite/benchmark.py", out, "--threads", "1", "--runs", "20", "--warmup", "2")
    progress = _check_transcript(b, "benchmark")
    assert progress == ["benchmark: 2/2 timings in " + progress[0].split(" in ")[1]]
    table = [line for line in b.stdout.splitlines() if line.startswith(("fp32 ", "qat_int8 "))]
    assert len(table) == 2 and max(len(line) for line in b.stdout.splitlines()[:3]) <= 80
    assert float(table[0].split()[4]) == 1.0        # fp32's ratio to itself
    assert "| qat_int8 | 1 |" in (out / "benchmark.md").read_text()


def test_native_stderr_replayed_on_failure(capfd):
    from graphsh_tf.quiet import native_stderr_hidden

    with native_stderr_hidden():
        os.write(2, b"converter chatter\n")
    with pytest.raises(RuntimeError):
        with native_stderr_hidden():
            os.write(2, b"context of the failure\n")
            raise RuntimeError("conversion failed")
    err = capfd.readouterr().err
    assert "converter chatter" not in err and "context of the failure" in err
