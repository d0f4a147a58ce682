"""The benchmark scripts keep working (their quick modes); their timings are not tested."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_run(script: str) -> str:
    """The output of ``benchmarks/<script> --quick``, which must succeed."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_quick_benchmark_runs_and_both_engines_agree() -> None:
    output = quick_run("bench_engine.py")
    assert "train step" in output
    assert "bytes per node" in output
    assert "(agree)" in output or "micrograd not found" in output
    assert "[PASS] <= 120 bytes per graph node" in output
    assert "ours / before (8f86a83), collector on" in output or "git cannot" in output


def test_quick_tensor_benchmark_runs_and_reports_every_workload() -> None:
    output = quick_run("bench_tensor.py")
    for workload in ("per op", "MLP 2-16-16-1", "MLP 64-128-128-10", "digits CNN", "LSTM"):
        assert workload in output
    assert "one thread each" in output
    assert "comparing with torch" in output or "PyTorch not found" in output


def test_quick_playground_benchmark_times_the_costliest_allowed_requests() -> None:
    output = quick_run("bench_playground.py")
    rows = [line for line in output.splitlines() if line.startswith("[")]
    assert len(rows) == 4  # one per set-up of --quick: its estimate and its time
    assert "the longest train request the server allows took" in output
