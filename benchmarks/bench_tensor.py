"""Benchmark the Tensor engine side by side with PyTorch on the CPU.

Run from the repository root:

    PYTHONPATH=. python3 benchmarks/bench_tensor.py            # full size, a few minutes
    PYTHONPATH=. python3 benchmarks/bench_tensor.py --quick    # small sizes, seconds

Each workload runs the same computation in both engines, in the same dtype, on the same
numbers. The two are timed in alternated rounds (ours, torch, ours, torch, ...), so
that a burst of load on this shared machine hits both; each round gives a ratio
ours / torch, and the table shows the median ratio and its range over the rounds.

Threads: the first table pins both sides to one thread (numpy's BLAS through the
OPENBLAS/MKL/OMP_NUM_THREADS variables, torch through ``torch.set_num_threads(1)``),
so that the ratio compares the engines, not the thread pools; the second table uses
each library's default. A thread count can only be set before numpy loads, so the
script runs itself once per table with ``--threads``.

PyTorch is optional: without it the script times ours alone and says so.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")
SEED = 0

TARGET_MICROSECONDS_PER_OP = 6.0
TARGET_RATIOS = {  # ours / torch, one thread each
    "mlp-small": 0.4,
    "mlp-large": 1.0,
    "cnn-digits": 1.0,
    "lstm": 1.5,
}
QUICK_IMAGES = 32  # the digits CNN's "epoch" in --quick mode: one batch, not 1438 images


@dataclass(frozen=True)
class Workload:
    """One computation, built for either engine by ``make(engine, dtype)``; each call
    of the function it returns runs one timed step."""

    name: str
    description: str
    make: Callable[[Any, str], Callable[[], Any]]
    ops_per_step: int = 0  # for the per-op figure


# ---------------------------------------------------------------------- the two engines
# Each workload is written once, against this small adapter.


class Ours:
    name = "ours"

    def __init__(self) -> None:
        from tinygrad_edu.tensor import Tensor

        self.Tensor = Tensor

    def tensor(self, array: Any, requires_grad: bool = False) -> Any:
        return self.Tensor(array, requires_grad=requires_grad)

    def step(self, parameters: list[Any], lr: float) -> None:
        for parameter in parameters:
            parameter.data -= lr * parameter.grad
            parameter.grad = None

    def cross_entropy(self, logits: Any, targets: Any) -> Any:
        picked = logits.log_softmax(axis=1)[self.arange(len(targets)), targets]
        return -picked.mean()

    @staticmethod
    def arange(n: int) -> Any:
        import numpy as np

        return np.arange(n)


class Torch:
    name = "torch"

    def __init__(self) -> None:
        import torch

        self.torch = torch

    def tensor(self, array: Any, requires_grad: bool = False) -> Any:
        return self.torch.tensor(array, requires_grad=requires_grad)

    def step(self, parameters: list[Any], lr: float) -> None:
        with self.torch.no_grad():
            for parameter in parameters:
                parameter -= lr * parameter.grad
                parameter.grad = None

    def cross_entropy(self, logits: Any, targets: Any) -> Any:
        return self.torch.nn.functional.cross_entropy(logits, targets)


# ---------------------------------------------------------------------- workloads


def tiny_chain(engine: Any, dtype: str, length: int = 100) -> Callable[[], Any]:
    """y = tanh(y * w) + b, ``length`` times over, on 4 numbers; then backward."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    w = engine.tensor(rng.uniform(0.5, 1.0, 4).astype(dtype), requires_grad=True)
    b = engine.tensor(rng.uniform(-0.1, 0.1, 4).astype(dtype), requires_grad=True)
    x = engine.tensor(rng.standard_normal(4).astype(dtype))

    def step() -> Any:
        y = x
        for _ in range(length):
            y = (y * w).tanh() + b
        y.sum().backward()
        w.grad = b.grad = None
        return y

    return step


