"""The command line: ``python -m tinygrad_edu <command>`` or ``tinygrad-edu <command>``.

``demo`` trains the tutorial's network twice from the same start, once with
gradients from autograd and once with the tutorial's hand-derived gradients, and
shows that the two agree.

``graph`` draws a computation graph (the tutorial's worked example, or a formula you
type) as a table, a tree, a backward trace, DOT or a picture, and explains a gradient
by the chain rule.

``train digits|sequence|text`` runs the training demos of ``tinygrad_edu.demos`` on
Tensors: a CNN on handwritten digits, a GRU adding binary numbers, an LSTM on a text.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tinygrad_edu.data import PEOPLE, TEST_PEOPLE, people
from tinygrad_edu.expression import build_expression, parse_assignments
from tinygrad_edu.layers import Module
from tinygrad_edu.losses import mse_loss
from tinygrad_edu.optim import SGD
from tinygrad_edu.playground import DEFAULT_HOST, DEFAULT_PORT
from tinygrad_edu.trace import explain_gradient, trace_backward
from tinygrad_edu.train import fit, predict
from tinygrad_edu.tutorial import HandDerivedNetwork, tutorial_loss, tutorial_network
from tinygrad_edu.viz import (
    GraphvizError,
    GraphvizNotFoundError,
    find_value,
    graph_table,
    graph_tree,
    render_graph,
    to_dot,
)

DEMO_HELP = """\
Train the tutorial's 2-2-1 sigmoid network to tell gender from weight and height.

