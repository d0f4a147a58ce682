"""Tensors: the scalar engine's idea, one array at a time.

A ``Value`` holds one number; a ``Tensor`` holds a numpy array and records, for each
operation, its ``inputs`` and its ``op``, exactly as a Value does. What changes is the
chain rule. For a scalar it was ``input.grad += local_grad * out.grad``. For arrays
the local derivative would be a Jacobian matrix, d(out)/d(input), of size
out.size x input.size: far too big to build. Backpropagation never needs it, only its
product with the gradient arriving from above, ``g = d(loss)/d(out)``:

    input.grad += vjp(g)        where vjp(g) = g contracted with d(out)/d(input)

a *vector-Jacobian product*, which has the input's shape and costs about as much as the
op itself. For ``out = x * y`` it is ``g * y``; for ``out = x @ w`` it is ``g @ w.T``;
for ``out = x.sum()`` it is g copied into every element. ``VJP_RULES``, below the class,
holds one such rule per op and input, written once as arithmetic that runs on two
kinds of array: on ndarrays in an ordinary ``backward()`` (the fast path), and on
Tensors with ``backward(create_graph=True)``, where the gradient records a graph of
its own and can be differentiated again (Hessian-vector products, ``grad(grad(f))``),
just as the scalar engine's ``LOCAL_GRAD_RULES`` runs on floats and on Values.

Broadcasting (numpy's rules: ``(3, 1) + (4,)`` gives ``(3, 4)``) is undone in one place,
``_sum_to``: an input that was stretched along an axis was used once per position on
that axis, so its gradient is the sum along it.

Where the real systems differ:
- PyTorch (whose names and semantics these are) keeps the graph in separate
  ``grad_fn`` objects, frees it after one ``backward()`` unless ``retain_graph=True``
  (ours stays, so a second backward adds the same gradients again, as Values do), and
  returns tensors, not ndarrays, from comparisons.
- JAX records nothing on the arrays: ``jax.grad`` and ``jax.vjp`` trace a function and
  transform it, and its arrays are immutable, so there is no ``.grad`` to accumulate.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from typing import Any, Union

import numpy as np

from tinygrad_edu.engine import enable_grad, is_grad_enabled, no_grad

__all__ = [
    "Tensor",
    "backpropagate",
    "concatenate",
    "enable_grad",
    "gradients",
    "no_grad",
    "stack",
    "where",
]

Array = np.ndarray[Any, Any]
Operand = Union["Tensor", float, int, Array]
Gradient = Union[Array, "Tensor"]
"""An ndarray; a Tensor (with its own graph) after ``backward(create_graph=True)``."""

# Overflow to inf, 0 * inf and 0 / 0 are IEEE arithmetic, not mistakes to warn about:
# their results (inf, nan) show in the numbers. numpy would also issue a RuntimeWarning
# for each; a warnings filter keeps them away from the learner, for this package's numpy
# calls only. Two things decide whether it works:
# - The first filter in ``warnings.filters`` that matches a warning decides it, and
#   ``warnings.simplefilter("error")``, pytest's ``-W error`` or a
#   ``catch_warnings()`` block put theirs in front of ours. So every op that does
#   arithmetic (not reshaping, indexing or comparing, which never warn) calls
#   ``_keep_numpy_quiet()`` first, which moves ours back to the front:
#   one comparison when it is there already (np.errstate around each op would cost
#   about 3 µs, more than a small op itself).
# - A warning is blamed on the Python code that called the numpy routine. ndarray
#   methods such as ``x.sum()`` run in numpy's own Python code, so their warnings would
#   be numpy's, past our filter: reductions here call the ufunc itself
#   (``np.add.reduce``, as ``x.sum()`` does inside), which also skips a layer of
#   numpy's Python.
_QUIET_MODULES = r"tinygrad_edu(\.\w+)*$"
_quiet_filter: Any = None  # our entry of warnings.filters, once it is there


def _keep_numpy_quiet() -> None:
    """Make our filter the first of ``warnings.filters`` (again): a filter added since,
    or a ``warnings.catch_warnings()`` block, may have put another in front of it or
    dropped it. The user's own filters keep their order and still decide everything
    else: ours matches only RuntimeWarnings raised in this package's code."""
    global _quiet_filter
    filters = warnings.filters
    if filters and filters[0] is _quiet_filter:
        return
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=_QUIET_MODULES)
    _quiet_filter = warnings.filters[0]


_keep_numpy_quiet()

# The reductions, called as ufuncs (see above). Named here with a plain type: numpy's
# stubs accept keepdims only as a literal True or False, not as a bool variable.
_add_reduce: Callable[..., Any] = np.add.reduce
_maximum_reduce: Callable[..., Any] = np.maximum.reduce

FLOAT_DTYPES: dict[str, np.dtype[Any]] = {
    "float64": np.dtype(np.float64),
    "float32": np.dtype(np.float32),
}
DEFAULT_LEAKY_RELU_SLOPE = 0.01  # PyTorch's default negative_slope
_NOTHING_SAVED: dict[str, Any] = {}  # shared by every op that saves no options


