"""Hypothesis strategies shared by the property tests: numbers, ops and expression trees;
for Tensors, shapes, arrays laid out in memory in several ways, and one case per op."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import assume, settings
from hypothesis import strategies as st

from tinygrad_edu import Value, topological_order
from tinygrad_edu.conv import avg_pool2d, conv2d, max_pool2d
from tinygrad_edu.layers import lstm_cell
from tinygrad_edu.tensor import Tensor, concatenate, stack, where


def reals(low: float, high: float) -> st.SearchStrategy[float]:
    """Finite floats in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def away_from_zero(low: float, high: float, gap: float = 1e-3) -> st.SearchStrategy[float]:
    """Floats in [low, high] at least ``gap`` from 0, where relu and abs have a kink."""
    return reals(low, high).filter(lambda x: abs(x) >= gap)


# ---------------------------------------------------------------------- one op at a time
# Each op with a domain where its derivatives are of order 1 and away from its kinks,
# so that a wrong derivative cannot hide inside a tolerance.

UnaryCase = tuple[Callable[[Any], Any], st.SearchStrategy[float]]

UNARY_CASES: dict[str, UnaryCase] = {
    "neg": (lambda x: -x, reals(-5, 5)),
    "exp": (lambda x: x.exp(), reals(-4, 4)),
    "log": (lambda x: x.log(), reals(0.1, 10)),
    "tanh": (lambda x: x.tanh(), reals(-3, 3)),
    "sigmoid": (lambda x: x.sigmoid(), reals(-6, 6)),
    "relu": (lambda x: x.relu(), away_from_zero(-5, 5)),
    "leaky_relu": (lambda x: x.leaky_relu(), away_from_zero(-5, 5)),
    "softplus": (lambda x: x.softplus(), reals(-6, 6)),
    "sqrt": (lambda x: x.sqrt(), reals(0.1, 10)),
    "abs": (lambda x: abs(x), away_from_zero(-5, 5)),
    "square": (lambda x: x**2, reals(-5, 5)),
    "clamp": (lambda x: x.clamp(-1, 1), reals(-3, 3).filter(lambda x: abs(abs(x) - 1) > 1e-3)),
    "cube": (lambda x: x**3, reals(-3, 3)),
    "power 0.5": (lambda x: x**0.5, reals(0.1, 10)),
    "power -2": (lambda x: x**-2, away_from_zero(-3, 3, gap=0.5)),
    "2 ** x": (lambda x: 2**x, reals(-4, 4)),
    "3 - x": (lambda x: 3 - x, reals(-5, 5)),
    "2 / x": (lambda x: 2 / x, away_from_zero(-3, 3, gap=0.5)),
    "x + 1": (lambda x: x + 1, reals(-5, 5)),
    "4 * x": (lambda x: 4 * x, reals(-5, 5)),
}

BINARY_CASES: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


# ---------------------------------------------------------------------- expression trees

UNARY_OPS = {name: op for name, (op, _) in UNARY_CASES.items()}


@dataclass(frozen=True)
class Expression:
    """A random expression tree over variables x0, x1, ...: leaves are variables or
    constants, inner nodes are ops from UNARY_OPS or BINARY_CASES."""

    op: str
    children: tuple[Expression, ...] = ()
    variable: int = 0
    constant: float = 0.0

    def __call__(self, *variables: Any) -> Any:
        """The expression's value at ``variables`` (Values, or Duals for forward mode)."""
        if self.op == "variable":
            return variables[self.variable]
        if self.op == "constant":
            return self.constant
        values = [child(*variables) for child in self.children]
        if all(isinstance(value, (int, float)) for value in values):
            # A part without variables is a constant: computed by the engine's op (which
            # checks its domain), but kept a plain number, as it would be in user code.
            operands = [Value(values[0]), *values[1:]]
            return self._operation(*operands).data
        if self.op in UNARY_OPS:
            return UNARY_OPS[self.op](values[0])
        return BINARY_CASES[self.op](*values)

    @property
    def _operation(self) -> Callable[..., Any]:
        return UNARY_OPS[self.op] if self.op in UNARY_OPS else BINARY_CASES[self.op]

    def __str__(self) -> str:
        if self.op == "variable":
            return f"x{self.variable}"
        if self.op == "constant":
            return repr(self.constant)
        if self.op in UNARY_OPS:
            return f"{self.op}({self.children[0]})"
        return f"({self.children[0]} {self.op} {self.children[1]})"


