"""Run the benchmark suite: python -m benchmarks [--quick] [--only W1,W2] [--json FILE].

Prints one Markdown table row per result as the suite runs, then the environment and every
result as JSON lines (one object per line).
"""

from __future__ import annotations

import argparse
import os
import sys


def parse_args(argv):
    from . import WORKLOADS

    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and few repeats (a smoke run of a few seconds)")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help="comma-separated workload ids, e.g. W1,W3 (default: all)")
    parser.add_argument("--no-peers", action="store_true",
                        help="skip micrograd, PyTorch and scikit-learn even when installed")
    parser.add_argument("--threads", type=int, default=None,
                        help="set numpy's BLAS and PyTorch to this many threads "
                             "(default: leave them as they are, and record them)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall-clock seconds (default) or CPU seconds of the process and "
                             "its children: steadier on a shared machine, meaningful for "
                             "single-threaded work, so pair it with --threads 1")
    parser.add_argument("--json", metavar="FILE", help="also write the JSON lines to FILE")
    args = parser.parse_args(argv)
    args.only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in args.only if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(WORKLOADS)}")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    return args


def limit_threads(n):
    """Before numpy loads its BLAS: environment variables reach every pool."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(n)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.threads is not None:
        limit_threads(args.threads)

    import gc
    import importlib
    import json

    from . import WORKLOADS
    from .harness import PROCESS_GC_THRESHOLDS, TABLE_HEADER, Config, environment, summary

    make = Config.smoke if args.quick else Config.full
    config = make(peers=not args.no_peers, clock=args.clock)
    _warn_about_the_machine()
    if args.clock == "cpu" and args.threads != 1:
        print("note: --clock cpu adds up the CPU time of every thread; with more than one "
              "thread it is not a latency (use --threads 1)", file=sys.stderr)
    print(f"clock: {args.clock}; threads: {args.threads or 'as set up'}\n")
    print(TABLE_HEADER, flush=True)
    results = []
    for workload in args.only:
        gc.set_threshold(*PROCESS_GC_THRESHOLDS)  # no workload inherits another's tuning
        module = importlib.import_module(WORKLOADS[workload])
        for result in module.run(config):
            results.append(result)
            print(result.table_row(), flush=True)
    env = environment()
    print(f"\n{summary(env)}")
    lines = [json.dumps({"environment": env, "quick": args.quick, "clock": args.clock,
                         "threads_option": args.threads})]
    lines += [result.json_line() for result in results]
    print("\n" + "\n".join(lines))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
    missed = [f"{r.workload} {r.case}" for r in results if r.met is False]
    if missed:
        print(f"\n{len(missed)} target(s) not met: " + "; ".join(missed), file=sys.stderr)
    return 0


def _warn_about_the_machine():
    load = os.getloadavg()[0]
    busy = load > 0.5
    overrides = [name for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if name in
                 os.environ]
    if busy:
        print(f"note: load average {load:.2f} — other processes share the CPUs, so timings "
              "(multi-threaded BLAS and PyTorch especially) will be noisy", file=sys.stderr)
    if overrides:
        print(f"note: {', '.join(overrides)} set: OpenBLAS may use a slower kernel; unset both "
              "for this command to measure a current numpy", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
