"""Benchmark tinygrad_edu's engine against its own earlier version and micrograd.

Run from the repository root::

    PYTHONPATH=. python3 benchmarks/bench_engine.py            # full size, a few minutes
    PYTHONPATH=. python3 benchmarks/bench_engine.py --quick    # small sizes, under a minute

Three engines build the same graphs through a tiny adapter (``Engine``), using only
what micrograd 0.1.0 has (+ - * ** and relu):

- ``ours``: ``tinygrad_edu/engine.py`` as it is now;
- ``before``: the engine as it was at commit 8f86a83, before the speed work of issue 12,
  read with ``git show 8f86a83:tinygrad_edu/engine.py`` into a temporary folder and
  imported from there (it imports nothing else of ours);
- ``micrograd``: micrograd 0.1.0, if installed.

Fair isolation: micrograd's graphs are full of reference cycles (each node's
``_backward`` closure refers back to the node), so they stay in memory until Python's
cyclic garbage collector frees them, and they slow down whatever runs next in the same
process. So every (engine, workload) pair runs in its own new interpreter: the script
runs itself again with ``--engine`` and ``--workload`` and reads back one JSON line.

The machine is shared and noisy, so the training step, the figure the targets are about,
runs in alternated rounds (ours, before, micrograd, ours, before, ...), each engine in a
fresh process; each round gives the ratios of that round, and the table reports their
median and range. Each round runs the step once with Python's cyclic collector on, as
usual, and once with it off for all three: our nodes hold no cycles, so with the
collector off the ratio to micrograd compares the work the engines do, not the garbage
micrograd leaves. ``fit`` pauses the collector while it builds each batch's graph, so
"off" is also how a step runs inside ``fit``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib.util
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

Node = Any  # a Value of any engine; the classes share no base type
Row = dict[str, Any]  # one measurement, sent from a subprocess to the parent as JSON
Sample = tuple[tuple[float, float], float]  # an MLP input (x0, x1) and its target

SEED = 0
MLP_SIZES = (2, 16, 16, 1)
REPO_ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("train", "chain", "deep", "wide", "memory")
BEFORE_COMMIT = "8f86a83"  # the engine before issue 12's speed work

# Timings are CPU time of the benchmarking process, not wall time, so that other
# programs running on the same machine disturb them less.
clock = time.process_time

# Targets this engine aims for.
TARGET_SPEEDUP = 15.0  # training step: micrograd's time / ours, collector on for both
TARGET_OF_BEFORE = 0.55  # training step: ours / the engine at BEFORE_COMMIT
TARGET_BYTES_PER_NODE = 120.0  # memory kept by a built forward graph, per node
TARGET_DEPTH = 1_000_000  # a chain this deep must work


@dataclass(frozen=True)
class Sizes:
    """How big each workload is; ``--quick`` picks the small set."""

    batch: int  # samples in the training batch; 100 gives a graph of about 68,000 nodes
    rounds: int  # alternated rounds of the training step
    chain_depths: tuple[int, ...]  # chain depths run on both engines
    deep_chain: int  # chain depth run on ours alone
    deep_repeats: int  # timed runs of the deep chain (each takes seconds)
    wide_leaves: int  # leaves added up in the wide sum
    repeats: int  # timed runs of every other workload (the median is reported)


FULL = Sizes(
    batch=100,
    rounds=5,
    chain_depths=(400, 1_000),
    deep_chain=TARGET_DEPTH,
    deep_repeats=1,
    wide_leaves=100_000,
    repeats=5,
)
QUICK = Sizes(
    batch=10,
    rounds=2,
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


def load_engine(name: str, engine_file: str | None = None) -> Engine | None:
    """Import the engine called ``name``: 'ours', 'before' (from ``engine_file``) or
    'micrograd'; None if it cannot be imported."""
    if name == "ours":
        from tinygrad_edu.engine import Value

        return Engine("ours", Value, lambda node: node.inputs)
    if name == "before":
        if engine_file is None:
            return None
        spec = importlib.util.spec_from_file_location(f"engine_{BEFORE_COMMIT}", engine_file)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses and typing look modules up here
        spec.loader.exec_module(module)
        return Engine("before", module.Value, lambda node: node.inputs)
    try:
        from micrograd.engine import Value as MicroValue
    except ImportError:
        return None
    return Engine("micrograd", MicroValue, lambda node: node._prev)


def before_engine_file(folder: Path) -> Path | None:
    """Write the engine at BEFORE_COMMIT into ``folder``; None if git cannot show it."""
    done = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "show", f"{BEFORE_COMMIT}:tinygrad_edu/engine.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    path = folder / f"engine_{BEFORE_COMMIT}.py"
    path.write_text(done.stdout, encoding="utf-8")
    return path


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


def measure(
    engine: Engine, key: str, run: Callable[[], Node], repeats: int, collector: bool = True
) -> Row:
    """Time ``run()``, which builds a graph, backpropagates and returns the root.

    One untimed warm-up run also gives the node count. The graph is dropped inside the
    timed region, so freeing it counts too: ours is freed at once by reference
    counting, micrograd's cycles wait for the garbage collector (whose time we add up).
    Micrograd's recursive backward may raise RecursionError: it is reported, not raised.
    With ``collector=False`` the cyclic collector is off during the timed runs.
    """
    try:
        nodes = count_nodes(engine, run())
    except RecursionError:
        return {"key": key, "error": "RecursionError"}
    seconds, gc_seconds = [], 0.0
    gc.collect()  # start each engine from the same clean heap
    for _ in range(repeats):
        if not collector:
            gc.disable()
        with GcClock() as gc_clock:
            start = clock()
            run()  # the returned graph is freed right here, inside the timing
            seconds.append(clock() - start)
        gc.enable()
        gc_seconds += gc_clock.seconds
    return {
        "key": key,
        "nodes": nodes,
        "ms": 1000 * statistics.median(seconds),
        "gc_share": gc_seconds / sum(seconds),
    }


def bench_train(engine: Engine, sizes: Sizes, collector: bool = True) -> list[Row]:
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

    row = measure(engine, "train", step, sizes.repeats, collector)
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


BENCHES: dict[str, Callable[..., list[Row]]] = {
    "train": bench_train,
    "chain": bench_chain,
    "deep": bench_deep,
    "wide": bench_wide,
    "memory": bench_memory,
}


# ---------------------------------------------------------------------- the parent

Key = tuple[str, bool]  # an engine's name, and whether the cyclic collector was on


def run_in_subprocess(
    engine: str,
    workload: str,
    sizes: Sizes,
    quick: bool,
    engine_file: Path | None = None,
    collector: bool = True,
) -> list[Row]:
    """Run one workload for one engine in a new interpreter and return its rows."""
    command = [sys.executable, str(Path(__file__).resolve()), "--engine", engine]
    command += ["--workload", workload, "--repeats", str(sizes.repeats)]
    command += ["--quick"] if quick else []
    command += ["--engine-file", str(engine_file)] if engine_file is not None else []
    command += [] if collector else ["--collector-off"]
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


def train_rounds(
    engines: dict[str, Path | None], sizes: Sizes, quick: bool
) -> dict[Key, list[Row]]:
    """The training step of every engine, collector on and off, in alternated rounds."""
    rounds: dict[Key, list[Row]] = {}
    for _ in range(sizes.rounds):
        for collector in (True, False):
            for name, engine_file in engines.items():
                [row] = run_in_subprocess(name, "train", sizes, quick, engine_file, collector)
                rounds.setdefault((name, collector), []).append(row)
    return rounds


def round_ratios(rounds: dict[Key, list[Row]], top: Key, bottom: Key) -> list[float] | None:
    """top's time divided by bottom's, round by round; None if either did not run."""
    if top not in rounds or bottom not in rounds:
        return None
    pairs = list(zip(rounds[top], rounds[bottom], strict=True))
    if not all("ms" in a and "ms" in b for a, b in pairs):
        return None
    return [a["ms"] / b["ms"] for a, b in pairs]


def spread(ratios: list[float]) -> str:
    """The median of some ratios and their range: '14.20x [12.01x, 15.13x]'."""
    low, middle, high = min(ratios), statistics.median(ratios), max(ratios)
    return f"{middle:.2f}x [{low:.2f}x, {high:.2f}x]"


def print_rounds(rounds: dict[Key, list[Row]], engines: Sequence[str], sizes: Sizes) -> None:
    """Print each round's time per engine, collector on and off, and the GC share."""
    nodes = rounds[("ours", True)][0].get("nodes", 0)
    shape = "-".join(map(str, MLP_SIZES))
    print(f"training step, MLP {shape} x{sizes.batch} ({nodes:,} nodes): ms per step, the", end="")
    print(f" median of {sizes.repeats} runs, in {sizes.rounds} alternated rounds")
    width = 11 * len(engines)
    header = "".join(f"{name:>11}" for name in engines)
    print(f"{'':<10}{'collector on':^{width}} | {'collector off':^{width}}")
    print(f"{'round':<10}{header} | {header}")
    for index in range(sizes.rounds):
        on, off = (
            "".join(_ms(rounds[(name, collector)][index]) for name in engines)
            for collector in (True, False)
        )
        print(f"{index + 1:<10}{on} | {off}")
    shares = "".join(_share(rounds[(name, True)]) for name in engines)
    print(f"{'gc share':<10}{shares} |")


