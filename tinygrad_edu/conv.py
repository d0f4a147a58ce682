"""Convolution and pooling on Tensors of images, in PyTorch's NCHW layout.

Images come as a 4-D tensor of shape (N, C, H, W): N images, C channels (1 for grey,
3 for colour), H rows and W columns. A **convolution** slides a small stack of
weights, the kernel, over every position of the image and takes a dot product there:

    out[n, o, p, q] = bias[o] + sum over c, i, j of
                      weight[o, c, i, j] * x[n, c, p * stride + i, q * stride + j]

(x padded with ``padding`` zeros on every side first). Each of the ``out_channels``
kernels is one feature detector (an edge, a stroke) applied everywhere in the image.

Sliding a dot product over every position is a Python loop over pixels. **im2col**
turns it into one matrix product: copy every window of the image into one row of a
matrix ``columns`` (shape (N * H_out * W_out, C * kh * kw)), flatten each kernel into
one row of ``weight.reshape(O, -1)``, and then ``columns @ kernels.T`` computes every
dot product at once. numpy's ``sliding_window_view`` (a stride trick: a view that
shows the same memory once per window, no copy) gives the windows.

Backward is two more matrix products: d(loss)/d(weight) = g_rows.T @ columns, and
d(loss)/d(columns) = g_rows @ kernels, whose rows are added back onto the image
positions they were copied from (**col2im**; one vectorised add per kernel offset).

**Pooling** shrinks an image: ``max_pool2d`` keeps each window's largest value (its
gradient goes to that one element, the first if several tie, as in PyTorch), and
``avg_pool2d`` its mean (its gradient is shared evenly by the window).

These ops have their own vector-Jacobian rules, registered in ``VJP_RULES`` like the
engine's. Each backward is itself written as ops with rules (the gradient of a
convolution with respect to its input is a "transposed convolution", whose gradient is
a convolution again), so ``backward(create_graph=True)`` works through them too.

Where PyTorch differs: its ``conv2d`` also takes dilation and groups, its pools take
padding, dilation and ceil_mode, and all of them accept an unbatched (C, H, W) image;
these take a batch (N, C, H, W) and the options above only. PyTorch's CPU convolution
picks among several algorithms; this one is always im2col.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from tinygrad_edu.tensor import VJP_RULES, Tensor, _keep_numpy_quiet, _result, _sum

__all__ = ["avg_pool2d", "conv2d", "max_pool2d"]

Array = np.ndarray[Any, Any]
Pair = tuple[int, int]
Size = int | tuple[int, int]
"""A size for both axes (3), or for rows and columns apart ((3, 5))."""


def conv2d(
    x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Size = 1, padding: Size = 0
) -> Tensor:
    """The 2-D convolution (as PyTorch's, a cross-correlation: the kernel is not flipped)
    of images x (N, C, H, W) with kernels ``weight`` (O, C, kh, kw), plus ``bias`` (O,):

        out[n, o, p, q] = bias[o] + sum_{c, i, j} weight[o, c, i, j] * x_pad[n, c, p*s + i, q*s + j]

    of shape (N, O, H_out, W_out), H_out = (H + 2 * padding - kh) // stride + 1.
    """
    x, weight = _checked_tensor(x, "conv2d", "x"), _checked_tensor(weight, "conv2d", "weight")
    stride_pair = _checked_pair(stride, "conv2d", "stride", smallest=1)
    padding_pair = _checked_pair(padding, "conv2d", "padding", smallest=0)
    _check_images(x, "conv2d")
    if weight.ndim != 4:
        raise ValueError(
            f"conv2d: weight must be 4-D (out_channels, in_channels, kh, kw), got shape "
            f"{weight.shape}"
        )
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"conv2d: x has {x.shape[1]} channels (shape {x.shape}) but weight expects "
            f"{weight.shape[1]} (shape {weight.shape})"
        )
    _output_size(x.shape, weight.shape[2:], stride_pair, padding_pair, "conv2d")
    if bias is not None:
        bias = _checked_tensor(bias, "conv2d", "bias")
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"conv2d: bias must have shape ({weight.shape[0]},), one per kernel, got "
                f"{bias.shape}"
            )
    _keep_numpy_quiet()  # inf * 0 in the product is nan, without a numpy warning
    out: Tensor = _convolve(x, weight, stride_pair, padding_pair, bias)
    return out


def max_pool2d(x: Tensor, kernel_size: Size, stride: Size | None = None) -> Tensor:
    """The largest value of each kernel_size window, windows ``stride`` apart (default:
    kernel_size, side by side): shape (N, C, H_out, W_out), H_out = (H - kh) // stride + 1.

    Its gradient goes to the window's maximum; among tied maxima, to the first (in
    reading order), as in PyTorch. An element that is the maximum of several
    overlapping windows gets the sum of their gradients.
    """
    x, kernel, stride_pair = _checked_pool(x, kernel_size, stride, "max_pool2d")
    rows, cols = _output_size(x.shape, kernel, stride_pair, (0, 0), "max_pool2d")
    # Element (i, j) of every window at once, one strided slice per kernel offset.
    elements = [x.data[_offset(i, j, rows, cols, stride_pair)] for i, j in np.ndindex(*kernel)]
    largest = functools.reduce(np.maximum, elements)  # NaN wins, as in PyTorch
    # Where it is (i * kw + j): the first element equal to it, as PyTorch picks among
    # ties, found by going through the offsets from the last to the first.
    position = np.zeros(largest.shape, dtype=np.intp)
    for offset in range(len(elements) - 1, -1, -1):
        np.copyto(position, offset, where=elements[offset] == largest)
    if np.isnan(largest).any():  # a NaN equals nothing: the last NaN is PyTorch's pick
        for offset, element in enumerate(elements):
            np.copyto(position, offset, where=np.isnan(element))
    saved = {"position": position, "kernel": kernel, "stride": stride_pair}
    return _result("max_pool2d", largest, (x,), saved)


def avg_pool2d(x: Tensor, kernel_size: Size, stride: Size | None = None) -> Tensor:
    """The mean of each kernel_size window, windows ``stride`` apart (default:
    kernel_size): shape (N, C, H_out, W_out), H_out = (H - kh) // stride + 1."""
    x, kernel, stride_pair = _checked_pool(x, kernel_size, stride, "avg_pool2d")
    _keep_numpy_quiet()  # inf + -inf in a window is nan, without a numpy warning
    out: Tensor = _average(x, kernel, stride_pair)
    return out


