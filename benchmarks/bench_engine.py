"""Benchmark tinygrad_edu's engine side by side with micrograd.

Run from the repository root::

    PYTHONPATH=. python3 benchmarks/bench_engine.py            # full size, about a minute
    PYTHONPATH=. python3 benchmarks/bench_engine.py --quick    # small sizes, a few seconds

Each workload is built the same way for both engines through a tiny adapter
(``Engine``), using only what micrograd 0.1.0 has: + - * ** and relu.

Fair isolation: micrograd's graphs are full of reference cycles (each node's
``_backward`` closure refers back to the node), so they stay in memory until Python's
cyclic garbage collector frees them, and they slow down whatever runs next in the same
process. So every (engine, workload) pair runs in its own new interpreter: the script
runs itself again with ``--engine`` and ``--workload`` and reads back one JSON line.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

Node = Any  # a Value of either engine; the two classes share no base type
Row = dict[str, Any]  # one measurement, sent from a subprocess to the parent as JSON
Sample = tuple[tuple[float, float], float]  # an MLP input (x0, x1) and its target

SEED = 0
MLP_SIZES = (2, 16, 16, 1)
REPO_ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("train", "chain", "deep", "wide", "memory")

# Timings are CPU time of the benchmarking process, not wall time, so that other
# programs running on the same machine disturb them less.
clock = time.process_time

# Targets this engine aims for.
TARGET_SPEEDUP = 10.0  # training-style forward+backward vs micrograd
TARGET_BYTES_PER_NODE = 250.0  # memory kept by a built forward graph, per node
TARGET_DEPTH = 1_000_000  # a chain this deep must work


@dataclass(frozen=True)
class Sizes:
    """How big each workload is; ``--quick`` picks the small set."""

    batch: int  # samples in the training batch; 100 gives a graph of about 68,000 nodes
    chain_depths: tuple[int, ...]  # chain depths run on both engines
    deep_chain: int  # chain depth run on ours alone
    deep_repeats: int  # timed runs of the deep chain (each takes seconds)
    wide_leaves: int  # leaves added up in the wide sum
    repeats: int  # timed runs of every other workload (the median is reported)


FULL = Sizes(
    batch=100,
    chain_depths=(400, 1_000),
    deep_chain=TARGET_DEPTH,
    deep_repeats=1,
    wide_leaves=100_000,
    repeats=5,
)
QUICK = Sizes(
    batch=10,
    chain_depths=(400, 1_000),
    deep_chain=10_000,
    deep_repeats=1,
    wide_leaves=10_000,
    repeats=3,
)


# ---------------------------------------------------------------------- the adapter


@dataclass(frozen=True)
class Engine:
    """All the workloads need from an engine: make a leaf and list a node's inputs."""

    name: str
    leaf: Callable[[float], Node]
    inputs: Callable[[Node], Iterable[Node]]


def load_engine(name: str) -> Engine | None:
    """Import the engine called ``name`` ('ours' or 'micrograd'); None if not installed."""
    if name == "ours":
        from tinygrad_edu.engine import Value

        return Engine("ours", Value, lambda node: node.inputs)
    try:
        from micrograd.engine import Value as MicroValue
    except ImportError:
        return None
    return Engine("micrograd", MicroValue, lambda node: node._prev)


