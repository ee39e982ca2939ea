"""Writes Tests/Fixtures/conv/*.json: convolutional models computed by PyTorch, in nnet's layout.

An independent check of nnet's conv2d, conv2d_transpose, pooling, upsampling, batch_norm,
layer_norm, add and concat (Tests/NNetRuntimeTests/Engine/ConvolutionFixtureTests.swift reads
these files). Each case runs a small model in float64 on float32-representable inputs and
weights, takes the mean squared error against a target, and records the output, the loss and the
gradients of the loss with respect to the input and to every parameter.

Tensors are NHWC as in nnet; every layer below permutes to PyTorch's NCHW and back. Weights are
made in nnet's layout: conv2d [kh, kw, cin, cout] (PyTorch's weight.permute(3, 2, 0, 1)),
conv2d_transpose [kh, kw, filters, cin] (Keras' layout), dense [in, out]. Padding follows Keras:
'same' pads (out - 1)·stride + dilated kernel - size in total, the odd pixel at the bottom/right,
which PyTorch cannot express with its symmetric `padding`, so the input is padded explicitly
(with -inf for max pooling; average pooling divides by the pixels inside the image only). A
transposed convolution is PyTorch's unpadded conv_transpose2d cropped (or zero-extended) to
Keras' output size. batch_norm is written out (biased variance, as Keras); its expected running
statistics after the step are computed here too.

Run from the repository root with a Python that has torch (e.g. a venv with `pip install torch`):
    python Tests/Fixtures/make_conv_fixtures.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv")


def f32(t):
    """Rounds to float32 and back, so nnet reads exactly the values PyTorch used."""
    return t.to(torch.float32).to(torch.float64)


def flat(t):
    """9 significant digits: exact for float32 inputs, far finer than the tests' 1e-4 tolerance."""
    return [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def pads(size, kernel, stride, dilation, padding):
    """(before, after) padding of one axis, Keras' rules."""
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        return 0, 0
    if padding == "same":
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + span - size, 0)
        return total // 2, total - total // 2
    return padding, padding


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def padded(x, kernel, stride, dilation, padding, value=0.0):
    """x (NHWC) padded per axis as Keras would, returned NCHW."""
    (kh, kw), (sh, sw), (dh, dw) = pair(kernel), pair(stride), pair(dilation)
    ph = padding if isinstance(padding, str) else pair(padding)[0]
    pw = padding if isinstance(padding, str) else pair(padding)[1]
    top, bottom = pads(x.shape[1], kh, sh, dh, ph)
    left, right = pads(x.shape[2], kw, sw, dw, pw)
    return F.pad(nchw(x), (left, right, top, bottom), value=value)


# MARK: - nnet's layers on NHWC tensors

def conv2d(x, w, b, stride=1, padding="valid", dilation=1, activation=None):
    y = F.conv2d(padded(x, w.shape[:2], stride, dilation, padding), w.permute(3, 2, 0, 1), b,
                 stride=pair(stride), dilation=pair(dilation))
    return act(nhwc(y), activation)