# ---------------------------------------------------------------------- the computations
# Each function below runs on ndarrays (the fast path of ordinary backward) or, given a
# Tensor, records itself as an op of the graph (create_graph=True), as the engine's rules do.


def _convolve(x: Any, weight: Any, stride: Pair, padding: Pair, bias: Any = None) -> Any:
    """conv2d: im2col, then one matrix product (and the bias added to its rows)."""
    if isinstance(x, Tensor) or isinstance(weight, Tensor):
        x, weight = _as_tensor(x), _as_tensor(weight)
        inputs = (x, weight) if bias is None else (x, weight, bias)
        data, columns = _convolve_arrays(x.data, weight.data, stride, padding, _data(bias))
        # The columns are kept for the weight's gradient, which needs them again.
        saved = {"stride": stride, "padding": padding, "columns": columns}
        return _result("conv2d", data, inputs, saved)
    return _convolve_arrays(x, weight, stride, padding, bias)[0]


def _convolve_arrays(
    x: Array, weight: Array, stride: Pair, padding: Pair, bias: Array | None = None
) -> tuple[Array, Array]:
    """The convolution of arrays, and the im2col matrix it multiplied."""
    out_channels, kernel = weight.shape[0], weight.shape[2:]
    columns, (n, rows, cols) = _im2col(_pad(x, padding), kernel, stride)
    out = columns @ weight.reshape(out_channels, -1).T  # (N * rows * cols, O)
    if bias is not None:
        out += bias  # one bias per column of out: per kernel
    # Copied into NCHW order: the element-wise ops that follow run faster on it.
    nchw = np.ascontiguousarray(out.reshape(n, rows, cols, out_channels).transpose(0, 3, 1, 2))
    return nchw, columns