def _ms(row: Row) -> str:
    return f"{row['ms']:>11.1f}" if "ms" in row else f"{row.get('error', '?')[:10]:>11}"


def _share(rows: list[Row]) -> str:
    shares = [row["gc_share"] for row in rows if "gc_share" in row]
    return f"{statistics.median(shares):>11.0%}" if shares else f"{'-':>11}"


RATIOS = (
    ("ours / before (8f86a83), collector on", ("ours", True), ("before", True)),
    ("ours / before (8f86a83), collector off", ("ours", False), ("before", False)),
    ("micrograd / ours, collector on", ("micrograd", True), ("ours", True)),
    ("micrograd / ours, collector off", ("micrograd", False), ("ours", False)),
    ("ours as fit runs it (collector paused) / before", ("ours", False), ("before", True)),
    ("micrograd / ours as fit runs it", ("micrograd", True), ("ours", False)),
)
"""The ratios reported, each computed within a round: (what, top, bottom)."""


def print_ratios(rounds: dict[Key, list[Row]]) -> None:
    """Print the median ratio of each pair, and its range over the rounds."""
    print(f"\n{'ratio of times, median [range] over rounds':<50}")
    for text, top, bottom in RATIOS:
        ratios = round_ratios(rounds, top, bottom)
        if ratios is not None:
            print(f"{text:<50} {spread(ratios):>26}")


