"""Data for Tensors: DataLoader's coverage and seeding, digits(), the IDX reader on
valid and corrupted files, and MNIST's download from a loopback HTTP server that
serves synthetic files (no network)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Tensor, data
from tinygrad_edu.data import (
    DataLoader,
    DatasetFileError,
    digits,
    download_mnist,
    load_mnist,
    read_idx,
)


def test_every_sample_comes_once_per_epoch_in_batches_with_a_partial_last_one() -> None:
    X, y = np.arange(23.0).reshape(23, 1), np.arange(23)
    loader = DataLoader(X, y, batch_size=5, seed=1)
    assert len(loader) == 5
    for _ in range(3):
        batches = list(loader)
        assert [len(labels) for _, labels in batches] == [5, 5, 5, 5, 3]
        assert all(isinstance(inputs, Tensor) and not inputs.requires_grad for inputs, _ in batches)
        seen = np.concatenate([labels for _, labels in batches])
        assert sorted(seen.tolist()) == list(range(23))
        assert all(np.array_equal(inputs.data[:, 0], labels) for inputs, labels in batches)


def test_the_same_seed_gives_the_same_epochs_and_each_epoch_a_new_order() -> None:
    X, y = np.zeros((50, 2)), np.arange(50)

    def epochs(seed: int) -> list[list[int]]:
        loader = DataLoader(X, y, batch_size=50, seed=seed)
        return [next(iter(loader))[1].tolist() for _ in range(2)]

    first, again, other = epochs(3), epochs(3), epochs(4)
    assert first == again and first != other
    assert first[0] != first[1]
    unshuffled = DataLoader(X, y, batch_size=50, shuffle=False)
    assert next(iter(unshuffled))[1].tolist() == list(range(50))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((np.zeros((3, 2)), np.zeros(4)), "one row per sample"),
        ((np.zeros((3, 2)), np.zeros(3), 0), "batch_size"),
        ((np.zeros((0, 2)), np.zeros(0)), "no samples"),
    ],
)
def test_dataloader_refuses_bad_arguments(arguments: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DataLoader(*arguments)


def test_digits_are_seeded_split_and_shaped_for_conv2d() -> None:
    pytest.importorskip("sklearn", reason="digits() reads scikit-learn's copy")
    X_train, y_train, X_test, y_test = digits(test_fraction=0.2, seed=0)
    assert X_train.shape == (1438, 1, 8, 8) and X_test.shape == (359, 1, 8, 8)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert set(y_test.tolist()) == set(range(10))
    again = digits(seed=0)
    assert np.array_equal(again[0], X_train) and np.array_equal(again[3], y_test)
    assert not np.array_equal(digits(seed=1)[1], y_train)


def test_digits_without_scikit_learn_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"tinygrad_edu\[datasets\]"):
        digits()


# ---------------------------------------------------------------------- IDX files


def idx_bytes(array: np.ndarray[Any, Any], magic_type: int = 0x08) -> bytes:
    header = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def synthetic_mnist(folder: Path, count: int = 7, seed: int = 0) -> dict[str, np.ndarray[Any, Any]]:
    """The four MNIST files, gzipped, with ``count`` random 28x28 images each."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, (images_name, labels_name) in data.MNIST_FILES.items():
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=count, dtype=np.uint8)
        (folder / images_name).write_bytes(gzip.compress(idx_bytes(images)))
        (folder / labels_name).write_bytes(gzip.compress(idx_bytes(labels)))
        arrays[split + " images"], arrays[split + " labels"] = images, labels
    return arrays


def test_load_mnist_reads_gzipped_and_plain_idx_files(tmp_path: Path) -> None:
    arrays = synthetic_mnist(tmp_path)
    images, labels = load_mnist(tmp_path, split="test")
    assert images.shape == (7, 1, 28, 28) and images.dtype == np.float64
    assert np.array_equal(images[:, 0] * 255, arrays["test images"])
    assert np.array_equal(labels, arrays["test labels"]) and labels.dtype == np.int64
    for name in data.MNIST_FILES["train"]:  # the same files, unzipped, without .gz
        plain = tmp_path / "plain" / name.removesuffix(".gz")
        plain.parent.mkdir(exist_ok=True)
        plain.write_bytes(gzip.decompress((tmp_path / name).read_bytes()))
    images, labels = load_mnist(tmp_path / "plain", split="train")
    assert np.array_equal(labels, arrays["train labels"])