class Tensor:
    """An n-dimensional array of floats that records the computation graph.

    ``data`` is the numpy array (float64, or float32 when asked for or given one);
    ``grad`` is None until a backward reaches this tensor, then d(output)/d(self) of
    the same shape and dtype; ``requires_grad`` says whether gradients are wanted here
    (False for data, True for parameters). ``op`` names the operation that made it
    ('' for a leaf), ``inputs`` are the Tensors it was made from, ``label`` a name for
    display.
    """

    # __slots__: no per-instance __dict__; __weakref__ lets caches and tests hold a
    # tensor without keeping it alive.
    __slots__ = (
        "data",
        "grad",
        "_requires_grad",
        "op",
        "inputs",
        "saved",
        "label",
        "_retains_grad",
        "__weakref__",
    )

    data: Array
    grad: Gradient | None
    _requires_grad: bool
    op: str
    inputs: tuple[Tensor, ...]
    saved: dict[str, Any]  # the op's options its rule needs (an axis, an index, ...)
    label: str
    _retains_grad: bool

    # A Tensor is no ndarray: numpy must hand ``ndarray + tensor`` to Tensor.__radd__
    # rather than build an array of Tensor objects (and np.exp(tensor) is refused).
    __array_ufunc__ = None

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: str | type | np.dtype[Any] | None = None,
        label: str = "",
    ) -> None:
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be True or False, got {_describe(requires_grad)}")
        if not isinstance(label, str):
            raise TypeError(f"Tensor() expects label to be a str, got {_describe(label)}")
        _keep_numpy_quiet()
        self.data = _as_float_array(data, _float_dtype(dtype), "Tensor()")
        self.grad = None
        self._requires_grad = requires_grad
        self.op = ""
        self.inputs = ()
        self.saved = _NOTHING_SAVED
        self.label = label
        self._retains_grad = False

    # ------------------------------------------------------------------ constructors

    @staticmethod
    def zeros(*shape: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
        """A tensor of zeros: ``Tensor.zeros(2, 3)`` or ``Tensor.zeros((2, 3))``."""
        return Tensor(np.zeros(_shape_of(shape, "zeros")), requires_grad, _float_dtype(dtype))

    @staticmethod
    def ones(*shape: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
        """A tensor of ones: ``Tensor.ones(2, 3)`` or ``Tensor.ones((2, 3))``."""
        return Tensor(np.ones(_shape_of(shape, "ones")), requires_grad, _float_dtype(dtype))

    @staticmethod
    def randn(*shape: Any, seed: int = 0, requires_grad: bool = False, dtype: Any = None) -> Tensor:
        """Samples of the standard normal distribution N(0, 1); the same seed gives the
        same numbers (PyTorch's ``torch.randn`` draws from a global generator instead)."""
        generator = np.random.default_rng(_checked_seed(seed))
        samples = generator.standard_normal(_shape_of(shape, "randn"))
        return Tensor(samples, requires_grad, _float_dtype(dtype))

    # ------------------------------------------------------------------ what it holds

    @property
    def requires_grad(self) -> bool:
        """Whether a backward computes d(output)/d(self): set by you on a leaf, and True
        on every result of an op (while recording) with an input that requires it."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, wanted: bool) -> None:
        if not isinstance(wanted, bool):
            raise TypeError(f"requires_grad must be True or False, got {_describe(wanted)}")
        if self.op:
            raise ValueError(
                "requires_grad can be set on a leaf only: this tensor is the result of "
                f"{self.op!r}; use .detach() for a leaf copy of it"
            )
        self._requires_grad = wanted

    @property
    def is_leaf(self) -> bool:
        """True if no recorded op made this tensor (data, parameters, constants)."""
        return not self.op

    @property
    def shape(self) -> tuple[int, ...]:
        """The size along each axis, as numpy's ``ndarray.shape``."""
        shape: tuple[int, ...] = self.data.shape
        return shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self.data.size

    @property
    def dtype(self) -> np.dtype[Any]:
        """numpy's float64 or float32."""
        dtype: np.dtype[Any] = self.data.dtype
        return dtype

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor: it has no first axis")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor: it has no first axis")
        return (self[index] for index in range(len(self.data)))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous: "
                "use (...).all() or (...).any() on a comparison"
            )
        return bool(self.data)

    def __repr__(self) -> str:
        numbers_shown = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = [f"dtype={self.dtype.name}"] if self.dtype != np.float64 else []
        if self.op:
            extras.append(f"op={self.op!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        if self.label:
            extras.append(f"label={self.label!r}")
        return f"Tensor({', '.join([numbers_shown, *extras])})"

    def numpy(self) -> Array:
        """The data as an ndarray (the same memory, as PyTorch's ``.numpy()``)."""
        if self._requires_grad:
            raise TypeError(_LEAVES_THE_GRAPH.format(what="numpy()"))
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Array:
        if self._requires_grad:
            raise TypeError(_LEAVES_THE_GRAPH.format(what="np.asarray(tensor)"))
        array = self.data if dtype is None else self.data.astype(dtype)
        return array.copy() if copy else array

    def item(self) -> float:
        """The one number of a one-element tensor, as a Python float."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor of one element, this one has shape {self.shape}"
            )
        return float(self.data.reshape(-1)[0])

    def detach(self) -> Tensor:
        """A leaf with the same data (shared memory) and no graph behind it."""
        return _leaf(self.data)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf after backward (leaves always keep theirs)."""
        if not self._requires_grad:
            raise ValueError(
                "retain_grad() on a tensor that does not require grad: no backward will reach it"
            )
        self._retains_grad = True

    def zero_grad(self) -> None:
        """Forget this tensor's gradient (``grad = None``, as PyTorch's default)."""
        self.grad = None

    # ------------------------------------------------------------------ arithmetic
    # numpy broadcasting on both sides; a number or an ndarray on either side becomes a
    # constant leaf, so that every operand of every op is a node of the graph.

    def __add__(self, other: Operand) -> Tensor:
        """x + y."""
        return _binary("+", np.add, self, other)

    def __radd__(self, other: Operand) -> Tensor:
        return _binary("+", np.add, other, self)

    def __sub__(self, other: Operand) -> Tensor:
        """x - y."""
        return _binary("-", np.subtract, self, other)

    def __rsub__(self, other: Operand) -> Tensor:
        return _binary("-", np.subtract, other, self)

    def __mul__(self, other: Operand) -> Tensor:
        """x * y, element by element."""
        return _binary("*", np.multiply, self, other)

    def __rmul__(self, other: Operand) -> Tensor:
        return _binary("*", np.multiply, other, self)

    def __truediv__(self, other: Operand) -> Tensor:
        """x / y; dividing by 0 gives inf or nan, as in IEEE arithmetic and PyTorch
        (``Value`` raises ZeroDivisionError instead)."""
        return _binary("/", np.divide, self, other)

    def __rtruediv__(self, other: Operand) -> Tensor:
        return _binary("/", np.divide, other, self)

    def __pow__(self, exponent: Operand) -> Tensor:
        """x ** n for a number or tensor n. A negative base needs whole-number exponents,
        and a base meeting an exponent that requires grad must be positive (log(x) is in
        d/dn x**n = x**n log(x)), as for Values."""
        return _power(self, exponent)

    def __rpow__(self, base: Operand) -> Tensor:
        return _power(base, self)

    def __neg__(self) -> Tensor:
        """-x."""
        return _result("neg", np.negative(self.data), (self,))

    def __matmul__(self, other: Operand) -> Tensor:
        """x @ w, with numpy's matmul rules: 1-D operands are vectors, and the axes
        before the last two are a batch, broadcast."""
        return _matmul(self, other)

    def __rmatmul__(self, other: Operand) -> Tensor:
        return _matmul(other, self)

    # ------------------------------------------------------------------ comparisons
    # They have no gradient, so they return plain boolean ndarrays (PyTorch returns bool
    # tensors): masks for ``where`` and for counting, as in (predictions == labels).mean().
    # Tensors stay hashable by identity, so they can be dictionary keys.

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> Any:
        return _compare(np.equal, self, other)

    def __ne__(self, other: object) -> Any:
        return _compare(np.not_equal, self, other)

    def __lt__(self, other: Operand) -> Any:
        return _compare(np.less, self, other)

    def __le__(self, other: Operand) -> Any:
        return _compare(np.less_equal, self, other)

    def __gt__(self, other: Operand) -> Any:
        return _compare(np.greater, self, other)

    def __ge__(self, other: Operand) -> Any:
        return _compare(np.greater_equal, self, other)

    # ------------------------------------------------------------------ element-wise functions

    def exp(self) -> Tensor:
        """e**x. Overflows to inf past x = 709.78 (float64), as IEEE arithmetic does."""
        _keep_numpy_quiet()
        return _result("exp", np.exp(self.data), (self,))

    def log(self) -> Tensor:
        """Natural logarithm; every element must be > 0 (PyTorch gives -inf and nan)."""
        _refuse_outside_domain("log", self.data <= 0, self.data, "x > 0")
        return _result("log", np.log(self.data), (self,))

    def sqrt(self) -> Tensor:
        """Square root; every element must be >= 0 (PyTorch gives nan)."""
        _refuse_outside_domain("sqrt", self.data < 0, self.data, "x >= 0")
        return _result("sqrt", np.sqrt(self.data), (self,))

    def __abs__(self) -> Tensor:
        """|x|."""
        return _result("abs", np.abs(self.data), (self,))

    def abs(self) -> Tensor:
        """|x|, the same as ``abs(x)``."""
        return abs(self)

    def tanh(self) -> Tensor:
        """tanh(x) = (e**x - e**-x) / (e**x + e**-x)."""
        return _result("tanh", np.tanh(self.data), (self,))

    def sigmoid(self) -> Tensor:
        """sigmoid(x) = 1 / (1 + e**-x), the tutorial's formula; 0.0 and 1.0 far out."""
        _keep_numpy_quiet()
        return _result("sigmoid", 1.0 / (1.0 + np.exp(-self.data)), (self,))

    def relu(self) -> Tensor:
        """max(0, x); a NaN stays NaN, as in PyTorch."""
        return _result("relu", np.maximum(self.data, 0.0), (self,))

    def leaky_relu(self, negative_slope: float = DEFAULT_LEAKY_RELU_SLOPE) -> Tensor:
        """x for x > 0, else negative_slope * x."""
        slope = _checked_number(negative_slope, "leaky_relu: negative_slope")
        _keep_numpy_quiet()  # slope * x is computed everywhere: 0 * inf where x = inf
        data = np.where(self.data > 0, self.data, slope * self.data)
        return _result("leaky_relu", data, (self,), {"slope": slope})

    def softplus(self) -> Tensor:
        """log(1 + e**x), a smooth relu, computed as max(x, 0) + log(1 + e**-|x|),
        which never overflows. (PyTorch returns x itself past x = 20, its threshold:
        off by e**-20, about 2e-9; this is exact.)"""
        x = self.data
        _keep_numpy_quiet()
        return _result("softplus", np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))), (self,))

    def clamp(self, low: float | None = None, high: float | None = None) -> Tensor:
        """x limited to [low, high] (either may be None, for no limit on that side)."""
        if low is None and high is None:
            raise ValueError("clamp needs low, high or both")
        low = None if low is None else _checked_number(low, "clamp: low")
        high = None if high is None else _checked_number(high, "clamp: high")
        if low is not None and high is not None and not low <= high:
            raise ValueError(f"clamp needs low <= high, got {low!r} > {high!r}")
        data = np.clip(self.data, low, high)
        return _result("clamp", data, (self,), {"low": low, "high": high})

    # ------------------------------------------------------------------ reductions

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The sum over ``axis`` (an int, a tuple of them, or None for all)."""
        axes = _normalized_axes(axis, self.ndim, "sum")
        _keep_numpy_quiet()
        keepdims = _checked_flag(keepdims, "sum: keepdims")
        data = _add_reduce(self.data, axis=axes, keepdims=keepdims)
        return _result("sum", data, (self,), {"axes": axes, "keepdims": keepdims})

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The mean over ``axis`` (an int, a tuple of them, or None for all)."""
        axes = _normalized_axes(axis, self.ndim, "mean")
        count = _count(self.shape, axes)
        _keep_numpy_quiet()
        keepdims = _checked_flag(keepdims, "mean: keepdims")
        data = _add_reduce(self.data, axis=axes, keepdims=keepdims)
        saved = {"axes": axes, "keepdims": keepdims, "count": count}
        return _result("mean", data / count, (self,), saved)

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The largest element over ``axis``; its gradient is shared evenly among tied
        maxima, as ``torch.amax`` does (``torch.max(x, dim)`` gives it all to one)."""
        axes = _normalized_axes(axis, self.ndim, "max")
        if _count(self.shape, axes) == 0:
            raise ValueError(f"max over an empty axis of a tensor of shape {self.shape}")
        # np.maximum.reduce, what numpy's x.max() calls; it never warns (a NaN simply
        # wins), so it needs no _keep_numpy_quiet().
        keepdims = _checked_flag(keepdims, "max: keepdims")
        data = _maximum_reduce(self.data, axis=axes, keepdims=keepdims)
        return _result("max", data, (self,), {"axes": axes, "keepdims": keepdims})

    def logsumexp(self, axis: int = -1, keepdims: bool = False) -> Tensor:
        """log(sum(e**x)) along ``axis``, computed as m + log(sum(e**(x - m))) with m the
        maximum, so that logits of 1000 do not overflow."""
        axes = _normalized_axes(axis, self.ndim, "logsumexp", single=True)
        _keep_numpy_quiet()
        data = _logsumexp(self.data, axes[0])
        if not _checked_flag(keepdims, "logsumexp: keepdims"):
            data = data.squeeze(axis=axes)
        return _result("logsumexp", data, (self,), {"axes": axes, "keepdims": keepdims})

    def softmax(self, axis: int = -1) -> Tensor:
        """e**x / sum(e**x) along ``axis``: positive, summing to 1; stable at large x."""
        (axis,) = _normalized_axes(axis, self.ndim, "softmax", single=True)
        _keep_numpy_quiet()
        exponentials = np.exp(self.data - _maximum_reduce(self.data, axis=axis, keepdims=True))
        data = exponentials / _add_reduce(exponentials, axis=axis, keepdims=True)
        return _result("softmax", data, (self,), {"axis": axis})

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log(softmax(x)) = x - logsumexp(x) along ``axis``, without forming softmax."""
        (axis,) = _normalized_axes(axis, self.ndim, "log_softmax", single=True)
        _keep_numpy_quiet()
        data = self.data - _logsumexp(self.data, axis)
        return _result("log_softmax", data, (self,), {"axis": axis})

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (one axis may be -1: whatever is left)."""
        new_shape = _shape_of(shape, "reshape", allow_minus_one=True)
        try:
            data = self.data.reshape(new_shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot make a tensor of shape {self.shape} ({self.size} elements) "
                f"into shape {new_shape}"
            ) from None
        return _result("reshape", data, (self,))

    def transpose(self, *axes: Any) -> Tensor:
        """The axes permuted as numpy's ``transpose`` does (no axes: reversed).

        PyTorch's ``transpose(dim0, dim1)`` swaps two axes; its ``permute`` is this one."""
        order = _permutation(axes, self.ndim)
        inverse = tuple(int(axis) for axis in np.argsort(order))
        return _result("transpose", self.data.transpose(order), (self,), {"inverse": inverse})

    @property
    def T(self) -> Tensor:  # noqa: N802 (numpy's and PyTorch's name)
        """``transpose()``: for a matrix, rows become columns."""
        return self.transpose()

    def __getitem__(self, index: Any) -> Tensor:
        """Indexing as numpy's: ints, slices, None, ..., integer arrays, boolean masks."""
        index = _normalized_index(index)
        try:
            data = self.data[index]
        except IndexError as error:
            raise IndexError(
                f"index {_shorten(index)} on a tensor of shape {self.shape}: {error}"
            ) from None
        return _result("getitem", data, (self,), {"index": index})

    # ------------------------------------------------------------------ backward

    def backward(self, gradient: Any = None, create_graph: bool = False) -> None:
        """Add d(self)/d(t) to ``t.grad`` for every leaf t that requires grad (and every
        tensor that called ``retain_grad()``), following the graph back from self.

        ``gradient`` is d(loss)/d(self), needed when self has more than one element
        (then this computes the vector-Jacobian product with it). With
        ``create_graph=True`` the gradients are Tensors with graphs of their own, to
        differentiate again. Gradients accumulate, as in PyTorch: zero them between steps.
        """
        backpropagate(self, gradient, create_graph)


