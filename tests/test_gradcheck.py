"""gradcheck, gradgradcheck and forward_reverse_check: they pass right derivatives,
and they catch wrong ones, naming where."""

from __future__ import annotations

import importlib

import pytest

from tinygrad_edu import GradcheckError, Value, gradcheck, numerical_grad
from tinygrad_edu.engine import LOCAL_GRAD_RULES
from tinygrad_edu.gradcheck import analytic_grad, forward_reverse_check, gradgradcheck

# The module itself: the package's name `gradcheck` is the function.
gradcheck_module = importlib.import_module("tinygrad_edu.gradcheck")


def test_numerical_grad_is_central_differences() -> None:
    grads = numerical_grad(lambda a, b: a * b + a**2, [2.0, -3.0])
    assert grads == pytest.approx([-3.0 + 4.0, 2.0], abs=1e-8)
    assert analytic_grad(lambda a, b: a * b + a**2, [2.0, -3.0]) == [1.0, 2.0]


def test_gradcheck_passes_a_right_gradient_and_accepts_values_with_labels() -> None:
    assert gradcheck(lambda a, b: (a * b).tanh() / b, [Value(0.5, label="a"), -2.0])


def test_the_checks_work_inside_no_grad() -> None:
    from tinygrad_edu import no_grad

    with no_grad():
        assert gradcheck(lambda x: x * x, [3.0])
        assert gradgradcheck(lambda x: x * x * x, [2.0])
        assert forward_reverse_check(lambda x: x.tanh(), [0.5])


def test_gradcheck_catches_a_wrong_gradient_and_names_the_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A bug planted in the derivative table: d tanh = 1 - tanh (should be 1 - tanh**2).
    monkeypatch.setitem(LOCAL_GRAD_RULES, "tanh", lambda a, out: (1.0 - out,))
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda w, x: (w * x).tanh() + x, [Value(0.5, label="w"), 2.0])
    message = str(caught.value)
    assert "input 0 ('w'): analytic" in message and "numeric" in message
    assert "input 1: analytic" in message
    assert [m.name for m in caught.value.mismatches] == ["input 0 ('w')", "input 1"]


def test_gradcheck_fails_on_non_finite_gradients() -> None:
    # |x| has derivative 0 at 0 and sqrt has derivative inf there: 0 * inf is nan.
    with pytest.raises(GradcheckError, match="input 0: analytic nan"):
        gradcheck(lambda x: abs(x).sqrt(), [0.0])


def test_gradgradcheck_catches_a_wrong_second_derivative(monkeypatch: pytest.MonkeyPatch) -> None:
    assert gradgradcheck(lambda x, y: (x * y).tanh() + x.exp() * y, [0.3, -0.7])
    # Right first derivative of exp (its output), but built from a constant, so that
    # differentiating it again gives 0 instead of e**x.
    monkeypatch.setitem(
        LOCAL_GRAD_RULES,
        "exp",
        lambda a, out: (Value(out.data) if isinstance(out, Value) else out,),
    )
    assert gradcheck(lambda x: x.exp(), [0.5])
    with pytest.raises(GradcheckError, match=r"(?s)second derivatives disagree.*d2f/dx0dx0"):
        gradgradcheck(lambda x: x.exp(), [0.5])


def test_forward_reverse_check_agrees_and_catches_a_planted_bug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert forward_reverse_check(lambda a, b: (a / b).sigmoid() * a.log(), [1.5, -0.5])
    # Both modes read the same derivative table, so what this check guards is the
    # machinery: a forward mode that dropped a factor would be caught.
    monkeypatch.setattr(
        gradcheck_module,
        "forward_gradient",
        lambda f, point: [0.5 * g for g in analytic_grad(f, point)],
    )
    with pytest.raises(GradcheckError, match="reverse and forward mode disagree"):
        forward_reverse_check(lambda a: a.log(), [1.5])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"eps must be a finite number > 0\.0, got 0\.0"):
        numerical_grad(lambda x: x, [1.0], eps=0.0)
    with pytest.raises(TypeError, match="Value\\(\\) expects a real number, got str"):
        gradcheck(lambda x: x, ["1"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="f must return a Value or a number, got str"):
        gradcheck(lambda x: "oops", [1.0])  # type: ignore[arg-type,return-value]