Two copies start from the same random weights (standard normal, drawn with --seed):
one gets its gradients from autograd (loss.backward()), the other from the chain
rule worked out by hand, as in the tutorial. Both take one SGD step per person,
w <- w - lr * dL/dw, for --epochs passes over Alice, Bob, Charlie and Diana.
Their losses agree to many digits: backpropagation *is* the hand derivation,
automated. Finally both predict Emily and Frank (1 = female, 0 = male).
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: sys.argv[1:]); return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(args.run(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-edu", description="A small, exact autograd framework for learning."
    )
    commands = parser.add_subparsers(dest="command", metavar="command")
    demo = commands.add_parser(
        "demo",
        help="train the tutorial's network with autograd and by hand, side by side",
        description=DEMO_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("--seed", type=_seed, default=0, help="seed of the random start (default 0)")
    demo.add_argument(
        "--epochs", type=_positive_int, default=1000, help="passes over the data (default 1000)"
    )
    demo.add_argument("--lr", type=_positive_float, default=0.1, help="learning rate (default 0.1)")
    demo.add_argument(
        "--every",
        type=_positive_int,
        default=100,
        help="print the loss every N epochs (default 100)",
    )
    demo.set_defaults(run=run_demo)
    _add_graph_command(commands)
    _add_playground_command(commands)
    _add_train_command(commands)
    return parser


def run_demo(args: argparse.Namespace) -> int:
    """Train both networks and print their losses and predictions side by side."""
    X, y = people()
    names = ", ".join(person.name for person in PEOPLE)
    print(f"Training the tutorial's 2-2-1 network on {names}")
    print(
        f"seed {args.seed}, learning rate {args.lr}, {args.epochs} epochs, one person at a time\n"
    )

    model = tutorial_network(seed=args.seed)
    by_hand = HandDerivedNetwork(seed=args.seed)
    autograd_losses = fit(model, X, y, mse_loss, SGD(model.parameters(), lr=args.lr), args.epochs)
    hand_losses = by_hand.train(X, y, lr=args.lr, epochs=args.epochs)

    print(f"{'epoch':>6}  {'autograd loss':>14}  {'hand-derived loss':>18}")
    for epoch in range(args.every, args.epochs + 1, args.every):
        print(f"{epoch:>6}  {autograd_losses[epoch - 1]:>14.6f}  {hand_losses[epoch - 1]:>18.6f}")
    gap = max(abs(a - b) for a, b in zip(autograd_losses, hand_losses))
    print(f"largest difference between the two losses over all epochs: {gap:.1e}\n")

    print(f"{'':8}{'autograd':>14}{'hand-derived':>16}")
    predictions = predict(model, [person.features for person in TEST_PEOPLE])
    for person, prediction in zip(TEST_PEOPLE, predictions):
        hand = by_hand.feedforward(person.features)
        print(f"{person.name:8}{_verdict(prediction.data):>14}{_verdict(hand):>16}")
    return 0


GRAPH_HELP = """\
Draw a computation graph, after running backward through it, so that every Value
shows its data and its grad.

Without a formula: the tutorial's worked example, the loss L = (y_true - y_pred)**2
of its 2-2-1 network on Alice with all weights 1 and all biases 0 (or the random
start of --seed, or another --person). With a formula: its graph, e.g.

  tinygrad-edu graph "tanh(a*b + c)" a=2 b=-3 c=10 --format svg --output graph.svg
  tinygrad-edu graph --explain w1
  tinygrad-edu graph --format html -o stepper.html   (step through backprop in a browser)

A formula may use numbers, the names you give values to, + - * / **, and the
functions exp, log, tanh, sigmoid, relu, leaky_relu, softplus, sqrt, abs. A formula
that starts with "-" goes after "--": tinygrad-edu graph -- "-a*b" a=1 b=2.
"""

GRAPH_FORMATS = ("text", "tree", "trace", "dot", "svg", "png", "pdf", "html")
PICTURE_FORMATS = ("svg", "png", "pdf", "html")
SUFFIX_FORMATS = {
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
    ".dot": "dot",
    ".gv": "dot",
    ".html": "html",
    ".htm": "html",
}
"""The format an --output file's suffix asks for, when --format is not given."""


def _add_graph_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    graph = commands.add_parser(
        "graph",
        help="draw a computation graph and explain its gradients",
        description=GRAPH_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    graph.add_argument("formula", nargs="?", help='a formula such as "tanh(a*b + c)"')
    graph.add_argument("values", nargs="*", metavar="name=value", help="a value for each name")
    graph.add_argument(
        "--format",
        choices=GRAPH_FORMATS,
        help="text (a table, the default), tree, trace (backward step by step), dot, a "
        "picture: svg, png, pdf, or html: a page to step through forward and backward "
        "(these need Graphviz's dot program)",
    )
    graph.add_argument(
        "-o",
        "--output",
        help="file to write (pictures and pages default to graph.FORMAT); without "
        "--format, its suffix (.svg, .png, .pdf, .dot, .html) picks the format",
    )
    graph.add_argument("--explain", metavar="LABEL", help="explain d(output)/d(LABEL)")
    graph.add_argument("--highlight", metavar="LABEL", help="draw the paths from LABEL in red")
    graph.add_argument(
        "--local-grads", action="store_true", help="write local derivatives on the edges"
    )
    graph.add_argument("--rankdir", choices=("LR", "TB"), default="LR", help="layout direction")
    graph.add_argument("--seed", type=_seed, help="the tutorial network's random start instead")
    graph.add_argument(
        "--person",
        choices=[person.name for person in PEOPLE],
        default="Alice",
        help="whose loss (default Alice)",
    )
    graph.set_defaults(run=run_graph)


def run_graph(args: argparse.Namespace) -> int:
    """Build the graph, run backward (traced), and show or write it as asked."""
    try:
        model = None  # the tutorial's network: its leaves w1..b3 are drawn as parameters
        if args.formula is None:
            person = next(person for person in PEOPLE if person.name == args.person)
            root, model = tutorial_loss(person, seed=args.seed)
        else:
            root = build_expression(args.formula, parse_assignments(args.values))
            root.label = root.label or args.formula.strip()  # name the output by its formula
        format = _output_format(args.format, args.output)
        trace = trace_backward(root)
        if args.explain:
            print(explain_gradient(root, find_value(root, args.explain)))
        if args.format is None and args.output is None and args.explain:
            return 0
        options = {
            "model": model,
            "rankdir": args.rankdir,
            "show_local_grads": args.local_grads,
            "highlight": find_value(root, args.highlight) if args.highlight else None,
        }
        if format in PICTURE_FORMATS:
            path = render_graph(root, args.output or f"graph.{format}", format, **options)
            print(f"wrote {path}")
            return 0
        texts = {
            "text": lambda: graph_table(root, model=model),
            "tree": lambda: graph_tree(root, model=model),
            "trace": lambda: str(trace),
            "dot": lambda: to_dot(root, **options),
        }
        text = texts[format]()
        if args.output is None:
            print(text)
        else:
            Path(args.output).write_text(text + "\n", encoding="utf-8")
            print(f"wrote {args.output}")
    except (GraphvizNotFoundError, GraphvizError) as error:
        print(f"tinygrad-edu graph: {error}", file=sys.stderr)
        return 1
    except (ValueError, ZeroDivisionError, OSError) as error:
        print(f"tinygrad-edu graph: {error}", file=sys.stderr)
        return 2
    return 0


PLAYGROUND_HELP = """\
Start the playground: a page in your browser where a network learns 2-D data while
you watch (data, features, layers, activation, learning rate, optimizer: all yours),
and where a click on any point opens its computation graph, to step through its
forward pass and its backpropagation with the numbers.

It runs a small server on this machine (127.0.0.1: no one else can reach it) and
opens the page. Ctrl-C stops it.
"""


def _add_playground_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    playground = commands.add_parser(
        "playground",
        help="watch a network learn in your browser, and step through one point's backprop",
        description=PLAYGROUND_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    playground.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT}; 0: any free one)",
    )
    playground.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    playground.add_argument(
        "--no-browser", action="store_true", help="do not open the page in a browser"
    )
    playground.set_defaults(run=run_playground)


def run_playground(args: argparse.Namespace) -> int:
    """Serve the playground until Ctrl-C."""
    # Imported here: the server is not needed by the other commands.
    from tinygrad_edu.playground.server import serve

    return serve(args.host, args.port, open_browser=not args.no_browser)


def _port(text: str) -> int:
    number = int(text)
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text}")
    return number


