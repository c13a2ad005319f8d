"""graphsh_tf.progress (bar / periodic lines / off), the LR schedules' own descriptions, and the per-action table
sized for a terminal."""
import io
import re

from graphsh_tf import metrics, progress
from graphsh_tf.progress import Progress, about, choose_mode, format_duration

import numpy as np
import pytest


class _Tty(io.StringIO):
    def isatty(self):
        return True


def _run(total, stream, **kw):
    with Progress(total, "steps", "fit", stream=stream, **kw) as p:
        for i in range(total):
            p.update(1)
            p.info(f"loss {1.0 / (i + 1):.3f}")
    return stream.getvalue()


def test_lines_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("GRAPHSH_PROGRESS", raising=False)
    short = _run(200, io.StringIO())           # a job of a few seconds: the closing line only
    assert len(short.splitlines()) == 1 and short.startswith("fit: 200/200 steps in 0:00")
    monkeypatch.setattr(progress, "LINE_MIN_SECONDS", 0.0)
    out = _run(200, io.StringIO())
    lines = out.splitlines()
    assert "\r" not in out and choose_mode(io.StringIO()) == "lines"
    assert len(lines) == 10, out          # 10 %, 20 %, ... 90 %, then the closing line
    assert lines[0].startswith("fit: 20/200 steps (10 %)") and "left" in lines[1] and "steps/s" in lines[1]
    assert lines[-1].startswith("fit: 200/200 steps in ") and lines[-1].endswith("loss 0.005")


def test_quiet_writes_nothing_but_log_lines(monkeypatch):
    monkeypatch.setenv("GRAPHSH_PROGRESS", "bar")    # quiet wins over the override
    s = _Tty()
    with Progress(50, "poses", stream=s, quiet=True) as p:
        p.update(50)
        p.write("a log line")
    assert s.getvalue() == "a log line\n"