def conv2d_transpose(x, w, b, stride=1, padding="valid", output_padding=None, activation=None):
    (kh, kw), (sh, sw) = w.shape[:2], pair(stride)
    full = F.conv_transpose2d(nchw(x), w.permute(3, 2, 0, 1), None, stride=(sh, sw))

    def length(size, k, s, extra):
        if padding == "same":
            out = size * s if extra is None else (size - 1) * s + k - 2 * (k // 2) + extra
            return out, max((size - 1) * s + k - out, 0) // 2
        return (size - 1) * s + k + (max(s - k, 0) if extra is None else extra), 0

    extra = None if output_padding is None else pair(output_padding)
    oh, top = length(x.shape[1], kh, sh, None if extra is None else extra[0])
    ow, left = length(x.shape[2], kw, sw, None if extra is None else extra[1])
    # Zero-extend past the full result where Keras' size exceeds it, then crop.
    full = F.pad(full, (0, max(left + ow - full.shape[3], 0), 0, max(top + oh - full.shape[2], 0)))
    y = full[:, :, top:top + oh, left:left + ow]
    if b is not None:
        y = y + b.view(1, -1, 1, 1)
    return act(nhwc(y), activation)


def max_pool2d(x, pool=2, stride=None, padding="valid"):
    stride = pool if stride is None else stride
    y = F.max_pool2d(padded(x, pool, stride, 1, padding, value=-math.inf), pair(pool), pair(stride))
    return nhwc(y)


def avg_pool2d(x, pool=2, stride=None, padding="valid"):
    stride = pool if stride is None else stride
    (ph, pw) = pair(pool)
    sums = F.avg_pool2d(padded(x, pool, stride, 1, padding), (ph, pw), pair(stride)) * (ph * pw)
    ones = torch.ones_like(x[:1, :, :, :1])
    counts = F.avg_pool2d(padded(ones, pool, stride, 1, padding), (ph, pw), pair(stride)) * (ph * pw)
    return nhwc(sums / counts)


def upsampling2d(x, size=2, interpolation="nearest"):
    kwargs = {"align_corners": False} if interpolation == "bilinear" else {}
    return nhwc(F.interpolate(nchw(x), scale_factor=pair(size), mode=interpolation, **kwargs))


def batch_norm(x, gamma, beta, epsilon=1e-3):
    rows = x.reshape(-1, x.shape[-1])
    mean = rows.mean(0)
    variance = ((rows - mean) ** 2).mean(0)
    return (x - mean) / torch.sqrt(variance + epsilon) * gamma + beta, mean, variance


def layer_norm(x, gamma, beta, epsilon=1e-3):
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, epsilon)


def dense(x, w, b, activation=None):
    return act(x @ w + b, activation)


def act(x, activation):
    return {None: x, "relu": torch.relu(x), "tanh": torch.tanh(x), "sigmoid": torch.sigmoid(x)}[activation]


# MARK: - Cases: nnet layers, parameters (name, shape) in model order, and the same model in PyTorch

def conv_valid(p, x):
    return conv2d(x, p["conv2d_1.weight"], p["conv2d_1.bias"], activation="relu")


def conv_same_stride(p, x):
    y = conv2d(x, p["c.weight"], p["c.bias"], stride=2, padding="same", activation="tanh")
    return conv2d(y, p["conv2d_2.weight"], p["conv2d_2.bias"], stride=2, padding="same")


def conv_dilated(p, x):
    return conv2d(x, p["conv2d_1.weight"], None, padding=(1, 2), dilation=2, activation="tanh")


def conv_pointwise(p, x):
    return conv2d(x, p["conv2d_1.weight"], p["conv2d_1.bias"])


def transpose_same(p, x):
    return conv2d_transpose(x, p["conv2d_transpose_1.weight"], p["conv2d_transpose_1.bias"], stride=2,
                            padding="same", activation="tanh")


def transpose_valid(p, x):
    y = conv2d_transpose(x, p["conv2d_transpose_1.weight"], p["conv2d_transpose_1.bias"], stride=3, output_padding=1)
    return conv2d_transpose(y, p["conv2d_transpose_2.weight"], p["conv2d_transpose_2.bias"], stride=[2, 3])


def transpose_same_output_padding(p, x):
    return conv2d_transpose(x, p["conv2d_transpose_1.weight"], None, stride=2, padding="same", output_padding=1)


def max_pooling(p, x):
    y = conv2d(x, p["conv2d_1.weight"], p["conv2d_1.bias"], activation="tanh")
    return max_pool2d(max_pool2d(y, 2, padding="same"), 3, stride=2)


def avg_pooling(p, x):
    y = conv2d(x, p["conv2d_1.weight"], p["conv2d_1.bias"], activation="tanh")
    y = avg_pool2d(avg_pool2d(y, 3, stride=2, padding="same"), [2, 1], stride=1)
    return y.mean((1, 2))


def upsampling(p, x):
    y = conv2d(x, p["conv2d_1.weight"], p["conv2d_1.bias"], activation="tanh")
    return upsampling2d(upsampling2d(y, 2), [2, 3], "bilinear")


def normalization(p, x):
    # No bias before batch_norm: its gradient would be exactly 0, which float32 only approximates.
    y = conv2d(x, p["conv2d_1.weight"], None, padding="same")
    y, mean, variance = batch_norm(y, p["batch_norm_1.gamma"], p["batch_norm_1.beta"])
    y = layer_norm(torch.tanh(y), p["layer_norm_1.gamma"], p["layer_norm_1.beta"])
    momentum = 0.9
    running = {"batch_norm_1.moving_mean": (1 - momentum) * mean,
               "batch_norm_1.moving_variance": momentum + (1 - momentum) * variance}
    return y, running


