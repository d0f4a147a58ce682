"""Step 3: training data, and a loss that scores predictions.

The network will learn to guess gender (1 = female, 0 = male) from weight and
height. Inputs are shifted by 135 lb and 66 in so they sit near 0, where the
sigmoid is steep. The loss is the mean squared error,
MSE = 1/n * sum((y_true - y_pred)**2): 0 for perfect guesses, larger the worse.

Run: python3 examples/03_loss.py
"""

from tinygrad_edu import data, losses


def main() -> None:
    """Show the four people, then the loss of a network that always says 0."""
    print(f"{'name':8}{'weight-135':>11}{'height-66':>10}{'gender':>7}")
    for person in data.PEOPLE:
        weight, height = person.features
        print(f"{person.name:8}{weight:>11g}{height:>10g}{person.gender:>7}")

    _, y_true = data.people()
    always_male = [0.0] * len(y_true)
    loss = losses.mse_loss(y_true, always_male)
    print(f"\ny_true = {y_true.tolist()}, y_pred = {always_male}")
    # Two of four guesses are off by 1: (1 + 0 + 0 + 1) / 4.
    print(f"MSE = {loss.data}")


if __name__ == "__main__":
    main()
