"""Take a trained network home: as a model file, and as a short Python script.

The model file is the one ``Module.save`` writes for a scalar ``nn.MLP`` with the
network's architecture and weights, so ``tinygrad_edu.nn.load_module(path)`` (or
``MLP(...).load(path)``) reads it. The script rebuilds the network from that file,
computes the features the network was trained on, and prints its predictions for a
few of the training points: the same numbers the playground shows.
"""

from __future__ import annotations

from tinygrad_edu.playground.config import CUSTOM_DATASET
from tinygrad_edu.playground.datasets import DATASETS, FEATURES
from tinygrad_edu.playground.network import Training
from tinygrad_edu.playground.point_graph import scalar_model

MODEL_FILE = "playground_network.json"
SCRIPT_FILE = "playground_network.py"

FEATURE_CODE = {
    "x1": "x1",
    "x2": "x2",
    "x1sq": "x1 * x1",
    "x2sq": "x2 * x2",
    "x1x2": "x1 * x2",
    "sinx1": "math.sin(x1)",
    "sinx2": "math.sin(x2)",
}
"""Each feature of ``datasets.FEATURES`` as Python code on the point's x1 and x2."""

SAMPLE_POINTS = 4
"""How many training points the script predicts, as a check that it works."""


def model_file(training: Training) -> str:
    """The trained network as the text of a model file that ``load_module`` reads."""
    return scalar_model(training.network).file_text()


def script(training: Training) -> str:
    """A Python script that loads ``MODEL_FILE`` (kept beside it) and uses the network."""
    config = training.config
    features = ", ".join(FEATURE_CODE[name] for name in config.features)
    titles = ", ".join(FEATURES[name].title for name in config.features)
    dataset = (
        "your own points"
        if config.dataset == CUSTOM_DATASET
        else (f"{DATASETS[config.dataset].title} ({config.points} points, noise {config.noise:g})")
    )
    hidden = ", ".join(str(size) for size in config.hidden) or "none"
    samples = ", ".join(f"({x1!r}, {x2!r})" for x1, x2 in training.train.X[:SAMPLE_POINTS].tolist())
    probabilities = TWO_CLASSES if training.network.classes == 2 else MORE_CLASSES
    needs_math = "math." in features + probabilities
    return SCRIPT.format(
        imports="import math\n" if needs_math else "",
        dataset=dataset,
        seed=config.seed,
        hidden=hidden,
        activation=config.activation,
        optimizer=config.optimizer,
        learning_rate=f"{config.learning_rate:g}",
        epoch=training.epoch,
        test_loss=f"{training.test_losses[-1]:.4g}",
        model_file=MODEL_FILE,
        script_file=SCRIPT_FILE,
        titles=titles,
        features=features,
        probabilities=probabilities,
        samples=samples,
    )


TWO_CLASSES = """    # One output: the score z of class 1, and p(class 1) = sigmoid(z).
    score = model(features(x1, x2))
    p = score.sigmoid().data
    return [1 - p, p]"""

MORE_CLASSES = """    # One score per class; the probabilities are their softmax (largest score
    # taken out first, so that exp never overflows).
    scores = [output.data for output in model(features(x1, x2))]
    largest = max(scores)
    exps = [math.exp(score - largest) for score in scores]
    return [e / sum(exps) for e in exps]"""

SCRIPT = '''"""A network trained in the tinygrad_edu playground, rebuilt from its model file.

Data: {dataset}, seed {seed}. Hidden layers: {hidden}; activation {activation};
optimizer {optimizer}, learning rate {learning_rate}. Trained for {epoch} epochs,
to a test loss of {test_loss}.

Keep this file beside {model_file} and run it:  python {script_file}
"""

{imports}from pathlib import Path

from tinygrad_edu.nn import load_module

model = load_module(Path(__file__).with_name("{model_file}"))


def features(x1, x2):
    """The network's inputs for the point (x1, x2): {titles}."""
    return [{features}]


def probabilities(x1, x2):
    """The probability of each class at the point (x1, x2)."""
{probabilities}


if __name__ == "__main__":
    for x1, x2 in [{samples}]:
        shown = ", ".join(f"{{p:.6f}}" for p in probabilities(x1, x2))
        print(f"({{x1:.4f}}, {{x2:.4f}}): class probabilities {{shown}}")
'''
