"""What every workload shares: timing, equality checks, peers, memory, and reporting.

Timing: a call is warmed up, then repeated in samples of `number` calls (calibrated so one
sample lasts at least `min_time`), and the median of the per-call times is reported, in
wall-clock seconds or, with `clock="cpu"`, in CPU seconds of this process and the child
processes it waited for (the honest clock for single-threaded work on a shared machine:
wall time also counts the moments another process held the CPU).
The garbage collector stays on, as a user has it, unless a workload says otherwise;
implementations of one workload are timed interleaved (`compare`).

Reporting: each measurement is one `Result`, printed as a Markdown table row while the
suite runs and as one JSON line at the end. The ratio to the numpy floor is
tracegrad / floor (1.0 = as fast as hand-written numpy; bigger is slower).
"""

from __future__ import annotations

import gc
import importlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent

# Environment variables that decide how many threads numpy's BLAS and PyTorch use, and the
# two OpenBLAS overrides this workplace may set (they select a slower kernel).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# The collector's thresholds as the process started, before tracegrad (which raises them
# after a big backward, for the rest of the process) ran anything.
PROCESS_GC_THRESHOLDS = gc.get_threshold()


class BenchmarkMismatch(RuntimeError):
    """Two implementations of one workload disagreed, so timing them would mean nothing."""


@dataclass
class Config:
    """How hard to measure. `quick` is the smoke size: tiny inputs, few repeats."""

    quick: bool = False
    peers: bool = True
    warmup: int = 1
    repeat: int = 7
    min_time: float = 0.05
    clock: str = "wall"  # or "cpu"

    @classmethod
    def full(cls, peers=True, clock="wall") -> Config:
        return cls(quick=False, peers=peers, clock=clock)

    @classmethod
    def smoke(cls, peers=False, clock="wall") -> Config:
        return cls(quick=True, peers=peers, warmup=1, repeat=3, min_time=0.0, clock=clock)

    def now(self) -> float:
        """The current reading of this configuration's clock, in seconds."""
        return cpu_seconds() if self.clock == "cpu" else time.perf_counter()


def cpu_seconds() -> float:
    """CPU time of this process (all threads) plus its waited-for children (dot, say)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


# --------------------------------------------------------------------------------------
# timing


@dataclass
class Timing:
    """Seconds per call on the configured clock: the median over `samples`, each the mean
    of `number` calls. Both clocks' medians are kept for the record."""

    median: float
    minimum: float
    maximum: float
    number: int
    samples: list
    wall_median: float = math.nan
    cpu_median: float = math.nan

    def as_dict(self) -> dict:
        return {"median_s": self.median, "min_s": self.minimum, "max_s": self.maximum,
                "wall_median_s": self.wall_median, "cpu_median_s": self.cpu_median,
                "calls_per_sample": self.number, "samples": len(self.samples)}


def measure(fn, config: Config, repeat=None, gc_off=False) -> Timing:
    """Time `fn()` alone (see `compare`)."""
    return compare({"fn": fn}, config, repeat, gc_off={"fn"} if gc_off else ())["fn"]


def compare(fns: dict, config: Config, repeat=None, gc_off=()) -> dict:
    """Time several implementations of one computation, interleaved: every round takes one
    sample of each, so a machine that slows down or speeds up mid-run (other processes on
    a shared machine) shifts all of them alike and their ratios stay fair.

    Each sample starts after an untimed gc.collect(), so no implementation pays for the
    garbage of another. Names in `gc_off` run their samples with the collector disabled.
    Collector thresholds: every implementation starts from the process's original ones
    and keeps its own changes from sample to sample (tracegrad raises them after a big
    backward, as it would in a training loop), never another's. Returns {name: Timing}.
    """
    repeat = repeat or config.repeat
    thresholds = {name: PROCESS_GC_THRESHOLDS for name in fns}
    numbers = {}
    for name, fn in fns.items():
        for _ in range(config.warmup):
            _sample(fn, 1, name in gc_off, thresholds, name)
        numbers[name] = _calibrate(fn, config.min_time, name in gc_off, thresholds, name)
    wall = {name: [] for name in fns}
    cpu = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            wall_s, cpu_s = _sample(fn, numbers[name], name in gc_off, thresholds, name,
                                    with_cpu=True)
            wall[name].append(wall_s / numbers[name])
            cpu[name].append(cpu_s / numbers[name])
    timings = {}
    for name in fns:
        chosen = cpu[name] if config.clock == "cpu" else wall[name]
        timings[name] = Timing(statistics.median(chosen), min(chosen), max(chosen),
                               numbers[name], chosen, statistics.median(wall[name]),
                               statistics.median(cpu[name]))
    return timings