def label(key: str, sizes: Sizes) -> str:
    """Name a row of the table."""
    kind, _, size = key.partition(" ")
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
    """Print the timing table of the other workloads, one line each, ours and micrograd."""
    print(f"\n{'other workloads':<32} {'nodes':>10} | ", end="")
    print(f"{'ours ms':>12} {'µs/node':>8} {'gc':>5} | ", end="")
    print(f"{'micrograd ms':>12} {'µs/node':>8} {'gc':>5} | {'mg/ours':>7}")
    for key, row in ours.items():
        if key in ("memory", "limit", "train"):
            continue
        other = None if theirs is None else theirs.get(key)
        ratio = speedup(row, other)
        nodes = f"{row['nodes']:,}" if "nodes" in row else "-"
        print(f"{label(key, sizes):<32} {nodes:>10} | {timing_cells(row)} | ", end="")
        print(f"{timing_cells(other)} | {'-' if ratio is None else f'{ratio:.1f}x':>7}")


def speedup(ours: Row, theirs: Row | None) -> float | None:
    """micrograd's time divided by ours, when both ran."""
    if theirs is None or "ms" not in theirs or "ms" not in ours:
        return None
    return float(theirs["ms"] / ours["ms"])


def print_memory(memory: dict[str, Row]) -> None:
    """Print bytes per node of the training graph for each engine."""
    names = list(memory)
    print(f"\n{'bytes per node (tracemalloc)':<32}" + "".join(f"{name:>11}" for name in names))
    for part, text in (("graph", "forward graph, kept"), ("backward", "extra peak in backward")):
        cells = "".join(
            f"{memory[name][part]:>11.0f}" if part in memory[name] else f"{'failed':>11}"
            for name in names
        )
        print(f"{text:<32}{cells}")


