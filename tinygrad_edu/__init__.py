"""tinygrad_edu: a small, exact autograd framework for learning how neural networks learn."""

from tinygrad_edu.engine import (
    Value,
    enable_grad,
    gradient_graph,
    is_grad_enabled,
    no_grad,
    topological_order,
)
from tinygrad_edu.forward import Dual, jvp
from tinygrad_edu.functional import grad, hessian, value_and_grad
from tinygrad_edu.gradcheck import (
    GradcheckError,
    analytic_grad,
    forward_reverse_check,
    gradcheck,
    gradgradcheck,
    numerical_grad,
)
from tinygrad_edu.tensor import Tensor

__all__ = [
    "Dual",
    "GradcheckError",
    "Tensor",
    "Value",
    "analytic_grad",
    "enable_grad",
    "forward_reverse_check",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "gradient_graph",
    "hessian",
    "is_grad_enabled",
    "jvp",
    "no_grad",
    "numerical_grad",
    "topological_order",
    "value_and_grad",
]
__version__ = "0.1.0"