def expressions(n_variables: int, depth: int = 5) -> st.SearchStrategy[Expression]:
    """Expression trees over ``n_variables`` variables, at most ``depth`` ops deep."""
    leaf = st.one_of(
        st.builds(Expression, op=st.just("variable"), variable=st.integers(0, n_variables - 1)),
        st.builds(Expression, op=st.just("constant"), constant=reals(-2.0, 2.0)),
    )
    if depth == 0:
        return leaf
    smaller = st.deferred(lambda: expressions(n_variables, depth - 1))
    unary = st.builds(
        Expression, op=st.sampled_from(sorted(UNARY_OPS)), children=st.tuples(smaller)
    )
    binary = st.builds(
        Expression, op=st.sampled_from(sorted(BINARY_CASES)), children=st.tuples(smaller, smaller)
    )
    return st.one_of(leaf, unary, binary)


def well_conditioned(root: Value) -> bool:
    """True if finite differences can be trusted on this graph: every value is of
    moderate size and every op sits away from its kinks and singularities."""
    for node in topological_order(root):
        if not abs(node.data) < 1e4:
            return False
        if any(abs(local_grad) > 1e4 for local_grad in node.local_grads):
            return False
        if node.op in ("relu", "leaky_relu", "abs") and abs(node.inputs[0].data) < 1e-3:
            return False
        if node.op == "clamp" and abs(abs(node.inputs[0].data) - 1.0) < 1e-3:  # clamp(-1, 1)
            return False
        if node.op in ("log", "sqrt", "/") and abs(node.inputs[-1].data) < 0.1:
            return False
        if node.op == "**" and abs(node.inputs[0].data) < 0.1:  # steep or undefined near 0
            return False
    return True


def checkable_output(expression: Expression, point: list[float]) -> Value:
    """The expression's output at ``point``, for a test that compares derivatives.

    Rejects (with hypothesis' ``assume``) the points it cannot be checked at: outside
    the domain of log, sqrt, / or **, a result that does not depend on the variables,
    or a graph where finite differences cannot be trusted (``well_conditioned``).
    """
    try:
        output = expression(*(Value(x) for x in point))
    except (ValueError, ZeroDivisionError):
        output = None
    assume(isinstance(output, Value) and well_conditioned(output))
    assert isinstance(output, Value)
    return output


# ====================================================================== Tensors
# For the Tensor property tests (test_tensor_gradients.py, test_tensor_torch.py): shapes
# of up to 4 axes of sizes 1 to 4 (and 0-d), shapes that broadcast drawn together, arrays
# in each op's domain, laid out in memory as views of larger arrays, and TENSOR_CASES:
# every op of tensor.VJP_RULES through the public API, with examples where its
# derivatives are of order 1 and away from its kinks.
#
# Hypothesis draws the shapes, options and a seed; numpy draws the elements from the
# seed. That is ten times faster than drawing each element with hypothesis, and gives
# distinct random values, which a rule that mixed up two elements could not pass.

Array = np.ndarray[Any, Any]

