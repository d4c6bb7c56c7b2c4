"""The integer semantics of docs/quantization.md in numpy, written from the
document (not from the compiler's code), as the exact reference for the
compress dialect's outputs.

Every function takes and returns numpy arrays; integer arithmetic is int64,
float arithmetic float32 where the document says so.
"""
import math

import numpy as np


def encode_multiplier(real):
    """(M, n) with real ~= M * 2^-n and M in [2^30, 2^31), M rounded half away
    from zero."""
    fraction, exponent = math.frexp(real)
    multiplier = math.floor(fraction * 2.0 ** 31 + 0.5)
    if multiplier == 2 ** 31:
        multiplier //= 2
        exponent += 1
    shift = 31 - exponent
    assert 2 ** 30 <= multiplier < 2 ** 31 and 1 <= shift <= 62, real
    return multiplier, shift


def rescale(v, multiplier, shift):
    """floor((v * M + 2^(n-1)) / 2^n) in int64; M and n may be arrays that
    broadcast against v."""
    v = np.asarray(v, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    return (v * multiplier + (np.int64(1) << (shift - 1))) >> shift


def quantize(x, scale, zero_point, dtype):
    """saturate(round_half_even(x / scale) + zero_point), in float32."""
    info = np.iinfo(dtype)
    q = np.rint(np.float32(x) / np.float32(scale)) + np.float32(zero_point)
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize(q, scale, zero_point):
    return (np.asarray(q, np.int32) - np.int32(zero_point)).astype(np.float32) * np.float32(scale)


def requantize(acc, in_scales, out_scale, out_zero_point, dtype, clamp_min=None):
    """acc (int, zero point 0) with one scale per channel (axis 1) or one."""
    info = np.iinfo(dtype)
    pairs = [encode_multiplier(float(s) / float(out_scale)) for s in np.ravel(in_scales)]
    shape = [1] * acc.ndim
    if len(pairs) > 1:
        shape[1] = len(pairs)
    m = np.array([p[0] for p in pairs], np.int64).reshape(shape)
    n = np.array([p[1] for p in pairs], np.int64).reshape(shape)
    y = rescale(acc, m, n) + out_zero_point
    return np.clip(y, info.min if clamp_min is None else clamp_min, info.max).astype(dtype)


def requantize_last_axis(acc, in_scales, out_scale, out_zero_point, dtype):
    """As requantize, with per-channel scales on the last axis (matmul)."""
    moved = np.moveaxis(acc, -1, 1)
    return np.moveaxis(requantize(moved, in_scales, out_scale, out_zero_point, dtype), 1, -1)


def add(lhs, lhs_scale, lhs_zp, rhs, rhs_scale, rhs_zp, out_scale, out_zp, dtype,
        clamp_min=None):
    info = np.iinfo(dtype)
    twice_max = 2 * max(float(lhs_scale), float(rhs_scale))
    ml = encode_multiplier(float(lhs_scale) / twice_max)
    mr = encode_multiplier(float(rhs_scale) / twice_max)
    mo = encode_multiplier(twice_max / (2.0 ** 20 * float(out_scale)))
    left = rescale((np.asarray(lhs, np.int64) - lhs_zp) << 20, *ml)
    right = rescale((np.asarray(rhs, np.int64) - rhs_zp) << 20, *mr)
    y = rescale(left + right, *mo) + out_zp
    return np.clip(y, info.min if clamp_min is None else clamp_min, info.max).astype(dtype)


def conv(x, x_zp, w, w_zp, bias, pads, strides, group=1):
    """int64 NCHW convolution of (x - x_zp) and (w - w_zp[m]) plus bias."""
    x = np.asarray(x, np.int64) - np.int64(x_zp)
    w = np.asarray(w, np.int64) - np.asarray(w_zp, np.int64).reshape(-1, 1, 1, 1)
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    oh = (h - kh) // strides[0] + 1
    ow = (wd - kw) // strides[1] + 1
    y = np.zeros((n, m, oh, ow), np.int64)
    mg = m // group
    for g in range(group):
        xs = x[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                window = xs[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", window,
                                                       w[g * mg:(g + 1) * mg, :, i, j])
    if bias is not None:
        y += np.asarray(bias, np.int64).reshape(1, -1, 1, 1)
    return y


def bias_to_int32(bias, acc_scales):
    """A float bias in the accumulator's scale, rounded half to even."""
    scales = np.broadcast_to(np.ravel(acc_scales).astype(np.float64), np.ravel(bias).shape)
    return np.rint(np.ravel(bias).astype(np.float64) / scales).astype(np.int64)