_LEAVES_THE_GRAPH = (
    "{what} on a Tensor that requires grad would leave the graph, and its gradient "
    "with it: use tensor.detach().numpy() for the numbers"
)


Observer = Callable[["Tensor", Any, "Tensor", Any], None]
"""Called as ``on_edge(node, g, input, contribution)`` for each edge backward walks."""


def backpropagate(
    root: Tensor, gradient: Any = None, create_graph: bool = False, on_edge: Observer | None = None
) -> None:
    """What ``root.backward(gradient, create_graph)`` does; ``on_edge``, if given, sees
    every edge's step (the node, its gradient g, the input and what the input got after
    summing out broadcasting): that is how ``trace_backward`` records them."""
    if not isinstance(root, Tensor) or not root._requires_grad:
        raise ValueError(
            "backward() on a tensor that does not require grad: no input of the ops "
            "that made it requires grad (make parameters with requires_grad=True), "
            "or it was computed under no_grad()"
        )
    _keep_numpy_quiet()
    seed = _seed_gradient(root, gradient, create_graph)
    with enable_grad() if create_graph else nullcontext():
        _backpropagate(topological_order(root), seed, create_graph, on_edge=on_edge)


def gradients(
    output: Tensor, inputs: Sequence[Tensor], gradient: Any = None, create_graph: bool = False
) -> list[Gradient]:
    """d(output)/d(input) for each of ``inputs``, returned rather than added to ``.grad``
    (PyTorch: ``torch.autograd.grad``); ``gradient`` and ``create_graph`` as in
    ``backward``. An input that the output does not depend on gets zeros (PyTorch
    raises unless ``allow_unused=True``, then gives None; JAX gives zeros).
    """
    if not isinstance(output, Tensor) or not output.requires_grad:
        raise ValueError("gradients: output must be a Tensor that requires grad")
    wanted = _tensor_list(inputs, "gradients")
    for position, input in enumerate(wanted):
        if not input.requires_grad:
            raise ValueError(f"gradients: input {position} does not require grad")
    _keep_numpy_quiet()
    seed = _seed_gradient(output, gradient, create_graph)
    with enable_grad() if create_graph else nullcontext():
        found = _backpropagate(topological_order(output), seed, create_graph, set(wanted))
    results: list[Gradient] = []
    for input in wanted:
        grad = found.get(input, np.zeros_like(input.data))
        if create_graph:
            results.append(grad if isinstance(grad, Tensor) else _leaf(np.asarray(grad)))
        else:
            results.append(np.array(grad, dtype=input.dtype))
    return results


