"""Step 4: backpropagation, by hand and by autograd, side by side.

With all weights 1 and all biases 0, Alice (x = [-2, -1], y_true = 1) gives
h1 = h2 = sigmoid(-3) and y_pred = sigmoid(h1 + h2). The chain rule says how the
loss L = (1 - y_pred)**2 changes with each of the nine parameters, e.g.
dL/dw1 = dL/dy_pred * dy_pred/dh1 * dh1/dw1.

``HandDerivedNetwork`` applies those formulas, written out on paper.
Autograd gets the same numbers by recording the forward pass and walking it
backwards: ``loss.backward()``.

Run: python3 examples/04_backprop_by_hand_vs_autograd.py
"""

from tinygrad_edu import losses
from tinygrad_edu.tutorial import PARAMETER_NAMES, HandDerivedNetwork, tutorial_network


def main() -> None:
    """Print Alice's forward pass, then all nine gradients from both methods."""
    params = {"w1": 1, "w2": 1, "b1": 0, "w3": 1, "w4": 1, "b2": 0, "w5": 1, "w6": 1, "b3": 0}
    alice_x, alice_y = [-2.0, -1.0], 1.0

    by_hand = HandDerivedNetwork(params=params)
    hand_gradients = by_hand.gradients(alice_x, alice_y)

    model = tutorial_network(params=params)
    h1, h2 = model.layers[0].outputs(alice_x)
    y_pred = model(alice_x)
    loss = losses.mse_loss([alice_y], [y_pred])
    loss.backward()
    # tutorial_network labels its parameters with the tutorial's names, w1 to b3.
    autograd_gradients = {parameter.label: parameter.grad for parameter in model.parameters()}

    print(f"h1 = {h1.data:.4f}, h2 = {h2.data:.4f}, o1 = y_pred = {y_pred.data:.3f}")
    print(f"loss = (1 - y_pred)**2 = {loss.data:.4f}\n")
    print(f"{'':6}{'by hand':>22}{'autograd':>22}{'difference':>12}")
    for name in PARAMETER_NAMES:
        hand, auto = hand_gradients[name], autograd_gradients[name]
        print(f"dL/d{name}{hand!r:>22}{auto!r:>22}{abs(hand - auto):>12.1e}")
    # Positive: raising w1 a little would raise the loss a little, so SGD lowers w1.
    print(f"\ndL/dw1 by hand:  {hand_gradients['w1']!r}")
    print(f"dL/dw1 autograd: {autograd_gradients['w1']!r}")


if __name__ == "__main__":
    main()
