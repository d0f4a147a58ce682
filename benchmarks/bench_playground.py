"""Check the playground's cost estimate (tinygrad_edu/playground/cost.py) on this machine.

Run from the repository root:

    PYTHONPATH=. python3 benchmarks/bench_playground.py            # 70 set-ups, a few minutes
    PYTHONPATH=. python3 benchmarks/bench_playground.py --quick    # 4 set-ups, seconds

For each set-up (networks from no hidden layer to 6 layers of 8, batch sizes from 1 to
all the points, few and many points held out), it times the costliest train request
the server allows, as the server runs it (``api.train``, with the pictures after), and
prints it beside the estimate. The estimate's constants were measured this way; if a
machine (or a change to the engine) makes the measured times drift far from the
estimates, measure again and change them. The last line gives the longest request:
the playground promises that none takes much more than two seconds.
"""

from __future__ import annotations

import argparse
import itertools
import time

from tinygrad_edu.playground import api, cost
from tinygrad_edu.playground.config import Config
from tinygrad_edu.playground.datasets import FEATURES
from tinygrad_edu.playground.sessions import Sessions

HIDDEN = [(), (2,), (8,), (4, 2), (8, 8, 8), (1,) * 6, (8,) * 6]
BATCH_SIZES = [1, 4, 32, 300, 2000]
SPLITS = [(2000, 0.1), (200, 0.1)]
QUICK = [
    ((8,) * 6, 1, (2000, 0.1)),
    ((), 1, (2000, 0.1)),
    ((8,) * 6, 2000, (2000, 0.1)),
    ((4, 2), 4, (200, 0.1)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 set-ups instead of 70")
    quick = parser.parse_args().quick
    set_ups = QUICK if quick else list(itertools.product(HIDDEN, BATCH_SIZES, SPLITS))
    sessions = Sessions(max_sessions=len(set_ups))
    print(
        f"{'hidden':<20} {'batch':>5} {'points':>6} {'epochs':>6} {'estimate':>9} {'measured':>9}"
    )
    longest = 0.0
    for hidden, batch_size, (points, test_fraction) in set_ups:
        config = Config(
            dataset="spirals3",
            points=points,
            test_fraction=test_fraction,
            hidden=hidden,
            batch_size=batch_size,
            features=tuple(FEATURES),
            optimizer="adam",
        )
        session = sessions.create(config)
        epochs = api.epochs_per_request(session.training)
        estimate = epochs * cost.training_epoch_cost(session.training) / 1e6
        start = time.perf_counter()
        api.train(session, {"epochs": epochs})
        measured = time.perf_counter() - start
        longest = max(longest, measured)
        print(
            f"{list(hidden)!s:<20} {batch_size:>5} {points:>6} {epochs:>6} "
            f"{estimate:>8.2f}s {measured:>8.2f}s"
        )
    print(
        f"the longest train request the server allows took {longest:.2f} s "
        f"(budget: an estimated {cost.MAX_COST_MICROSECONDS / 1e6:.2f} s)"
    )


if __name__ == "__main__":
    main()