# ---------------------------------------------------------------------- several tensors at once


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """The tensors joined along an existing ``axis`` (PyTorch: ``torch.cat``)."""
    pieces = _tensor_list(tensors, "concatenate")
    (axis,) = _normalized_axes(axis, pieces[0].ndim, "concatenate", single=True)
    try:
        data = np.concatenate([piece.data for piece in pieces], axis=axis)
    except ValueError:
        shapes = ", ".join(str(piece.shape) for piece in pieces)
        raise ValueError(
            f"concatenate: shapes {shapes} must agree on every axis but axis {axis}"
        ) from None
    ends = tuple(int(end) for end in np.cumsum([piece.shape[axis] for piece in pieces]))
    return _result("concatenate", data, tuple(pieces), {"axis": axis, "ends": ends})


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """The tensors, all of one shape, stacked along a new ``axis``."""
    pieces = _tensor_list(tensors, "stack")
    (axis,) = _normalized_axes(axis, pieces[0].ndim + 1, "stack", single=True)
    shapes = {piece.shape for piece in pieces}
    if len(shapes) > 1:
        listed = ", ".join(str(piece.shape) for piece in pieces)
        raise ValueError(f"stack: every tensor needs the same shape, got {listed}")
    data = np.stack([piece.data for piece in pieces], axis=axis)
    return _result("stack", data, tuple(pieces), {"axis": axis})


def where(condition: Any, x: Operand, y: Operand) -> Tensor:
    """x where ``condition`` is true, else y, element by element (with broadcasting).

    The condition is a boolean array (``x > 0``), or a Tensor whose nonzero elements
    count as true; it gets no gradient.
    """
    mask = _as_mask(condition)
    like = x if isinstance(x, Tensor) else y if isinstance(y, Tensor) else None
    dtype = like.dtype if like is not None else np.dtype(np.float64)
    left, right = _operand(x, dtype), _operand(y, dtype)
    if left is None or right is None:
        bad = x if left is None else y
        raise TypeError(f"where: x and y must be Tensors, numbers or arrays, got {_describe(bad)}")
    try:
        data = np.where(mask, left.data, right.data)
    except ValueError:
        raise ValueError(
            f"where: shapes {mask.shape}, {left.shape} and {right.shape} do not broadcast"
        ) from None
    return _result("where", data, (left, right), {"condition": mask})


# ---------------------------------------------------------------------- the vector-Jacobian rules
# Each entry: for each input of the op, its vector-Jacobian product, a function of
#     g (d loss / d out), the op's inputs, its output, and the options it saved
# that returns d loss / d input. The same code runs on ndarrays (ordinary backward) and
# on Tensors (create_graph=True). Element-wise rules read ``g * local derivative``, the
# scalar engine's ``local_grad * out.grad``, in that order, so that both engines round
# alike. A rule may return a broadcast shape: ``_sum_to`` then sums it back to the input's.


def _power_base_rule(g: Any, x: Any, n: Any, out: Any) -> Any:
    """d(x**n)/dx = n * x**(n-1), and 0 where n == 0: x**0 is the constant 1, whose
    slope PyTorch also masks (0 * x**-1 would be nan at x = 0)."""
    # One exponent for all, as in x ** 2: the common case, kept fast; but not for an
    # exponent Tensor in a graph (create_graph=True), whose slope n * x**(n-1) depends on n.
    if n.ndim == 0 and not (isinstance(n, Tensor) and n.requires_grad):
        exponent = float(_data(n))
        if exponent == 0:
            return np.zeros_like(_data(x))
        return g * (exponent * (x if exponent == 2 else x ** (exponent - 1)))
    local = n * x ** (n - 1)
    zero_exponent = _data(n) == 0
    return g * (_select(zero_exponent, 0.0, local) if zero_exponent.any() else local)


