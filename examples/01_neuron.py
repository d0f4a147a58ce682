"""Step 1: one neuron.

A neuron multiplies each input by a weight, adds the products and a bias, and
squashes the sum with an activation. Here the activation is the sigmoid,
f(x) = 1 / (1 + e**-x), which maps any number into (0, 1).

Run: python3 examples/01_neuron.py
"""

from tinygrad_edu import nn


def main() -> None:
    """Feed x = [2, 3] to a sigmoid neuron with weights [0, 1] and bias 4."""
    neuron = nn.Neuron(2, activation="sigmoid", weights=[0, 1], bias=4)
    x = [2, 3]

    weighted_sum = sum(w.data * xi for w, xi in zip(neuron.weights, x)) + neuron.bias.data
    output = neuron(x)

    print(f"inputs x = {x}, weights w = [0, 1], bias b = 4")
    print(f"w . x + b = 0*2 + 1*3 + 4 = {weighted_sum}")
    # repr shows every digit a float holds, so learners can check them all.
    print(f"output = sigmoid({weighted_sum}) = {output.data!r}")


if __name__ == "__main__":
    main()