def residual(p, x):
    a = conv2d(x, p["a.weight"], p["a.bias"], padding="same", activation="tanh")
    b = conv2d(a, p["b.weight"], p["b.bias"], activation="relu")
    s = a + b
    c = torch.cat([s, x], -1)
    return dense(c.mean((1, 2)), p["dense_1.weight"], p["dense_1.bias"])


def classifier(p, x):
    y = conv2d(x, p["conv2d_1.weight"], p["conv2d_1.bias"], activation="relu")
    y = max_pool2d(y, 2)
    y = conv2d(y, p["conv2d_2.weight"], p["conv2d_2.bias"], activation="relu")
    y = max_pool2d(y, 2)
    y = dense(y.flatten(1), p["dense_1.weight"], p["dense_1.bias"], activation="relu")
    return torch.softmax(dense(y, p["dense_2.weight"], p["dense_2.bias"]), -1)


CASES = [
    ("conv2d_valid_relu", [7, 6, 3], 2, ["conv2d 4, kernel: 3, activation: relu"],
     [("conv2d_1.weight", [3, 3, 3, 4]), ("conv2d_1.bias", [4])], conv_valid),
    ("conv2d_same_stride2", [8, 7, 2], 2,
     ["c: conv2d 3, kernel: 3, stride: 2, padding: same, activation: tanh",
      "conv2d 2, kernel: [2, 3], stride: 2, padding: same"],
     [("c.weight", [3, 3, 2, 3]), ("c.bias", [3]), ("conv2d_2.weight", [2, 3, 3, 2]), ("conv2d_2.bias", [2])],
     conv_same_stride),
    ("conv2d_dilated_explicit_padding", [9, 8, 2], 2,
     ["conv2d 2, kernel: [3, 2], dilation: 2, padding: [1, 2], bias: false, activation: tanh"],
     [("conv2d_1.weight", [3, 2, 2, 2])], conv_dilated),
    ("conv2d_pointwise", [4, 5, 17], 3, ["conv2d 5, kernel: 1"],
     [("conv2d_1.weight", [1, 1, 17, 5]), ("conv2d_1.bias", [5])], conv_pointwise),
    ("conv2d_transpose_same", [4, 3, 3], 2,
     ["conv2d_transpose 2, kernel: 3, stride: 2, padding: same, activation: tanh"],
     [("conv2d_transpose_1.weight", [3, 3, 2, 3]), ("conv2d_transpose_1.bias", [2])], transpose_same),
    ("conv2d_transpose_valid", [3, 2, 2], 2,
     ["conv2d_transpose 3, kernel: 2, stride: 3, output_padding: 1",
      "conv2d_transpose 2, kernel: [3, 2], stride: [2, 3]"],
     [("conv2d_transpose_1.weight", [2, 2, 3, 2]), ("conv2d_transpose_1.bias", [3]),
      ("conv2d_transpose_2.weight", [3, 2, 2, 3]), ("conv2d_transpose_2.bias", [2])], transpose_valid),
    ("conv2d_transpose_same_output_padding", [3, 3, 2], 2,
     ["conv2d_transpose 3, kernel: 3, stride: 2, padding: same, output_padding: 1, bias: false"],
     [("conv2d_transpose_1.weight", [3, 3, 3, 2])], transpose_same_output_padding),
    ("max_pool2d", [11, 12, 2], 2,
     ["conv2d 3, kernel: 2, activation: tanh", "max_pool2d 2, padding: same", "max_pool2d 3, stride: 2"],
     [("conv2d_1.weight", [2, 2, 2, 3]), ("conv2d_1.bias", [3])], max_pooling),
    ("avg_pool2d", [7, 8, 2], 2,
     ["conv2d 3, kernel: 2, activation: tanh", "avg_pool2d 3, stride: 2, padding: same",
      "avg_pool2d [2, 1], stride: 1", "global_avg_pool2d"],
     [("conv2d_1.weight", [2, 2, 2, 3]), ("conv2d_1.bias", [3])], avg_pooling),
    ("upsampling2d", [3, 4, 2], 2,
     ["conv2d 3, kernel: 2, activation: tanh", "upsampling2d 2", "upsampling2d [2, 3], interpolation: bilinear"],
     [("conv2d_1.weight", [2, 2, 2, 3]), ("conv2d_1.bias", [3])], upsampling),
    ("batch_norm_layer_norm", [4, 5, 3], 3,
     ["conv2d 4, kernel: 3, padding: same, bias: false", "batch_norm momentum: 0.9", "activation tanh", "layer_norm"],
     [("conv2d_1.weight", [3, 3, 3, 4]),
      ("batch_norm_1.gamma", [4]), ("batch_norm_1.beta", [4]),
      ("batch_norm_1.moving_mean", [4]), ("batch_norm_1.moving_variance", [4]),
      ("layer_norm_1.gamma", [4]), ("layer_norm_1.beta", [4])], normalization),
    ("residual_add_concat", [5, 5, 2], 2,
     ["a: conv2d 3, kernel: 3, padding: same, activation: tanh", "b: conv2d 3, kernel: 1, activation: relu",
      "add [a, b]", "concat [add_1, input]", "global_avg_pool2d", "dense 2"],
     [("a.weight", [3, 3, 2, 3]), ("a.bias", [3]), ("b.weight", [1, 1, 3, 3]), ("b.bias", [3]),
      ("dense_1.weight", [5, 2]), ("dense_1.bias", [2])], residual),
    ("classifier", [14, 14, 1], 3,
     ["conv2d 4, kernel: 3, activation: relu", "max_pool2d 2", "conv2d 6, kernel: 3, activation: relu",
      "max_pool2d 2", "flatten", "dense 8, activation: relu", "dense 3, activation: softmax"],
     [("conv2d_1.weight", [3, 3, 1, 4]), ("conv2d_1.bias", [4]), ("conv2d_2.weight", [3, 3, 4, 6]),
      ("conv2d_2.bias", [6]), ("dense_1.weight", [24, 8]), ("dense_1.bias", [8]),
      ("dense_2.weight", [8, 3]), ("dense_2.bias", [3])], classifier),
]


