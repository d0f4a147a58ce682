"""The benchmark script keeps working (its quick mode); its timings are not tested."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_runs_and_both_engines_agree() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_engine.py"), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "train step" in result.stdout
    assert "bytes per node" in result.stdout
    assert "(agree)" in result.stdout or "micrograd not found" in result.stdout
    assert "[PASS] <= 250 bytes per graph node" in result.stdout


def test_quick_tensor_benchmark_runs_and_reports_every_workload() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_tensor.py"), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for workload in ("per op", "MLP 2-16-16-1", "MLP 64-128-128-10"):
        assert workload in result.stdout
    assert "one thread each" in result.stdout
    assert "comparing with torch" in result.stdout or "PyTorch not found" in result.stdout
