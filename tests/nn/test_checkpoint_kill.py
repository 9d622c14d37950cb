"""Issue 13, item 4 (and the atomicity promise of item 0): a process saving checkpoints in a
loop is killed with SIGKILL, SIGTERM or SIGINT at random moments. Every time, the
checkpoint on disk loads and is one complete save, and the next save leaves no temporary.

`make test` runs a few kills per format; `make fuzz` (the `slow` marker) runs
TRACEGRAD_KILL_ROUNDS (default 150) per format.
"""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import nn

# The child saves states whose every entry holds its save number, alternating between a
# small and a large state so kills land in headers, in array data and in the rename.
CHILD = r"""
import sys
import numpy as np
import nn

path = sys.argv[1]
print("ready", flush=True)
i = 1
while True:
    n = 50_000 if i % 2 else 400_000
    nn.save({"optimizer": {"state": {0: {"step": i, "exp_avg": np.full(n, float(i))}}},
             "w": np.full(1000, float(i)), "count": np.array(i)}, path)
    i += 1
"""

SIGNALS = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]


def consistent(state):
    i = int(state["count"])
    entry = state["optimizer"]["state"][0]
    return (entry["step"] == i and np.all(state["w"] == i)
            and np.all(entry["exp_avg"] == i))


def kill_rounds(tmp_path, suffix, rounds, seed):
    rng = np.random.default_rng(seed)
    path = tmp_path / f"run{suffix}"
    nn.save({"optimizer": {"state": {0: {"step": 0, "exp_avg": np.zeros(3)}}},
             "w": np.zeros(1000), "count": np.array(0)}, path)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    for round_ in range(rounds):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert child.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.0, 0.3))
        sig = SIGNALS[round_ % len(SIGNALS)]
        child.send_signal(sig)
        child.wait(timeout=60)
        child.stdout.close()
        state = nn.load(path)  # always loadable, whatever the moment
        assert consistent(state), f"round {round_} ({sig.name}): a mixed or partial save"
        leftovers = [f for f in os.listdir(tmp_path) if f != path.name]
        if sig == signal.SIGINT:  # KeyboardInterrupt: the save removes its own temporary
            assert leftovers == []
        nn.save(state, path)  # the next save removes what a killed one left
        assert os.listdir(tmp_path) == [path.name], f"round {round_} ({sig.name})"


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_killed_save_at_random_moments_keeps_a_loadable_checkpoint(tmp_path, suffix):
    kill_rounds(tmp_path, suffix, rounds=6, seed=0)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_killed_save_at_random_moments_keeps_a_loadable_checkpoint_at_full_size(tmp_path,
                                                                                suffix):
    rounds = int(os.environ.get("TRACEGRAD_KILL_ROUNDS", "150"))
    kill_rounds(tmp_path, suffix, rounds=rounds, seed=1)
