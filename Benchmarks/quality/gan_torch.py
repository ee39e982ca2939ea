"""PyTorch twin of Examples/gan.nnet (the seed MLP GAN), to tell the recipe's limits from nnet's:
G 100 -> 256 relu -> 784 sigmoid, D 784 -> 256 leaky_relu(0.2) -> 1 (sigmoid fused into BCE),
Glorot-uniform weights and zero biases (nnet's), Adam 2e-4 beta1 0.5 epsilon 1e-8 (nnet's GAN
default) for both, batch 128 (full batches only, as nnet's GAN trainer), non-saturating loss; per
step one D update on a real and a generated batch, then one G update on fresh noise.

Writes `--count` samples as an MNIST-style IDX directory (labels all 0) that nnet's `idx` reads,
so the same classifier judges them (Benchmarks/quality/gan_quality.sh --torch does this).

  /work/main/Benchmarks/.venv/bin/python Benchmarks/quality/gan_torch.py --out out/gan_torch
"""
import argparse
import gzip
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
import common  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--out", required=True)
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--count", type=int, default=1000)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()
common.limit_threads(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


def dense(fan_in, fan_out):
    layer = nn.Linear(fan_in, fan_out)
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


generator = nn.Sequential(dense(100, 256), nn.ReLU(), dense(256, 784), nn.Sigmoid())
discriminator = nn.Sequential(dense(784, 256), nn.LeakyReLU(0.2), dense(256, 1))
g_optimizer = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
bce = nn.BCEWithLogitsLoss()
x_train = torch.from_numpy(common.fashion_mnist()[0])
rng = np.random.default_rng(args.seed)
batch = 128
ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
for epoch in range(args.epochs):
    start = time.perf_counter()
    order = rng.permutation(len(x_train))
    d_total = g_total = real_total = fake_total = 0.0
    steps = len(x_train) // batch
    for step in range(steps):
        real = x_train[torch.from_numpy(order[step * batch:(step + 1) * batch])]
        with torch.no_grad():
            fake = generator(torch.randn(batch, 100))
        d_real, d_fake = discriminator(real), discriminator(fake)
        d_loss = bce(d_real, ones) + bce(d_fake, zeros)
        d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        d_optimizer.step()
        g_loss = bce(discriminator(generator(torch.randn(batch, 100))), ones)
        g_optimizer.zero_grad(set_to_none=True)
        g_loss.backward()
        g_optimizer.step()
        d_total += d_loss.item()
        g_total += g_loss.item()
        real_total += torch.sigmoid(d_real).mean().item()
        fake_total += torch.sigmoid(d_fake).mean().item()
    print(f"epoch {epoch + 1}/{args.epochs}: loss_d {d_total / steps:.4f} loss_g {g_total / steps:.4f} "
          f"D(real) {real_total / steps:.4f} D(fake) {fake_total / steps:.4f} ({time.perf_counter() - start:.1f} s)",
          flush=True)

with torch.no_grad():
    images = generator(torch.randn(args.count, 100)).numpy()
os.makedirs(args.out, exist_ok=True)
pixels = np.clip(np.rint(images * 255), 0, 255).astype(np.uint8)
with gzip.open(os.path.join(args.out, "train-images-idx3-ubyte.gz"), "wb") as f:
    f.write(struct.pack(">IIII", 0x803, args.count, 28, 28) + pixels.tobytes())
with gzip.open(os.path.join(args.out, "train-labels-idx1-ubyte.gz"), "wb") as f:
    f.write(struct.pack(">II", 0x801, args.count) + bytes(args.count))
print(f"wrote {args.count} samples to {args.out}")