def count_nodes(engine: Engine, root: Node) -> int:
    """Count the distinct nodes that ``root`` depends on, itself included (no recursion)."""
    seen = {root}
    stack = [root]
    while stack:
        for child in engine.inputs(stack.pop()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return len(seen)


# ---------------------------------------------------------------------- workloads

Neuron = tuple[list[Node], Node]  # weights and bias
Layer = list[Neuron]


def make_mlp(engine: Engine, sizes: Sequence[int], rng: random.Random) -> list[Layer]:
    """Make the parameters of an MLP with these layer sizes, uniform in [-1, 1]."""

    def number() -> Node:
        return engine.leaf(rng.uniform(-1, 1))

    return [
        [([number() for _ in range(n_in)], number()) for _ in range(n_out)]
        for n_in, n_out in itertools.pairwise(sizes)
    ]


def parameters(layers: list[Layer]) -> list[Node]:
    """List every weight and bias of the MLP."""
    return [p for layer in layers for weights, bias in layer for p in (*weights, bias)]


def make_batch(rng: random.Random, size: int) -> list[Sample]:
    """Make ``size`` random inputs in [-1, 1]^2, each with target x0 * x1."""
    points = [(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(size)]
    return [((x0, x1), x0 * x1) for x0, x1 in points]


def mlp_forward(layers: list[Layer], x: Sequence[Node | float]) -> Node:
    """Run the MLP on one input: relu on every layer except the last, one output."""
    h = list(x)
    for depth, layer in enumerate(layers):
        sums = [sum((w * xi for w, xi in zip(ws, h, strict=True)), b) for ws, b in layer]
        h = [s.relu() for s in sums] if depth < len(layers) - 1 else sums
    return h[0]


def batch_loss(layers: list[Layer], batch: list[Sample]) -> Node:
    """Sum of squared errors over the batch."""
    return sum((mlp_forward(layers, x) - y) ** 2 for x, y in batch)


def chain(engine: Engine, depth: int) -> Node:
    """Make a chain ``depth`` steps deep: x = x * 1.0001 + 0.0001 (four nodes a step)."""
    x = engine.leaf(1.0)
    for _ in range(depth):
        x = x * 1.0001 + 0.0001
    return x


# ---------------------------------------------------------------------- measuring


class GcClock:
    """Add up the time Python's cyclic garbage collector runs inside a ``with`` block."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = clock()
        else:
            self.seconds += clock() - self._started

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._callback)


def measure(engine: Engine, key: str, run: Callable[[], Node], repeats: int) -> Row:
    """Time ``run()``, which builds a graph, backpropagates and returns the root.

    One untimed warm-up run also gives the node count. The graph is dropped inside the
    timed region, so freeing it counts too: ours is freed at once by reference
    counting, micrograd's cycles wait for the garbage collector (whose time we add up).
    Micrograd's recursive backward may raise RecursionError: it is reported, not raised.
    """
    try:
        nodes = count_nodes(engine, run())
    except RecursionError:
        return {"key": key, "error": "RecursionError"}
    seconds, gc_seconds = [], 0.0
    for _ in range(repeats):
        with GcClock() as gc_clock:
            start = clock()
            run()  # the returned graph is freed right here, inside the timing
            seconds.append(clock() - start)
        gc_seconds += gc_clock.seconds
    return {
        "key": key,
        "nodes": nodes,
        "ms": 1000 * statistics.median(seconds),
        "gc_share": gc_seconds / sum(seconds),
    }


def bench_train(engine: Engine, sizes: Sizes) -> list[Row]:
    """Time training steps: zero the grads, forward the batch, backward the loss."""
    rng = random.Random(SEED)
    layers = make_mlp(engine, MLP_SIZES, rng)
    params = parameters(layers)
    batch = make_batch(rng, sizes.batch)

    def step() -> Node:
        for p in params:
            p.grad = 0.0
        loss = batch_loss(layers, batch)
        loss.backward()
        return loss

    row = measure(engine, "train", step, sizes.repeats)
    loss = step()  # both engines must agree on these numbers
    row["check"] = [loss.data, sum(p.grad for p in params)]
    return [row]


def works(engine: Engine, depth: int) -> bool:
    """Whether backward() succeeds on a chain ``depth`` steps deep."""
    try:
        chain(engine, depth).backward()
    except RecursionError:
        return False
    return True


def deepest_working_chain(engine: Engine, ceiling: int = 100_000) -> int:
    """The largest chain depth backward() handles, by doubling then bisection."""
    low, high = 0, 1
    while works(engine, high):
        if high >= ceiling:
            return high
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if works(engine, middle) else (low, middle)
    return low


def backward_of(root: Node) -> Node:
    """Backpropagate from ``root`` and return it."""
    root.backward()
    return root


def chain_run(engine: Engine, depth: int) -> Callable[[], Node]:
    """Make a run() that builds a chain ``depth`` steps deep and backpropagates through it."""
    return lambda: backward_of(chain(engine, depth))


def bench_chain(engine: Engine, sizes: Sizes) -> list[Row]:
    """Time forward+backward of chains run on both engines; for micrograd, find its limit."""
    rows = [
        measure(engine, f"chain {depth}", chain_run(engine, depth), sizes.repeats)
        for depth in sizes.chain_depths
    ]
    if engine.name == "micrograd":
        rows.append({"key": "limit", "depth": deepest_working_chain(engine)})
    return rows


def bench_deep(engine: Engine, sizes: Sizes) -> list[Row]:
    """Time forward+backward of the very deep chain (ours only)."""
    depth = sizes.deep_chain
    return [measure(engine, f"deep {depth}", chain_run(engine, depth), sizes.deep_repeats)]


def bench_wide(engine: Engine, sizes: Sizes) -> list[Row]:
    """Time sum() of many leaves plus backward; builtin sum makes a deep left chain."""
    rng = random.Random(SEED)
    leaves = [engine.leaf(rng.uniform(-1, 1)) for _ in range(sizes.wide_leaves)]

    def run() -> Node:
        return backward_of(sum(leaves))

    return [measure(engine, f"wide {sizes.wide_leaves}", run, sizes.repeats)]


def bench_memory(engine: Engine, sizes: Sizes) -> list[Row]:
    """Measure with tracemalloc the bytes per node of the training graph.

    'graph' is what the built forward graph keeps allocated, divided by the nodes it
    added (the parameters existed before); 'backward' is the peak that backward()
    allocates on top of that (its work lists and the new grads), per graph node.
    """
    rng = random.Random(SEED)
    layers = make_mlp(engine, MLP_SIZES, rng)
    batch = make_batch(rng, sizes.batch)
    gc.collect()  # start from a clean heap, so that no collection frees old garbage meanwhile
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = batch_loss(layers, batch)
    built = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    loss.backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    nodes = count_nodes(engine, loss)
    added = nodes - len(parameters(layers))
    graph, backward = (built - before) / added, (peak - built) / nodes
    return [{"key": "memory", "graph": graph, "backward": backward}]


BENCHES: dict[str, Callable[[Engine, Sizes], list[Row]]] = {
    "train": bench_train,
    "chain": bench_chain,
    "deep": bench_deep,
    "wide": bench_wide,
    "memory": bench_memory,
}


# ---------------------------------------------------------------------- the parent


def run_in_subprocess(engine: str, workload: str, sizes: Sizes, quick: bool) -> list[Row]:
    """Run one workload for one engine in a new interpreter and return its rows."""
    command = [sys.executable, str(Path(__file__).resolve()), "--engine", engine]
    command += ["--workload", workload, "--repeats", str(sizes.repeats)]
    command += ["--quick"] if quick else []
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": path}
    )
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [{"key": f"{workload} crashed", "error": last_line}]
    rows: list[Row] = json.loads(done.stdout.splitlines()[-1])
    return rows


def micrograd_version() -> str | None:
    """The installed micrograd's version, or None if it cannot be imported."""
    if load_engine("micrograd") is None:
        return None
    try:
        return version("micrograd")
    except PackageNotFoundError:
        return "unknown version"


def label(key: str, sizes: Sizes) -> str:
    """Name a row of the table."""
    kind, _, size = key.partition(" ")
    if kind == "train":
        shape = "-".join(map(str, MLP_SIZES))
        return f"train step, MLP {shape} x{sizes.batch}"
    if kind in ("chain", "deep"):
        runs = f" ({sizes.deep_repeats} run)" if kind == "deep" else ""
        return f"chain depth {int(size):,}{runs}"
    if kind == "wide":
        return f"sum() of {int(size):,} leaves"
    return key


def timing_cells(row: Row | None) -> str:
    """Format ms, µs per node and GC share of one engine, or why there are none."""
    if row is None:
        return f"{'not run':>27}"
    if "error" in row:
        return f"{row['error'][:27]:>27}"
    us_per_node = 1000 * row["ms"] / row["nodes"]
    return f"{row['ms']:>12.1f} {us_per_node:>8.3f} {row['gc_share']:>5.0%}"


def print_timings(ours: dict[str, Row], theirs: dict[str, Row] | None, sizes: Sizes) -> None:
    """Print the timing table, one line per workload."""
    print(f"{'workload':<32} {'nodes':>10} | {'ours ms':>12} {'µs/node':>8} {'gc':>5} | ", end="")
    print(f"{'micrograd ms':>12} {'µs/node':>8} {'gc':>5} | {'mg/ours':>7}")
    for key, row in ours.items():
        if key in ("memory", "limit"):
            continue
        other = None if theirs is None else theirs.get(key)
        ratio = speedup(row, other)
        nodes = f"{row['nodes']:,}" if "nodes" in row else "-"
        print(f"{label(key, sizes):<32} {nodes:>10} | {timing_cells(row)} | ", end="")
        print(f"{timing_cells(other)} | {'-' if ratio is None else f'{ratio:.1f}x':>7}")
        if other and "nodes" in row and other.get("nodes", row["nodes"]) != row["nodes"]:
            print(f"{'':<32} micrograd's graph has {other['nodes']:,} nodes")


def speedup(ours: Row, theirs: Row | None) -> float | None:
    """micrograd's time divided by ours, when both ran."""
    if theirs is None or "ms" not in theirs or "ms" not in ours:
        return None
    return float(theirs["ms"] / ours["ms"])


def print_memory(ours: dict[str, Row], theirs: dict[str, Row] | None) -> None:
    """Print bytes per node of the training graph for both engines."""
    mine, other = ours.get("memory", {}), (theirs or {}).get("memory", {})
    print(f"\n{'bytes per node (tracemalloc)':<32} {'ours':>10} {'micrograd':>10} {'mg/ours':>8}")
    parts = (("graph", "forward graph, kept"), ("backward", "extra peak during backward"))
    for part, text in parts:
        if part not in mine:
            print(f"{text:<32} {mine.get('error', 'failed'):>10}")
            continue
        if part in other:
            cells = f"{other[part]:>10.0f} {other[part] / mine[part]:>7.1f}x"
        else:
            cells = f"{'-':>10} {'-':>8}"
        print(f"{text:<32} {mine[part]:>10.0f} {cells}")


def print_agreement(ours: dict[str, Row], theirs: dict[str, Row]) -> None:
    """Say whether both engines computed the same loss and gradient sum."""
    mine, other = ours.get("train", {}).get("check"), theirs.get("train", {}).get("check")
    if mine is None or other is None:
        return
    same = all(abs(a - b) <= 1e-9 * max(1.0, abs(a)) for a, b in zip(mine, other, strict=True))
    verdict = "agree" if same else "DISAGREE"
    print(f"\nloss and sum of grads: ours {mine[0]:.9g}, {mine[1]:.9g}; ", end="")
    print(f"micrograd {other[0]:.9g}, {other[1]:.9g} ({verdict})")
    if "limit" in theirs:
        depth = theirs["limit"]["depth"]
        print(f"micrograd's recursive backward works up to chain depth {depth:,} ", end="")
        limit = sys.getrecursionlimit()
        print(f"and raises RecursionError from {depth + 1:,} (recursion limit {limit})")


def print_targets(ours: dict[str, Row], theirs: dict[str, Row] | None, sizes: Sizes) -> None:
    """Print PASS, FAIL or SKIP for each target."""
    print()
    ratio = speedup(ours.get("train", {}), None if theirs is None else theirs.get("train"))
    text = f"train step >= {TARGET_SPEEDUP:.0f}x faster than micrograd"
    if ratio is None:
        report("SKIP", text, "micrograd not found")
    else:
        report(ratio >= TARGET_SPEEDUP, text, f"{ratio:.1f}x")
    graph = ours.get("memory", {}).get("graph")
    text = f"<= {TARGET_BYTES_PER_NODE:.0f} bytes per graph node"
    report(graph is not None and graph <= TARGET_BYTES_PER_NODE, text, f"{graph or 0:.0f} bytes")
    deep = ours.get(f"deep {sizes.deep_chain}", {})
    if sizes.deep_chain < TARGET_DEPTH:
        report("SKIP", f"chain depth {TARGET_DEPTH:,} works", f"--quick ran {sizes.deep_chain:,}")
    else:
        detail = f"{deep['ms'] / 1000:.1f} s" if "ms" in deep else deep.get("error", "crashed")
        report("ms" in deep, f"chain depth {TARGET_DEPTH:,} works", detail)


def report(status: bool | str, text: str, detail: str) -> None:
    """Print one target line: status is True (pass), False (fail) or a word such as SKIP."""
    word = status if isinstance(status, str) else ("PASS" if status else "FAIL")
    print(f"[{word}] {text}: {detail}")


def run_all(sizes: Sizes, quick: bool) -> None:
    """Run every workload for each engine, each in its own subprocess, and print the tables."""
    mg_version = micrograd_version()
    engines = ["ours"] if mg_version is None else ["ours", "micrograd"]
    python = sys.version.split()[0]
    print(f"Python {python}, median of {sizes.repeats} runs, seed {SEED}, ", end="")
    print("each engine and workload in a fresh subprocess")
    if mg_version is None:
        print("micrograd not found (pip install micrograd==0.1.0): running ours alone")
    else:
        print(f"comparing with micrograd {mg_version}")
    results: dict[str, dict[str, Row]] = {}
    for engine in engines:
        workloads = [w for w in WORKLOADS if engine == "ours" or w != "deep"]
        rows = [row for w in workloads for row in run_in_subprocess(engine, w, sizes, quick)]
        results[engine] = {row["key"]: row for row in rows}
    ours, theirs = results["ours"], results.get("micrograd")
    print()
    print_timings(ours, theirs, sizes)
    print_memory(ours, theirs)
    if theirs is not None:
        print_agreement(ours, theirs)
    print_targets(ours, theirs, sizes)


def main() -> None:
    """Parse the options; run the whole comparison, or one workload in subprocess mode."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, help="timed runs per workload (default 5, quick 3)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--engine", choices=("ours", "micrograd"), help=argparse.SUPPRESS)
    parser.add_argument("--workload", choices=WORKLOADS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.repeats is not None:
        sizes = dataclasses.replace(sizes, repeats=max(1, args.repeats))
    if args.engine is None:
        run_all(sizes, args.quick)
        return
    engine = load_engine(args.engine)
    if engine is None:
        sys.exit(f"{args.engine} is not installed")
    print(json.dumps(BENCHES[args.workload or "train"](engine, sizes)))


if __name__ == "__main__":
    main()
