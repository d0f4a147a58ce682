"""The training helper: it learns, reports, reproduces, and agrees with the tutorial's loop."""

from __future__ import annotations

import gc
import io
import threading
from typing import Any

import pytest

from tinygrad_edu.data import people, xor
from tinygrad_edu.losses import binary_cross_entropy_with_logits, mse_loss
from tinygrad_edu.nn import MLP
from tinygrad_edu.optim import SGD, Adam
from tinygrad_edu.train import accuracy, collector_paused, evaluate, fit
from tinygrad_edu.tutorial import HandDerivedNetwork, tutorial_network


def test_fit_is_the_tutorials_loop_when_batch_size_is_one() -> None:
    X, y = people()
    model = tutorial_network(seed=2)
    history = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.1), epochs=50)
    by_hand = HandDerivedNetwork(seed=2).train(X, y, lr=0.1, epochs=50)
    assert history == pytest.approx(by_hand, rel=1e-12)
    assert history[-1] == pytest.approx(evaluate(model, X, y))


def test_mini_batches_with_shuffling_learn_xor_reproducibly() -> None:
    X, y = xor(n=40, noise=0.1, seed=0)

    def train() -> tuple[MLP, list[float]]:
        model = MLP(2, [8, 1], activation="tanh", seed=0)
        history = fit(
            model,
            X,
            y,
            loss=binary_cross_entropy_with_logits,
            optimizer=Adam(model.parameters(), lr=0.05),
            epochs=60,
            batch_size=8,
            shuffle=True,
            seed=1,
        )
        return model, history

    model, history = train()
    assert history == train()[1]
    assert history[-1] < history[0] / 4
    assert accuracy(model, X, y, threshold=0.0) == 1.0


def test_callback_printing_and_progress_bar() -> None:
    X, y = people()
    seen: list[int] = []
    printed, bar = io.StringIO(), io.StringIO()
    fit(
        tutorial_network(seed=0),
        X,
        y,
        epochs=20,
        callback=lambda e, _: seen.append(e),
        print_every=10,
        stream=printed,
    )
    fit(tutorial_network(seed=0), X, y, epochs=5, progress=True, stream=bar)
    assert seen == list(range(1, 21))
    assert printed.getvalue().splitlines()[0].startswith("Epoch 10 loss: 0.")
    assert len(printed.getvalue().splitlines()) == 2
    assert "epoch 5/5" in bar.getvalue() and bar.getvalue().endswith("\n")


def test_fit_rejects_mismatched_data_and_bad_batches() -> None:
    X, y = people()
    with pytest.raises(ValueError, match="4 samples but 3 targets"):
        fit(tutorial_network(seed=0), X, y[:3])
    with pytest.raises(ValueError, match="batch_size"):
        fit(tutorial_network(seed=0), X, y, batch_size=0)
    with pytest.raises(ValueError, match="one output"):
        fit(MLP(2, [2], seed=0), X, y, epochs=1)


def test_fit_pauses_the_cycle_collector_for_each_batch_and_restores_it() -> None:
    X, y = people()
    enabled_in_loss: list[bool] = []

    def recording_loss(targets: Any, predictions: Any) -> Any:
        enabled_in_loss.append(gc.isenabled())
        return mse_loss(targets, predictions)

    fit(tutorial_network(seed=0), X, y, loss=recording_loss, epochs=2)
    assert enabled_in_loss[:4] == [False] * 4  # the four batches of epoch 1
    assert gc.isenabled()
    gc.disable()
    try:
        fit(tutorial_network(seed=0), X, y, epochs=1)
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_pauses_of_the_collector_overlapping_in_threads_leave_it_on() -> None:
    # a pauses, then b; a ends first, then b: the collector is back on only after b.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with collector_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second() -> None:
        a_in.wait(5)
        with collector_paused():
            b_in.set()
            a_out.wait(5)
            seen["b, after a ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"b, after a ended": False}
    assert gc.isenabled()
