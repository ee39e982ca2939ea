#!/usr/bin/env python3
"""PyTorch peer for the nnet workloads (see Benchmarks/README.md for what each one is).

    python torch_peer.py --workload w2 --threads 1 [--epochs 5]

Idiomatic eager PyTorch, float32: nn.Linear layers with Glorot-uniform weights and zero biases (nnet's
initialisation; PyTorch's default is Kaiming-uniform), losses that read logits (BCEWithLogitsLoss,
CrossEntropyLoss: the sigmoid/softmax is fused into the loss, as nnet does), Adam with epsilon 1e-7
(nnet's and Keras' default). Batches are index slices of tensors that already hold the whole split
(a DataLoader over single samples would cost more than the model). Threads: torch.set_num_threads
and set_num_interop_threads, plus the environment set by common.setup.
"""
import time

import numpy as np

import common

args = common.setup("torch", __doc__)

import torch  # noqa: E402  (after the thread environment is set)
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(args.threads)
torch.manual_seed(0)


def dense(n_in, n_out):
    layer = nn.Linear(n_in, n_out)
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def adam(parameters, lr=1e-3, beta1=0.9):
    return torch.optim.Adam(parameters, lr=lr, betas=(beta1, 0.999), eps=1e-7)


def w1_logistic():
    """Logistic regression on nnet's blobs(n: 1000, centers: 2, seed: 1), full-batch GD lr 0.1."""
    x, y = (torch.from_numpy(a) for a in common.blobs(1000, 2, seed=1))
    model = dense(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.BCEWithLogitsLoss()
    start = time.perf_counter()
    for _ in range(args.epochs):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    step = (time.perf_counter() - start) / args.epochs
    with torch.no_grad():
        accuracy = ((model(x) > 0).float() == y).float().mean().item()
    common.emit(args, "loop_us_per_step", step * 1e6, step)
    common.emit(args, "train_loss", loss.item(), step)
    common.emit(args, "train_accuracy", accuracy, step)


def classifier(sizes, batch):
    """An MLP with ReLU hidden layers on Fashion-MNIST: Adam 1e-3, sparse categorical cross-entropy."""
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [dense(n_in, n_out), nn.ReLU()]
    train_classifier(nn.Sequential(*layers[:-1]), [torch.from_numpy(a) for a in common.fashion_mnist()], batch)


def train_classifier(model, data, batch):
    """Trains `model` (logits out) on data = (x_train, y_train, x_test, y_test) with Adam 1e-3 and
    sparse categorical cross-entropy; reports the last epoch's train loss and the test accuracy."""
    x_train, y_train, x_test, y_test = data
    optimizer = adam(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(7)
    times = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        total = 0.0
        for index in common.batches(len(x_train), batch, rng):
            index = torch.from_numpy(index)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_train[index]), y_train[index])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        times.append(time.perf_counter() - start)
    with torch.no_grad():
        correct = sum((model(x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum().item()
                      for i in range(0, len(x_test), 1000))
    common.emit(args, "train_loss", total / len(x_train), common.median(times))
    common.emit(args, "test_accuracy", correct / len(x_test), common.median(times))


def he_normal(layer):
    """nnet's he_normal: N(0, 2 / fan_in) (not truncated), fan_in = inputs (dense) or kh·kw·cin
    (conv); zero bias."""
    nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
    nn.init.zeros_(layer.bias)
    return layer


def w4_cnn():
    """Examples/cnn_classifier.nnet: conv 32 3x3 relu, maxpool 2, conv 64 3x3 relu, maxpool 2, flatten,
    dense 128 relu, dense 10 (softmax fused into the loss); 'same' padding; He-normal init for the
    ReLU layers, Glorot-uniform for the last; Adam 1e-3, batch 64. Images NCHW, PyTorch's native
    layout for CPU convolutions (nnet uses NHWC; the flatten order differs, the model does not)."""
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in common.fashion_mnist())
    model = nn.Sequential(
        he_normal(nn.Conv2d(1, 32, 3, padding=1)), nn.ReLU(), nn.MaxPool2d(2),
        he_normal(nn.Conv2d(32, 64, 3, padding=1)), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), he_normal(nn.Linear(7 * 7 * 64, 128)), nn.ReLU(), dense(128, 10))
    train_classifier(model, (x_train.reshape(-1, 1, 28, 28), y_train, x_test.reshape(-1, 1, 28, 28), y_test), 64)


class Forecaster(nn.Module):
    """LSTM(64) over [time, 1] sequences, then dense 1 on the last step's output. Keras' and nnet's
    LSTM initialisation: input kernel Glorot-uniform, recurrent kernel orthogonal, biases zero except
    the forget gate's (1); PyTorch's gate order (i, f, g, o) is theirs too. PyTorch has two bias
    vectors per layer: the forget-gate 1 goes in one, the other stays zero."""

    def __init__(self, units=64):
        super().__init__()
        self.lstm = nn.LSTM(1, units, batch_first=True)
        nn.init.xavier_uniform_(self.lstm.weight_ih_l0)
        nn.init.orthogonal_(self.lstm.weight_hh_l0)
        nn.init.zeros_(self.lstm.bias_ih_l0)
        nn.init.zeros_(self.lstm.bias_hh_l0)
        with torch.no_grad():
            self.lstm.bias_ih_l0[units:2 * units] = 1
        self.head = dense(units, 1)

    def forward(self, x):
        outputs, _ = self.lstm(x)
        return self.head(outputs[:, -1])


