"""tinygrad_edu: a small, exact autograd framework for learning how neural networks learn."""

from tinygrad_edu.engine import Value, no_grad, topological_order
from tinygrad_edu.gradcheck import GradcheckError, analytic_grad, gradcheck, numerical_grad

__all__ = [
    "GradcheckError",
    "Value",
    "analytic_grad",
    "gradcheck",
    "no_grad",
    "numerical_grad",
    "topological_order",
]
__version__ = "0.1.0"