def test_bar_on_a_terminal_redraws_one_line(monkeypatch):
    monkeypatch.delenv("GRAPHSH_PROGRESS", raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    s = _Tty()
    with Progress(300, "steps", "fit", stream=s) as p:
        for _ in range(300):
            p.update()
        p.write("time: about 1 min")
    out = s.getvalue()
    assert out.count("\n") == 2 and "time: about 1 min\n" in out       # the log line, then the final bar
    frames = [f for f in out.replace("\n", "\r").split("\r") if f.strip()]
    assert all(len(f) <= 80 for f in frames)
    assert re.search(r"^fit \[#{10,30}\] 300/300 steps  \d+ steps/s  in 0:0\d$", frames[-1].rstrip()), frames[-1]


def test_unknown_total_counts_without_time_left():
    s = io.StringIO()
    with Progress(0, "frames", "lift", stream=s, mode="lines") as p:
        p.update(7)
    assert s.getvalue().startswith("lift: 7 frames in 0:00") and "left" not in s.getvalue()


def test_env_override_and_durations(monkeypatch):
    monkeypatch.setenv("GRAPHSH_PROGRESS", "off")
    assert choose_mode(_Tty()) == "off"
    monkeypatch.setenv("GRAPHSH_PROGRESS", "lines")
    assert choose_mode(_Tty()) == "lines"
    assert format_duration(42) == "0:42" and format_duration(3723) == "1:02:03"
    assert about(20) == "under a minute" and about(600) == "about 10 min" and about(5400) == "about 1.5 h"
    with pytest.raises(ValueError):
        Progress(3, mode="fancy")


@pytest.mark.parametrize("kw, words", [
    ({"lr_schedule": "cosine", "lr": 2e-3, "warmup_steps": 8000}, ["warm-up to 0.002 over 8000 steps; the run's 6000 "
                                                                   "steps end inside it, at lr 0.0015"]),
    ({"lr_schedule": "cosine", "lr": 2e-3, "warmup_steps": 200}, ["warm-up to 0.002 over 200", "cosine", "0.002 -> 0"]),
    ({"lr_schedule": "cosine", "lr": 2e-3, "warmup_steps": 0}, ["cosine: lr 0.002 -> 0 over 6000 steps"]),
    ({"lr_schedule": "staircase", "lr": 1e-4, "lr_decay_steps": 2000, "lr_gamma": 0.5, "warmup_steps": 0},
     ["staircase: lr 0.0001 x 0.5 every 2000 steps", "1.25e-05 at the last step"]),
])
def test_schedule_describes_itself(kw, words):
    from graphsh_tf.config import TrainConfig
    from graphsh_tf.train.optim import lr_schedule

    cfg = TrainConfig(**kw).validate()
    sched = lr_schedule(cfg, 6000)
    text = sched.describe(6000)
    for w in words:
        assert w in text, text
    if kw.get("warmup_steps", 0) > 6000:
        assert float(sched(5999)) == pytest.approx(1.5e-3, rel=1e-3)
    elif kw["lr_schedule"] == "cosine":
        assert "^" not in text and "every" not in text
        assert float(sched(6000)) == pytest.approx(0.0, abs=1e-9)
        assert float(sched(kw["warmup_steps"])) == pytest.approx(kw["lr"], rel=1e-3)
    else:
        assert float(sched(6000)) == pytest.approx(1.25e-05, rel=1e-4)


def _seventy_actions(rng):
    contents = ["bow", "bye", "call", "dance", "dash", "guide", "kick", "punch", "respond", "run", "slash", "walk",
                "walk-back", "walk-left"]
    styles = ["active", "angry", "childish", "chimpira", "feminine"]
    names = [f"dataset-1_{c}_{s}_001" for c in contents for s in styles]
    actions = np.repeat(names, 3)
    true = rng.normal(0, 300, (len(actions), 16, 3))
    pred = true + rng.normal(0, 40, true.shape)
    return metrics.evaluate_predictions(pred, true, actions=actions), contents


def test_seventy_actions_grouped_into_a_terminal():
    result, contents = _seventy_actions(np.random.default_rng(0))
    assert len(result["per_action"]) == 70
    text = metrics.per_action_terminal(result, full_table="eval.md")
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80 and len(lines) <= 24, text
    assert "in 14 groups" in text and "all 70 actions: eval.md" in text
    header = [i for i, line in enumerate(lines) if line.startswith("action ")][0]
    rows = {line.split()[0]: line.split()[1:] for line in lines[header + 1:-2]}
    assert set(rows) == set(contents)
    walk = [v for k, v in result["per_action"].items() if k.split("_")[1] == "walk"]
    pooled = sum(v["mpjpe_mm"] * v["n_poses"] for v in walk) / sum(v["n_poses"] for v in walk)
    assert float(rows["walk"][0]) == pytest.approx(pooled, abs=0.05)
    # the markdown file keeps one column per action
    assert metrics.per_action_markdown(result).splitlines()[0].count("|") == 73


def test_unstructured_names_cut_to_worst_and_best():
    result, _ = _seventy_actions(np.random.default_rng(1))
    result["per_action"] = {f"clip{i:02d}": v for i, v in enumerate(result["per_action"].values())}
    text = metrics.per_action_terminal(result, full_table="pass --md FILE for the full table")
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80 and "the 5 worst and the 5 best" in text
    values = [float(line.split()[1]) for line in lines if line.startswith("clip")]
    assert len(values) == 10 and values == sorted(values, reverse=True)
    assert max(v["mpjpe_mm"] for v in result["per_action"].values()) == pytest.approx(values[0], abs=0.05)


def test_few_actions_one_row_each():
    result, _ = _seventy_actions(np.random.default_rng(2))
    result["per_action"] = dict(list(result["per_action"].items())[:6])
    text = metrics.per_action_terminal(result, full_table="eval.md")
    assert len(text.splitlines()) == 2 + 6 + 1 and "eval.md" not in text and "groups" not in text