def mlp(
    engine: Any,
    dtype: str,
    sizes: tuple[int, ...],
    batch: int,
    classes: int | None,
    activation: str = "tanh",
) -> Callable[[], Any]:
    """One training step of an MLP with ``activation`` ("tanh" or "relu") in its hidden
    layers: forward, loss (MSE, or cross-entropy over ``classes``), backward, SGD."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    parameters = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        bound = 1 / np.sqrt(fan_in)
        parameters.append(
            engine.tensor(
                rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype), requires_grad=True
            )
        )
        parameters.append(
            engine.tensor(rng.uniform(-bound, bound, fan_out).astype(dtype), requires_grad=True)
        )
    inputs = engine.tensor(rng.standard_normal((batch, sizes[0])).astype(dtype))
    if classes is None:
        targets = engine.tensor(rng.standard_normal((batch, sizes[-1])).astype(dtype))
    else:
        labels = rng.integers(0, classes, batch)
        targets = labels if engine.name == "ours" else engine.torch.tensor(labels)

    def step() -> Any:
        hidden = inputs
        for index in range(0, len(parameters) - 2, 2):
            hidden = getattr(hidden @ parameters[index] + parameters[index + 1], activation)()
        output = hidden @ parameters[-2] + parameters[-1]
        if classes is None:
            loss = ((output - targets) ** 2).mean()
        else:
            loss = engine.cross_entropy(output, targets)
        loss.backward()
        engine.step(parameters, 0.01)
        return loss

    return step


def digits_cnn_epoch(engine: Any, dtype: str, images: int | None = None) -> Callable[[], Any]:
    """One training epoch of ``tinygrad-edu train digits``'s CNN (conv 16, pool, conv 32,
    pool, linear) on the digits, batches of 32, cross-entropy and Adam; torch runs the
    same model with the same start (``bridge.to_torch``). Without scikit-learn, random
    images of the same shape stand in for the digits."""
    import numpy as np

    from tinygrad_edu.data import DataLoader, digits
    from tinygrad_edu.demos import digits_cnn

    try:
        X, y = digits(seed=SEED)[:2]
    except ImportError:
        rng = np.random.default_rng(SEED)
        X, y = rng.uniform(0, 1, (1438, 1, 8, 8)), rng.integers(0, 10, 1438)
    images = QUICK_IMAGES if QUICK else len(X) if images is None else images
    batches = [
        (inputs.data.astype(dtype), labels)
        for inputs, labels in DataLoader(X[:images], y[:images], batch_size=32, seed=SEED)
    ]
    model = digits_cnn(seed=SEED, dtype=dtype)
    if engine.name == "ours":
        from tinygrad_edu.optim import Adam

        optimizer = Adam(model.parameters(), lr=0.01)
        run = lambda inputs: model(engine.tensor(inputs))  # noqa: E731
    else:
        from tinygrad_edu.bridge import to_torch

        model = to_torch(model)
        optimizer = engine.torch.optim.Adam(model.parameters(), lr=0.01)
        batches = [(engine.torch.from_numpy(x), engine.torch.from_numpy(t)) for x, t in batches]
        run = model

    def step() -> Any:
        for inputs, labels in batches:
            loss = engine.cross_entropy(run(inputs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss

    return step


def lstm_step(engine: Any, dtype: str) -> Callable[[], Any]:
    """One training step of an LSTM (input 32, hidden 64) over a sequence of 20 steps,
    batch 32: the last output through a linear layer to 10 classes, cross-entropy,
    backward through time, SGD. torch runs the same layers (``bridge.to_torch``)."""
    import numpy as np

    from tinygrad_edu.layers import LSTM, Linear

    rng = np.random.default_rng(SEED)
    layers = [LSTM(32, 64, seed=SEED, dtype=dtype), Linear(64, 10, seed=SEED + 1, dtype=dtype)]
    inputs = rng.standard_normal((20, 32, 32)).astype(dtype)
    labels = rng.integers(0, 10, 32)
    if engine.name == "ours":
        lstm, head = layers
        inputs, targets = engine.tensor(inputs), labels
    else:
        from tinygrad_edu.bridge import to_torch

        lstm, head = (to_torch(layer) for layer in layers)
        inputs, targets = engine.torch.from_numpy(inputs), engine.torch.from_numpy(labels)
    parameters = [*lstm.parameters(), *head.parameters()]

    def step() -> Any:
        output, _ = lstm(inputs)
        loss = engine.cross_entropy(head(output[-1]), targets)
        loss.backward()
        engine.step(parameters, 0.01)
        return loss

    return step


QUICK = False


WORKLOADS = [
    Workload(
        "tiny", "per op: tanh(y * w) + b chained 100x, shape (4,)", tiny_chain, ops_per_step=301
    ),
    Workload(
        "mlp-small",
        "train step, MLP 2-16-16-1 tanh, 100 points, MSE",
        lambda engine, dtype: mlp(engine, dtype, (2, 16, 16, 1), 100, None),
    ),
    Workload(
        "mlp-large",
        "train step, MLP 64-128-128-10 relu, batch 256, cross-entropy",
        lambda engine, dtype: mlp(engine, dtype, (64, 128, 128, 10), 256, 10, "relu"),
    ),
    # The same with tanh, to show what numpy's tanh costs (no target).
    Workload(
        "mlp-large-tanh",
        "train step, MLP 64-128-128-10 tanh, batch 256, cross-entropy",
        lambda engine, dtype: mlp(engine, dtype, (64, 128, 128, 10), 256, 10),
    ),
    Workload(
        "cnn-digits",
        "train epoch, digits CNN (conv 16, conv 32), batch 32, Adam",
        digits_cnn_epoch,
    ),
    Workload(
        "lstm",
        "train step, LSTM seq 20, batch 32, hidden 64, SGD",
        lstm_step,
    ),
]


# ---------------------------------------------------------------------- timing


def time_steps(step: Callable[[], Any], steps: int) -> float:
    """Seconds per step over ``steps`` steps."""
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def measure(workload: Workload, dtype: str, rounds: int, budget: float) -> dict[str, Any]:
    """Alternated rounds of ours and torch's steps; per-round seconds and ratios."""
    engines = [Ours()]
    with contextlib.suppress(ImportError):
        engines.append(Torch())
    if len(engines) == 2:
        engines[1].torch.set_num_threads(
            int(os.environ.get("BENCH_TORCH_THREADS", "0")) or engines[1].torch.get_num_threads()
        )
    steps_of = {engine.name: engine_steps(engine, workload, dtype, budget) for engine in engines}
    times: dict[str, list[float]] = {engine.name: [] for engine in engines}
    for _ in range(rounds):
        for engine in engines:
            step, steps = steps_of[engine.name]
            times[engine.name].append(time_steps(step, steps))
    row: dict[str, Any] = {"workload": workload.name, "dtype": dtype, "times": times}
    if "torch" in times:
        row["ratios"] = [ours / theirs for ours, theirs in zip(times["ours"], times["torch"])]
    return row