def _output_format(format: str | None, output: str | None) -> str:
    """The format to write: --format, else the one --output's suffix names, else text.
    A picture suffix with a text format is refused: text in a .png is no picture."""
    wanted = SUFFIX_FORMATS.get(Path(output).suffix.lower()) if output else None
    if format is None:
        return wanted or "text"
    if wanted is not None and wanted != format:
        raise ValueError(
            f"--output {output} asks for {wanted}, but --format is {format}: "
            f"use --format {wanted}, or another file name"
        )
    return format


TRAIN_HELP = """\
Train a network on Tensors and watch it learn: a progress bar (on a terminal) and one
line per epoch with the loss and accuracy. The same --seed gives the same run.

  tinygrad-edu train digits --pictures filters.png   a CNN on 8x8 handwritten digits
  tinygrad-edu train sequence                        a GRU adds binary numbers
  tinygrad-edu train text notes.txt                  a character-level LSTM on a text

--save FILE keeps the trained model (.npz or .json; load it with model.load(FILE)),
--plot FILE.png draws the loss and accuracy curves (needs matplotlib).
"""

TRAIN_DEMOS = {
    # name: (help, epochs, learning rate, batch size)
    "digits": ("a small CNN on scikit-learn's 8x8 handwritten digits", 8, 0.01, 32),
    "sequence": ("a GRU learns to add two 8-bit binary numbers, bit by bit", 6, 0.01, 32),
    "text": ("a character-level LSTM on a text file, with truncated BPTT", 10, 0.005, 16),
}