def _convolve_input_grad(
    g: Any, weight: Any, input_shape: tuple[int, ...], stride: Pair, padding: Pair
) -> Any:
    """d(loss)/dx of a convolution, given g = d(loss)/d(out): every output position
    sends g times the kernel back onto the window it read (a transposed convolution)."""
    if isinstance(g, Tensor) or isinstance(weight, Tensor):
        g, weight = _as_tensor(g), _as_tensor(weight)
        data = _convolve_input_grad(g.data, weight.data, input_shape, stride, padding)
        saved = {"input_shape": input_shape, "stride": stride, "padding": padding}
        return _result("conv2d_input_grad", data, (g, weight), saved)
    n, out_channels, rows, cols = g.shape
    channels, kh, kw = weight.shape[1:]
    # d(loss)/d(columns), transposed: (C * kh * kw, N * rows * cols), so that each
    # kernel offset's share below is a block of whole image rows.
    g_by_channel = g.transpose(1, 0, 2, 3).reshape(out_channels, -1)
    d_columns = weight.reshape(out_channels, -1).T @ g_by_channel
    d_windows = d_columns.reshape(channels, kh, kw, n, rows, cols).transpose(3, 0, 4, 5, 1, 2)
    return _unpad(_col2im(d_windows, _padded_shape(input_shape, padding), stride), padding)


def _convolve_weight_grad(
    x: Any,
    g: Any,
    weight_shape: tuple[int, ...],
    stride: Pair,
    padding: Pair,
    columns: Array | None = None,
) -> Any:
    """d(loss)/d(weight) of a convolution: g_rows.T @ columns, each kernel element's
    gradient the sum over every position of (g there) * (the input it multiplied)."""
    if isinstance(x, Tensor) or isinstance(g, Tensor):
        x, g = _as_tensor(x), _as_tensor(g)
        data = _convolve_weight_grad(x.data, g.data, weight_shape, stride, padding)
        saved = {"weight_shape": weight_shape, "stride": stride, "padding": padding}
        return _result("conv2d_weight_grad", data, (x, g), saved)
    out_channels = weight_shape[0]
    if columns is None:
        columns, _ = _im2col(_pad(x, padding), (weight_shape[2], weight_shape[3]), stride)
    g_rows = g.transpose(0, 2, 3, 1).reshape(-1, out_channels)
    return (g_rows.T @ columns).reshape(weight_shape)


def _average(x: Any, kernel: Pair, stride: Pair) -> Any:
    """avg_pool2d: the mean of each window."""
    if isinstance(x, Tensor):
        data = _average(x.data, kernel, stride)
        return _result("avg_pool2d", data, (x,), {"kernel": kernel, "stride": stride})
    rows, cols = _output_size(x.shape, kernel, stride, (0, 0), "avg_pool2d")
    total = sum(x[_offset(i, j, rows, cols, stride)] for i, j in np.ndindex(*kernel))
    return total / (kernel[0] * kernel[1])


def _spread(g: Any, input_shape: tuple[int, ...], kernel: Pair, stride: Pair) -> Any:
    """avg_pool2d's gradient: each window's g, divided by the window's size, added to
    every element of the window."""
    if isinstance(g, Tensor):
        data = _spread(g.data, input_shape, kernel, stride)
        saved = {"input_shape": input_shape, "kernel": kernel, "stride": stride}
        return _result("avg_pool2d_backward", data, (g,), saved)
    share = g / (kernel[0] * kernel[1])
    image = np.zeros(input_shape, dtype=g.dtype)
    for i, j in np.ndindex(*kernel):
        image[_offset(i, j, g.shape[2], g.shape[3], stride)] += share
    return image


def _route_to_maxima(
    g: Any, position: Array, input_shape: tuple[int, ...], kernel: Pair, stride: Pair
) -> Any:
    """max_pool2d's gradient: each window's g goes to the element that was its maximum
    (``position`` in the window, i * kw + j); windows that share a maximum add up."""
    if isinstance(g, Tensor):
        data = _route_to_maxima(g.data, position, input_shape, kernel, stride)
        saved = {"position": position, "input_shape": input_shape, "kernel": kernel}
        return _result("max_pool2d_backward", data, (g,), {**saved, "stride": stride})
    image = np.zeros(input_shape, dtype=g.dtype)
    apart = stride[0] >= kernel[0] and stride[1] >= kernel[1]  # no element in two windows
    for offset, (i, j) in enumerate(np.ndindex(*kernel)):
        at_maximum = position == offset
        covered = image[_offset(i, j, g.shape[2], g.shape[3], stride)]
        if apart:  # each element gets at most one g: copy it there
            np.copyto(covered, g, where=at_maximum)
        else:  # np.where, not g * mask: an inf in g must not turn the zeros into NaN
            covered += np.where(at_maximum, g, 0.0)
    return image


