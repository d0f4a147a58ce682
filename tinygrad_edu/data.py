"""Data to learn from: the tutorial's people, small 2-D sets to try next, and, for
Tensors, mini-batches (``DataLoader``), handwritten digits (``digits``) and the MNIST
files (``load_mnist``).

Every generator takes a ``seed``: the same seed gives the same points.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import struct
import urllib.request
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_edu.checks import random_generator, real_number, shown, whole_number
from tinygrad_edu.tensor import Tensor

Dataset = tuple["np.ndarray[Any, np.dtype[np.float64]]", "np.ndarray[Any, np.dtype[np.float64]]"]
"""``(X, y)``: an (n, 2) array of points and an (n,) array of 0/1 labels."""

WEIGHT_SHIFT_LB = 135
HEIGHT_SHIFT_IN = 66
"""The tutorial subtracts these (roughly the group's averages) so inputs sit near 0,
where the sigmoid is steep and learning is quick."""


@dataclass(frozen=True)
class Person:
    """One row of the tutorial's table; gender is 1 for female, 0 for male."""

    name: str
    weight_lb: float
    height_in: float
    gender: int | None = None

    @property
    def features(self) -> list[float]:
        """[weight - 135, height - 66]: the inputs the tutorial's network sees."""
        return [self.weight_lb - WEIGHT_SHIFT_LB, self.height_in - HEIGHT_SHIFT_IN]


PEOPLE = (
    Person("Alice", 133, 65, gender=1),
    Person("Bob", 160, 72, gender=0),
    Person("Charlie", 152, 70, gender=0),
    Person("Diana", 120, 60, gender=1),
)
"""The four people the tutorial trains on."""

TEST_PEOPLE = (Person("Emily", 128, 63), Person("Frank", 155, 68))
"""The two people the tutorial asks the trained network about."""


def people() -> Dataset:
    """The tutorial's training set: X holds [weight - 135, height - 66], y is 1 for F."""
    return (
        np.array([person.features for person in PEOPLE], dtype=np.float64),
        np.array([person.gender for person in PEOPLE], dtype=np.float64),
    )


def xor(n: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Points near the four corners of [-1, 1]^2; label 1 where x and y differ in sign.

    No straight line separates the classes: a network needs a hidden layer.
    """
    generator = _generator(n, noise, seed)
    corners = generator.choice([-1.0, 1.0], size=(n, 2))
    X = corners + noise * generator.standard_normal((n, 2))
    y = (corners[:, 0] != corners[:, 1]).astype(np.float64)
    return X, y


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles, label 0 for the upper one and 1 for the lower."""
    generator = _generator(n, noise, seed)
    upper = n // 2
    angles = np.concatenate([np.linspace(0, np.pi, upper), np.linspace(0, np.pi, n - upper)])
    X = np.column_stack([np.cos(angles), np.sin(angles)])
    X[upper:] = np.column_stack([1 - X[upper:, 0], 0.5 - X[upper:, 1]])
    y = np.concatenate([np.zeros(upper), np.ones(n - upper)])
    return _shuffled(X + noise * generator.standard_normal((n, 2)), y, generator)


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Dataset:
    """A ring of radius 1 (label 0) around a ring of radius ``factor`` (label 1)."""
    factor = real_number("factor", factor, above=0.0, below=1.0)
    generator = _generator(n, noise, seed)
    outer = n // 2
    angles = generator.uniform(0, 2 * np.pi, n)
    radii = np.where(np.arange(n) < outer, 1.0, factor)
    X = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    y = (np.arange(n) >= outer).astype(np.float64)
    return _shuffled(X + noise * generator.standard_normal((n, 2)), y, generator)


def spirals(
    n: int = 200, noise: float = 0.05, turns: float = 1.5, seed: int = 0, classes: int = 2
) -> Dataset:
    """``classes`` spirals winding around each other, one per label 0, 1, ...: hard for
    small networks. Spiral k starts at angle 2*pi*k/classes."""
    turns = real_number("turns", turns, above=0.0)
    generator = _generator(n, noise, seed)
    if whole_number("classes", classes, minimum=2) > n:
        raise ValueError(f"classes must be at most n={n}, got {shown(classes)}")
    sizes = [n // classes] * (classes - 1)
    sizes.append(n - sum(sizes))
    labels = np.repeat(np.arange(classes, dtype=np.float64), sizes)
    radii = np.concatenate([np.linspace(0.1, 1, size) for size in sizes])
    angles = radii * turns * 2 * np.pi + 2 * np.pi * labels / classes
    X = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    return _shuffled(X + noise * generator.standard_normal((n, 2)), labels, generator)


def gaussians(n: int = 200, noise: float = 0.1, spread: float = 0.35, seed: int = 0) -> Dataset:
    """Two round clouds of points: label 0 around (-1, -1), label 1 around (1, 1).

    Each cloud is normal with standard deviation ``spread``; ``noise`` adds more, as in
    the other sets, until the clouds overlap. A straight line separates them.
    """
    spread = real_number("spread", spread, at_least=0.0)
    generator = _generator(n, noise, seed)
    first = n // 2
    labels = (np.arange(n) >= first).astype(np.float64)
    centres = np.where(labels[:, None] == 1.0, 1.0, -1.0) * np.ones((n, 2))
    deviation = float(np.hypot(spread, noise))  # two independent normal spreads add so
    X = centres + deviation * generator.standard_normal((n, 2))
    return _shuffled(X, labels, generator)


def _generator(n: int, noise: float, seed: int) -> np.random.Generator:
    """The seeded generator, once the arguments every set takes are checked."""
    whole_number("n", n, minimum=2)
    real_number("noise", noise, at_least=0.0)
    return random_generator("seed", seed)


def _seeded(seed: Any) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {shown(seed)}")
    return np.random.default_rng(int(seed))


def _shuffled(
    X: np.ndarray[Any, np.dtype[np.float64]],
    y: np.ndarray[Any, np.dtype[np.float64]],
    generator: np.random.Generator,
) -> Dataset:
    """The points in random order, so that mini-batches mix both labels."""
    order = generator.permutation(len(y))
    return X[order], y[order]


# ---------------------------------------------------------------------- mini-batches


class DataLoader:
    """Mini-batches of (X, y) for training on Tensors: each ``for`` loop over it is one
    epoch, in which every sample comes exactly once, in batches of ``batch_size`` (the
    last one smaller if the count does not divide). With ``shuffle`` the order is new
    each epoch and drawn from ``seed``: the same seed gives the same epochs.

    Each batch is ``(Tensor of X's rows, ndarray of y's)``: inputs become Tensors, labels
    stay an array (class indices for ``cross_entropy``). As ``torch.utils.data.DataLoader``
    over a ``TensorDataset``, which returns tensors for both.
    """

    def __init__(
        self, X: Any, y: Any, batch_size: int = 32, shuffle: bool = True, seed: int = 0
    ) -> None:
        inputs = X.data if isinstance(X, Tensor) else np.asarray(X)
        labels = y.data if isinstance(y, Tensor) else np.asarray(y)
        if inputs.ndim == 0 or labels.ndim == 0 or len(inputs) != len(labels):
            raise ValueError(
                f"DataLoader: X and y need one row per sample, got shapes {inputs.shape} "
                f"and {labels.shape}"
            )
        if len(inputs) == 0:
            raise ValueError("DataLoader: there are no samples")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                f"DataLoader: batch_size must be a whole number >= 1, not {shown(batch_size)}"
            )
        if not isinstance(shuffle, bool):
            raise TypeError(f"DataLoader: shuffle must be True or False, got {shown(shuffle)}")
        self.X, self.y = inputs, labels
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._generator = _seeded(seed)

    def __len__(self) -> int:
        """The number of batches per epoch."""
        return -(-len(self.X) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, np.ndarray[Any, Any]]]:
        count = len(self.X)
        order = self._generator.permutation(count) if self.shuffle else np.arange(count)
        for start in range(0, count, self.batch_size):
            rows = order[start : start + self.batch_size]
            yield Tensor(self.X[rows]), self.y[rows]


# ---------------------------------------------------------------------- handwritten digits

DIGITS_HINT = (
    "digits() reads the 8x8 handwritten digits that scikit-learn ships inside its wheel; "
    "install it with: pip install 'tinygrad_edu[datasets]' (or pip install scikit-learn)"
)


def digits(test_fraction: float = 0.2, seed: int = 0) -> tuple[Any, Any, Any, Any]:
    """The 1797 handwritten digits of scikit-learn (8x8 pixels, classes 0-9), shuffled
    with ``seed`` and split: ``X_train, y_train, X_test, y_test``.

    X is float64 of shape (N, 1, 8, 8) (one grey channel, as conv2d expects) in [0, 1]
    (the files' 0-16 divided by 16); y holds int64 class indices.
    """
    if not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise ValueError(f"digits: test_fraction must be between 0 and 1, got {test_fraction!r}")
    try:
        from sklearn.datasets import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
            load_digits,
        )
    except ImportError:
        raise ImportError(DIGITS_HINT) from None
    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float64).reshape(-1, 1, 8, 8) / 16.0
    labels = np.asarray(bunch.target, dtype=np.int64)
    order = _seeded(seed).permutation(len(labels))
    test_count = round(len(labels) * test_fraction)
    test, train = order[:test_count], order[test_count:]
    return images[train], labels[train], images[test], labels[test]