def print_agreement(results: dict[str, dict[str, Row]]) -> None:
    """Say whether every engine computed the same loss and gradient sum."""
    checks = {name: rows.get("train", {}).get("check") for name, rows in results.items()}
    checks = {name: check for name, check in checks.items() if check is not None}
    mine = checks.get("ours")
    if mine is None or len(checks) < 2:
        return
    same = all(
        abs(a - b) <= 1e-9 * max(1.0, abs(a))
        for check in checks.values()
        for a, b in zip(mine, check, strict=True)
    )
    numbers = "; ".join(f"{name} {c[0]:.9g}, {c[1]:.9g}" for name, c in checks.items())
    print(f"\nloss and sum of grads: {numbers} ({'agree' if same else 'DISAGREE'})")
    limit = results.get("micrograd", {}).get("limit")
    if limit is not None:
        depth = limit["depth"]
        print(f"micrograd's recursive backward works up to chain depth {depth:,} ", end="")
        limit_now = sys.getrecursionlimit()
        print(f"and raises RecursionError from {depth + 1:,} (recursion limit {limit_now})")


def print_targets(
    rounds: dict[Key, list[Row]], ours: dict[str, Row], sizes: Sizes
) -> None:
    """Print PASS, FAIL or SKIP for each target."""
    print()
    ratios = round_ratios(rounds, ("micrograd", True), ("ours", True))
    text = f"train step >= {TARGET_SPEEDUP:.0f}x faster than micrograd (median, on)"
    if ratios is None:
        report("SKIP", text, "micrograd not found")
    else:
        report(statistics.median(ratios) >= TARGET_SPEEDUP, text, spread(ratios))
    ratios = round_ratios(rounds, ("ours", True), ("before", True))
    text = f"train step <= {TARGET_OF_BEFORE}x of the engine at {BEFORE_COMMIT} (median, on)"
    if ratios is None:
        report("SKIP", text, f"git cannot show {BEFORE_COMMIT}")
    else:
        report(statistics.median(ratios) <= TARGET_OF_BEFORE, text, spread(ratios))
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
    python = sys.version.split()[0]
    print(f"Python {python}, seed {SEED}, each engine and workload in a fresh subprocess")
    with tempfile.TemporaryDirectory() as folder:
        before_file = before_engine_file(Path(folder))
        engines: dict[str, Path | None] = {"ours": None}
        if before_file is None:
            print(f"git cannot show {BEFORE_COMMIT}: the engine before issue 12 is not run")
        else:
            engines["before"] = before_file
            print(f"before: tinygrad_edu/engine.py at {BEFORE_COMMIT} (git show, a temp folder)")
        if mg_version is None:
            print("micrograd not found (pip install micrograd==0.1.0): it is not run")
        else:
            engines["micrograd"] = None
            print(f"micrograd: {mg_version}")
        print()
        rounds = train_rounds(engines, sizes, quick)
        results: dict[str, dict[str, Row]] = {}
        memory: dict[str, Row] = {}
        for name, engine_file in engines.items():
            workloads = [w for w in WORKLOADS if w != "train" and (name == "ours" or w != "deep")]
            if name == "before":
                workloads = ["memory"]
            rows = [
                row
                for w in workloads
                for row in run_in_subprocess(name, w, sizes, quick, engine_file)
            ]
            rows.append(rounds[(name, True)][-1])  # the last round's train row and its check
            results[name] = {row["key"]: row for row in rows}
            memory[name] = results[name].get("memory", {})
    print_rounds(rounds, list(engines), sizes)
    print_ratios(rounds)
    ours, theirs = results["ours"], results.get("micrograd")
    print_timings(ours, theirs, sizes)
    print_memory(memory)
    print_agreement(results)
    print_targets(rounds, ours, sizes)


def main() -> None:
    """Parse the options; run the whole comparison, or one workload in subprocess mode."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, help="timed runs per workload (default 5, quick 3)")
    parser.add_argument("--rounds", type=int, help="alternated rounds of the training step")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--engine", choices=("ours", "before", "micrograd"), help=argparse.SUPPRESS)
    parser.add_argument("--engine-file", help=argparse.SUPPRESS)
    parser.add_argument("--workload", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--collector-off", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.repeats is not None:
        sizes = dataclasses.replace(sizes, repeats=max(1, args.repeats))
    if args.rounds is not None:
        sizes = dataclasses.replace(sizes, rounds=max(1, args.rounds))
    if args.engine is None:
        run_all(sizes, args.quick)
        return
    engine = load_engine(args.engine, args.engine_file)
    if engine is None:
        sys.exit(f"{args.engine} is not installed")
    bench = BENCHES[args.workload or "train"]
    if args.workload in (None, "train"):
        print(json.dumps(bench_train(engine, sizes, not args.collector_off)))
    else:
        print(json.dumps(bench(engine, sizes)))


if __name__ == "__main__":
    main()
