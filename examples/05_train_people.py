"""Step 5: training with stochastic gradient descent.

Start from random weights, then repeat: take one person, compute every dL/dw with
backpropagation, and move every parameter a little downhill, w = w - lr * dL/dw.
The tutorial's settings: learning rate 0.1, 1000 passes (epochs) over the four
people, one person at a time, in order. The trained network then guesses the
gender of two people it never saw.

Run: python3 examples/05_train_people.py [--seed N]
"""

import argparse
from collections.abc import Sequence

from tinygrad_edu import data, losses, optim, train
from tinygrad_edu.tutorial import tutorial_network


def main(argv: Sequence[str] | None = None) -> None:
    """Train the 2-2-1 network on the four people, then ask it about Emily and Frank."""
    parser = argparse.ArgumentParser(description="Train the tutorial's network on four people.")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random start (default 0)")
    args = parser.parse_args(argv)

    X, y = data.people()
    model = tutorial_network(seed=args.seed)
    print(f"seed {args.seed}, learning rate 0.1, 1000 epochs, one person at a time")
    train.fit(
        model,
        X,
        y,
        loss=losses.mse_loss,
        optimizer=optim.SGD(model.parameters(), lr=0.1),
        epochs=1000,
        batch_size=1,  # one person per step: the "stochastic" in SGD
        shuffle=False,
        print_every=100,
    )

    print("\nprobability of female (1 = F, 0 = M):")
    predictions = train.predict(model, [person.features for person in data.TEST_PEOPLE])
    for person, prediction in zip(data.TEST_PEOPLE, predictions):
        verdict = "F" if prediction.data > 0.5 else "M"
        print(f"{person.name}: {prediction.data:.3f} {verdict}")


if __name__ == "__main__":
    main()
