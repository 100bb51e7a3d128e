"""Run every ``benchmarks/bench_*.py`` in turn, each as a subprocess, and print a summary.

    .venv/bin/python benchmarks/run_all.py [--only tracking,drift] [--timeout 3600] [-- ARGS...]

Each benchmark runs with the current Python and keeps its own output (printed as it goes);
a failing or timed-out benchmark is reported and the next one runs. Arguments after ``--``
are passed to every benchmark (e.g. ``-- --no-peer``). Exit status 1 if any failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    argv = sys.argv[1:]
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None,
                        help="comma-separated names (bench_<name>.py), default: all")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per benchmark")
    args = parser.parse_args(argv)

    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        wanted = {n.strip().removeprefix("bench_").removesuffix(".py") for n in args.only.split(",")}
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
    if not scripts:
        print("no benchmarks found")
        return 1

    results = []
    for script in scripts:
        print(f"\n{'=' * 100}\n== {script.name} {' '.join(extra)}   (load {load()})\n{'=' * 100}",
              flush=True)
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, str(script), *extra], cwd=HERE.parent,
                                  timeout=args.timeout)
            status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
        except subprocess.TimeoutExpired:
            status = f"FAILED (timeout after {args.timeout:.0f} s)"
        except Exception as exc:  # noqa: BLE001 - keep going with the next benchmark
            status = f"FAILED ({type(exc).__name__}: {exc})"
        results.append((script.name, status, time.perf_counter() - t0))

    print(f"\n{'=' * 100}\nsummary (load {load()})")
    for name, status, seconds in results:
        print(f"  {name:<28} {status:<34} {seconds:8.1f} s")
    return 0 if all(status == "ok" for _, status, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
