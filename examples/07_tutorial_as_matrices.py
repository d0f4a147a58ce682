"""Step 7: the tutorial's network as matrices, with Tensors instead of Values.

A layer of neurons is one matrix product: the hidden layer's weights w1..w4 form a
2x2 matrix (one row per neuron), its biases b1, b2 a vector, and

    h = sigmoid(W1 @ x + b1),    y_pred = sigmoid(W2 @ h + b2)

with W2 = [[w5, w6]] and b2 = [b3]. Each of these is one op on a whole array, and
``loss.backward()`` gives each weight matrix its gradient as a matrix of the same shape:
the same nine numbers as the scalar engine, from 9 ops on arrays instead of 17 on
single numbers (a bigger layer would still take 2 ops; as Values, one per weight).

Run: python3 examples/07_tutorial_as_matrices.py
"""

from tinygrad_edu import Tensor
from tinygrad_edu.tutorial import tutorial_loss


def main() -> None:
    """Alice through the network as matrices; dL/dW1 next to the scalar engine's grads."""
    W1 = Tensor([[1.0, 1.0], [1.0, 1.0]], requires_grad=True, label="W1")  # rows: h1, h2
    b1 = Tensor([0.0, 0.0], requires_grad=True, label="b1")
    W2 = Tensor([[1.0, 1.0]], requires_grad=True, label="W2")  # w5, w6
    b2 = Tensor([0.0], requires_grad=True, label="b2")
    alice, y_true = Tensor([-2.0, -1.0], label="x"), 1.0

    h = (W1 @ alice + b1).sigmoid()  # shape (2,): h1 and h2 at once
    y_pred = (W2 @ h + b2).sigmoid()  # shape (1,)
    loss = ((y_true - y_pred) ** 2).sum()
    loss.backward()

    print(f"h = {h.data.round(4)}, y_pred = {y_pred.item():.3f}, loss = {loss.item():.4f}")
    print(f"dL/dW1 =\n{W1.grad}")
    print(f"dL/db1 = {b1.grad}, dL/dW2 = {W2.grad}, dL/db2 = {b2.grad}")

    scalar_loss, model = tutorial_loss()  # the same network, one Value per number
    scalar_loss.backward()
    w1 = next(parameter for parameter in model.parameters() if parameter.label == "w1")
    assert W1.grad is not None
    print(f"\ndL/dw1 from the matrices:     {float(W1.grad[0, 0])!r}")
    print(f"dL/dw1 from the scalar engine: {w1.grad!r}")


if __name__ == "__main__":
    main()