def engine_steps(
    engine: Any, workload: Workload, dtype: str, budget: float
) -> tuple[Callable[[], Any], int]:
    """The step function, warmed up, and how many steps fill about ``budget`` seconds."""
    step = workload.make(engine, dtype)
    step()
    one = time_steps(step, 3)
    return step, max(3, int(budget / max(one, 1e-9)))


# ---------------------------------------------------------------------- the report


def run_table(threads: str, quick: bool) -> list[dict[str, Any]]:
    """Run this script in a fresh process with the thread setting; read its rows."""
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    if threads == "1":
        environment.update({variable: "1" for variable in THREAD_VARIABLES})
        environment["BENCH_TORCH_THREADS"] = "1"
    command = [sys.executable, __file__, "--measure"] + (["--quick"] if quick else [])
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the measuring process failed:\n{result.stderr}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{title}")
    header = (
        f"{'workload':<58} {'dtype':<8} {'ours':>10} {'torch':>10}  "
        f"{'ours/torch median (range)':>26}"
    )
    print(header)
    for row in rows:
        workload = next(w for w in WORKLOADS if w.name == row["workload"])
        ours = statistics.median(row["times"]["ours"])
        torch_time = statistics.median(row["times"]["torch"]) if "torch" in row["times"] else None
        unit, scale = (
            ("µs/op", 1e6 / workload.ops_per_step) if workload.ops_per_step else ("ms", 1e3)
        )
        theirs = f"{torch_time * scale:>8.2f}" if torch_time else "       -"
        ratio = "-"
        if "ratios" in row:
            ratios = row["ratios"]
            ratio = f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"
        print(
            f"{workload.description:<58} {row['dtype']:<8} {ours * scale:>8.2f} {unit:<5}"
            f"{theirs} {unit:<5} {ratio:>20}"
        )


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """PASS/FAIL lines for the targets, from the one-thread table."""
    lines = []
    for row in rows:
        workload = next(w for w in WORKLOADS if w.name == row["workload"])
        if workload.ops_per_step:
            per_op = statistics.median(row["times"]["ours"]) * 1e6 / workload.ops_per_step
            passed = per_op <= TARGET_MICROSECONDS_PER_OP
            lines.append(
                f"[{'PASS' if passed else 'FAIL'}] {row['dtype']} forward+backward "
                f"<= {TARGET_MICROSECONDS_PER_OP} µs per op: {per_op:.2f} µs"
            )
        elif workload.name in TARGET_RATIOS and "ratios" in row:
            ratio = statistics.median(row["ratios"])
            target = TARGET_RATIOS[workload.name]
            passed = ratio <= target
            lines.append(
                f"[{'PASS' if passed else 'FAIL'}] {row['dtype']} {workload.name} "
                f"<= {target}x torch's time: {ratio:.2f}x"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    global QUICK
    QUICK = arguments.quick
    rounds, budget = (2, 0.01) if arguments.quick else (9, 0.6)
    dtypes = ("float64",) if arguments.quick else ("float32", "float64")
    if arguments.measure:
        for workload in WORKLOADS:
            for dtype in dtypes:
                print(json.dumps(measure(workload, dtype, rounds, budget)), flush=True)
        return
    one_thread = run_table("1", arguments.quick)
    print(
        f"Python {sys.version.split()[0]}, {rounds} alternated rounds of about {budget} s "
        "per engine, seed 0"
    )
    if not any("torch" in row["times"] for row in one_thread):
        print("PyTorch not found: timing ours alone (pip install torch==2.13.0 to compare)")
    else:
        import torch

        print(f"comparing with torch {torch.__version__}")
    print_table("one thread each (numpy's BLAS and torch pinned to 1)", one_thread)
    if not arguments.quick:  # the quick run only checks that the script works
        print_table("default threads", run_table("default", arguments.quick))
    print()
    for line in verdicts(one_thread):
        print(line)


if __name__ == "__main__":
    main()
