"""Three training demos on Tensors, run by ``tinygrad-edu train digits|sequence|text``.

- ``digits``: a small CNN learns scikit-learn's 8x8 handwritten digits (>= 97% on the
  held-out test set in under a minute on 2 cores).
- ``sequence``: a GRU learns to add two binary numbers bit by bit, carrying the carry in
  its hidden state from one step to the next.
- ``text``: a character-level LSTM learns any text file, trained with truncated
  backpropagation through time, and writes samples as it learns.

Each prints a progress bar (on a terminal) and one line per epoch, is seeded (the same
seed gives the same run), can save the trained model (``save``: .npz or .json) and
plot its loss and accuracy curves (``plot``: a PNG; needs matplotlib).
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, TypeVar

import numpy as np

from tinygrad_edu.data import DataLoader, digits
from tinygrad_edu.engine import no_grad
from tinygrad_edu.layers import (
    GRU,
    LSTM,
    Conv2d,
    Embedding,
    Flatten,
    Linear,
    MaxPool2d,
    Module,
    ReLU,
    Sequential,
)
from tinygrad_edu.losses import binary_cross_entropy_with_logits, cross_entropy
from tinygrad_edu.optim import Adam
from tinygrad_edu.tensor import Tensor

Item = TypeVar("Item")


@dataclass
class History:
    """What a demo measured, one entry per epoch. ``train_accuracy`` is counted during
    the epoch, while the network still changes, by ``train_digits``; after it, on all
    the training sums, by ``train_sequence``."""

    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)


def progress(
    items: Iterable[Item],
    total: int,
    label: str,
    stream: TextIO | None = None,
    draw: bool | None = None,
) -> Iterator[Item]:
    """Yield the items, drawing ``label [#####.....] 12/45`` on ``stream`` (default:
    stderr) as they go. ``draw``: whether to draw; by default only on a terminal (a log
    file gets no bar). A notebook's output is no terminal but redraws a line after a
    carriage return as one does: pass ``draw=True`` there. When the items run out the
    bar is wiped, so that the next line printed takes its place."""
    stream = sys.stderr if stream is None else stream
    drawing = stream.isatty() if draw is None else draw
    width = 30
    for done, item in enumerate(items, start=1):
        yield item
        if drawing:
            filled = width * done // total
            stream.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            stream.flush()
    if drawing:
        stream.write("\r" + " " * (len(label) + width + 20) + "\r")
        stream.flush()


def epoch_line(epoch: int, epochs: int, history: History, seconds: float | None = None) -> str:
    """``epoch  3/8  loss 0.0671  train 98.1%  test 97.5%  1.4 s``; without ``seconds``
    the line ends at the accuracies (a notebook leaves timings out, so that a second
    run prints the same text)."""
    parts = [f"epoch {epoch:>2}/{epochs}", f"loss {history.loss[-1]:.4f}"]
    if history.train_accuracy:
        parts.append(f"train {100 * history.train_accuracy[-1]:.1f}%")
    if history.test_accuracy:
        parts.append(f"test {100 * history.test_accuracy[-1]:.1f}%")
    if seconds is not None:
        parts.append(f"{seconds:.1f} s")
    return "  ".join(parts)


# ---------------------------------------------------------------------- digits


def digits_cnn(seed: int = 0, dtype: str = "float64") -> Sequential:
    """Two 3x3 convolutions (16 and 32 filters), each followed by relu and 2x2 max
    pooling (8x8 -> 4x4 -> 2x2), then one linear layer to the 10 classes."""
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2d(1, 16, 3, padding=1, seed=rng, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Conv2d(16, 32, 3, padding=1, seed=rng, dtype=dtype),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(32 * 2 * 2, 10, seed=rng, dtype=dtype),
    )


def predict_classes(model: Module, X: np.ndarray[Any, Any], batch_size: int = 512) -> Any:
    """The most likely class of each row of X, in eval mode and without a graph."""
    was_training = model.training
    model.eval()
    with no_grad():
        scores = [
            model(Tensor(X[start : start + batch_size])).data
            for start in range(0, len(X), batch_size)
        ]
    model.train(was_training)
    return np.concatenate(scores).argmax(axis=1)


def train_digits(
    epochs: int = 8,
    batch_size: int = 32,
    lr: float = 0.01,
    lr_decay: float = 0.7,
    seed: int = 0,
    out: TextIO | None = None,
) -> tuple[Sequential, History, dict[str, Any]]:
    """Train ``digits_cnn`` with Adam and cross-entropy; the learning rate shrinks by
    ``lr_decay`` after each epoch (PyTorch's ``ExponentialLR``). Returns the model, its
    history, and the test set with the model's predictions (for pictures)."""
    X_train, y_train, X_test, y_test = digits(seed=seed)
    model = digits_cnn(seed=seed)
    optimizer = Adam(model.parameters(), lr=lr)
    loader = DataLoader(X_train, y_train, batch_size=batch_size, seed=seed)
    print(
        f"digits: {len(X_train)} training and {len(X_test)} test images of 8x8 pixels, "
        f"seed {seed}\n{model}",
        file=out,
    )
    history = History()
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        optimizer.lr = lr * lr_decay ** (epoch - 1)
        total_loss, correct = 0.0, 0
        for images, labels in progress(loader, len(loader), f"epoch {epoch}/{epochs}"):
            logits = model(images)
            loss = cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(labels)
            correct += int((logits.data.argmax(axis=1) == labels).sum())
        history.loss.append(total_loss / len(y_train))
        history.train_accuracy.append(correct / len(y_train))
        history.test_accuracy.append(float((predict_classes(model, X_test) == y_test).mean()))
        print(epoch_line(epoch, epochs, history, time.perf_counter() - started), file=out)
    predictions = predict_classes(model, X_test)
    print(f"test accuracy: {100 * history.test_accuracy[-1]:.1f}%", file=out)
    return model, history, {"images": X_test, "labels": y_test, "predictions": predictions}


def draw_digit_pictures(model: Sequential, test: dict[str, Any], path: str | Path) -> Path:
    """The first layer's filters and some misclassified test digits, as a PNG."""
    from tinygrad_edu.plots import plot_filters_and_mistakes

    first = model[0]
    assert isinstance(first, Conv2d)
    return plot_filters_and_mistakes(
        first.weight.data, test["images"], test["labels"], test["predictions"], path
    )


# ---------------------------------------------------------------------- binary addition


class Adder(Module):
    """A GRU reading two bits per step (least significant first) and a linear layer
    turning its hidden state into a score for the sum's bit at that step."""

    def __init__(self, hidden_size: int = 16, seed: int = 0) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.rnn = GRU(2, hidden_size, batch_first=True, seed=rng)
        self.out = Linear(hidden_size, 1, seed=rng)

    def forward(self, bits: Tensor) -> Tensor:
        """bits (N, L, 2) to scores (N, L): sigmoid(score) = P(the sum's bit is 1)."""
        hidden, _ = self.rnn(bits)
        scores: Tensor = self.out(hidden)
        return scores.reshape(bits.shape[0], bits.shape[1])


def addition_problems(count: int, bits: int, seed: int) -> tuple[Any, Any]:
    """``count`` random pairs of ``bits``-bit numbers as (N, bits + 1, 2) input bits and
    (N, bits + 1) bits of their sums, least significant bit first (the extra step
    reads zeros and writes the last carry)."""
    a, b = np.random.default_rng(seed).integers(0, 2**bits, size=(2, count))
    return addition_inputs(a, b, bits), binary_digits(a + b, bits + 1).astype(np.float64)


def addition_inputs(a: Any, b: Any, bits: int) -> Any:
    """The bits of a and b side by side, step by step: (N, bits + 1, 2)."""
    pairs = np.stack([binary_digits(a, bits + 1), binary_digits(b, bits + 1)], axis=-1)
    return pairs.astype(np.float64)


def binary_digits(numbers: Any, count: int) -> Any:
    """The ``count`` lowest bits of each number, least significant first: (N, count)."""
    return (np.asarray(numbers)[:, None] >> np.arange(count)) & 1


def train_sequence(
    epochs: int = 10,
    batch_size: int = 32,
    lr: float = 0.01,
    bits: int = 8,
    train_count: int = 2000,
    seed: int = 0,
    out: TextIO | None = None,
) -> tuple[Adder, History]:
    """Train ``Adder`` on ``train_count`` sums of ``bits``-bit numbers; accuracy is the
    share of sums (all bits right) among 1000 new ones (test) and the training ones."""
    X_train, y_train = addition_problems(train_count, bits, seed)
    X_test, y_test = addition_problems(1000, bits, seed + 1)
    model = Adder(seed=seed)
    optimizer = Adam(model.parameters(), lr=lr)
    loader = DataLoader(X_train, y_train, batch_size=batch_size, seed=seed)
    print(f"binary addition of {bits}-bit numbers, bit by bit, with a GRU; seed {seed}", file=out)
    history = History()

    def accuracy(X: Any, y: Any) -> float:
        with no_grad():
            right = (model(Tensor(X)).data > 0) == (y > 0.5)
        return float(right.all(axis=1).mean())

    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        total_loss = 0.0
        for inputs, targets in progress(loader, len(loader), f"epoch {epoch}/{epochs}"):
            loss = binary_cross_entropy_with_logits(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(targets)
        history.loss.append(total_loss / len(y_train))
        history.train_accuracy.append(accuracy(X_train, y_train))
        history.test_accuracy.append(accuracy(X_test, y_test))
        print(epoch_line(epoch, epochs, history, time.perf_counter() - started), file=out)
    a, b = 2**bits - 73, 2**bits // 2 + 37  # 183 + 165 for 8 bits: carries all along
    with no_grad():
        sum_bits = model(Tensor(addition_inputs([a], [b], bits))).data[0] > 0
    answer = int((sum_bits * 2 ** np.arange(bits + 1)).sum())
    print(f"{a} + {b} = {answer} by the network (the true sum is {a + b})", file=out)
    print(f"test accuracy: {100 * history.test_accuracy[-1]:.1f}% of sums right", file=out)
    return model, history


# ---------------------------------------------------------------------- text


class CharRNN(Module):
    """Characters in, scores for the next character out: an embedding of each
    character, an LSTM over the sequence, and a linear layer to the vocabulary."""

    def __init__(self, vocabulary_size: int, hidden_size: int = 128, seed: int = 0) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.embedding = Embedding(vocabulary_size, 32, seed=rng)
        self.lstm = LSTM(32, hidden_size, batch_first=True, seed=rng)
        self.out = Linear(hidden_size, vocabulary_size, seed=rng)

    def forward(
        self, characters: Any, state: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """characters (N, L) of indices to scores (N, L, vocabulary) and the LSTM's state."""
        hidden, state = self.lstm(self.embedding(characters), state)
        return self.out(hidden), state


def sample_text(
    model: CharRNN,
    vocabulary: str,
    length: int,
    rng: np.random.Generator,
    start: str = "",
    temperature: float = 0.8,
) -> str:
    """``length`` characters drawn one at a time from softmax(scores / temperature),
    each fed back in as the next input."""
    character = vocabulary.index(start[0]) if start else int(rng.integers(len(vocabulary)))
    written, state = [vocabulary[character]], None
    with no_grad():
        for _ in range(length - 1):
            scores, state = model(np.array([[character]]), state)
            logits = scores.data[0, -1] / temperature
            chances = np.exp(logits - logits.max())
            character = int(rng.choice(len(vocabulary), p=chances / chances.sum()))
            written.append(vocabulary[character])
    return "".join(written)


def train_text(
    path: str | Path,
    epochs: int = 5,
    batch_size: int = 16,
    sequence_length: int = 32,
    hidden_size: int = 128,
    lr: float = 0.005,
    sample_length: int = 120,
    seed: int = 0,
    out: TextIO | None = None,
) -> tuple[CharRNN, History, str]:
    """Train ``CharRNN`` to predict each next character of the file, with truncated
    backpropagation through time: the text is cut into ``batch_size`` streams, read
    ``sequence_length`` characters at a time; the LSTM's state is carried on from one
    piece to the next but detached, so that backward stops at the piece's start.
    Returns the model, its history and its vocabulary (the file's characters, sorted)."""
    text = Path(path).read_text(encoding="utf-8")
    vocabulary = "".join(sorted(set(text)))
    codes = np.array([vocabulary.index(c) for c in text], dtype=np.int64)
    stream_length = (len(codes) - 1) // batch_size
    if stream_length < 2:
        raise ValueError(
            f"{path}: {len(codes)} characters are too few for {batch_size} streams; "
            "use a longer text or a smaller --batch-size"
        )
    inputs = codes[: batch_size * stream_length].reshape(batch_size, stream_length)
    targets = codes[1 : batch_size * stream_length + 1].reshape(batch_size, stream_length)
    model = CharRNN(len(vocabulary), hidden_size, seed=seed)
    optimizer = Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    starts = range(0, stream_length, sequence_length)
    print(
        f"{Path(path).name}: {len(text)} characters, {len(vocabulary)} different; "
        f"{batch_size} streams read {sequence_length} at a time; seed {seed}",
        file=out,
    )
    history = History()
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        state: tuple[Tensor, Tensor] | None = None
        total_loss, count = 0.0, 0
        for start in progress(starts, len(starts), f"epoch {epoch}/{epochs}"):
            piece = slice(start, start + sequence_length)
            scores, state = model(inputs[:, piece], state)
            loss = cross_entropy(scores.reshape(-1, len(vocabulary)), targets[:, piece].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            state = (state[0].detach(), state[1].detach())  # truncate: forget the graph
            total_loss += loss.item() * targets[:, piece].size
            count += targets[:, piece].size
        history.loss.append(total_loss / count)
        print(epoch_line(epoch, epochs, history, time.perf_counter() - started), file=out)
        print(f"  sample: {sample_text(model, vocabulary, sample_length, rng)!r}", file=out)
    perplexity = math.exp(history.loss[-1])
    print(
        f"final loss {history.loss[-1]:.4f} per character (perplexity {perplexity:.1f})", file=out
    )
    return model, history, vocabulary


# ---------------------------------------------------------------------- running and saving


def one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """Limit numpy's matrix library to one thread while a demo trains, if threadpoolctl
    is installed: on these small matrices a second thread spends more time waiting than
    computing, and on a busy 2-core machine it made training several times slower."""
    try:
        from threadpoolctl import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
            threadpool_limits,
        )
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- saving the results


def finish(
    model: Module,
    history: History,
    save: str | None,
    plot: str | None,
    title: str,
    out: TextIO | None = None,
) -> None:
    """Save the model and draw the curves, if asked, saying where."""
    if save:
        model.save(save)
        print(f"saved the model to {save}", file=out)
    if plot:
        from tinygrad_edu.plots import plot_history

        print(f"wrote {plot_history(history, plot, title)}", file=out)
