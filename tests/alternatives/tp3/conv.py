"""TP3 written the way a student who thinks in loops would: one loop per output pixel, a padded
copy built by hand, the backward pass scattered window by window. Correct, not vectorised."""
import numpy as np


def pad(x, p):
    height, width = x.shape
    out = np.zeros((height + 2 * p, width + 2 * p))
    out[p:p + height, p:p + width] = x
    return out


def conv2d(x, k, stride=1, padding=0):
    x, k = pad(np.array(x, dtype=float), padding), np.array(k, dtype=float)
    kh, kw = k.shape
    rows = (x.shape[0] - kh) // stride + 1
    cols = (x.shape[1] - kw) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            window = x[i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[i, j] = np.sum(window * k)
    return out


def conv2d_multi(x, w, b, stride=1, padding=0):
    planes = []
    for f in range(len(w)):
        plane = b[f]
        for c in range(len(x)):
            plane = plane + conv2d(x[c], w[f][c], stride, padding)
        planes.append(plane)
    return np.array(planes)


def conv2d_backward(dout, x, k, stride=1, padding=0):
    x, k = np.array(x, dtype=float), np.array(k, dtype=float)
    x_pad = pad(x, padding)
    kh, kw = k.shape
    dx_pad, dk = np.zeros_like(x_pad), np.zeros_like(k)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            top, left = i * stride, j * stride
            dk += dout[i, j] * x_pad[top:top + kh, left:left + kw]
            dx_pad[top:top + kh, left:left + kw] += dout[i, j] * k
    return dx_pad[padding:padding + x.shape[0], padding:padding + x.shape[1]], dk


def maxpool2d(x, size=2, stride=2):
    x = np.array(x, dtype=float)
    rows, cols = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
    out = np.empty((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = x[i * stride:i * stride + size, j * stride:j * stride + size].max()
    return out


def output_size(w, k, padding=0, stride=1):
    return int(np.floor((w + 2 * padding - k) / stride)) + 1


def conv_params(kx, ky, in_channels, filters):
    weights = kx * ky * in_channels * filters
    biases = filters
    return weights + biases


def mlp_image_params(side):
    s = side ** 2
    total = 0
    for n_in, n_out in ((s, s // 2), (s // 2, s // 4), (s // 4, 1)):
        total += n_out * (n_in + 1)
    return total