# ---------------------------------------------------------------------- MNIST files

MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
"""The published MD5 sums of the four files (MD5 checks that a download is intact; it
is no protection against a forger, which a mirror of public data does not need)."""

IDX_UNSIGNED_BYTE = 0x08


class DatasetFileError(ValueError):
    """A data file that is truncated, corrupted, or not what its name says."""


def load_mnist(folder: str | Path, split: str = "train", download: bool = False) -> tuple[Any, Any]:
    """MNIST's images and labels for ``split`` ("train": 60,000; "test": 10,000) from the
    standard IDX files in ``folder`` (gzipped, as published, or not).

    Returns images of shape (N, 1, 28, 28), float64 in [0, 1], and int64 labels 0-9.
    With ``download=True``, files that are missing are first fetched from
    ``MNIST_MIRROR`` into ``folder`` and checked against ``MNIST_MD5``.
    Every header is checked: magic number, sizes, counts, and the length of the data.
    """
    if split not in MNIST_FILES:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    folder = Path(folder)
    names = MNIST_FILES[split]
    if download:
        download_mnist(folder, names)
    paths = [_existing_idx_file(folder, name) for name in names]
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3 or labels.ndim != 1:
        raise DatasetFileError(
            f"{paths[0].name} must hold images (3 axes) and {paths[1].name} labels (1 axis); "
            f"they have {images.ndim} and {labels.ndim}"
        )
    if len(images) != len(labels):
        raise DatasetFileError(
            f"{paths[0].name} holds {len(images)} images but {paths[1].name} {len(labels)} labels"
        )
    if labels.size and labels.max() > 9:
        raise DatasetFileError(f"{paths[1].name}: a label is {labels.max()}, not a digit 0-9")
    pictures = images.reshape(len(images), 1, *images.shape[1:]).astype(np.float64) / 255.0
    return pictures, labels.astype(np.int64)