def corrupted_files() -> dict[str, bytes]:
    images = np.zeros((2, 3, 3), dtype=np.uint8)
    good = idx_bytes(images)
    return {
        "empty": b"",
        "not IDX": b"PK\x03\x04 a zip file",
        "floats, not bytes": idx_bytes(images, magic_type=0x0D),
        "header cut short": good[:9],
        "truncated data": good[:-1],
        "padded data": good + b"\x00",
        "broken gzip": gzip.compress(good)[:-6],
    }


@pytest.mark.parametrize("case", sorted(corrupted_files()))
def test_a_corrupted_idx_file_is_refused_with_the_reason(tmp_path: Path, case: str) -> None:
    path = tmp_path / "file.idx"
    path.write_bytes(corrupted_files()[case])
    with pytest.raises(DatasetFileError, match=str(path)):
        read_idx(path)


def test_images_and_labels_that_do_not_match_are_refused(tmp_path: Path) -> None:
    synthetic_mnist(tmp_path)
    labels_name = data.MNIST_FILES["train"][1]
    (tmp_path / labels_name).write_bytes(gzip.compress(idx_bytes(np.zeros(6))))
    with pytest.raises(DatasetFileError, match=r"7 images but .* 6 labels"):
        load_mnist(tmp_path)
    (tmp_path / labels_name).write_bytes(gzip.compress(idx_bytes(np.full(7, 10))))
    with pytest.raises(DatasetFileError, match="not a digit"):
        load_mnist(tmp_path)
    (tmp_path / labels_name).write_bytes(gzip.compress(idx_bytes(np.zeros((7, 1)))))
    with pytest.raises(DatasetFileError, match="1 axis"):
        load_mnist(tmp_path)


def test_missing_files_say_how_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, split="validation")


# ---------------------------------------------------------------------- downloading


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # no lines in the test output
        pass


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving a folder of synthetic MNIST files."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def checksums_of(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.md5(path.read_bytes()).hexdigest() for path in folder.iterdir()}


def test_download_fetches_checks_and_caches(mirror: tuple[str, Path], tmp_path: Path) -> None:
    url, served = mirror
    arrays = synthetic_mnist(served)
    cache = tmp_path / "cache"
    paths = download_mnist(cache, mirror=url, checksums=checksums_of(served))
    assert sorted(path.name for path in paths) == sorted(data.MNIST_MD5)
    assert all(path.read_bytes() == (served / path.name).read_bytes() for path in paths)
    images, labels = load_mnist(cache, split="train")
    assert np.array_equal(images[:, 0] * 255, arrays["train images"])
    assert np.array_equal(labels, arrays["train labels"])
    for path in served.iterdir():  # the mirror is gone: the cache is used, nothing fetched
        path.unlink()
    assert len(download_mnist(cache, mirror=url, checksums=checksums_of(cache))) == 4


def test_load_mnist_downloads_what_is_missing(
    mirror: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, served = mirror
    arrays = synthetic_mnist(served, count=3)
    monkeypatch.setattr(data, "MNIST_MIRROR", url)
    monkeypatch.setattr(data, "MNIST_MD5", checksums_of(served))
    images, labels = load_mnist(tmp_path / "cache", split="test", download=True)
    assert images.shape == (3, 1, 28, 28) and np.array_equal(labels, arrays["test labels"])
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == sorted(
        data.MNIST_FILES["test"]
    )


def test_a_download_with_the_wrong_checksum_is_not_kept(
    mirror: tuple[str, Path], tmp_path: Path
) -> None:
    url, served = mirror
    synthetic_mnist(served)
    wrong = {name: "0" * 32 for name in data.MNIST_MD5}
    with pytest.raises(DatasetFileError, match="checksum mismatch"):
        download_mnist(tmp_path / "cache", mirror=url, checksums=wrong)
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_file_the_mirror_lacks_is_an_error_naming_the_address(
    mirror: tuple[str, Path], tmp_path: Path
) -> None:
    url, _ = mirror  # serves nothing: every request is a 404
    with pytest.raises(OSError, match=r"could not download .*404"):
        download_mnist(tmp_path / "cache", mirror=url)
    assert list((tmp_path / "cache").iterdir()) == []
    with pytest.raises(ValueError, match="http"):
        download_mnist(tmp_path, mirror="file:///etc/")
