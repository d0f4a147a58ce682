"""Step 9: a recurrent network learns to add binary numbers, one bit at a time.

At step t the GRU reads bit t of a and of b (least significant first) and must write
bit t of a + b. The answer depends on the carry from all the steps before, which the
network has to keep in its hidden state h_t = GRU(x_t, h_{t-1}): a memory it learns
to use. Backpropagation through time sends each step's error back along the chain of
hidden states.

Run: python3 examples/09_sequence_rnn.py [--epochs N]   (6 epochs: every sum right)
"""

import argparse

import numpy as np

from tinygrad_edu import Tensor, no_grad
from tinygrad_edu.data import DataLoader
from tinygrad_edu.demos import Adder, addition_inputs, addition_problems
from tinygrad_edu.losses import binary_cross_entropy_with_logits
from tinygrad_edu.optim import Adam


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    epochs = parser.parse_args().epochs

    bits = 8
    X, y = addition_problems(2000, bits, seed=0)  # X: (N, 9, 2) bits, y: (N, 9) bits of the sums
    X_test, y_test = addition_problems(1000, bits, seed=1)
    model = Adder(hidden_size=16, seed=0)
    optimizer = Adam(model.parameters(), lr=0.01)
    for epoch in range(1, epochs + 1):
        for inputs, targets in DataLoader(X, y, batch_size=32, seed=epoch):
            loss = binary_cross_entropy_with_logits(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with no_grad():
            right = ((model(Tensor(X_test)).data > 0) == (y_test > 0.5)).all(axis=1)
        print(f"epoch {epoch}: loss {loss.item():.4f}, {right.mean():.1%} of new sums right")
    a, b = 183, 165
    with no_grad():
        sum_bits = model(Tensor(addition_inputs([a], [b], bits))).data[0] > 0
    print(f"{a} + {b} = {int((sum_bits * 2 ** np.arange(bits + 1)).sum())}")
    print(f"test accuracy: {right.mean():.1%}")


if __name__ == "__main__":
    main()