def _as_matrices(g: Any, x: Any, y: Any) -> tuple[Any, Any, Any]:
    """g, x and y with the axes that matmul drops for 1-D operands put back: a vector x
    is a row (1, k), a vector y a column (k, 1), and g gets the matching size-1 axes."""
    if y.ndim == 1:
        g, y = g.reshape((*g.shape, 1)), y.reshape(-1, 1)
    if x.ndim == 1:
        g, x = g.reshape((*g.shape[:-1], 1, g.shape[-1])), x.reshape(1, -1)
    return g, x, y


def _matmul_x_rule(g: Any, x: Any, y: Any, out: Any) -> Any:
    """d(x @ y)/dx contracted with g: g @ y^T (batch axes are summed by ``_sum_to``)."""
    if x.ndim >= 2 and y.ndim >= 2:
        return g @ _swap_last_two(y)
    g, _, y_matrix = _as_matrices(g, x, y)
    grad = g @ _swap_last_two(y_matrix)
    return grad.reshape((*grad.shape[:-2], grad.shape[-1])) if x.ndim == 1 else grad


def _matmul_y_rule(g: Any, x: Any, y: Any, out: Any) -> Any:
    """d(x @ y)/dy contracted with g: x^T @ g."""
    if x.ndim >= 2 and y.ndim >= 2:
        return _swap_last_two(x) @ g
    g, x_matrix, _ = _as_matrices(g, x, y)
    grad = _swap_last_two(x_matrix) @ g
    return grad.reshape(grad.shape[:-1]) if y.ndim == 1 else grad