def read_idx(path: str | Path) -> np.ndarray[Any, Any]:
    """The array in an IDX file of unsigned bytes (gzipped or not): a 4-byte magic
    number 0, 0, 8, ndim; ndim sizes as big-endian 32-bit ints; then the bytes."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip's magic number, whatever the file is called
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise DatasetFileError(f"{path}: a broken gzip file ({error})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DatasetFileError(f"{path} is not an IDX file (its first bytes are {raw[:4]!r})")
    if raw[2] != IDX_UNSIGNED_BYTE:
        raise DatasetFileError(
            f"{path}: data type {raw[2]:#04x}, but MNIST's files hold unsigned bytes (0x08)"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DatasetFileError(f"{path}: a header of {ndim} sizes is missing or cut short")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = math.prod(shape)
    if len(raw) - header != expected:
        raise DatasetFileError(
            f"{path}: the header promises {expected} bytes of shape {shape}, the file holds "
            f"{len(raw) - header} (truncated or padded)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def download_mnist(
    folder: str | Path,
    names: Sequence[str] | None = None,
    mirror: str | None = None,
    checksums: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> list[Path]:
    """Fetch the MNIST files ``names`` (default: all four) that ``folder`` lacks from
    ``mirror`` (default ``MNIST_MIRROR``), checking each against ``checksums`` (default
    ``MNIST_MD5``) before it is kept. A file whose sum differs is deleted, and the error
    says so. Returns the paths of the files."""
    checksums = MNIST_MD5 if checksums is None else checksums
    mirror = MNIST_MIRROR if mirror is None else mirror
    if not mirror.startswith(("http://", "https://")):
        raise ValueError(f"download_mnist: the mirror must be an http(s) address, got {mirror!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in checksums if names is None else names:
        if name not in checksums:
            raise ValueError(f"download_mnist: no checksum known for {name!r}")
        path = folder / name
        if not path.exists():
            _download(mirror.rstrip("/") + "/" + name, path, checksums[name], timeout)
        paths.append(path)
    return paths


def _download(url: str, path: Path, md5: str, timeout: float) -> None:
    """url's bytes into path, through a temporary file, kept only if its MD5 is md5."""
    partial = path.with_name(path.name + ".part")
    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, partial.open("wb") as out:
            while block := response.read(1 << 20):
                digest.update(block)
                out.write(block)
    except OSError as error:  # URLError, HTTPError and timeouts are OSErrors
        partial.unlink(missing_ok=True)
        raise OSError(f"could not download {url}: {error}") from None
    if digest.hexdigest() != md5:
        partial.unlink()
        raise DatasetFileError(
            f"{url}: checksum mismatch (MD5 {digest.hexdigest()}, expected {md5}): the "
            "download is corrupted or the mirror serves another file; nothing was kept"
        )
    partial.replace(path)


def _existing_idx_file(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"load_mnist: {name} (or {name.removesuffix('.gz')}) is not in {folder}; "
        "pass download=True to fetch it"
    )