# The Tensor tests are a hundred parametrized property tests, one per op and case, and
# hypothesis spends about 2 ms on each example before the test runs: with the profile's
# full count each (60, or 300 in CI), they alone would take minutes. A fifth of it per
# case keeps them to seconds (quick) and about a minute (ci); "thorough" gives each 600.
# (settings() is the profile that tests/conftest.py loaded before this import.)
PER_CASE = settings(max_examples=max(10, settings().max_examples // 5))

MAX_AXES = 4
MAX_SIDE = 4
MAX_ELEMENTS = 64  # (4, 4, 4, 4) would be 256: finite differences cost 2 calls per element
KINK_GAP = 1e-3  # how far inputs keep from a kink: a thousand of gradcheck's steps


def _shapes_by_axes() -> list[list[tuple[int, ...]]]:
    """For 0 to 4 axes, every shape of sizes 1 to 4 with at most MAX_ELEMENTS elements,
    simplest first (hypothesis shrinks a failure towards the front of a list)."""
    return [
        sorted(
            (
                shape
                for shape in itertools.product(range(1, MAX_SIDE + 1), repeat=axes)
                if math.prod(shape) <= MAX_ELEMENTS
            ),
            key=lambda shape: (math.prod(shape), shape),
        )
        for axes in range(MAX_AXES + 1)
    ]


SHAPES_BY_AXES = _shapes_by_axes()


@st.composite
def shapes(
    draw: st.DrawFn, min_axes: int = 0, max_axes: int = MAX_AXES, max_elements: int = MAX_ELEMENTS
) -> tuple[int, ...]:
    """Shapes of min_axes to max_axes axes, each of size 1 to 4 (no axes: one number).

    Drawn as a number of axes (each as likely), then one choice from a list: cheaper
    than axis by axis, and mostly small, so that finite differences stay cheap."""
    axes = draw(st.integers(min_axes, max_axes))
    fitting = [shape for shape in SHAPES_BY_AXES[axes] if math.prod(shape) <= max_elements]
    return draw(st.sampled_from(fitting))


@st.composite
def broadcastable_shapes(
    draw: st.DrawFn,
    count: int,
    min_axes: int = 0,
    max_axes: int = MAX_AXES,
    max_elements: int = MAX_ELEMENTS,
) -> tuple[tuple[int, ...], ...]:
    """``count`` shapes that broadcast together, drawn together: from one shape, each
    drops some of its leading axes and has size 1 on some of the others."""
    full = draw(shapes(min_axes, max_axes, max_elements))
    drawn = []
    for _ in range(count):
        kept = full[draw(st.integers(0, len(full) - min_axes)) :]
        ones = draw(st.integers(0, 2 ** len(kept) - 1))  # bit k set: size 1 on axis k
        drawn.append(tuple(1 if ones >> axis & 1 else size for axis, size in enumerate(kept)))
    return tuple(drawn)


def seeds() -> st.SearchStrategy[int]:
    """Seeds for numpy's random numbers: the elements of arrays, upstream gradients."""
    return st.integers(0, 2**32 - 1)


def random_normal(seed: int, shape: tuple[int, ...]) -> Array:
    """Samples of N(0, 1), as an array of ``shape``: upstream gradients, directions."""
    return np.random.default_rng(seed).standard_normal(shape)


@dataclass(frozen=True)
class Domain:
    """Where an op's inputs are drawn: uniformly in [low, high], at least ``gap`` away
    from each of ``kinks`` (where the op's derivative jumps, or grows without bound)."""

    low: float
    high: float
    kinks: tuple[float, ...] = ()
    gap: float = KINK_GAP

    def sample(self, seed: int, shape: tuple[int, ...]) -> Array:
        generator = np.random.default_rng(seed)
        x = generator.uniform(self.low, self.high, shape)
        near_a_kink = self._near_a_kink(x)
        while near_a_kink.any():  # draw those again: rare, so only a few rounds
            x[near_a_kink] = generator.uniform(self.low, self.high, int(near_a_kink.sum()))
            near_a_kink = self._near_a_kink(x)
        return x

    def _near_a_kink(self, x: Array) -> Array:
        near = np.zeros(x.shape, dtype=bool)
        for kink in self.kinks:
            near |= np.abs(x - kink) < self.gap
        return near


NEAR_ONE = Domain(-3, 3)  # where exp, tanh and friends have derivatives of order 1
POSITIVE = Domain(0.2, 5)
NOT_AT_ZERO = Domain(-3, 3, kinks=(0.0,))  # relu, leaky_relu and abs
FAR_FROM_ZERO = Domain(-3, 3, kinks=(0.0,), gap=0.5)  # for 1/x and negative powers


# ---------------------------------------------------------------------- memory layouts


@dataclass(frozen=True)
class Layout:
    """An input as a view into a larger array: ``base.transpose(axes)[index]``, the
    transposed or strided (non-contiguous) memory that x.T and x[::2] give.

    ``of`` takes the same view of an ndarray or of a Tensor, so that a test can hand the
    ops a non-contiguous Tensor and still check the gradient with respect to ``base``.
    """

    base: Array
    axes: tuple[int, ...] | None = None  # None: not transposed
    index: tuple[slice, ...] | None = None  # None: every element

    def of(self, base: Any) -> Any:
        view = base if self.axes is None else base.transpose(self.axes)
        return view if self.index is None else view[self.index]

    @property
    def array(self) -> Array:
        """The input itself: a view of ``base``."""
        array: Array = self.of(self.base)
        return array


@st.composite
def laid_out(draw: st.DrawFn, shape: tuple[int, ...], domain: Domain) -> Layout:
    """An array of ``shape`` with elements in ``domain``: contiguous, a transposed view
    (axes in a random order), or every other element along one axis of a larger array."""
    kind = draw(st.sampled_from(["contiguous", "transposed", "strided"])) if shape else ""
    seed = draw(seeds())
    generator = np.random.default_rng(seed)
    base_shape, axes, index = list(shape), None, None
    if kind == "transposed":
        axes = tuple(int(axis) for axis in generator.permutation(len(shape)))
        for position, axis in enumerate(axes):
            base_shape[axis] = shape[position]
    elif kind == "strided":
        strided_axis, start = int(generator.integers(len(shape))), int(generator.integers(2))
        base_shape[strided_axis] = start + 2 * shape[strided_axis]
        index = tuple(
            slice(start, None, 2) if axis == strided_axis else slice(None)
            for axis in range(len(shape))
        )
    return Layout(domain.sample(seed, tuple(base_shape)), axes, index)


# ---------------------------------------------------------------------- options of the ops


@st.composite
def reduction_axes(draw: st.DrawFn, ndim: int) -> int | tuple[int, ...] | None:
    """None (every axis), one axis, or a tuple of distinct axes, for sum, mean and max;
    a negative axis counts from the end."""
    kind = draw(st.sampled_from(["all", "one", "several"])) if ndim else "all"
    if kind == "all":
        return None
    if kind == "one":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.integers(1, 2**ndim - 1))  # bit k set: axis k is reduced
    negative = draw(st.integers(0, 2**ndim - 1))  # bit k set: written k - ndim
    return tuple(
        axis - ndim if negative >> axis & 1 else axis for axis in range(ndim) if chosen >> axis & 1
    )


@st.composite
def permutations_of(draw: st.DrawFn, ndim: int) -> tuple[int, ...]:
    """Axes for ``transpose``: a reordering of all of them (some counted from the end),
    or none, which reverses them."""
    if draw(st.booleans()):
        return ()
    order = draw(st.sampled_from(list(itertools.permutations(range(ndim)))))
    negative = draw(st.integers(0, 2**ndim - 1))  # bit k set: axis k written k - ndim
    return tuple(axis - ndim if negative >> axis & 1 else axis for axis in order)


@st.composite
def new_shapes(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Another shape with as many elements: the prime factors of the size spread over up
    to 4 axes (some left at 1), one of them perhaps written -1."""
    size, factors, divisor = math.prod(shape), [], 2
    while size > 1:
        while size % divisor == 0:
            factors.append(divisor)
            size //= divisor
        divisor += 1
    sizes = [1] * draw(st.integers(1 if factors else 0, MAX_AXES))
    for factor in factors:
        sizes[draw(st.integers(0, len(sizes) - 1))] *= factor
    written_minus_one = draw(st.booleans())
    if sizes and written_minus_one:
        sizes[draw(st.integers(0, len(sizes) - 1))] = -1
    return tuple(sizes)


@st.composite
def basic_indices(draw: st.DrawFn, shape: tuple[int, ...], negative_steps: bool = True) -> Any:
    """An index of ints, slices (steps of 1 or 2, backwards too), None and ...
    (which stands for a run of whole axes, maybe none)."""
    steps = [1, 2, -1, -2] if negative_steps else [1, 2]
    parts: list[Any] = []
    for size in shape:
        kind = draw(st.sampled_from(["int", "slice", "whole axis"]))
        if kind == "int":
            parts.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            ends = st.none() | st.integers(-size, size)
            parts.append(slice(draw(ends), draw(ends), draw(st.sampled_from(steps))))
        else:
            parts.append(slice(None))
    if draw(st.booleans()):
        start = end = draw(st.integers(0, len(parts)))
        while end < len(parts) and parts[end] == slice(None) and draw(st.booleans()):
            end += 1
        parts[start:end] = [Ellipsis]
    else:  # whole axes at the end may be left out
        while parts and parts[-1] == slice(None) and draw(st.booleans()):
            parts.pop()
    for _ in range(draw(st.integers(0, 2))):
        parts.insert(draw(st.integers(0, len(parts))), None)
    if len(parts) == 1 and draw(st.booleans()):
        return parts[0]  # x[1], not x[(1,)]
    return tuple(parts)


@st.composite
def integer_array_indices(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """Integer arrays on one or two axes (broadcasting together; repeats and negative
    numbers included), whole axes elsewhere."""
    count = draw(st.integers(1, min(2, len(shape))))
    axes = draw(st.sampled_from(list(itertools.combinations(range(len(shape)), count))))
    generator = np.random.default_rng(draw(seeds()))
    parts: list[Any] = [slice(None)] * len(shape)
    for axis, index_shape in zip(axes, draw(broadcastable_shapes(count, 1, 2))):
        parts[axis] = generator.integers(-shape[axis], shape[axis], index_shape)
    if count == 1 and draw(st.booleans()):  # a list works too: x[[0, 2, 0]]
        parts[axes[0]] = parts[axes[0]].tolist()
    return tuple(parts)


@st.composite
def boolean_mask_indices(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """A boolean mask (True at least once) over a run of axes, whole axes before it."""
    start = draw(st.integers(0, len(shape) - 1))
    end = draw(st.integers(start + 1, len(shape)))
    mask = np.random.default_rng(draw(seeds())).random(shape[start:end]) < 0.5
    mask[draw(st.tuples(*(st.integers(0, size - 1) for size in shape[start:end])))] = True
    return (*([slice(None)] * start), mask)


# ---------------------------------------------------------------------- examples of each op


@dataclass(frozen=True)
class TensorExample:
    """The inputs of one call of an op, and the options drawn with them (an axis...)."""

    inputs: tuple[Layout, ...]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def arrays(self) -> list[Array]:
        return [layout.array for layout in self.inputs]


@st.composite
def elementwise(
    draw: st.DrawFn, /, domain: Domain, min_axes: int = 0, **options: st.SearchStrategy[Any]
) -> TensorExample:
    """One array of any shape with elements in ``domain``, and the options drawn."""
    x = draw(laid_out(draw(shapes(min_axes)), domain))
    return TensorExample((x,), {name: draw(option) for name, option in options.items()})


@st.composite
def broadcast_pairs(draw: st.DrawFn, x_domain: Domain, y_domain: Domain) -> TensorExample:
    """Two arrays whose shapes broadcast together."""
    x_shape, y_shape = draw(broadcastable_shapes(2))
    return TensorExample((draw(laid_out(x_shape, x_domain)), draw(laid_out(y_shape, y_domain))))


@st.composite
def ndarray_on_the_left(draw: st.DrawFn) -> TensorExample:
    """An array for x and a constant ndarray (the option ``array``) that broadcast."""
    x_shape, array_shape = draw(broadcastable_shapes(2))
    array = NEAR_ONE.sample(draw(seeds()), array_shape)
    return TensorExample((draw(laid_out(x_shape, NEAR_ONE)),), {"array": array})


@st.composite
def matmul_pairs(draw: st.DrawFn) -> TensorExample:
    """Operands of @ in each of numpy's forms: vector @ vector, matrix @ vector, vector @
    matrix, matrix @ matrix, and batches of matrices (their batch axes broadcast)
    against matrices, vectors or other batches."""
    rows, inner, columns = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    x_batch, y_batch = draw(broadcastable_shapes(2, max_axes=2, max_elements=MAX_SIDE))
    x_shape = draw(st.sampled_from([(inner,), (*x_batch, rows, inner)]))
    y_shape = draw(st.sampled_from([(inner,), (*y_batch, inner, columns)]))
    domain = Domain(-2, 2)
    return TensorExample((draw(laid_out(x_shape, domain)), draw(laid_out(y_shape, domain))))


@st.composite
def clamp_examples(draw: st.DrawFn) -> TensorExample:
    """Bounds (one may be None) and an array whose elements keep away from them."""
    lowest = draw(reals(-2, 1))
    highest = lowest + draw(reals(0, 2))
    low, high = draw(st.sampled_from([(lowest, highest), (lowest, None), (None, highest)]))
    domain = Domain(-3, 3, kinks=tuple(bound for bound in (low, high) if bound is not None))
    x = draw(laid_out(draw(shapes()), domain))
    return TensorExample((x,), {"low": low, "high": high})


@st.composite
def reductions(draw: st.DrawFn, domain: Domain) -> TensorExample:
    """An array, and ``axis`` (None, an int or a tuple) and ``keepdims`` to reduce it by."""
    shape = draw(shapes())
    options = {"axis": draw(reduction_axes(len(shape))), "keepdims": draw(st.booleans())}
    return TensorExample((draw(laid_out(shape, domain)),), options)


def maxima_stand_out(example: TensorExample) -> bool:
    """True if in every group that max reduces, the largest element beats the next by
    KINK_GAP: no ties or near-ties, where max has a kink."""
    x, axis = example.arrays[0], example.options["axis"]
    reduced = list(range(x.ndim)) if axis is None else [a % x.ndim for a in np.atleast_1d(axis)]
    kept = x.ndim - len(reduced)
    groups = np.moveaxis(x, reduced, list(range(kept, x.ndim)))
    groups = groups.reshape(*groups.shape[:kept], -1)
    if groups.shape[-1] < 2:
        return True
    top_two = np.sort(groups, axis=-1)[..., -2:]
    return bool(np.all(top_two[..., 1] - top_two[..., 0] >= KINK_GAP))


@st.composite
def along_an_axis(
    draw: st.DrawFn, /, domain: Domain, **options: st.SearchStrategy[Any]
) -> TensorExample:
    """An array of at least one axis and an ``axis`` of it, for the softmax family."""
    shape = draw(shapes(min_axes=1))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    extra = {name: draw(option) for name, option in options.items()}
    return TensorExample((draw(laid_out(shape, domain)),), {"axis": axis, **extra})


@st.composite
def reshapes(draw: st.DrawFn) -> TensorExample:
    """An array and a ``shape`` with as many elements."""
    shape = draw(shapes())
    return TensorExample((draw(laid_out(shape, NEAR_ONE)),), {"shape": draw(new_shapes(shape))})


@st.composite
def transposes(draw: st.DrawFn) -> TensorExample:
    """An array and ``axes`` to reorder it by."""
    shape = draw(shapes())
    return TensorExample(
        (draw(laid_out(shape, NEAR_ONE)),), {"axes": draw(permutations_of(len(shape)))}
    )


def indexing(
    indices: Callable[[tuple[int, ...]], st.SearchStrategy[Any]], min_axes: int
) -> st.SearchStrategy[TensorExample]:
    """An array and an ``index`` drawn by ``indices`` for its shape, picking something."""

    @st.composite
    def examples(draw: st.DrawFn) -> TensorExample:
        shape = draw(shapes(min_axes))
        return TensorExample((draw(laid_out(shape, NEAR_ONE)),), {"index": draw(indices(shape))})

    return examples().filter(lambda example: example.arrays[0][example.options["index"]].size > 0)


@st.composite
def concatenations(draw: st.DrawFn) -> TensorExample:
    """One to three arrays of one shape but for their sizes along ``axis``."""
    shape = draw(shapes(min_axes=1))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    pieces = []
    for _ in range(draw(st.integers(1, 3))):
        piece_shape = list(shape)
        piece_shape[axis] = draw(st.integers(1, MAX_SIDE))
        pieces.append(draw(laid_out(tuple(piece_shape), NEAR_ONE)))
    return TensorExample(tuple(pieces), {"axis": axis})


@st.composite
def stacks(draw: st.DrawFn) -> TensorExample:
    """One to three arrays of one shape, and a new ``axis`` to stack them along."""
    shape = draw(shapes())
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    pieces = tuple(draw(laid_out(shape, NEAR_ONE)) for _ in range(draw(st.integers(1, 3))))
    return TensorExample(pieces, {"axis": axis})


@st.composite
def selections(draw: st.DrawFn) -> TensorExample:
    """A boolean ``condition`` and two arrays, all three broadcasting together."""
    condition_shape, x_shape, y_shape = draw(broadcastable_shapes(3))
    condition = np.asarray(np.random.default_rng(draw(seeds())).random(condition_shape) < 0.5)
    inputs = (draw(laid_out(x_shape, NEAR_ONE)), draw(laid_out(y_shape, NEAR_ONE)))
    return TensorExample(inputs, {"condition": condition})


@st.composite
def convolutions(draw: st.DrawFn) -> TensorExample:
    """Images x (N, C, H, W), kernels (O, C, kh, kw) and biases (O,), with a ``stride``
    and a ``padding`` that leave at least one output position."""
    images, channels, kernels = (draw(st.integers(1, 2)) for _ in range(3))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    height, width = (draw(st.integers(max(1, k - 2 * padding), 5)) for k in kernel)
    shapes_drawn = [(images, channels, height, width), (kernels, channels, *kernel), (kernels,)]
    inputs = tuple(draw(laid_out(shape, NEAR_ONE)) for shape in shapes_drawn)
    return TensorExample(inputs, {"stride": stride, "padding": padding})


@st.composite
def poolings(draw: st.DrawFn) -> TensorExample:
    """Images x (N, C, H, W) whose elements differ pairwise by at least KINK_GAP (so
    every window's maximum stands out), a ``kernel_size`` and a ``stride`` (None: the
    kernel's size)."""
    kernel = draw(st.integers(1, 3))
    shape = (
        draw(st.integers(1, 2)),
        draw(st.integers(1, 2)),
        *(draw(st.integers(kernel, 5)) for _ in range(2)),
    )
    order = np.random.default_rng(draw(seeds())).permutation(math.prod(shape))
    x = (order.reshape(shape) - order.size / 2) * 0.1  # distinct, 0.1 apart
    stride = draw(st.one_of(st.none(), st.integers(1, 2)))
    return TensorExample((Layout(x),), {"kernel_size": kernel, "stride": stride})


@st.composite
def lstm_cells(draw: st.DrawFn) -> TensorExample:
    """An LSTM cell's gates before their activations (N, 4H: i, f, g, o) and c (N, H)."""
    batch, hidden = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    gates = draw(laid_out((batch, 4 * hidden), NEAR_ONE))
    return TensorExample((gates, draw(laid_out((batch, hidden), NEAR_ONE))))


# ---------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class TensorCase:
    """An op through the public API, ``function(*tensors, **options)``; the entries of
    ``VJP_RULES`` its graph holds (``ops``); examples of its inputs and options."""

    function: Callable[..., Any]
    ops: tuple[str, ...]
    examples: st.SearchStrategy[TensorExample]


def _method(name: str, domain: Domain) -> TensorCase:
    """x.name() on an array of any shape with elements in ``domain``."""
    return TensorCase(lambda x: getattr(x, name)(), (name,), elementwise(domain))


TENSOR_CASES: dict[str, TensorCase] = {
    "+": TensorCase(lambda x, y: x + y, ("+",), broadcast_pairs(NEAR_ONE, NEAR_ONE)),
    "-": TensorCase(lambda x, y: x - y, ("-",), broadcast_pairs(NEAR_ONE, NEAR_ONE)),
    "*": TensorCase(lambda x, y: x * y, ("*",), broadcast_pairs(NEAR_ONE, NEAR_ONE)),
    "/": TensorCase(lambda x, y: x / y, ("/",), broadcast_pairs(NEAR_ONE, FAR_FROM_ZERO)),
    "number - x": TensorCase(
        lambda x, number: number - x, ("-",), elementwise(NEAR_ONE, number=reals(-3, 3))
    ),
    "number / x": TensorCase(
        lambda x, number: number / x,
        ("/",),
        elementwise(FAR_FROM_ZERO, number=reals(-3, 3)),
    ),
    "ndarray * x": TensorCase(lambda x, array: array * x, ("*",), ndarray_on_the_left()),
    "x ** number": TensorCase(
        lambda x, exponent: x**exponent,
        ("**",),
        elementwise(Domain(0.5, 2), exponent=reals(-3, 3)),
    ),
    "x ** whole number": TensorCase(  # a negative base too
        lambda x, exponent: x**exponent,
        ("**",),
        elementwise(Domain(-2, 2, kinks=(0.0,), gap=0.5), exponent=st.integers(-3, 3)),
    ),
    "x ** y": TensorCase(
        lambda x, y: x**y, ("**",), broadcast_pairs(Domain(0.5, 2), Domain(-2, 2))
    ),
    "number ** x": TensorCase(
        lambda x, base: base**x, ("**",), elementwise(Domain(-2, 2), base=reals(0.5, 3))
    ),
    "neg": TensorCase(lambda x: -x, ("neg",), elementwise(NEAR_ONE)),
    "@": TensorCase(lambda x, y: x @ y, ("@",), matmul_pairs()),
    "exp": _method("exp", NEAR_ONE),
    "log": _method("log", POSITIVE),
    "sqrt": _method("sqrt", POSITIVE),
    "abs": TensorCase(lambda x: abs(x), ("abs",), elementwise(NOT_AT_ZERO)),
    "tanh": _method("tanh", NEAR_ONE),
    "sigmoid": _method("sigmoid", Domain(-6, 6)),
    "relu": _method("relu", NOT_AT_ZERO),
    "leaky_relu": TensorCase(
        lambda x, slope: x.leaky_relu(slope),
        ("leaky_relu",),
        elementwise(NOT_AT_ZERO, slope=reals(0, 0.5)),
    ),
    # Past 20 too, where PyTorch's softplus switches to x itself and ours does not.
    "softplus": _method("softplus", Domain(-30, 30)),
    "clamp": TensorCase(lambda x, low, high: x.clamp(low, high), ("clamp",), clamp_examples()),
    "sum": TensorCase(
        lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims),
        ("sum",),
        reductions(NEAR_ONE),
    ),
    "mean": TensorCase(
        lambda x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims),
        ("mean",),
        reductions(NEAR_ONE),
    ),
    "max": TensorCase(
        lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims),
        ("max",),
        reductions(NEAR_ONE).filter(maxima_stand_out),
    ),
    "reshape": TensorCase(lambda x, shape: x.reshape(shape), ("reshape",), reshapes()),
    "transpose": TensorCase(lambda x, axes: x.transpose(*axes), ("transpose",), transposes()),
    "T": TensorCase(lambda x: x.T, ("transpose",), elementwise(NEAR_ONE)),
    "index with ints, slices, None, ...": TensorCase(
        lambda x, index: x[index], ("getitem",), indexing(basic_indices, min_axes=0)
    ),
    "index with integer arrays": TensorCase(
        lambda x, index: x[index], ("getitem",), indexing(integer_array_indices, min_axes=1)
    ),
    "index with a boolean mask": TensorCase(
        lambda x, index: x[index], ("getitem",), indexing(boolean_mask_indices, min_axes=1)
    ),
    "softmax": TensorCase(
        lambda x, axis: x.softmax(axis), ("softmax",), along_an_axis(Domain(-5, 5))
    ),
    "log_softmax": TensorCase(
        lambda x, axis: x.log_softmax(axis), ("log_softmax",), along_an_axis(Domain(-5, 5))
    ),
    "logsumexp": TensorCase(
        lambda x, axis, keepdims: x.logsumexp(axis, keepdims),
        ("logsumexp",),
        along_an_axis(Domain(-5, 5), keepdims=st.booleans()),
    ),
    "concatenate": TensorCase(
        lambda *pieces, axis: concatenate(list(pieces), axis=axis),
        ("concatenate",),
        concatenations(),
    ),
    "stack": TensorCase(lambda *pieces, axis: stack(list(pieces), axis=axis), ("stack",), stacks()),
    "where": TensorCase(lambda x, y, condition: where(condition, x, y), ("where",), selections()),
    # The ops of conv.py and layers.py register their rules in the same table.
    "conv2d": TensorCase(
        lambda x, weight, bias, stride, padding: conv2d(x, weight, bias, stride, padding),
        ("conv2d",),
        convolutions(),
    ),
    "max_pool2d": TensorCase(
        lambda x, kernel_size, stride: max_pool2d(x, kernel_size, stride),
        ("max_pool2d",),
        poolings(),
    ),
    "avg_pool2d": TensorCase(
        lambda x, kernel_size, stride: avg_pool2d(x, kernel_size, stride),
        ("avg_pool2d",),
        poolings(),
    ),
    "lstm_cell": TensorCase(lstm_cell, ("lstm_cell",), lstm_cells()),
}
"""Every op of the public API, by name, with examples where finite differences can be
trusted; every entry of VJP_RULES is in some case's ``ops`` (or, for the ops that only
gradients record, in a second-order case's: see test_tensor_gradients.py)."""


