"""Step 6: beyond the tutorial: a bigger network on a harder problem.

Two interleaving half moons cannot be split by a straight line, so the network
needs hidden layers that bend the boundary. This example uses three ideas the
tutorial points to next: tanh in place of sigmoid, the Adam optimizer, and
binary cross-entropy as the loss. The network's output is a raw score (a logit):
positive means "lower moon", and sigmoid(score) is its probability.

Run: python3 examples/06_moons_mlp.py
"""

from tinygrad_edu import data, losses, nn, optim, train

SEED = 0
"""Fixes the random start and the shuffling, so every run prints the same numbers."""


def main() -> None:
    """Train a 2-16-16-1 MLP on 200 moon points and print its training accuracy."""
    X, y = data.moons(n=200, noise=0.1, seed=SEED)
    model = nn.MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=SEED)
    print(f"{len(X)} points, {len(model.parameters())} parameters, seed {SEED}")

    train.fit(
        model,
        X,
        y,
        # On raw scores, sigmoid and cross-entropy combined stay exact for any score.
        loss=losses.binary_cross_entropy_with_logits,
        optimizer=optim.Adam(model.parameters(), lr=0.01),
        epochs=15,
        batch_size=10,  # the average over 10 points gives a steadier step than one
        shuffle=True,
        seed=SEED,
        print_every=5,
    )

    # A score above 0 is a probability above 0.5: predict the lower moon.
    print(f"training accuracy: {train.accuracy(model, X, y, threshold=0.0):.1%}")


if __name__ == "__main__":
    main()
