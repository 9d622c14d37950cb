"""Issue 13, item 15: the `tracegrad` command checks what it can before training, ends a
foreseeable failure with one line and a non-zero status, and after Ctrl-C exits 130
having written the checkpoint it promised."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
import optim
from nn import demo

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--dataset", "moons", "--hidden", "8", "--epochs", "2", "--batch-size", "128",
        "--no-progress"]


def refused(capsys, *args):
    """Exit status and stderr of a run that must stop before training."""
    with pytest.raises(SystemExit) as stop:
        demo.main(list(args))
    out, err = capsys.readouterr()
    assert "training:" not in out
    return stop.value.code, err


def test_cli_refuses_lr_inf_before_training(capsys, tmp_path):
    code, err = refused(capsys, "--lr", "inf", "--out", str(tmp_path))
    assert code == 2 and "--lr" in err and "expected a positive float, got 'inf'" in err


def test_cli_refuses_an_out_folder_under_a_file_before_training(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    code, err = refused(capsys, "--out", str(tmp_path / "file" / "pictures"))
    assert code == 2 and "--out: cannot write into" in err and "Not a directory" in err
    assert "Traceback" not in err


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc (read-only to all)")
def test_cli_refuses_an_unwritable_out_folder_before_training(capsys):
    code, err = refused(capsys, "--out", "/proc/self/tracegrad-demo")
    assert code == 2 and "--out: cannot write into '/proc/self/tracegrad-demo'" in err


def test_cli_refuses_a_save_path_it_cannot_write_before_training(capsys, tmp_path):
    code, err = refused(capsys, "--out", str(tmp_path), "--save", str(tmp_path / "no" / "x"))
    assert code == 2 and "--save: cannot write" in err
    code, err = refused(capsys, "--out", str(tmp_path), "--save", str(tmp_path))
    assert code == 2 and "is a folder" in err


def test_cli_refuses_an_absurd_hidden_size_before_allocating(capsys, tmp_path):
    code, err = refused(capsys, "--hidden", "100000000", "--out", str(tmp_path))
    assert code == 2 and "a model of 7,500,000,010 parameters (more than 20,000,000)" in err


def test_cli_dataset_shapes_match_the_data():
    for name, settings in demo.DATASETS.items():
        split = demo.load(name, 0)
        assert settings.shape == (split.X_train.shape[1], split.n_classes), name


def test_cli_memory_error_is_one_line_and_status_1(capsys, tmp_path, monkeypatch):
    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(demo, "MLP", no_memory)
    assert demo.main([*TINY, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["tracegrad: out of memory; choose smaller --hidden "
                                        "layers or a smaller --batch-size"]


def ctrl_c_at_step(monkeypatch, n):
    real_step, count = optim.Adam.step, []

    def step(self, closure=None):
        count.append(1)
        if len(count) == n:
            os.kill(os.getpid(), signal.SIGINT)
        return real_step(self, closure)

    monkeypatch.setattr(optim.Adam, "step", step)


@pytest.mark.parametrize("step, epochs_done", [(2, 0), (10, 1)])
def test_cli_ctrl_c_exits_130_having_saved_the_checkpoint(capsys, tmp_path, monkeypatch,
                                                          step, epochs_done):
    ctrl_c_at_step(monkeypatch, step)  # 6 steps per epoch: in the first, then the second
    path = tmp_path / "run.safetensors"
    assert demo.main([*TINY, "--out", str(tmp_path / "out"), "--save", str(path)]) == 130
    out, err = capsys.readouterr()
    assert err.strip().splitlines()[-1] == (f"tracegrad: interrupted (Ctrl-C) after "
                                            f"{epochs_done} complete epoch(s); the model so "
                                            f"far is in {str(path)!r}")
    assert "test accuracy" not in out and not list((tmp_path / "out").iterdir())
    checkpoint = nn.load(path)
    assert checkpoint["epochs"] == epochs_done
    assert checkpoint["optimizer"]["state"][0]["step"] == step  # the last step was whole
    model = nn.MLP(2, [8], 2)
    model.load_state_dict(checkpoint["model"])


def test_cli_a_finished_run_saves_its_checkpoint(capsys, tmp_path):
    path = tmp_path / "run.npz"
    assert demo.main([*TINY, "--out", str(tmp_path / "out"), "--save", str(path)]) == 0
    assert nn.load(path)["epochs"] == 2
    assert "checkpoint:" in capsys.readouterr().out


def test_cli_output_piped_to_head_ends_quietly(tmp_path):
    child = subprocess.Popen([sys.executable, "-m", "nn.demo", *TINY, "--out", str(tmp_path)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    first = child.stdout.readline()
    child.stdout.close()  # what `| head -1` does after its line
    err = child.stderr.read().decode()
    child.wait(timeout=120)
    assert first.startswith(b"data set: moons")
    assert child.returncode == 141 and "Traceback" not in err and "BrokenPipe" not in err


def test_cli_ctrl_c_in_a_real_process_exits_130_without_traceback(tmp_path):
    child = subprocess.Popen([sys.executable, "-u", "-m", "nn.demo", "--dataset", "digits",
                              "--epochs", "2000", "--out", str(tmp_path),
                              "--save", str(tmp_path / "run.safetensors")], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    seen = b""
    # The progress bar shows an epoch done: fit is running. Under load tqdm's first update
    # may already show a later epoch, so any count will do.
    while not re.search(rb"[1-9][0-9]*/2000", seen):
        chunk = child.stderr.read1(4096)
        assert chunk, seen.decode(errors="replace")
        seen += chunk
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    err = (seen + err).decode(errors="replace")
    assert child.returncode == 130, err
    assert "Traceback" not in err and "interrupted (Ctrl-C) after" in err
    assert np.isfinite(nn.load(tmp_path / "run.safetensors")["model"]["layers.0.weight"]).all()
