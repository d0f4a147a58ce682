"""Step 8: a convolutional network learns real handwritten digits.

The 1797 8x8 digits that scikit-learn ships (pip install 'tinygrad_edu[datasets]')
go through two 3x3 convolutions, each with relu and 2x2 max pooling, and a linear
layer to 10 scores; cross-entropy compares the scores with the true digit, and Adam
follows the gradient. Each epoch sees every training image once, in shuffled batches
of 32 (DataLoader), and then the held-out test images, which it never trains on.

Run: python3 examples/08_digits_cnn.py [--epochs N]   (8 epochs: about 97-98% right)
"""

import argparse

from tinygrad_edu.data import DataLoader, digits
from tinygrad_edu.demos import digits_cnn, predict_classes
from tinygrad_edu.losses import cross_entropy
from tinygrad_edu.optim import Adam


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    epochs = parser.parse_args().epochs

    X_train, y_train, X_test, y_test = digits(seed=0)  # X: (N, 1, 8, 8) in [0, 1]
    model = digits_cnn(seed=0)
    optimizer = Adam(model.parameters(), lr=0.01)
    batches = DataLoader(X_train, y_train, batch_size=32, seed=0)
    print(model)
    for epoch in range(1, epochs + 1):
        optimizer.lr = 0.01 * 0.7 ** (epoch - 1)  # smaller steps as it settles
        for images, labels in batches:
            loss = cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        accuracy = (predict_classes(model, X_test) == y_test).mean()
        print(f"epoch {epoch}: last batch's loss {loss.item():.4f}, test accuracy {accuracy:.1%}")
    print(f"test accuracy: {accuracy:.1%} of {len(y_test)} digits it never saw")


if __name__ == "__main__":
    main()