def _sample(fn, number, gc_off, thresholds, name, with_cpu=False):
    process_thresholds = gc.get_threshold()
    gc.collect()
    gc.set_threshold(*thresholds[name])
    if gc_off:
        gc.disable()
    try:
        start, start_cpu = time.perf_counter(), cpu_seconds()
        for _ in range(number):
            fn()
        wall = time.perf_counter() - start
        return (wall, cpu_seconds() - start_cpu) if with_cpu else wall
    finally:
        thresholds[name] = gc.get_threshold()
        gc.set_threshold(*process_thresholds)
        if gc_off:
            gc.enable()
            gc.collect()


def _calibrate(fn, min_time, gc_off, thresholds, name) -> int:
    """Calls per sample so that a sample lasts at least min_time (timer noise < 0.1%)."""
    number = 1
    while min_time > 0 and number < 1_000_000:
        elapsed = _sample(fn, number, gc_off, thresholds, name)
        if elapsed >= min_time:
            break
        number *= 2 if elapsed > min_time / 10 else 10
    return number


# --------------------------------------------------------------------------------------
# checking that implementations compute the same thing


def check_close(what, actual, expected, rtol=1e-9, atol=0.0) -> float:
    """Raise BenchmarkMismatch unless |actual − expected| ≤ atol + rtol·|expected|
    elementwise; return max|actual − expected| / max|expected| (normwise), for the record."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise BenchmarkMismatch(f"{what}: shape {actual.shape} != expected {expected.shape}")
    diff = np.abs(actual - expected)
    bound = atol + rtol * np.abs(expected)
    if not np.all(np.isfinite(actual)) or np.any(diff > bound):
        excess = np.where(np.isfinite(actual), diff - bound, np.inf)
        worst = tuple(int(i) for i in np.unravel_index(np.argmax(excess), diff.shape))
        raise BenchmarkMismatch(
            f"{what}: differs from the reference at index {worst}: got {float(actual[worst])!r}"
            f", expected {float(expected[worst])!r} (|diff| {float(diff[worst]):.3g} > "
            f"{float(bound[worst]):.3g} = atol + rtol·|expected|)"
        )
    if not diff.size:
        return 0.0
    return float(np.max(diff) / max(float(np.max(np.abs(expected))), np.finfo(float).tiny))


def check_all_close(what, actuals, expecteds, rtol=1e-9, atol=0.0) -> float:
    """check_close over matching lists of arrays; the largest normwise difference."""
    if len(actuals) != len(expecteds):
        raise BenchmarkMismatch(f"{what}: {len(actuals)} arrays vs {len(expecteds)} expected")
    worst = 0.0
    for i, (a, e) in enumerate(zip(actuals, expecteds, strict=True)):
        worst = max(worst, check_close(f"{what}[{i}]", a, e, rtol, atol))
    return worst


# --------------------------------------------------------------------------------------
# peers (optional: never dependencies of tracegrad)


def optional_import(name):
    """The module, or None when it is not installed (peers are measured only if present)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


NOT_INSTALLED = "not installed"


# --------------------------------------------------------------------------------------
# results


@dataclass
class Result:
    """One measured case of one workload; values are in `unit` (smaller is better)."""

    workload: str
    name: str
    case: str
    unit: str
    tracegrad: float | None
    floor: float | None
    peers: dict = field(default_factory=dict)  # peer -> value in `unit`, or a reason string
    check: str = ""
    target: str = ""
    met: bool | None = None
    extra: dict = field(default_factory=dict)
    skipped: str | None = None

    @property
    def ratio(self) -> float | None:
        """tracegrad / floor: how many times slower (or bigger) than hand-written numpy."""
        if _number(self.tracegrad) and _number(self.floor) and self.floor > 0:
            return self.tracegrad / self.floor
        return None

    def peer_ratios(self) -> dict:
        return {peer: self.tracegrad / value for peer, value in self.peers.items()
                if _number(value) and _number(self.tracegrad) and value > 0}

    def as_dict(self) -> dict:
        return {"workload": self.workload, "name": self.name, "case": self.case,
                "unit": self.unit, "tracegrad": self.tracegrad, "floor": self.floor,
                "ratio_to_floor": self.ratio, "peers": self.peers,
                "ratio_to_peers": self.peer_ratios(), "check": self.check,
                "target": self.target, "met": self.met, "skipped": self.skipped,
                "extra": self.extra}

    def json_line(self) -> str:
        return json.dumps(self.as_dict(), default=_json_default, allow_nan=False)

    def table_row(self) -> str:
        if self.skipped:
            cells = [self.workload, self.name, self.case, self.unit, "—", "—", "—",
                     f"skipped: {self.skipped}", self.target, "—"]
        else:
            peers = "; ".join(_peer_cell(p, v, self.tracegrad) for p, v in self.peers.items())
            cells = [self.workload, self.name, self.case, self.unit, _fmt(self.tracegrad),
                     _fmt(self.floor), _fmt_ratio(self.ratio), peers or "—", self.target,
                     {True: "yes", False: "NO", None: "—"}[self.met]]
        return "| " + " | ".join(cells) + " |"