def _max_rule(g: Any, x: Any, out: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """g goes to the maxima, split evenly among ties: g * [x == max] / (number of maxima)."""
    kept_max = _data(out).reshape(_kept_shape(x.shape, axes))
    is_max = _data(x) == kept_max
    share = (is_max / is_max.sum(axis=axes, keepdims=True)).astype(x.dtype)
    return _unreduce(g, x.shape, axes, keepdims) * share


def _concatenate_rule(g: Any, *pieces_and_out: Any, axis: int, ends: tuple[int, ...]) -> Any:
    """Each piece gets its own stretch of g along the axis (PyTorch: ``cat`` backward)."""
    before = (slice(None),) * axis
    starts = (0, *ends[:-1])
    return tuple(g[(*before, slice(start, end))] for start, end in zip(starts, ends))


def _stack_rule(g: Any, *pieces_and_out: Any, axis: int) -> Any:
    """Piece k gets g's slice k along the new axis."""
    before = (slice(None),) * axis
    return tuple(g[(*before, k)] for k in range(len(pieces_and_out) - 1))


Rule = Callable[..., Any]

VJP_RULES: dict[str, tuple[Rule, ...] | Rule] = {
    "+": (lambda g, x, y, out: g, lambda g, x, y, out: g),
    "-": (lambda g, x, y, out: g, lambda g, x, y, out: -g),
    "*": (lambda g, x, y, out: g * y, lambda g, x, y, out: g * x),
    # d(x/y)/dy = -x/y**2 = -(x/y)/y: written with the output, as PyTorch does.
    "/": (lambda g, x, y, out: g / y, lambda g, x, y, out: -g * (out / y)),
    "**": (_power_base_rule, lambda g, x, n, out: g * (out * _log(x))),
    "neg": (lambda g, x, out: -g,),
    "@": (_matmul_x_rule, _matmul_y_rule),
    "exp": (lambda g, x, out: g * out,),
    "log": (lambda g, x, out: g / x,),
    "sqrt": (lambda g, x, out: g / (2.0 * out),),  # inf at 0, as in PyTorch
    # abs: sign(x) is 0 at x = 0, as in PyTorch; at a NaN it is NaN, where PyTorch's
    # sgn gives 0: a NaN input's gradient stays NaN here, never hidden.
    "abs": (lambda g, x, out: g * np.sign(_data(x)),),
    "tanh": (lambda g, x, out: g * (1.0 - out * out),),
    "sigmoid": (lambda g, x, out: g * (out * (1.0 - out)),),
    # Masks pick, rather than multiply by 0, so that an inf from above gives 0, not nan.
    # relu lets g through where out > 0, so also where x is NaN (PyTorch does the same).
    "relu": (lambda g, x, out: _select(_data(out) <= 0, 0.0, g),),
    "leaky_relu": (lambda g, x, out, slope: _select(_data(x) > 0, g, g * slope),),
    "softplus": (lambda g, x, out: g * _sigmoid(x),),
    "clamp": (lambda g, x, out, low, high: _select(_inside(_data(x), low, high), g, 0.0),),
    "sum": (lambda g, x, out, axes, keepdims: _unreduce(g, x.shape, axes, keepdims),),
    "mean": (
        lambda g, x, out, axes, keepdims, count: _unreduce(g / count, x.shape, axes, keepdims),
    ),
    "max": (_max_rule,),
    # d/dx logsumexp(x) = softmax(x) = e**(x - logsumexp(x))
    "logsumexp": (
        lambda g, x, out, axes, keepdims: (
            _unreduce(g, x.shape, axes, keepdims)
            * _exp(x - _unreduce(out, x.shape, axes, keepdims))
        ),
    ),
    # softmax: the Jacobian is diag(s) - s s^T, so its product with g is s * (g - <g, s>)
    "softmax": (lambda g, x, out, axis: out * (g - _sum(g * out, axis, keepdims=True)),),
    "log_softmax": (lambda g, x, out, axis: g - _exp(out) * _sum(g, axis, keepdims=True),),
    "reshape": (lambda g, x, out: g.reshape(x.shape),),
    "transpose": (lambda g, x, out, inverse: g.transpose(inverse),),
    "getitem": (lambda g, x, out, index: _scatter_add(g, x.shape, index),),
    # broadcast_to's rule is the identity: _sum_to then sums g back to x's shape.
    "broadcast_to": (lambda g, x, out, shape: g,),
    "scatter_add": (lambda g, x, out, shape, index: g[index],),
    "where": (
        lambda g, x, y, out, condition: _select(condition, g, 0.0),
        lambda g, x, y, out, condition: _select(condition, 0.0, g),
    ),
    # Ops over a list of tensors have one rule that hands each its share of g.
    "concatenate": _concatenate_rule,
    "stack": _stack_rule,
}
"""d(loss)/d(input) of each op, given g = d(loss)/d(output): one rule per input (or one
rule for all the tensors of a list), as arithmetic on ndarrays or on Tensors."""


# ---------------------------------------------------------------------- backpropagation


def topological_order(root: Tensor, all_nodes: bool = False) -> list[Tensor]:
    """Every tensor that requires grad and that ``root`` depends on, each after its
    inputs, root last; by depth-first search with an explicit stack (no recursion).
    With ``all_nodes``, also those that need no gradient (data, constants), as a
    picture of the graph shows them."""
    order: list[Tensor] = []
    visited = {root}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, inputs_left = stack[-1]
        for input in inputs_left:
            if (all_nodes or input._requires_grad) and input not in visited:
                visited.add(input)
                stack.append((input, iter(input.inputs)))
                break
        else:  # every input of node is in order already
            stack.pop()
            order.append(node)
    return order


def _backpropagate(
    order: list[Tensor],
    seed: Gradient,
    create_graph: bool,
    wanted: set[Tensor] | None = None,
    on_edge: Observer | None = None,
) -> dict[Tensor, Any]:
    """The chain rule over the graph, from the root (last in ``order``) to the leaves:
    each node's gradient is complete once every node after it has sent its share.

    The gradients go into ``.grad`` (of leaves and retained tensors); or, given the
    ``wanted`` tensors, come back in a dictionary and no ``.grad`` changes.
    """
    grads: dict[Tensor, Any] = {order[-1]: seed}
    found: dict[Tensor, Any] = {}
    own_buffers: dict[Tensor, Any] = {}  # gradients made here, safe to add into in place
    for node in reversed(order):
        grad = grads.pop(node)  # popped: an intermediate gradient is freed once used
        if wanted is not None:
            if node in wanted:
                found[node] = grad
        elif not node.op or node._retains_grad:
            _accumulate(node, grad, create_graph)
        if not node.op:
            continue
        inputs = node.inputs
        if node.op == "getitem" and not create_graph and on_edge is None:
            if inputs[0]._requires_grad:
                _add_at_index(grads, own_buffers, inputs[0], grad, node.saved["index"])
            continue
        values = inputs if create_graph else [input.data for input in inputs]
        out = node if create_graph else node.data
        rules = VJP_RULES[node.op]
        # An op over a list of tensors has one rule that gives every share at once.
        shares = None if isinstance(rules, tuple) else rules(grad, *values, out, **node.saved)
        for position, input in enumerate(inputs):
            if not input._requires_grad:  # PyTorch's needs_input_grad: no rule runs for it
                continue
            if shares is None:
                contribution = rules[position](grad, *values, out, **node.saved)  # type: ignore[index]
            else:
                contribution = shares[position]
            if contribution.shape != input.data.shape:
                contribution = _sum_to(contribution, input.data.shape)
            if on_edge is not None:
                on_edge(node, grad, input, contribution)
            earlier = grads.get(input)
            grads[input] = contribution if earlier is None else earlier + contribution
    return found


def _add_at_index(
    grads: dict[Tensor, Any], own_buffers: dict[Tensor, Any], input: Tensor, grad: Any, index: Any
) -> None:
    """Indexing's rule, done in place: add g into the input's gradient at ``index``.

    The rule in the table makes a whole array of zeros for each use of an index, so
    cutting a sequence of T steps into T slices would cost T arrays of the sequence's
    size (quadratic in T). Here every slice adds into one buffer made for the input.
    """
    buffer: Any = grads.get(input)
    if buffer is None or own_buffers.get(input) is not buffer:  # another rule's array
        fresh = np.zeros(input.data.shape, dtype=np.result_type(input.data, grad))
        if buffer is not None:
            fresh += buffer
        grads[input] = own_buffers[input] = buffer = fresh
    if _is_basic(index):  # slices and ints pick each element at most once
        buffer[index] += grad
    else:  # np.add.at adds once per occurrence of a repeated index
        np.add.at(buffer, index, grad)


def _sum_to(grad: Any, shape: tuple[int, ...]) -> Any:
    """Undo broadcasting: sum ``grad`` over the axes along which an input of ``shape``
    was stretched (the leading axes it lacked, and its axes of size 1).

    This is the one place broadcasting is undone. An input used at many positions gets
    the sum of the gradients of all of them, as a scalar Value used many times does.
    """
    leading = grad.ndim - len(shape)
    stretched = tuple(range(leading)) + tuple(
        leading + axis
        for axis, size in enumerate(shape)
        if size == 1 and grad.shape[leading + axis] != 1
    )
    summed = _sum(grad, stretched, keepdims=True) if stretched else grad
    return summed.reshape(shape)


def _accumulate(node: Tensor, grad: Any, create_graph: bool) -> None:
    """node.grad += grad, in the node's dtype (the first time: a copy of our own)."""
    if create_graph:
        grad = grad if isinstance(grad, Tensor) else _leaf(np.asarray(grad, dtype=node.dtype))
    else:
        grad = np.array(grad, dtype=node.data.dtype)
    node.grad = grad if node.grad is None else node.grad + grad


def _seed_gradient(root: Tensor, gradient: Any, create_graph: bool) -> Gradient:
    """d(root)/d(root): ones for a one-element root, else the ``gradient`` given."""
    if gradient is None:
        if root.size != 1:
            raise ValueError(
                f"backward() on a tensor of shape {root.shape} needs gradient=, an array of "
                "that shape (d loss / d this tensor); a loss is usually one number: "
                "reduce it first, e.g. with .sum() or .mean()"
            )
        seed = np.ones_like(root.data)
    else:
        given = gradient.data if isinstance(gradient, Tensor) else gradient
        seed = _as_float_array(given, root.dtype, "backward: gradient")
        if seed.shape != root.shape:
            raise ValueError(
                f"backward: gradient has shape {seed.shape}, but the tensor has {root.shape}"
            )
        if create_graph and isinstance(gradient, Tensor):
            return gradient
    return _leaf(seed) if create_graph else seed


# ---------------------------------------------------------------------- making nodes


def _result(
    op: str, data: Any, inputs: tuple[Tensor, ...], saved: dict[str, Any] | None = None
) -> Tensor:
    """The output of an op: a node of the graph if recording is on and any input
    requires grad, else a leaf. numpy gives scalars for 0-d results: kept as arrays."""
    out = object.__new__(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out.label = ""
    out._retains_grad = False
    for input in inputs:
        if input._requires_grad and is_grad_enabled():
            out._requires_grad = True
            out.op = op
            out.inputs = inputs
            out.saved = _NOTHING_SAVED if saved is None else saved
            return out
    out._requires_grad = False
    out.op = ""
    out.inputs = ()
    out.saved = _NOTHING_SAVED
    return out


def _leaf(data: Array) -> Tensor:
    """A leaf that requires no grad, around an array that is already valid."""
    leaf = object.__new__(Tensor)
    leaf.data = data
    leaf.grad = None
    leaf._requires_grad = False
    leaf.op = ""
    leaf.inputs = ()
    leaf.saved = _NOTHING_SAVED
    leaf.label = ""
    leaf._retains_grad = False
    return leaf


def _binary(op: str, function: Callable[[Array, Array], Any], x: Any, y: Any) -> Tensor:
    """The output of a two-input element-wise op, with numpy broadcasting."""
    left, right = (x, y) if type(x) is Tensor and type(y) is Tensor else _operands(x, y)
    if left is None or right is None:
        return NotImplemented  # type: ignore[no-any-return]  # Python tries the other side
    _keep_numpy_quiet()
    try:
        data = function(left.data, right.data)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {left.shape} and {right.shape} do not broadcast (numpy's rule: "
            "compared from the last axis, sizes must be equal or 1)"
        ) from None
    return _result(op, data, (left, right))


def _power(base: Any, exponent: Any) -> Tensor:
    """x ** n, after checking that every element has a real power (and a derivative)."""
    left, right = _operands(base, exponent)
    if left is None or right is None:
        return NotImplemented  # type: ignore[no-any-return]  # Python tries the other side
    x, n = left.data, right.data
    _keep_numpy_quiet()
    if type(exponent) is int or type(exponent) is float:  # x ** 2: checked and computed fast
        if not float(exponent).is_integer() and exponent == exponent:
            _refuse_outside_domain("**", x < 0, x, FRACTIONAL_POWER_DOMAIN)
        return _result("**", np.power(x, exponent), (left, right))
    try:
        shape = np.broadcast_shapes(x.shape, n.shape)
    except ValueError:
        raise ValueError(f"**: shapes {left.shape} and {right.shape} do not broadcast") from None
    base_everywhere = np.broadcast_to(x, shape)
    fractional = (n != np.floor(n)) & ~np.isnan(n)
    _refuse_outside_domain("**", (x < 0) & fractional, base_everywhere, FRACTIONAL_POWER_DOMAIN)
    if right._requires_grad and is_grad_enabled():
        _refuse_outside_domain(
            "**",
            np.broadcast_to(x <= 0, shape),
            base_everywhere,
            "a base > 0 when the exponent requires grad (d/dn x**n = x**n log(x))",
        )
    return _result("**", np.power(x, n), (left, right))


FRACTIONAL_POWER_DOMAIN = (
    "a base >= 0 for a fractional exponent (a fractional power of a negative number is not real)"
)


def _matmul(x: Any, y: Any) -> Tensor:
    left, right = _operands(x, y)
    if left is None or right is None:
        return NotImplemented  # type: ignore[no-any-return]  # Python tries the other side
    if left.ndim == 0 or right.ndim == 0:
        raise ValueError(
            f"@ (matmul): operands need at least one axis, got shapes {left.shape} and "
            f"{right.shape} (use * to multiply by a number)"
        )
    _keep_numpy_quiet()
    try:
        data = np.matmul(left.data, right.data)
    except ValueError:
        inner_left = left.shape[-1]
        inner_right = right.shape[0] if right.ndim == 1 else right.shape[-2]
        why = (
            f"{inner_left} columns against {inner_right} rows"
            if inner_left != inner_right
            else "the batch axes do not broadcast"
        )
        raise ValueError(
            f"@ (matmul): shapes {left.shape} and {right.shape} do not match: {why}"
        ) from None
    return _result("@", data, (left, right))


def _broadcast_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """x stretched to ``shape`` (a read-only view): the op whose rule is ``_sum_to``."""
    return _result("broadcast_to", np.broadcast_to(x.data, shape), (x,), {"shape": shape})


def _scatter_add_tensor(g: Tensor, shape: tuple[int, ...], index: Any) -> Tensor:
    """zeros(shape) with g added at ``index``: indexing's rule, recorded as an op so that
    it can be differentiated again (its own rule is indexing)."""
    data = _scatter_add(g.data, shape, index)
    return _result("scatter_add", data, (g,), {"shape": shape, "index": index})


# ---------------------------------------------------------------------- helpers of the rules
# Each runs on an ndarray or on a Tensor, so that the rules above run on both.


def _data(x: Any) -> Any:
    """The ndarray inside a Tensor, or the array itself: for masks and counts, which
    are constants of the gradient's graph."""
    return x.data if isinstance(x, Tensor) else x


def _exp(x: Any) -> Any:
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def _log(x: Any) -> Any:
    return x.log() if isinstance(x, Tensor) else np.log(x)


def _sigmoid(x: Any) -> Any:
    return x.sigmoid() if isinstance(x, Tensor) else 1.0 / (1.0 + np.exp(-x))


def _sum(x: Any, axis: int | tuple[int, ...], keepdims: bool = False) -> Any:
    """x summed over ``axis``, on an ndarray or a Tensor. On an ndarray np.add.reduce,
    not x.sum(): numpy's method would be blamed for an inf - inf warning, past our filter
    (see ``_keep_numpy_quiet``)."""
    if isinstance(x, Tensor):
        return x.sum(axis=axis, keepdims=keepdims)
    return _add_reduce(x, axis=axis, keepdims=keepdims)


def _select(mask: Array, if_true: Any, if_false: Any) -> Any:
    """where(mask, if_true, if_false) on arrays or Tensors."""
    if isinstance(if_true, Tensor) or isinstance(if_false, Tensor):
        return where(mask, if_true, if_false)
    return np.where(mask, if_true, if_false)


def _swap_last_two(x: Any) -> Any:
    if x.ndim == 2:
        return x.T
    return x.transpose(*range(x.ndim - 2), x.ndim - 1, x.ndim - 2)


def _unreduce(g: Any, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Any:
    """The gradient of a reduction copied back over the axes it reduced."""
    if not keepdims:
        g = g.reshape(_kept_shape(shape, axes))
    if isinstance(g, Tensor):
        return _broadcast_to(g, shape)
    # A copy, not np.broadcast_to's view: that function alone costs more than filling a
    # small array (7 µs against 2 here), and most reductions end a loss, on small arrays.
    copied = np.empty(shape, dtype=g.dtype)
    copied[...] = g
    return copied


def _scatter_add(g: Any, shape: tuple[int, ...], index: Any) -> Any:
    """An array of zeros of ``shape`` with g added at ``index``: indexing's gradient.
    np.add.at adds once per occurrence, so a repeated integer index gets the sum."""
    if isinstance(g, Tensor):
        return _scatter_add_tensor(g, shape, index)
    result = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):  # slices and ints pick each element at most once
        result[index] = g
    else:
        np.add.at(result, index, g)
    return result


def _inside(x: Array, low: float | None, high: float | None) -> Array:
    """Where low <= x <= high (bounds included, as in PyTorch); False for NaN."""
    inside = np.ones(x.shape, dtype=bool)
    if low is not None:
        inside &= x >= low
    if high is not None:
        inside &= x <= high
    return inside


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape with the reduced axes kept as size 1 (as keepdims=True gives)."""
    return tuple(1 if axis in axes else size for axis, size in enumerate(shape))


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """How many elements a reduction over ``axes`` combines into each result."""
    return math.prod(shape[axis] for axis in axes)


def _logsumexp(x: Array, axis: int) -> Array:
    """log(sum(e**x)) along ``axis``, kept as a size-1 axis; shifted by the maximum (or
    by 0 where the maximum is infinite, so that a row of -inf gives -inf, not nan)."""
    largest = _maximum_reduce(x, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(largest), largest, 0.0)
    result: Array = np.log(_add_reduce(np.exp(x - shift), axis=axis, keepdims=True)) + shift
    return result


# ---------------------------------------------------------------------- checking what users give


def _describe(thing: object) -> str:
    """An object's type and its value, shortened, for error messages."""
    return f"{type(thing).__name__} {_shorten(thing)}"


def _shorten(thing: object) -> str:
    shown = repr(thing)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _float_dtype(dtype: Any) -> np.dtype[Any] | None:
    """float32 or float64 from a name or numpy type; None to decide from the data."""
    if dtype is None:
        return None
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be 'float64' or 'float32', got {_describe(dtype)}")
    return FLOAT_DTYPES[name]


def _as_float_array(data: Any, dtype: np.dtype[Any] | None, where_from: str) -> Array:
    """data as a new float array: float32 if asked for or given float32, else float64.

    Refuses what is not an array of real numbers: strings, None, bools on their own,
    complex or object arrays, and ragged nested lists.
    """
    if isinstance(data, Tensor):
        data = data.data
    elif isinstance(data, (bool, np.bool_, str, bytes)) or data is None:
        raise TypeError(f"{where_from} expects numbers or an array of them, got {_describe(data)}")
    try:
        array = np.asarray(data)
    except (ValueError, OverflowError) as error:
        raise ValueError(
            f"{where_from} expects a rectangular array of numbers (nested lists of equal "
            f"lengths), got {_describe(data)}: {error}"
        ) from None
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"{where_from} expects real numbers, got an array of {array.dtype} ({_describe(data)})"
        )
    if dtype is None:
        dtype = FLOAT_DTYPES["float32"] if array.dtype == np.float32 else FLOAT_DTYPES["float64"]
    return np.array(array, dtype=dtype)  # a copy: the tensor owns its numbers


def _operand(thing: Any, dtype: np.dtype[Any]) -> Tensor | None:
    """A Tensor as it is; a number or an ndarray as a constant leaf (numbers and integer
    arrays take the other operand's dtype, as in PyTorch); None for anything else."""
    if isinstance(thing, Tensor):
        return thing
    if (
        type(thing) is float
        or type(thing) is int
        or (isinstance(thing, numbers.Real) and not isinstance(thing, (bool, np.bool_)))
    ):
        return _leaf(np.asarray(thing, dtype=dtype))
    if isinstance(thing, np.ndarray):
        if thing.dtype.kind not in "fiu":
            raise TypeError(f"an ndarray operand must hold real numbers, not {thing.dtype}")
        return _leaf(np.array(thing, dtype=thing.dtype if thing.dtype.kind == "f" else dtype))
    return None


def _operands(x: Any, y: Any) -> tuple[Tensor | None, Tensor | None]:
    dtype = (x if isinstance(x, Tensor) else y).data.dtype
    return _operand(x, dtype), _operand(y, dtype)


def _compare(function: Callable[[Array, Array], Array], x: Tensor, other: Any) -> Any:
    right = _operand(other, x.dtype) if not isinstance(other, (bool, np.bool_)) else None
    if right is None:
        return NotImplemented
    try:
        return function(x.data, right.data)
    except ValueError:
        raise ValueError(
            f"comparison: shapes {x.shape} and {right.shape} do not broadcast"
        ) from None


def _as_mask(condition: Any) -> Array:
    """A condition for ``where`` as a boolean array."""
    values = condition.data if isinstance(condition, Tensor) else condition
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"where: condition must be booleans or numbers, got {_describe(condition)}")
    return array.astype(bool)