# ---------------------------------------------------------------------- second derivatives


@dataclass(frozen=True)
class SecondDerivatives:
    """Of f at some points, for a random upstream gradient u and random directions v:
    the output f(x), the gradients of sum(u * f(x)) (Tensors with graphs of their own,
    from ``backward(create_graph=True)``) and the Hessian-vector products H v."""

    upstream: Array
    directions: list[Array]
    output: Tensor
    gradients: list[Any]
    products: list[Array]


def hessian_vector_products(
    f: Callable[..., Tensor], points: list[Array], upstream_seed: int, direction_seed: int
) -> SecondDerivatives:
    """H v for each input: a second backward, of sum_i <gradient_i, v_i>, through the
    graphs that ``backward(create_graph=True)`` gave the gradients."""
    directions = [random_normal(direction_seed + i, point.shape) for i, point in enumerate(points)]
    leaves = [Tensor(point, requires_grad=True) for point in points]
    output = f(*leaves)
    upstream = random_normal(upstream_seed, output.shape)
    output.backward(gradient=upstream, create_graph=True)
    gradients = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = None
    along = [
        (gradient * direction).sum()
        for gradient, direction in zip(gradients, directions)
        if isinstance(gradient, Tensor) and gradient.requires_grad
    ]
    if along:  # else every gradient is a constant: H = 0
        total = along[0]
        for term in along[1:]:
            total = total + term
        total.backward()
    products = [
        np.zeros(leaf.shape) if leaf.grad is None else np.asarray(leaf.grad) for leaf in leaves
    ]
    return SecondDerivatives(upstream, directions, output, gradients, products)