TABLE_HEADER = (
    "| W | workload | case | unit | tracegrad | numpy floor | ×floor | peers (tracegrad ×) "
    "| target | met |\n|---|---|---|---|---|---|---|---|---|---|"
)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(
        value)


def _fmt(value) -> str:
    if not _number(value):
        return "—" if value is None else str(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 0.01:
        return f"{value:.3g}"
    return f"{value:.3g}"


def _fmt_ratio(ratio) -> str:
    return "—" if ratio is None else f"{ratio:.2f}"


def _peer_cell(peer, value, tracegrad) -> str:
    if not _number(value):
        return f"{peer}: {value}"
    if _number(tracegrad) and value > 0:
        return f"{peer} {_fmt(value)} (×{tracegrad / value:.2f})"
    return f"{peer} {_fmt(value)}"


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# --------------------------------------------------------------------------------------
# the machine


def thread_counts() -> dict:
    """Threads each native pool will use: threadpoolctl's view when it is installed
    (numpy's OpenBLAS, PyTorch's OpenMP), else only the environment variables."""
    info = {"env": {name: os.environ.get(name) for name in THREAD_VARIABLES}}
    threadpoolctl = optional_import("threadpoolctl")
    if threadpoolctl is not None:
        info["pools"] = [
            {key: pool.get(key) for key in ("user_api", "internal_api", "num_threads",
                                             "version", "architecture", "filepath")}
            for pool in threadpoolctl.threadpool_info()
        ]
    else:
        info["pools"] = "threadpoolctl not installed"
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
    return info


def blas_threads() -> int:
    """Threads numpy's BLAS will use: threadpoolctl's answer, else the environment, else
    one per CPU (OpenBLAS's default)."""
    threadpoolctl = optional_import("threadpoolctl")
    if threadpoolctl is not None:
        counts = [p["num_threads"] for p in threadpoolctl.threadpool_info()
                  if p["user_api"] == "blas"]
        if counts:
            return max(counts)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return os.cpu_count() or 1


def threads_starved(timing: Timing, threads: int) -> bool:
    """True when a multi-threaded measurement spent most of its wall time waiting: its CPU
    time was well under threads × wall time (another process held the cores, and the
    threads waited for each other)."""
    if threads <= 1 or not (timing.wall_median > 0):
        return False
    return timing.cpu_median < 0.6 * threads * timing.wall_median


def environment() -> dict:
    """The machine and software the numbers were measured on."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "threads": thread_counts(),
        "peers": {name: _version(name) for name in ("micrograd", "torch", "sklearn",
                                                     "threadpoolctl")},
        "dot": _dot_version(),
        "load_average_1_5_15min": os.getloadavg(),
    }


def summary(env: dict) -> str:
    """One line for the top of a report: machine, numpy, BLAS threads, peers."""
    pools = env["threads"]["pools"]
    if isinstance(pools, list):
        blas = ", ".join(f"{p['internal_api']} {p['version']} {p['architecture']} "
                         f"({p['num_threads']} threads)" for p in pools)
    else:
        settings = [f"{k}={v}" for k, v in env["threads"]["env"].items() if v is not None]
        blas = "BLAS threads: " + (", ".join(settings) or "library default (one per CPU)")
    peers = ", ".join(f"{name} {version}" for name, version in env["peers"].items())
    torch_threads = env["threads"].get("torch_threads")
    torch_note = f", torch threads {torch_threads}" if torch_threads else ""
    return (f"{env['cpu']} ({env['cpus']} CPUs), Python {env['python']}, numpy "
            f"{env['numpy']}; {blas}{torch_note}; peers: {peers}; load average "
            f"{env['load_average_1_5_15min'][0]:.2f}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(module_name) -> str:
    from importlib import metadata

    distribution = {"sklearn": "scikit-learn"}.get(module_name, module_name)
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return NOT_INSTALLED


def _dot_version() -> str:
    try:
        done = subprocess.run(["dot", "-V"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return NOT_INSTALLED
    return (done.stderr or done.stdout).strip()


# --------------------------------------------------------------------------------------
# peak memory, in a fresh process


def reset_peak_rss() -> None:
    """Start a new peak-RSS measurement in this process, where the system allows it.

    On Linux a process's ru_maxrss starts at its parent's size when it was forked (the
    kernel carries the high-water mark across exec), so a child of a big suite process
    would report no growth at all. Writing 5 to /proc/self/clear_refs resets the mark
    (VmHWM) to the current RSS instead.
    """
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass


def peak_rss_bytes() -> int:
    """This process's peak resident set size since reset_peak_rss() (or since it started)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # KiB on Linux


def run_child(module: str, *args, timeout=600) -> dict:
    """Run `python -m module args...` in a fresh interpreter and return the JSON object on
    the last line it prints. A fresh process is the only way to read a peak RSS that
    belongs to one measurement (the peak never goes down within a process)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(map(str, args))} failed "
                           f"(exit {done.returncode}):\n{done.stderr[-2000:]}")
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{module} {' '.join(map(str, args))} printed nothing")
    return json.loads(lines[-1])
