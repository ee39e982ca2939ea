"""Writes Tests/Fixtures/rnn/*.json: recurrent layers computed by PyTorch, in nnet's layout.

An independent check of nnet's simple_rnn, lstm, gru and embedding (Tests/NNetRuntimeTests/
Engine/RecurrentFixtureTests.swift reads these files). Each case runs one layer in float64 on
float32-representable inputs and weights, takes the mean squared error against a target, and
records the output, the loss and the gradients of the loss with respect to the input and to
every parameter, all converted to nnet's parameter layout:

  kernel [features, gates*units] = weight_ih transposed; recurrent_kernel [units, gates*units] =
  weight_hh transposed. LSTM gate blocks i, f, g, o are PyTorch's order; its two biases are
  summed into nnet's one bias. GRU blocks are reordered from PyTorch's r, z, n to nnet's (Keras')
  z, r, n; bias_ih becomes `bias` and bias_hh `recurrent_bias`.

Run from the repository root with a Python that has torch (e.g. Benchmarks/.venv):
    Benchmarks/.venv/bin/python Tests/Fixtures/make_rnn_fixtures.py
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rnn")

# name, cell, activation, batch, time, features, units, return_sequences, vocabulary (embedding)
CASES = [
    ("simple_rnn_tanh_last", "simple_rnn", "tanh", 3, 5, 4, 6, False, None),
    ("simple_rnn_relu_sequences", "simple_rnn", "relu", 2, 4, 3, 5, True, None),
    ("lstm_last", "lstm", "tanh", 3, 6, 4, 5, False, None),
    ("lstm_sequences", "lstm", "tanh", 2, 4, 3, 17, True, None),
    ("lstm_one_step", "lstm", "tanh", 4, 1, 2, 3, False, None),
    ("gru_last", "gru", "tanh", 3, 6, 4, 5, False, None),
    ("gru_sequences", "gru", "tanh", 2, 5, 3, 16, True, None),
    ("embedding_gru", "gru", "tanh", 3, 7, 4, 6, True, 9),
]


def f32(t):
    """Rounds to float32 and back, so nnet reads exactly the values PyTorch used."""
    return t.to(torch.float32).to(torch.float64)


def flat(t):
    """Values with 9 significant digits: exact for the float32 inputs and weights, and far finer
    than the tests' 1e-4 tolerance for the float64 results."""
    return [float(f"{v:.9g}") for v in t.detach().reshape(-1).tolist()]


def gru_blocks(t, units):
    """PyTorch's r, z, n row blocks -> z, r, n."""
    r, z, n = t[:units], t[units:2 * units], t[2 * units:]
    return torch.cat([z, r, n])


def make_layer(cell, activation, features, units):
    if cell == "simple_rnn":
        return torch.nn.RNN(features, units, nonlinearity=activation, batch_first=True)
    if cell == "lstm":
        return torch.nn.LSTM(features, units, batch_first=True)
    return torch.nn.GRU(features, units, batch_first=True)


def case(name, cell, activation, batch, time, features, units, sequences, vocabulary, seed):
    torch.manual_seed(seed)
    layer = make_layer(cell, activation, features, units).double()
    with torch.no_grad():
        for key, p in layer.named_parameters():
            p.copy_(f32(torch.empty_like(p).uniform_(-0.7, 0.7)))
            # nnet's simple_rnn and lstm have one bias (b_ih + b_hh): keep b_hh at zero.
            if cell != "gru" and key.startswith("bias_hh"):
                p.zero_()
    embedding = None
    if vocabulary:
        embedding = torch.nn.Embedding(vocabulary, features).double()
        with torch.no_grad():
            embedding.weight.copy_(f32(torch.randn(vocabulary, features)))
        ids = torch.randint(0, vocabulary, (batch, time))
        x = embedding(ids)
        model_input = ids.to(torch.float64)
        input_shape = [time]
    else:
        x = f32(torch.randn(batch, time, features)).requires_grad_(True)
        model_input = x
        input_shape = [time, features]
    out, _ = layer(x)
    y = out if sequences else out[:, -1, :]
    target = f32(torch.randn_like(y))
    loss = torch.nn.functional.mse_loss(y, target)
    loss.backward()

    p = dict(layer.named_parameters())
    w_ih, w_hh, b_ih, b_hh = p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"]

    if cell == "gru":
        def blocks(w_ih, w_hh, b_ih, b_hh):
            return {"kernel": gru_blocks(w_ih, units).T, "recurrent_kernel": gru_blocks(w_hh, units).T,
                    "bias": gru_blocks(b_ih, units), "recurrent_bias": gru_blocks(b_hh, units)}
        values = blocks(w_ih, w_hh, b_ih, b_hh)
        gradients = blocks(w_ih.grad, w_hh.grad, b_ih.grad, b_hh.grad)
    else:
        # b_hh is zero (see above), so nnet's one bias is exactly b_ih, and its gradient b_ih's.
        values = {"kernel": w_ih.T, "recurrent_kernel": w_hh.T, "bias": b_ih}
        gradients = {"kernel": w_ih.grad.T, "recurrent_kernel": w_hh.grad.T, "bias": b_ih.grad}
    layers = []
    parameters, parameter_gradients = {}, {}
    if embedding is not None:
        layers.append(f"embedding {vocabulary}, {features}")
        parameters["embedding_1.embeddings"] = flat(embedding.weight)
        parameter_gradients["embedding_1.embeddings"] = flat(embedding.weight.grad)
    layers.append(f"{cell} {units}, activation: {activation}, return_sequences: {'true' if sequences else 'false'}")
    for key in values:
        parameters[f"{cell}_1.{key}"] = flat(values[key])
        parameter_gradients[f"{cell}_1.{key}"] = flat(gradients[key])
    return {
        "name": name,
        "input_shape": input_shape,
        "layers": layers,
        "batch": batch,
        "input": flat(model_input),
        "target": flat(target),
        "parameters": parameters,
        "output": flat(y),
        "loss": float(f"{float(loss.detach()):.9g}"),
        "gradients": parameter_gradients,
        "input_gradient": None if embedding is not None else flat(x.grad),
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
