"""``make portability``: do the notes' results hold on other CPUs, thread counts and seeds?

A reader's machine may run other CPU kernels than ours: PyTorch picks AVX-512,
AVX2 or plain C++ code at start-up (``ATEN_CPU_CAPABILITY``), and MKL, oneDNN,
OpenBLAS and NumPy each pick their own. Their float rounding differs in the
last bits, and training amplifies those bits. This script emulates each kernel
path this CPU can run (it can only go down, never up) by capping all five
libraries together, then

1. runs every demo of :data:`seqnotes.demos.CLAIMS` for seeds 0–4 under each
   path and prints, per claim, the minimum / median / maximum over all of them
   next to the bar the notes claim (a claim fails if any run misses its bar);
2. runs the notes' snippets (both languages), the demo tests and the figure
   test under each path with 1 and with 2 threads (``--skip-tests`` skips this).
   Demos train on one thread whatever the setting, so these runs reuse the
   seed-0 results that step 1 trained under the same path (a private
   ``SEQNOTES_DEMO_CACHE``, keyed by the kernel settings).

Exit status 1 if a claim or a test run fails. Not part of ``make test``: it
takes several minutes.

``--quick`` (``make test-kernels``, run by CI after ``make test``) only runs
the pytest step under the plain C++ path: a minute or two, enough that a new
number that holds only on one machine's kernels cannot land.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_PATHS = ["docs", "tests/test_demos.py", "tests/test_figures.py"]
# Per-demo wall-time budgets in seconds (the adding problem's is for its three cells together).
BUDGETS = {"transformer_copy_demo": 10, "adding_problem_demo": 60}
DEFAULT_BUDGET = 30


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.split(":", 1)[1].split())
    return set()


def _numpy_dispatch() -> list[str]:
    """NumPy's optional SIMD targets that this CPU supports (beyond its baseline)."""
    from numpy._core import _multiarray_umath as umath  # NumPy >= 2

    return [f for f in umath.__cpu_dispatch__ if umath.__cpu_features__.get(f)]