def w7_lstm():
    """LSTM(64) -> dense 1 on nnet's sine(n: 2000, length: 50, noise: 0.1, seed: 1): Adam 3e-3,
    batch 32, MSE; reports the final train MSE (all 2000 sequences, after training)."""
    x, y = (torch.from_numpy(a) for a in common.sine(2000, 50, 0.1, seed=1))
    model = Forecaster()
    optimizer = adam(model.parameters(), lr=3e-3)
    loss_fn = nn.MSELoss()
    rng = np.random.default_rng(7)
    times = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        for index in common.batches(len(x), 32, rng):
            index = torch.from_numpy(index)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    with torch.no_grad():
        mse = loss_fn(model(x), y).item()
    common.emit(args, "train_mse", mse, common.median(times))


def w5_gan():
    """GAN on Fashion-MNIST. Per batch: a D step on real and G(z) (G frozen), then a G step on the same z
    with the non-saturating loss -log D(G(z)). D outputs a logit; its sigmoid is fused into the loss."""
    x_train = torch.from_numpy(common.fashion_mnist()[0])
    generator = nn.Sequential(dense(100, 256), nn.ReLU(), dense(256, 784), nn.Sigmoid())
    discriminator = nn.Sequential(dense(784, 256), nn.LeakyReLU(0.2), dense(256, 1))
    g_optimizer = adam(generator.parameters(), lr=2e-4, beta1=0.5)
    d_optimizer = adam(discriminator.parameters(), lr=2e-4, beta1=0.5)
    bce = nn.BCEWithLogitsLoss()
    rng = np.random.default_rng(7)
    times = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        d_total = g_total = 0.0
        for index in common.batches(len(x_train), 128, rng):
            real = x_train[torch.from_numpy(index)]
            ones, zeros = torch.ones(len(index), 1), torch.zeros(len(index), 1)
            z = torch.randn(len(index), 100)
            with torch.no_grad():
                fake = generator(z)
            d_optimizer.zero_grad(set_to_none=True)
            d_loss = bce(discriminator(real), ones) + bce(discriminator(fake), zeros)
            d_loss.backward()
            d_optimizer.step()
            g_optimizer.zero_grad(set_to_none=True)
            g_loss = bce(discriminator(generator(z)), ones)
            g_loss.backward()
            g_optimizer.step()
            d_total += d_loss.item() * len(index)
            g_total += g_loss.item() * len(index)
        times.append(time.perf_counter() - start)
    common.emit(args, "d_loss", d_total / len(x_train), common.median(times))
    common.emit(args, "g_loss", g_total / len(x_train), common.median(times))


def w6_vae():
    """MLP VAE 784-400-(20 mu, 20 logvar)-400-784, ReLU; loss per sample = BCE summed over pixels
    (decoder logits, sigmoid fused) + KL, averaged over the batch; Adam 1e-3, batch 128."""
    x_train = torch.from_numpy(common.fashion_mnist()[0])
    encoder, to_mu, to_logvar = dense(784, 400), dense(400, 20), dense(400, 20)
    decoder = nn.Sequential(dense(20, 400), nn.ReLU(), dense(400, 784))
    modules = nn.ModuleList([encoder, to_mu, to_logvar, decoder])
    optimizer = adam(modules.parameters())
    rng = np.random.default_rng(7)
    times, first_epoch_loss = [], None
    for _ in range(args.epochs):
        start = time.perf_counter()
        total = 0.0
        for index in common.batches(len(x_train), 128, rng):
            x = x_train[torch.from_numpy(index)]
            hidden = torch.relu(encoder(x))
            mu, logvar = to_mu(hidden), to_logvar(hidden)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            reconstruction = nn.functional.binary_cross_entropy_with_logits(decoder(z), x, reduction="sum")
            kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = (reconstruction + kl) / len(index)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        times.append(time.perf_counter() - start)
        first_epoch_loss = first_epoch_loss or total / len(x_train)
    common.emit(args, "loss_per_sample_epoch1", first_epoch_loss, common.median(times))


WORKLOADS = {
    "w1": w1_logistic,
    "w2": lambda: classifier([784, 32, 10], batch=32),
    "w3": lambda: classifier([784, 512, 256, 10], batch=128),
    "w4": w4_cnn,
    "w5": w5_gan,
    "w6": w6_vae,
    "w7": w7_lstm,
}

if __name__ == "__main__":
    WORKLOADS[args.workload]()