def _tensor_list(tensors: Any, name: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{name} expects a list of Tensors, got {_describe(tensors)}")
    if not tensors:
        raise ValueError(f"{name} needs at least one tensor")
    for position, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{name}: item {position} is {_describe(tensor)}, not a Tensor")
    return list(tensors)


def _refuse_outside_domain(op: str, outside: Array, data: Array, domain: str) -> None:
    """ValueError naming how many elements lie outside the op's domain, and the first."""
    if not outside.any():
        return
    outside = np.broadcast_to(outside, data.shape)
    first = tuple(int(i) for i in np.argwhere(outside)[0])
    raise ValueError(
        f"math domain error: {op} needs {domain}, but {int(outside.sum())} of "
        f"{outside.size} elements are not; the first, at index {first}, is "
        f"{float(data[first])!r}"
    )


def _checked_number(number: Any, name: str) -> float:
    if isinstance(number, (bool, np.bool_)) or not isinstance(number, numbers.Real):
        raise TypeError(f"{name} must be a number, got {_describe(number)}")
    if number != number:  # NaN is the one number unequal to itself
        raise ValueError(f"{name} must not be NaN")
    return float(number)


def _checked_flag(flag: Any, name: str) -> bool:
    if not isinstance(flag, bool):
        raise TypeError(f"{name} must be True or False, got {_describe(flag)}")
    return flag


def _checked_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {_describe(seed)}")
    return int(seed)


def _shape_of(
    arguments: tuple[Any, ...], name: str, allow_minus_one: bool = False
) -> tuple[int, ...]:
    """A shape given as separate ints, ``f(2, 3)``, or as one sequence, ``f((2, 3))``."""
    if len(arguments) == 1 and isinstance(arguments[0], (tuple, list)):
        arguments = tuple(arguments[0])
    for size in arguments:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"{name}: a shape holds whole numbers, got {_describe(size)}")
        if size < 0 and not (allow_minus_one and size == -1):
            raise ValueError(f"{name}: sizes must be >= 0, got {tuple(arguments)}")
    return tuple(int(size) for size in arguments)