def profiles() -> dict[str, dict[str, str]]:
    """Kernel paths this CPU can emulate: name -> environment that caps every library to it."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        # On arm64, PyTorch has one vector path (NEON, or SVE where present) and plain C++.
        return {"native": {}, "default": {"ATEN_CPU_CAPABILITY": "default"}}
    flags = _cpu_flags()
    dispatch = _numpy_dispatch()
    found: dict[str, dict[str, str]] = {
        "default": {
            "ATEN_CPU_CAPABILITY": "default",
            "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
            "ONEDNN_MAX_CPU_ISA": "SSE41",
            "OPENBLAS_CORETYPE": "Nehalem",
            "NPY_DISABLE_CPU_FEATURES": " ".join(dispatch),
        }
    }
    if {"avx2", "fma"} <= flags:
        above = [f for f in dispatch if "AVX512" in f or f == "X86_V4"]
        found["avx2"] = {
            "ATEN_CPU_CAPABILITY": "avx2",
            "MKL_ENABLE_INSTRUCTIONS": "AVX2",
            "ONEDNN_MAX_CPU_ISA": "AVX2",
            "OPENBLAS_CORETYPE": "Haswell",
            "NPY_DISABLE_CPU_FEATURES": " ".join(above),
        }
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        found["avx512"] = {"ATEN_CPU_CAPABILITY": "avx512"}
    return found


def _env(profile_env: dict[str, str], threads: int, cache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _ALL_KEYS}
    env.update(profile_env)
    env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    env["SEQNOTES_DEMO_CACHE"] = cache  # fresh for this run: nothing trained elsewhere is reused
    return env


_ALL_KEYS = {
    "ATEN_CPU_CAPABILITY",
    "MKL_ENABLE_INSTRUCTIONS",
    "ONEDNN_MAX_CPU_ISA",
    "OPENBLAS_CORETYPE",
    "NPY_DISABLE_CPU_FEATURES",
}


# --------------------------------------------------------------------------- worker


def worker(seeds: list[int]) -> None:
    """Run every claimed demo for ``seeds``; print one JSON line per (claim, seed)."""
    import torch

    from seqnotes.demos import CLAIMS

    capability = torch.backends.cpu.get_cpu_capability()
    for seed in seeds:
        for k, claim in enumerate(CLAIMS):
            result = claim.run(seed)  # memoised: one training run per demo and seed
            row = {
                "claim": k,
                "seed": seed,
                "capability": capability,
                "value": float(result[claim.metric]),
                "seconds": result.seconds,
            }
            print(json.dumps(row), flush=True)


# --------------------------------------------------------------------------- driver


def _sweep(name: str, env: dict[str, str], seed: int) -> list[dict]:
    cmd = [sys.executable, __file__, "--worker", "--seeds", str(seed)]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"demo sweep under {name}, seed {seed} failed:\n{proc.stderr[-3000:]}")
    return [dict(json.loads(line), profile=name) for line in proc.stdout.splitlines()]


def _pytest(name: str, env: dict[str, str], threads: int) -> tuple[str, int, bool, str]:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-rf", *TEST_PATHS]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-500:]
    if proc.returncode != 0:
        failed = [ln for ln in proc.stdout.splitlines() if ln.startswith("FAILED")]
        summary += "\n      " + "\n      ".join(failed[:20])
    summary += f"  [{time.perf_counter() - start:.0f} s]"
    return name, threads, proc.returncode == 0, summary


def _table(rows: list[dict]) -> bool:
    from seqnotes.demos import CLAIMS

    ok_all = True
    header = f"{'claim':58} {'min':>8} {'median':>8} {'max':>8}  {'bar':>8}  {'worst run':18} ok"
    print(header)
    print("-" * len(header))
    for k, claim in enumerate(CLAIMS):
        runs = [r for r in rows if r["claim"] == k]
        values = [r["value"] for r in runs]
        worst = min(runs, key=lambda r: r["value"] if claim.op == ">=" else -r["value"])
        ok = all(claim.holds(v) for v in values)
        ok_all &= ok
        print(
            f"{str(claim):58} {min(values):8.4f} {statistics.median(values):8.4f} "
            f"{max(values):8.4f}  {claim.op} {claim.bar:<5g}  "
            f"{worst['profile']}, seed {worst['seed']:<5} {'yes' if ok else 'NO'}"
        )
    print()
    # One training run per (demo, arguments, path, seed); the adding problem's budget covers
    # its three cells together, every other budget one call.
    runs: dict[tuple, float] = {}
    for r in rows:
        claim = CLAIMS[r["claim"]]
        label = claim.demo if claim.demo in BUDGETS else f"{claim.demo}{claim.args or ''}"
        runs[(label, claim.args, r["profile"], r["seed"])] = r["seconds"]
    totals: dict[str, dict[tuple, float]] = {}
    for (label, _, profile, seed), seconds in runs.items():
        per_run = totals.setdefault(label, {})
        per_run[(profile, seed)] = per_run.get((profile, seed), 0.0) + seconds
    print(f"{'demo':40} {'max seconds':>12}  budget")
    for label, per_run in totals.items():
        budget = BUDGETS.get(label.split("(")[0], DEFAULT_BUDGET)
        print(f"{label:40} {max(per_run.values()):12.1f}  {budget}")
    return ok_all


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--skip-tests", action="store_true", help="only the demo sweep")
    parser.add_argument(
        "--quick", action="store_true", help="only the tests, only on the plain C++ kernels"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.worker:
        worker(seeds)
        return 0

    found = profiles()
    if args.quick:
        cache = tempfile.mkdtemp(prefix="seqnotes-kernels-")
        name, threads, passed, summary = _pytest("default", _env(found["default"], 2, cache), 2)
        shutil.rmtree(cache, ignore_errors=True)
        print(f"pytest {' '.join(TEST_PATHS)} on the plain C++ kernels: {summary}")
        return 0 if passed else 1
    start = time.perf_counter()
    print(f"kernel paths on this CPU: {', '.join(found)}; seeds {args.seeds}\n")
    cache = tempfile.mkdtemp(prefix="seqnotes-portability-")
    # One process per (path, seed), two at a time (one per core); demos use one thread each.
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [
            pool.submit(_sweep, n, _env(e, 1, cache), s) for s in seeds for n, e in found.items()
        ]
        rows = [row for job in jobs for row in job.result()]
    capabilities = {r["profile"]: r["capability"] for r in rows}
    print("PyTorch reported:", ", ".join(f"{p} -> {c}" for p, c in capabilities.items()))
    print()
    ok = _table(rows)
    print(f"\ndemo sweep: {time.perf_counter() - start:.0f} s")

    if not args.skip_tests:
        print(f"\npytest {' '.join(TEST_PATHS)} under every path and thread count:")
        one = [(n, _env(e, 1, cache), 1) for n, e in found.items()]
        two = [(n, _env(e, 2, cache), 2) for n, e in found.items()]
        with ThreadPoolExecutor(max_workers=2) as pool:  # single-thread runs side by side
            results = list(pool.map(lambda a: _pytest(*a), one))
        results += [_pytest(*a) for a in two]  # two-thread runs one at a time
        for name, threads, passed, summary in results:
            print(f"  {name:8} {threads} thread(s): {'ok ' if passed else 'FAIL'} {summary}")
            ok &= passed
    shutil.rmtree(cache, ignore_errors=True)
    print(
        f"\nmake portability: {'all claims hold' if ok else 'FAILED'} "
        f"({time.perf_counter() - start:.0f} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