def _pick_maxima(u: Any, position: Array, kernel: Pair, stride: Pair) -> Any:
    """u at each window's maximum: the rule of ``_route_to_maxima`` (indexing, on Tensors)."""
    if isinstance(u, Tensor):
        return u.reshape(-1)[_flat_index_of_maxima(u.shape, position, kernel, stride)]
    picked = np.zeros(position.shape, dtype=u.dtype)
    for offset, (i, j) in enumerate(np.ndindex(*kernel)):
        np.copyto(
            picked,
            u[_offset(i, j, position.shape[2], position.shape[3], stride)],
            where=position == offset,
        )
    return picked


# ---------------------------------------------------------------------- their rules
# Every map above is linear in each input, so each rule is another of the maps: the
# rule of a backward op is the forward op again (the adjoint of an adjoint is the map).

VJP_RULES.update(
    {
        # (*rest: the bias and the output, or just the output for a conv without bias)
        "conv2d": (
            lambda g, x, w, *rest, stride, padding, columns: _convolve_input_grad(
                g, w, x.shape, stride, padding
            ),
            lambda g, x, w, *rest, stride, padding, columns: _convolve_weight_grad(
                x, g, w.shape, stride, padding, columns
            ),
            lambda g, x, w, b, out, stride, padding, columns: _sum(g, (0, 2, 3)),
        ),
        "conv2d_input_grad": (
            lambda u, g, w, out, input_shape, stride, padding: _convolve(u, w, stride, padding),
            lambda u, g, w, out, input_shape, stride, padding: _convolve_weight_grad(
                u, g, w.shape, stride, padding
            ),
        ),
        "conv2d_weight_grad": (
            lambda u, x, g, out, weight_shape, stride, padding: _convolve_input_grad(
                g, u, x.shape, stride, padding
            ),
            lambda u, x, g, out, weight_shape, stride, padding: _convolve(x, u, stride, padding),
        ),
        "avg_pool2d": (lambda g, x, out, kernel, stride: _spread(g, x.shape, kernel, stride),),
        "avg_pool2d_backward": (
            lambda u, g, out, input_shape, kernel, stride: _average(u, kernel, stride),
        ),
        "max_pool2d": (
            lambda g, x, out, position, kernel, stride: _route_to_maxima(
                g, position, x.shape, kernel, stride
            ),
        ),
        # Routing g to the maxima is linear in g; its rule picks u at the maxima again.
        "max_pool2d_backward": (
            lambda u, g, out, position, input_shape, kernel, stride: _pick_maxima(
                u, position, kernel, stride
            ),
        ),
    }
)


# ---------------------------------------------------------------------- im2col and col2im


def _windows(images: Array, kernel: Pair, stride: Pair) -> Array:
    """Every kernel-sized window, ``stride`` apart: a view of shape
    (N, C, rows, cols, kh, kw), window (p, q) starting at (p * sh, q * sw). No copy."""
    every_window = sliding_window_view(images, kernel, axis=(2, 3))
    windows: Array = every_window[:, :, :: stride[0], :: stride[1]]
    return windows


def _im2col(padded: Array, kernel: Pair, stride: Pair) -> tuple[Array, tuple[int, int, int]]:
    """The windows copied into the rows of one matrix (N * rows * cols, C * kh * kw),
    row by row in the order of the output's positions; and (N, rows, cols)."""
    windows = _windows(padded, kernel, stride)
    n, rows, cols = windows.shape[0], windows.shape[2], windows.shape[3]
    columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * rows * cols, -1)
    return columns, (n, rows, cols)


def _col2im(d_windows: Array, padded_shape: tuple[int, ...], stride: Pair) -> Array:
    """Add each window's gradient (N, C, rows, cols, kh, kw) back onto the positions of
    an image of ``padded_shape`` it came from: one strided, vectorised add per kernel
    offset (i, j), never a loop over pixels. Overlapping windows add up."""
    rows, cols, kh, kw = d_windows.shape[2:]
    image = np.zeros(padded_shape, dtype=d_windows.dtype)
    for i, j in np.ndindex(kh, kw):
        image[_offset(i, j, rows, cols, stride)] += d_windows[..., i, j]
    return image