def _normalized_axes(axis: Any, ndim: int, name: str, single: bool = False) -> tuple[int, ...]:
    """``axis`` (None: all; an int; a tuple of ints; negative counts from the end) as a
    sorted tuple of axis numbers in range(ndim)."""
    if axis is None and not single:
        return tuple(range(ndim))
    given = axis if isinstance(axis, (tuple, list)) and not single else (axis,)
    axes = []
    for number in given:
        if isinstance(number, bool) or not isinstance(number, (int, np.integer)):
            raise TypeError(f"{name}: axis must be a whole number, got {_describe(number)}")
        if not -ndim <= number < ndim:
            raise ValueError(f"{name}: axis {number} is out of range for {ndim} axes")
        axes.append(int(number) % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: axis {axis} repeats an axis")
    return tuple(sorted(axes))


def _permutation(axes: tuple[Any, ...], ndim: int) -> tuple[int, ...]:
    """Axes for ``transpose``, given separately or as one sequence: a reordering of all
    of them (negative numbers count from the end), or none for the reverse order."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    if not axes:
        return tuple(reversed(range(ndim)))
    order = tuple(_normalized_axes(axis, ndim, "transpose", single=True)[0] for axis in axes)
    if sorted(order) != list(range(ndim)):
        raise ValueError(f"transpose: axes {axes} must list each of the {ndim} axes once")
    return order


def _normalized_index(index: Any) -> Any:
    """An index with lists turned into arrays, for numpy's index rules. A Tensor is
    refused: it holds floats, so [0., 1., 1.] could mean positions or a mask."""
    parts = index if isinstance(index, tuple) else (index,)
    normalized = []
    for part in parts:
        if isinstance(part, Tensor):
            raise IndexError(
                "index with an ndarray, not a Tensor: a Tensor holds floats, so it could "
                "mean positions or a mask; use positions.data.astype(int), or a boolean "
                "array such as x.data > 0 (PyTorch uses its integer and bool tensors)"
            )
        if isinstance(part, list):
            part = np.asarray(part)
        normalized.append(part)
    return tuple(normalized) if isinstance(index, tuple) else normalized[0]


def _is_basic(index: Any) -> bool:
    """True for an index of ints, slices, None and ... only (no arrays)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        part is None or part is Ellipsis or isinstance(part, (slice, int, np.integer))
        for part in parts
    )
