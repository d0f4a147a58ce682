"""Beyond backward: second derivatives, Hessians, grad as a function, forward mode."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tinygrad_edu import Value
from tinygrad_edu.engine import gradient_graph
from tinygrad_edu.forward import Dual, forward_gradient, jvp
from tinygrad_edu.functional import grad, hessian, value_and_grad
from tinygrad_edu.gradcheck import analytic_grad, forward_reverse_check, gradgradcheck
from tinygrad_edu.losses import mse_loss
from tinygrad_edu.tutorial import PARAMETER_NAMES, WORKED_EXAMPLE, tutorial_network

from .scripts import load_script
from .strategies import BINARY_CASES, UNARY_CASES, Expression, checkable_output, expressions, reals

# ---------------------------------------------------------------------- second derivatives


@pytest.mark.parametrize("name", sorted(UNARY_CASES))
@given(data=st.data())
def test_second_derivative_of_every_op_matches_finite_differences(
    name: str, data: st.DataObject
) -> None:
    op, domain = UNARY_CASES[name]
    assert gradgradcheck(op, [data.draw(domain, label="x")])


@pytest.mark.parametrize("name", sorted(BINARY_CASES))
@given(a=reals(-3, 3), b=reals(-3, 3))
def test_second_derivatives_of_binary_ops_match_finite_differences(
    name: str, a: float, b: float
) -> None:
    if name == "/":
        assume(abs(b) >= 0.5)
    if name == "**":
        a, b = abs(a) + 0.2, b / 2
    assert gradgradcheck(BINARY_CASES[name], [a, b])


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


CLOSED_FORMS: dict[str, tuple[Callable[[Any], Any], Callable[[float], float]]] = {
    "tanh": (lambda x: x.tanh(), lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
    "sigmoid": (
        lambda x: x.sigmoid(),
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x)),
    ),
    "softplus": (lambda x: x.softplus(), lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "exp": (lambda x: x.exp(), math.exp),
    "log": (lambda x: abs(x).log(), lambda x: -1 / x**2),
    "sqrt": (lambda x: abs(x).sqrt(), lambda x: -0.25 * abs(x) ** -1.5),
    "cube": (lambda x: x**3, lambda x: 6 * x),
    "reciprocal": (lambda x: 1 / x, lambda x: 2 / x**3),
    "relu": (lambda x: x.relu(), lambda x: 0.0),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
@given(x=reals(-3, 3).filter(lambda x: abs(x) > 0.2))
def test_grad_of_grad_equals_the_closed_form(name: str, x: float) -> None:
    f, second = CLOSED_FORMS[name]
    assert grad(grad(f))(x) == pytest.approx(second(x), rel=1e-9, abs=1e-12)


@given(x=reals(-2, 2))
def test_third_derivatives_nest_too(x: float) -> None:
    assert grad(grad(grad(lambda v: v**4)))(x) == pytest.approx(24 * x, rel=1e-12, abs=1e-12)
    tanh_third = -2 * (1 - math.tanh(x) ** 2) * (1 - 3 * math.tanh(x) ** 2)
    assert grad(grad(grad(lambda v: v.tanh())))(x) == pytest.approx(tanh_third, abs=1e-12)


@given(
    expression=expressions(n_variables=2, depth=4),
    point=st.lists(reals(-2, 2), min_size=2, max_size=2),
)
def test_random_expressions_second_derivatives_match_finite_differences(
    expression: Expression, point: list[float]
) -> None:
    checkable_output(expression, point)
    try:
        second = hessian(expression)(*point)
    except (ValueError, ZeroDivisionError):  # outside a domain at second order
        assume(False)
        return
    assume(all(math.isfinite(h) and abs(h) < 1e4 for row in second for h in row))
    gradgradcheck(expression, point)


# ---------------------------------------------------------------------- Hessians


@given(
    a=st.lists(reals(-3, 3), min_size=9, max_size=9),
    b=st.lists(reals(-3, 3), min_size=3, max_size=3),
    x=st.lists(reals(-3, 3), min_size=3, max_size=3),
)
def test_hessian_of_a_quadratic_is_its_symmetrised_matrix(
    a: list[float], b: list[float], x: list[float]
) -> None:
    matrix = [a[0:3], a[3:6], a[6:9]]

    def quadratic(*v: Any) -> Any:
        return sum(matrix[i][j] * v[i] * v[j] / 2 for i in range(3) for j in range(3)) + sum(
            b[i] * v[i] for i in range(3)
        )

    h = hessian(quadratic)(*x)
    for i in range(3):
        for j in range(3):
            assert h[i][j] == h[j][i]
            assert h[i][j] == pytest.approx((matrix[i][j] + matrix[j][i]) / 2, abs=1e-12)


def test_hessian_of_the_tutorial_loss_at_the_worked_example() -> None:
    worked_example = [WORKED_EXAMPLE[name] for name in PARAMETER_NAMES]

    def loss(*params: Value) -> Value:
        """Alice's loss, with the network's nine parameters replaced by ``params``."""
        model = tutorial_network(params=dict.fromkeys(PARAMETER_NAMES, 0.0))
        given = iter(params)
        for neuron in model.layers[0].neurons + model.layers[1].neurons:
            neuron.weights = [next(given) for _ in neuron.weights]
            neuron.bias = next(given)
        output = model([-2.0, -1.0])
        assert isinstance(output, Value)
        return mse_loss([1.0], [output])

    h = hessian(loss)(*worked_example)
    assert all(h[i][j] == pytest.approx(h[j][i], abs=1e-15) for i in range(9) for j in range(9))
    assert gradgradcheck(loss, worked_example)
    assert analytic_grad(loss, worked_example)[0] == 0.02146953526581111


# ---------------------------------------------------------------------- grad as a function


def test_value_and_grad_and_argnums() -> None:
    assert value_and_grad(lambda a, b: a * b + a)(2.0, 3.0) == (8.0, 4.0)
    assert grad(lambda a, b: a * b, argnums=1)(2.0, 3.0) == 2.0
    assert grad(lambda a, b: a * b, argnums=(0, 1))(2.0, 3.0) == (3.0, 2.0)
    assert grad(lambda a: 5.0)(1.0) == 0.0  # a constant function


def test_nested_grads_take_partial_derivatives_without_confusion() -> None:
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1 (the classic perturbation-confusion test)
    assert grad(lambda x: x * grad(lambda y: x + y)(2.0))(1.5) == 1.0
    # d/dx [d/dy (x * y)] = d/dx [x] = 1
    assert grad(lambda x: grad(lambda y: x * y)(2.0))(3.0) == 1.0
    # the same Value passed twice still gives the partial derivative
    assert grad(lambda a: grad(lambda b, c: b * c, argnums=0)(a, a))(3.0) == 1.0


def test_grad_inside_no_grad_still_records_what_it_needs() -> None:
    from tinygrad_edu import no_grad

    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert grad(grad(lambda x: x**3))(2.0) == 12.0
        assert jvp(lambda x: x * x, [3.0], [1.0]) == (9.0, 6.0)


def test_unsupported_compositions_say_so_instead_of_giving_wrong_numbers() -> None:
    with pytest.raises(NotImplementedError, match="nested forward mode"):
        jvp(lambda x: jvp(lambda y: x * y, [2.0], [1.0])[1], [3.0], [1.0])
    with pytest.raises(TypeError, match="a Dual met a Value"):
        grad(lambda x: jvp(lambda y: y * x, [1.0], [1.0])[1])(2.0)
    with pytest.raises(TypeError):
        grad(lambda x: math.sin(x))(1.0)  # math.* cannot see the graph


def test_hessian_leaves_the_grads_of_outside_values_alone() -> None:
    w = Value(1.0)
    w.grad = 4.0
    assert hessian(lambda x: x * w * x)(3.0) == [[2.0]]
    assert w.grad == 4.0


def test_gradient_graph_leaves_grads_alone_and_can_be_differentiated() -> None:
    x = Value(2.0)
    y = x**3
    (dy_dx,) = gradient_graph(y, [x])
    assert (dy_dx.data, x.grad) == (12.0, 0.0)
    dy_dx.backward()
    assert x.grad == 12.0  # d/dx 3x**2 = 6x


def test_bad_arguments_to_grad() -> None:
    with pytest.raises(ValueError, match="argnums 2 is not an argument index"):
        grad(lambda a, b: a * b, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="f must return a Value or a number, got str"):
        grad(lambda a: "a")(1.0)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        jvp(lambda a, b: a * b, [1.0, 2.0], [1.0])


def test_grad_and_jvp_in_one_thread_are_not_nested_in_another() -> None:
    # While one thread is inside grad(f) and jvp(g), another's grad returns a float
    # (not a Value, as a nested grad would) and its jvp is not "nested forward mode".
    inside, done = threading.Event(), threading.Event()

    def waiting(x: Any) -> Any:
        inside.set()
        done.wait(5)
        return x * x

    threads = [
        threading.Thread(target=lambda: grad(waiting)(3.0)),
        threading.Thread(target=lambda: jvp(waiting, [3.0], [1.0])),
    ]
    results: list[Any] = []
    for thread in threads:
        inside.clear()
        thread.start()
        inside.wait(5)
        try:
            results.append(grad(lambda x: x**3)(2.0))
            results.append(jvp(lambda x: x * x, [3.0], [1.0]))
        finally:
            done.set()
            thread.join(10)
            done.clear()
    assert results == [12.0, (9.0, 6.0), 12.0, (9.0, 6.0)]
    assert all(type(result) is not Value for result in results)


# ---------------------------------------------------------------------- forward mode


@given(expression=expressions(n_variables=3), point=st.lists(reals(-2, 2), min_size=3, max_size=3))
def test_forward_mode_equals_reverse_mode_on_random_expressions(
    expression: Expression, point: list[float]
) -> None:
    checkable_output(expression, point)
    forward_reverse_check(expression, point)


@given(x=reals(-2, 2), y=reals(-2, 2), s=reals(-3, 3), t=reals(-3, 3))
def test_jvp_is_linear_in_the_tangent(x: float, y: float, s: float, t: float) -> None:
    def f(a: Any, b: Any) -> Any:
        return (a * b).tanh() + a.exp() * b

    gx, gy = analytic_grad(f, [x, y])
    value, derivative = jvp(f, [x, y], [s, t])
    assert value == pytest.approx(math.tanh(x * y) + math.exp(x) * y)
    assert derivative == pytest.approx(gx * s + gy * t, rel=1e-12, abs=1e-12)


def test_dual_numbers_carry_value_and_tangent() -> None:
    d = Dual(3.0, 1.0) ** 2 + 2 * Dual(3.0, 1.0)
    assert (d.primal, d.tangent) == (15.0, 8.0)
    assert repr(Dual(1.5, 2.0)) == "Dual(primal=1.5, tangent=2.0)"
    assert Dual(1.0) < Dual(2.0)
    assert forward_gradient(lambda a, b: a * b, [2.0, 5.0]) == [5.0, 2.0]
    with pytest.raises(TypeError, match="expects a real number"):
        Dual("x")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- the modes page


def _load_modes_cost() -> Any:
    return load_script(Path(__file__).resolve().parent.parent / "docs" / "modes_cost.py")


def test_modes_cost_script_runs_and_the_page_shows_its_full_table() -> None:
    modes_cost = _load_modes_cost()
    quick = modes_cost.table(modes_cost.QUICK_SIZES)
    assert [line.split()[0] for line in quick[2:]] == [str(s) for s in modes_cost.QUICK_SIZES]
    page = (Path(__file__).resolve().parent.parent / "docs" / "modes.md").read_text()
    for header in quick[:2]:
        assert header in page
    for size in modes_cost.FULL_SIZES:
        assert any(line.split()[:1] == [str(size)] for line in page.splitlines())
