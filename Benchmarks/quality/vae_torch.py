"""PyTorch twin of Examples/vae.nnet and Examples/autoencoder.nnet, for the quality bars of issue 5.

Same data (Fashion-MNIST pixels / 255, all 60,000 training images per epoch, shuffled, the last
partial batch kept), same layers with Keras' 'same' padding reproduced exactly (a stride-2 3x3
convolution pads one row/column at the bottom/right only; a stride-2 3x3 transposed convolution
crops its last row/column), Glorot-uniform weights and zero biases, Adam lr 1e-3 with
epsilon 1e-7 (nnet's), batch 128, 10 epochs. The loss per image is summed over its 784 pixels and
averaged over the batch, as nnet trains it:
  vae:          BCE (from logits: nnet fuses the final sigmoid) + KL(q(z|x) || N(0, I)), latent 16
  autoencoder:  squared error through the final sigmoid, code 32

Prints one JSON line: test-set figures per image after the last epoch (for the VAE one sampled z
per image, as nnet's `evaluate`), and the median seconds per epoch.

  /work/main/Benchmarks/.venv/bin/python Benchmarks/quality/vae_torch.py --model vae --threads 1
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
import common  # noqa: E402  (data loading shared with the peer benchmarks)

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--model", choices=["vae", "autoencoder"], required=True)
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--seed", type=int, default=1)
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
        nn.init.zeros_(module.bias)


class SameConv(nn.Module):
    """Keras conv2d 3x3, stride 2, padding 'same' on an even size: zeros at the bottom/right only."""
    def __init__(self, cin, cout):
        super().__init__()
        self.pad = nn.ZeroPad2d((0, 1, 0, 1))
        self.conv = nn.Conv2d(cin, cout, 3, stride=2)

    def forward(self, x):
        return self.conv(self.pad(x))


class SameConvTranspose(nn.Module):
    """Keras conv2d_transpose 3x3, stride 2, padding 'same': size·2, the extra last row/column cropped."""
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, cout, 3, stride=2)

    def forward(self, x):
        size = 2 * x.shape[-1]
        return self.conv(x)[:, :, :size, :size]


latent = 16 if args.model == "vae" else 32
encoder = nn.Sequential(
    SameConv(1, 32), nn.ReLU(), SameConv(32, 64), nn.ReLU(), nn.Flatten(),
    nn.Linear(7 * 7 * 64, 2 * latent if args.model == "vae" else latent))
decoder = nn.Sequential(
    nn.Linear(latent, 7 * 7 * 64), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
    SameConvTranspose(64, 32), nn.ReLU(), SameConvTranspose(32, 1))  # logits; sigmoid below
modules = nn.ModuleList([encoder, decoder])
modules.apply(glorot)
optimizer = torch.optim.Adam(modules.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)

x_train, _, x_test, _ = common.fashion_mnist()
x_train = torch.from_numpy(x_train.reshape(-1, 1, 28, 28))
x_test = torch.from_numpy(x_test.reshape(-1, 1, 28, 28))


def losses(x):
    """Per-image sums over pixels, per image: (loss, reconstruction, kl) as [batch] tensors."""
    code = encoder(x)
    if args.model == "vae":
        mu, logvar = code[:, :latent], code[:, latent:]
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = decoder(z)
        reconstruction = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum((1, 2, 3))
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
        return reconstruction + kl, reconstruction, kl
    reconstruction = (torch.sigmoid(decoder(code)) - x).pow(2).sum((1, 2, 3))
    return reconstruction, reconstruction, torch.zeros_like(reconstruction)


rng = np.random.default_rng(args.seed)
times, train_loss = [], None
for epoch in range(args.epochs):
    start = time.perf_counter()
    total = 0.0
    for index in common.batches(len(x_train), 128, rng):
        loss = losses(x_train[torch.from_numpy(index)])[0].mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(index)
    times.append(time.perf_counter() - start)
    train_loss = total / len(x_train)
    print(f"epoch {epoch + 1}/{args.epochs}: train loss {train_loss:.4f} ({times[-1]:.1f} s)", file=sys.stderr, flush=True)

with torch.no_grad():
    parts = [losses(x_test[i:i + 256]) for i in range(0, len(x_test), 256)]
    loss, reconstruction, kl = (torch.cat([p[k] for p in parts]).mean().item() for k in range(3))
print(json.dumps({"framework": "torch", "model": args.model, "epochs": args.epochs, "threads": args.threads,
                  "train_loss": train_loss, "test_loss": loss, "test_reconstruction": reconstruction, "test_kl": kl,
                  "test_mse_per_pixel": reconstruction / 784 if args.model == "autoencoder" else None,
                  "seconds_per_epoch": statistics.median(times)}), flush=True)
