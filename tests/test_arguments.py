"""Every public function refuses a wrong argument where it is passed, by name.

A wrong kind of thing is a TypeError, a right kind with a wrong value (out of range,
not finite, lengths that do not pair up) a ValueError, and either names the argument:
never an AttributeError or IndexError from deep inside, and never a silent wrong
number (``lr=True`` training with a step of 1, ``max_paths=-1`` reporting that a loss
does not depend on a weight it depends on).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Value, grad, gradcheck, gradgradcheck, hessian, jvp, numerical_grad
from tinygrad_edu.data import DataLoader, circles, people, spirals, xor
from tinygrad_edu.expression import build_expression, parse_assignments
from tinygrad_edu.layers import Conv2d, Dropout, Linear
from tinygrad_edu.losses import binary_cross_entropy, mse_loss
from tinygrad_edu.nn import MLP, Layer, Neuron
from tinygrad_edu.optim import SGD, Adam, RMSprop
from tinygrad_edu.trace import explain_gradient, trace_backward
from tinygrad_edu.train import accuracy, evaluate, fit, predict
from tinygrad_edu.tutorial import (
    HandDerivedNetwork,
    initial_parameters,
    tutorial_loss,
    tutorial_network,
)
from tinygrad_edu.viz import (
    draw_graph,
    find_value,
    format_number,
    graph_table,
    graph_tree,
    render_graph,
    to_dot,
)

X, Y = people()
W = Value(1.0, label="w")
LOSS = (W * 2.0 - 1.0) ** 2
NET = tutorial_network(seed=0)

Call = Callable[[], Any]


def tensor_sum(x: Any) -> Any:
    """A function of one Tensor, for the gradcheck cases."""
    return x.sum()


ONE_INPUT = "f cannot be called with 1 input, one per entry of inputs: missing .* 'y'"
TWO_INPUTS = "f cannot be called with 2 inputs, one per entry of inputs: too many"

# (what is wrong, the call, the error it must raise, words the message must contain)
BAD_CALLS: list[tuple[str, Call, type[Exception], str]] = [
    # optimizers: lr, momentum, alpha, betas, eps
    ("lr as a Value", lambda: SGD([W], lr=Value(0.1)), TypeError, "lr must be a real number"),
    ("lr=True", lambda: SGD([W], lr=True), TypeError, "lr must be a real number, got bool"),
    ("lr=inf", lambda: Adam([W], lr=math.inf), ValueError, "lr must be a finite number"),
    ("lr=nan", lambda: RMSprop([W], lr=math.nan), ValueError, "lr must be a finite number"),
    ("lr as text", lambda: SGD([W], lr="0.1"), TypeError, "lr must be a real number, got str"),
    ("momentum Value", lambda: SGD([W], momentum=Value(0.9)), TypeError, "momentum must be"),
    ("alpha=1", lambda: RMSprop([W], alpha=1.0), ValueError, "alpha must be"),
    ("eps=inf", lambda: RMSprop([W], eps=math.inf), ValueError, "eps must be a finite"),
    ("betas of 3", lambda: Adam([W], betas=(0.9, 0.99, 0.5)), TypeError, "betas must be a pair"),
    ("betas[1]=nan", lambda: Adam([W], betas=(0.9, math.nan)), ValueError, r"betas\[1\]"),
    ("a model", lambda: SGD(NET), TypeError, r"pass model\.parameters\(\)"),
    ("a number", lambda: SGD(3), TypeError, "expects parameters to be a list of Values"),
    # fit, predict, evaluate, accuracy
    ("model=3", lambda: fit(3, X, Y), TypeError, r"model to be a Module \(an MLP"),
    ("epochs as text", lambda: fit(NET, X, Y, epochs="10"), TypeError, "epochs must be a whole"),
    ("epochs=0", lambda: fit(NET, X, Y, epochs=0), ValueError, "epochs must be a whole number >="),
    ("batch_size=1.5", lambda: fit(NET, X, Y, batch_size=1.5), TypeError, "batch_size must be"),
    ("seed as text", lambda: fit(NET, X, Y, seed="a"), TypeError, "seed must be a whole number"),
    ("seed=-1", lambda: fit(NET, X, Y, seed=-1), ValueError, "seed must be a whole number >= 0"),
    ("loss=3", lambda: fit(NET, X, Y, loss=3), TypeError, "loss must be a function"),
    ("callback=3", lambda: fit(NET, X, Y, callback=3), TypeError, "callback must be a function"),
    ("optimizer=3", lambda: fit(NET, X, Y, optimizer=3), TypeError, "optimizer must be an"),
    ("print_every=0", lambda: fit(NET, X, Y, print_every=0), ValueError, "print_every must be"),
    ("y a column", lambda: fit(NET, X, Y.reshape(-1, 1)), ValueError, r"y must be one number"),
    ("stream=3", lambda: fit(NET, X, Y, print_every=1, stream=3), TypeError, "stream must be"),
    ("y as text", lambda: evaluate(NET, X, "1010"), TypeError, "y must be a sequence"),
    ("X 1-D", lambda: predict(NET, np.zeros(4)), ValueError, r"X must be one row per sample"),
    ("X a number", lambda: predict(NET, 3.0), TypeError, "X must be a sequence of samples"),
    ("model not callable", lambda: predict(3, X), TypeError, "model must be a function"),
    ("lengths", lambda: accuracy(NET, X, Y[:3]), ValueError, "4 samples but 3 targets"),
    ("threshold text", lambda: accuracy(NET, X, Y, threshold="0.5"), TypeError, "threshold"),
    # explain_gradient, traces and pictures
    ("max_paths=-1", lambda: explain_gradient(LOSS, W, max_paths=-1), ValueError, "max_paths"),
    ("digits=0", lambda: explain_gradient(LOSS, W, digits=0), ValueError, "digits must be"),
    ("leaf=3", lambda: explain_gradient(LOSS, 3), TypeError, "expects leaf to be a Value"),
    ("root=3", lambda: explain_gradient(3, W), TypeError, "root must be a Value, got int"),
    ("trace of 3", lambda: trace_backward(3), TypeError, "root must be a Value, got int"),
    ("table of 3", lambda: graph_table(3.0), TypeError, "root must be a Value, got float"),
    ("tree of 3", lambda: graph_tree([LOSS]), TypeError, "root must be a Value, got list"),
    ("max_nodes text", lambda: to_dot(LOSS, max_nodes="9"), TypeError, "max_nodes must be"),
    ("max_nodes=0", lambda: to_dot(LOSS, max_nodes=0), ValueError, "max_nodes must be"),
    ("max_depth=0", lambda: graph_tree(LOSS, max_depth=0), ValueError, "max_depth must be"),
    ("model=3", lambda: draw_graph(LOSS, model=3), TypeError, "model must be a Module"),
    ("parameters=W", lambda: draw_graph(LOSS, parameters=W), TypeError, "parameters must be"),
    ("highlight=3", lambda: draw_graph(LOSS, highlight=3), TypeError, "highlight must be"),
    ("format=xyz", lambda: render_graph(LOSS, "g.xyz"), ValueError, "cannot write the format"),
    ("format=3", lambda: render_graph(LOSS, "g", format=3), TypeError, "format must be a str"),
    ("label=3", lambda: find_value(LOSS, 3), TypeError, "label must be a str"),
    ("find in 3", lambda: find_value(3, "w"), TypeError, "root must be a Value"),
    ("digits=-1", lambda: format_number(1.0, -1), ValueError, "digits must be"),
    # modules
    ("nin as text", lambda: Neuron("2"), TypeError, "nin must be a whole number, got str"),
    ("seed as text", lambda: Neuron(2, seed="a"), TypeError, "seed must be a whole number"),
    ("seed=-1", lambda: MLP(2, [1], seed=-1), ValueError, "seed must be a whole number >= 0"),
    ("seed=True", lambda: Layer(2, 2, seed=True), TypeError, "seed must be a whole number"),
    ("weights text", lambda: Neuron(2, weights="ab"), TypeError, "weights must be a sequence"),
    ("a weight text", lambda: Neuron(2, weights=[1, "2"]), TypeError, r"weights\[1\] must be"),
    ("bias=inf", lambda: Neuron(2, bias=math.inf), ValueError, "bias must be a finite number"),
    ("nouts=3", lambda: MLP(2, 3), TypeError, "nouts must be a list of layer sizes, got int"),
    ("nouts[1] text", lambda: MLP(2, [2, "1"]), TypeError, r"nouts\[1\] must be a whole"),
    ("labels text", lambda: Layer(2, 2, labels="ab"), TypeError, "labels must be a sequence"),
    ("activation list", lambda: Neuron(2, activation=["relu"]), TypeError, "activation"),
    ("label=3", lambda: Neuron(2, label=3), TypeError, "label must be a str"),
    # data sets
    ("n as text", lambda: xor(n="5"), TypeError, "n must be a whole number, got str"),
    ("noise text", lambda: xor(noise="a"), TypeError, "noise must be a real number"),
    ("noise=inf", lambda: circles(noise=math.inf), ValueError, "noise must be a finite number"),
    ("seed as text", lambda: xor(seed="a"), TypeError, "seed must be a whole number"),
    ("factor=nan", lambda: circles(factor=math.nan), ValueError, "factor must be a finite"),
    ("turns=nan", lambda: spirals(turns=math.nan), ValueError, "turns must be a finite"),
    # the tutorial's network by hand
    ("seed as text", lambda: initial_parameters(seed="a"), TypeError, "seed must be a whole"),
    ("lr=True", lambda: HandDerivedNetwork(seed=0).train(X, Y, lr=True), TypeError, "lr must be"),
    ("epochs text", lambda: HandDerivedNetwork(0).train(X, Y, epochs="3"), TypeError, "epochs"),
    ("lengths", lambda: HandDerivedNetwork(seed=0).loss(X, Y[:3]), ValueError, "4 samples but 3"),
    ("y a column", lambda: HandDerivedNetwork(0).train(X, Y.reshape(-1, 1)), ValueError, "1-D"),
    ("a sample", lambda: HandDerivedNetwork(seed=0).feedforward(3.0), ValueError, "two numbers"),
    ("person=3", lambda: tutorial_loss(3), TypeError, "person must be a Person"),
    # gradients as functions, gradient checks
    ("f=3", lambda: gradcheck(3, [1.0]), TypeError, "f must be a function, got int"),
    ("inputs=3", lambda: numerical_grad(lambda x: x, 3.0), TypeError, "inputs must be a sequence"),
    ("atol=-1", lambda: gradcheck(lambda x: x, [1.0], atol=-1.0), ValueError, "atol must be"),
    ("rtol=nan", lambda: gradcheck(lambda x: x, [1.0], rtol=math.nan), ValueError, "rtol must"),
    ("eps=inf", lambda: numerical_grad(lambda x: x, [1.0], eps=math.inf), ValueError, "eps must"),
    ("seed text", lambda: gradcheck(lambda x: x, [1.0], seed="x"), TypeError, "seed must be"),
    (
        "seed text, Tensors",
        lambda: gradcheck(tensor_sum, [np.ones(2)], seed="x"),
        TypeError,
        "seed must",
    ),
    (
        "seed=-1, Tensors",
        lambda: gradcheck(tensor_sum, [np.ones(2)], seed=-1),
        ValueError,
        "seed must be",
    ),
    ("no inputs", lambda: gradcheck(lambda x: x, []), ValueError, "gradcheck needs at least one"),
    ("no inputs, 2nd", lambda: gradgradcheck(lambda: 1.0, []), ValueError, "at least one input"),
    ("one input short", lambda: gradcheck(lambda x, y: x * y, [1.0]), TypeError, ONE_INPUT),
    ("one input too many", lambda: gradcheck(tensor_sum, [np.ones(2)] * 2), TypeError, TWO_INPUTS),
    ("inputs an array", lambda: gradcheck(tensor_sum, np.ones(2)), TypeError, r"in a list: \[x\]"),
    (
        "inputs a matrix",  # its rows were taken for two inputs
        lambda: gradcheck(lambda x, y: (x * y).sum(), np.ones((2, 3))),
        TypeError,
        "inputs must be a sequence",
    ),
    ("grad of 3", lambda: grad(3), TypeError, "f must be a function"),
    ("hessian of 3", lambda: hessian(3), TypeError, "f must be a function"),
    ("argnums text", lambda: grad(lambda x: x, argnums="0"), TypeError, "argnums must be"),
    ("jvp of 3", lambda: jvp(3, [1.0], [1.0]), TypeError, "f must be a function"),
    ("primals=1", lambda: jvp(lambda x: x, 1.0, [1.0]), TypeError, "primals must be a sequence"),
    # losses
    ("y_true=None", lambda: mse_loss(None, [W]), TypeError, "y_true must be a number"),
    ("y_pred text", lambda: mse_loss([1.0], "a"), TypeError, "y_pred must be a number"),
    ("y_pred[1] text", lambda: mse_loss([1, 2], [W, "x"]), TypeError, r"y_pred\[1\] must be"),
    ("a column", lambda: mse_loss(np.ones((2, 1)), [W, W]), ValueError, "y_true must be 1-D"),
    ("p=1.5", lambda: binary_cross_entropy([1.0], [Value(1.5)]), ValueError, "between 0 and 1"),
    # formulas
    ("formula=3", lambda: build_expression(3, {}), TypeError, "a formula is a text"),
    ("values list", lambda: build_expression("a", [("a", 1)]), TypeError, "values must map"),
    ("one text", lambda: parse_assignments("a=1"), TypeError, "assignments must be a list"),
    ("a number", lambda: parse_assignments([3]), TypeError, "each assignment must be a text"),
]


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [case[1:] for case in BAD_CALLS],
    ids=[f"{index}-{case[0]}" for index, case in enumerate(BAD_CALLS)],
)
def test_a_wrong_argument_is_refused_by_name(
    call: Call, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        call()


HUGE = -(10**5000)  # more digits than Python turns into text: repr() raises ValueError


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: MLP(2, [1], seed=HUGE), "seed must be a whole number >= 0"),
        (lambda: MLP(2, [HUGE]), r"nouts\[0\] must be a whole number >= 1"),
        (lambda: Linear(2, 2, seed=HUGE), "seed must be a whole number >= 0 or a numpy"),
        (lambda: Dropout(p=HUGE), r"Dropout: p must be a probability"),
        (lambda: Conv2d(1, 1, (HUGE, 2)), r"Conv2d: kernel_size\[0\] must be"),
        (lambda: circles(10, seed=HUGE), "seed must be a whole number >= 0"),
        (lambda: DataLoader(np.zeros((2, 2)), np.zeros(2), batch_size=HUGE), "batch_size"),
    ],
)
def test_a_number_too_long_to_print_is_refused_by_name(call: Call, words: str) -> None:
    """The message says how long the number is rather than failing to print it."""
    with pytest.raises(ValueError, match=words) as raised:
        call()
    assert "more than 4300 digits" in str(raised.value)


def test_good_arguments_of_other_numeric_kinds_are_accepted() -> None:
    # numpy numbers are numbers; a Generator is a seed; ints are fine where floats are
    assert SGD([W], lr=np.float64(0.5)).lr == 0.5
    assert SGD([W], lr=1).lr == 1.0
    generator = np.random.default_rng(0)
    assert Neuron(2, seed=generator).nin == 2
    assert len(xor(n=np.int64(10), seed=np.int64(3))[0]) == 10


def test_an_accuracy_over_nan_predictions_is_nan_not_a_fraction() -> None:
    model = MLP(2, [1], seed=0)
    model.parameters()[0].data = math.nan
    assert math.isnan(accuracy(model, X, Y))