def _add_train_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = commands.add_parser(
        "train",
        help="train a CNN, a GRU or a character-level LSTM, with a progress bar",
        description=TRAIN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demos = train.add_subparsers(dest="demo", metavar="demo", required=True)
    for name, (summary, epochs, lr, batch_size) in TRAIN_DEMOS.items():
        demo = demos.add_parser(name, help=summary, description=summary)
        if name == "text":
            demo.add_argument("file", help="a UTF-8 text file to learn")
        demo.add_argument(
            "--epochs", type=_positive_int, default=epochs, help=f"(default {epochs})"
        )
        demo.add_argument("--lr", type=_positive_float, default=lr, help=f"(default {lr})")
        demo.add_argument(
            "--batch-size", type=_positive_int, default=batch_size, help="(default %(default)s)"
        )
        demo.add_argument("--seed", type=_seed, default=0, help="seed of the whole run (default 0)")
        demo.add_argument(
            "--save", type=_model_file, metavar="FILE", help="save the model: .npz or .json"
        )
        demo.add_argument("--plot", type=_png_file, metavar="PNG", help="draw the curves as a PNG")
        if name == "digits":
            demo.add_argument(
                "--pictures",
                type=_png_file,
                metavar="PNG",
                help="draw the learned filters and some misclassified digits as a PNG",
            )
        if name == "text":
            for option, default in (
                ("--sequence-length", 32),
                ("--hidden-size", 128),
                ("--sample-length", 120),
            ):
                demo.add_argument(
                    option, type=_positive_int, default=default, help=f"(default {default})"
                )
    train.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    """Run one training demo; missing optional packages and bad files are reported."""
    from tinygrad_edu import demos

    # The files are written after training: a folder that is not there would otherwise
    # be found only then, with the whole run lost.
    outputs = {
        "--save": args.save,
        "--plot": args.plot,
        "--pictures": getattr(args, "pictures", None),
    }
    for option, path in outputs.items():
        problem = _unwritable(path) if path else None
        if problem:
            print(f"tinygrad-edu train {args.demo}: {option} {path}: {problem}", file=sys.stderr)
            return 2
    common = {"epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size}
    try:
        if args.plot or getattr(args, "pictures", None):
            from tinygrad_edu.plots import require_matplotlib

            require_matplotlib()
        model: Module
        with demos.one_blas_thread():
            if args.demo == "digits":
                model, history, test = demos.train_digits(**common, seed=args.seed)
                if args.pictures:
                    print(f"wrote {demos.draw_digit_pictures(model, test, args.pictures)}")
            elif args.demo == "sequence":
                model, history = demos.train_sequence(**common, seed=args.seed)
            else:
                model, history, _ = demos.train_text(
                    args.file,
                    sequence_length=args.sequence_length,
                    hidden_size=args.hidden_size,
                    sample_length=args.sample_length,
                    **common,
                    seed=args.seed,
                )
        demos.finish(model, history, args.save, args.plot, args.demo, sys.stdout)
    except ImportError as error:
        print(f"tinygrad-edu train: {error}", file=sys.stderr)
        return 1
    except (ValueError, OSError, UnicodeDecodeError) as error:
        print(f"tinygrad-edu train {args.demo}: {error}", file=sys.stderr)
        return 2
    return 0


def _unwritable(path: str) -> str | None:
    """Why a file could not be written at ``path``, or None if it could (as far as
    can be told before writing it)."""
    target = Path(path)
    folder = target.parent  # Path("model.npz").parent is Path("."), the current folder
    if target.is_dir():
        return "that is a folder; give a file name"
    if not folder.exists():
        return f"there is no folder {folder}"
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable"
    return None


def _model_file(text: str) -> str:
    if not text.endswith((".npz", ".json")):
        raise argparse.ArgumentTypeError(f"the model file must end in .npz or .json, got {text}")
    return text


def _png_file(text: str) -> str:
    if not text.lower().endswith(".png"):
        raise argparse.ArgumentTypeError(f"the picture must be a .png file, got {text}")
    return text


def _verdict(probability_female: float) -> str:
    return f"{probability_female:.3f} {'F' if probability_female > 0.5 else 'M'}"


def _positive_int(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return number


def _positive_float(text: str) -> float:
    number = float(text)
    if not (number > 0 and math.isfinite(number)):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return number


def _seed(text: str) -> int:
    number = int(text)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text}")
    return number


if __name__ == "__main__":
    sys.exit(main())
