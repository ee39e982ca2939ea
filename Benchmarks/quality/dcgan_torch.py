"""PyTorch twin of Examples/dcgan.nnet, to compare training figures and samples with nnet's:
G 100 -> dense 7·7·128 (no bias) -> BN -> relu -> upsample 2 (nearest) -> conv 64 k3 (no bias) ->
BN -> relu -> upsample 2 -> conv 1 k5 sigmoid ('same' padding: k // 2 on each side); with
`--generator transposed`, the DCGAN recipe's convT 64 k4 s2 and convT 1 k4 s2 instead (the
example's earlier generator). D conv 64 k4 s2 lrelu(0.2) -> conv 128 k4 s2 lrelu(0.2) -> dense 1
(sigmoid fused into BCE). Keras 'same' padding for k4 s2 is PyTorch padding 1 (both ways). Glorot-uniform
weights, zero biases, BN momentum 0.1 (Keras 0.9) and epsilon 1e-3 (nnet's), Adam 2e-4 beta1 0.5
epsilon 1e-8, batch 128 (full batches), non-saturating loss; D sees real and generated batches
separately; the generator's running statistics move in its own step only.

Writes `--count` samples (inference mode) as an MNIST-style IDX directory for nnet's classifier.

  /work/main/Benchmarks/.venv/bin/python Benchmarks/quality/dcgan_torch.py --out out/dcgan_torch
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
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--count", type=int, default=1000)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--generator", choices=["upsampling", "transposed"], default="upsampling",
                    help="the example's generator (upsampling + conv) or the recipe's transposed convolutions")
args = parser.parse_args()
common.limit_threads(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)


def glorot(module):
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


if args.generator == "upsampling":
    doublings = [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(128, 64, 3, padding=1, bias=False),
                 nn.BatchNorm2d(64, eps=1e-3, momentum=0.1), nn.ReLU(),
                 nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(64, 1, 5, padding=2)]
else:
    doublings = [nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1, bias=False),
                 nn.BatchNorm2d(64, eps=1e-3, momentum=0.1), nn.ReLU(),
                 nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1)]
generator = nn.Sequential(
    nn.Linear(100, 7 * 7 * 128, bias=False), nn.Unflatten(1, (128, 7, 7)), nn.BatchNorm2d(128, eps=1e-3, momentum=0.1),
    nn.ReLU(), *doublings, nn.Sigmoid())
discriminator = nn.Sequential(
    nn.Conv2d(1, 64, 4, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, stride=2, padding=1),
    nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(7 * 7 * 128, 1))
generator.apply(glorot)
discriminator.apply(glorot)
g_optimizer = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
bce = nn.BCEWithLogitsLoss()
x_train = torch.from_numpy(common.fashion_mnist()[0].reshape(-1, 1, 28, 28))
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
            momenta = [m.momentum for m in generator.modules() if isinstance(m, nn.BatchNorm2d)]
            for m in generator.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.momentum = 0.0  # batch statistics, running ones left alone
            fake = generator(torch.randn(batch, 100))
            for m, value in zip([m for m in generator.modules() if isinstance(m, nn.BatchNorm2d)], momenta):
                m.momentum = value
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

generator.eval()
with torch.no_grad():
    images = generator(torch.randn(args.count, 100)).reshape(args.count, 28, 28).numpy()
os.makedirs(args.out, exist_ok=True)
pixels = np.clip(np.rint(images * 255), 0, 255).astype(np.uint8)
with gzip.open(os.path.join(args.out, "train-images-idx3-ubyte.gz"), "wb") as f:
    f.write(struct.pack(">IIII", 0x803, args.count, 28, 28) + pixels.tobytes())
with gzip.open(os.path.join(args.out, "train-labels-idx1-ubyte.gz"), "wb") as f:
    f.write(struct.pack(">II", 0x801, args.count) + bytes(args.count))
print(f"wrote {args.count} samples to {args.out}")
