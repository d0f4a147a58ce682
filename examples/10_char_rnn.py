"""Step 10: a character-level LSTM learns to write like a text.

Each character becomes a vector (Embedding), an LSTM reads them in order, and a
linear layer scores every possible next character; cross-entropy rewards a high
score for the one that really comes next. The text is cut into 16 streams read 32
characters at a time: truncated backpropagation through time carries the LSTM's
state on from one piece to the next but detaches it, so that each backward stops at
the piece's start. Every epoch ends with a sample the network writes itself.

Run: python3 examples/10_char_rnn.py [FILE] [--epochs N]   (FILE: default README.md)
"""

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu.demos import CharRNN, sample_text
from tinygrad_edu.losses import cross_entropy
from tinygrad_edu.optim import Adam


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=Path(__file__).parent.parent / "README.md")
    parser.add_argument("--epochs", type=int, default=5)
    arguments = parser.parse_args()

    text = Path(arguments.file).read_text(encoding="utf-8")
    vocabulary = "".join(sorted(set(text)))
    codes = np.array([vocabulary.index(character) for character in text])
    streams, piece = 16, 32
    length = (len(codes) - 1) // streams
    inputs = codes[: streams * length].reshape(streams, length)  # one row per stream
    targets = codes[1 : streams * length + 1].reshape(streams, length)  # the next characters
    model = CharRNN(len(vocabulary), hidden_size=64, seed=0)
    optimizer = Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    for epoch in range(1, arguments.epochs + 1):
        state = None
        for start in range(0, length, piece):
            columns = slice(start, start + piece)
            scores, state = model(inputs[:, columns], state)
            loss = cross_entropy(
                scores.reshape(-1, len(vocabulary)), targets[:, columns].reshape(-1)
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            state = (
                state[0].detach(),
                state[1].detach(),
            )  # truncate: keep the numbers, drop the graph
        print(f"epoch {epoch}: loss {loss.item():.3f} per character")
        print(f"sample: {sample_text(model, vocabulary, 80, rng)!r}")


if __name__ == "__main__":
    main()