def _offset(
    i: int, j: int, rows: int, cols: int, stride: Pair
) -> tuple[slice, slice, slice, slice]:
    """Element (i, j) of every window at once, as one strided slice of the image: its
    element (p, q) is image[:, :, p * sh + i, q * sw + j], for rows x cols windows."""
    sh, sw = stride
    return (slice(None), slice(None), slice(i, i + sh * rows, sh), slice(j, j + sw * cols, sw))


def _flat_index_of_maxima(
    shape: tuple[int, ...], position: Array, kernel: Pair, stride: Pair
) -> Array:
    """For each window, the index in x.reshape(-1) of its maximum, from the maximum's
    ``position`` inside the window (i * kw + j)."""
    n, c, rows, cols = position.shape
    height, width = shape[2], shape[3]
    row = np.arange(rows)[:, None] * stride[0] + position // kernel[1]
    col = np.arange(cols)[None, :] * stride[1] + position % kernel[1]
    image = (np.arange(n)[:, None] * c + np.arange(c)[None, :])[:, :, None, None]
    flat_index: Array = (image * height + row) * width + col
    return flat_index


def _pad(images: Array, padding: Pair) -> Array:
    if padding == (0, 0):
        return images
    rows, cols = padding
    padded = np.zeros(_padded_shape(images.shape, padding), dtype=images.dtype)
    padded[:, :, rows : rows + images.shape[2], cols : cols + images.shape[3]] = images
    return padded


def _unpad(images: Array, padding: Pair) -> Array:
    rows, cols = padding
    return images[:, :, rows : images.shape[2] - rows, cols : images.shape[3] - cols]


def _padded_shape(shape: tuple[int, ...], padding: Pair) -> tuple[int, ...]:
    n, c, height, width = shape
    return (n, c, height + 2 * padding[0], width + 2 * padding[1])


# ---------------------------------------------------------------------- checking what users give


def _data(x: Tensor | None) -> Array | None:
    return None if x is None else x.data


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _checked_tensor(x: Any, op: str, name: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor(x)
    raise TypeError(f"{op}: {name} must be a Tensor (or an ndarray), got {type(x).__name__}")


def _check_images(x: Tensor, op: str) -> None:
    if x.ndim != 4:
        raise ValueError(
            f"{op}: x must be a batch of images of shape (N, C, H, W), got shape {x.shape} "
            "(one image: x.reshape(1, *x.shape))"
        )


def _checked_pair(size: Any, op: str, name: str, smallest: int) -> Pair:
    """An int for both axes, or a pair of ints, each >= smallest."""
    pair = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
    valid = len(pair) == 2 and all(
        isinstance(part, (int, np.integer)) and not isinstance(part, bool) for part in pair
    )
    if not valid:
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {size!r}")
    if min(pair) < smallest:
        raise ValueError(f"{op}: {name} must be >= {smallest}, got {size!r}")
    return int(pair[0]), int(pair[1])


def _output_size(
    shape: tuple[int, ...], kernel: tuple[int, ...], stride: Pair, padding: Pair, op: str
) -> Pair:
    """(H_out, W_out); ValueError if the kernel does not fit in the padded image."""
    height, width = shape[2] + 2 * padding[0], shape[3] + 2 * padding[1]
    if kernel[0] > height or kernel[1] > width:
        raise ValueError(
            f"{op}: kernel {tuple(kernel)} is larger than the (padded) image "
            f"{(height, width)} of x with shape {shape}"
        )
    return (height - kernel[0]) // stride[0] + 1, (width - kernel[1]) // stride[1] + 1


def _checked_pool(x: Any, kernel_size: Any, stride: Any, op: str) -> tuple[Tensor, Pair, Pair]:
    x = _checked_tensor(x, op, "x")
    _check_images(x, op)
    kernel = _checked_pair(kernel_size, op, "kernel_size", smallest=1)
    stride_pair = kernel if stride is None else _checked_pair(stride, op, "stride", smallest=1)
    _output_size(x.shape, kernel, stride_pair, (0, 0), op)
    return x, kernel, stride_pair
