"""Step 2: a network, and feeding inputs forward through it.

Two inputs go to a hidden layer of two neurons, h1 and h2; their outputs go to
one output neuron, o1. Every neuron here has weights [0, 1], bias 0 and the
sigmoid activation. "Feedforward" is just calling the neurons in that order.

Run: python3 examples/02_feedforward.py
"""

from tinygrad_edu import nn
from tinygrad_edu.tutorial import tutorial_network


def sigmoid_neuron(label: str) -> nn.Neuron:
    """A two-input sigmoid neuron with the weights and bias of this example."""
    return nn.Neuron(2, activation="sigmoid", weights=[0, 1], bias=0, label=label)


def main() -> None:
    """Compute h1, h2 and o1 for x = [2, 3], neuron by neuron, then as one MLP."""
    x = [2, 3]
    h1 = sigmoid_neuron("h1")(x)
    h2 = sigmoid_neuron("h2")(x)
    # The output neuron's inputs are the hidden neurons' outputs, not x.
    o1 = sigmoid_neuron("o1")([h1, h2])

    print(f"x = {x}")
    print(f"h1 = sigmoid(0*2 + 1*3 + 0) = {h1.data:.4f}")
    print(f"h2 = sigmoid(0*2 + 1*3 + 0) = {h2.data:.4f}")
    print(f"o1 = sigmoid(0*h1 + 1*h2 + 0) = {o1.data!r}")

    # The same 2-2-1 network as one nn.MLP, given the same nine numbers by name.
    same_numbers = {"w1": 0, "w2": 1, "b1": 0, "w3": 0, "w4": 1, "b2": 0, "w5": 0, "w6": 1, "b3": 0}
    network = tutorial_network(params=same_numbers)
    print(f"the same network as an MLP: o1 = {network(x).data!r}")


if __name__ == "__main__":
    main()