def case(name, input_shape, batch, layers, shapes, model, seed):
    torch.manual_seed(seed)
    parameters = {}
    for key, shape in shapes:
        if key.endswith("moving_mean"):
            value = torch.zeros(shape, dtype=torch.float64)
        elif key.endswith("moving_variance"):
            value = torch.ones(shape, dtype=torch.float64)
        elif key.endswith("gamma"):
            value = f32(1 + 0.3 * torch.randn(shape, dtype=torch.float64))
        else:
            value = f32(torch.empty(shape, dtype=torch.float64).uniform_(-0.7, 0.7))
        parameters[key] = value.requires_grad_(not key.split(".")[1].startswith("moving"))
    x = f32(torch.randn([batch] + input_shape, dtype=torch.float64)).requires_grad_(True)
    result = model(parameters, x)
    y, running = result if isinstance(result, tuple) else (result, {})
    target = f32(torch.randn_like(y))
    loss = F.mse_loss(y, target)
    loss.backward()
    return {
        "name": name,
        "input_shape": input_shape,
        "layers": layers,
        "batch": batch,
        "input": flat(x),
        "target": flat(target),
        "parameters": {k: flat(v) for k, v in parameters.items()},
        "output": flat(y),
        "loss": float(f"{float(loss.detach()):.9g}"),
        "gradients": {k: flat(v.grad) for k, v in parameters.items() if v.grad is not None},
        "running_statistics": {k: flat(v) for k, v in running.items()},
        "input_gradient": flat(x.grad),
        "source": f"PyTorch {torch.__version__}, float64",
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    for seed, spec in enumerate(CASES):
        data = case(*spec, seed=seed)
        # One key per line: small files whose diffs stay readable.
        lines = [f"{json.dumps(key)}: {json.dumps(value)}" for key, value in data.items()]
        with open(os.path.join(OUT, spec[0] + ".json"), "w") as f:
            f.write("{\n" + ",\n".join(lines) + "\n}\n")
        print("wrote", spec[0])


if __name__ == "__main__":
    main()
