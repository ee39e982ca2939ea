#!/usr/bin/env python3
"""JAX + Optax peer for the nnet workloads (see Benchmarks/README.md).

    python jax_peer.py --workload w2 --threads 1 [--epochs 5]

Plain JAX (no Flax): parameters are lists of (weight, bias) with Glorot-uniform weights and zero
biases (nnet's initialisation), one `jax.jit` training step with the parameters and optimiser state donated, losses
that read logits (Optax's fused cross-entropies). The whole split lives on the device, passed to the
step as an argument (not closed over, which would bake it into the executable), and each step gathers
its batch inside the jitted step from an index array; the epoch's running loss is summed inside the
step too, so a step is one dispatch. Adam epsilon 1e-7
(nnet's; Optax's default is 1e-8). The first epoch includes compilation; the median hides it.
Threads: XLA_FLAGS for one thread (set by common.setup) and the taskset pinning in run_peers.sh;
XLA has no supported "use N threads" switch, so N >= 2 means all pinned cores.
"""
import time

import numpy as np

import common

args = common.setup("jax", __doc__)

import jax  # noqa: E402  (after the thread environment is set)
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

glorot = jax.nn.initializers.glorot_uniform()


def dense_params(key, sizes):
    keys = jax.random.split(key, len(sizes) - 1)
    return [(glorot(k, (n_in, n_out), jnp.float32), jnp.zeros(n_out, jnp.float32))
            for k, n_in, n_out in zip(keys, sizes, sizes[1:])]


def apply(params, x, hidden=jax.nn.relu):
    """Dense layers with `hidden` between them; returns the last layer's pre-activation."""
    for weight, bias in params[:-1]:
        x = hidden(x @ weight + bias)
    weight, bias = params[-1]
    return x @ weight + bias


def adam(lr=1e-3, beta1=0.9):
    return optax.adam(lr, b1=beta1, b2=0.999, eps=1e-7)


def w1_logistic():
    """Logistic regression on nnet's blobs(n: 1000, centers: 2, seed: 1), full-batch GD lr 0.1."""
    x, y = (jnp.asarray(a) for a in common.blobs(1000, 2, seed=1))
    params = dense_params(jax.random.key(0), [2, 1])
    optimizer = optax.sgd(0.1)
    state = optimizer.init(params)

    def loss_fn(p):
        return optax.sigmoid_binary_cross_entropy(apply(p, x), y).mean()

    @jax.jit
    def step(p, s):
        loss, grads = jax.value_and_grad(loss_fn)(p)
        updates, s = optimizer.update(grads, s, p)
        return optax.apply_updates(p, updates), s, loss

    start = time.perf_counter()
    for _ in range(args.epochs):
        params, state, loss = step(params, state)
    loss.block_until_ready()
    seconds = (time.perf_counter() - start) / args.epochs
    accuracy = float(((apply(params, x) > 0) == (y > 0.5)).mean())
    common.emit(args, "loop_us_per_step", seconds * 1e6, seconds)
    common.emit(args, "train_loss", float(loss), seconds)
    common.emit(args, "train_accuracy", accuracy, seconds)


def training_step(body):
    """Jits `body(carry, data, index) -> (carry, batch means)` into one step that also adds the
    batch's sums to the epoch's running totals; carry and totals are donated (updated in place)."""
    def step(carry, totals, data, index):
        carry, values = body(carry, data, index)
        return carry, totals + jnp.stack(values) * index.shape[0]
    return jax.jit(step, donate_argnums=(0, 1))


def supervised_step(loss_fn, optimizer):
    """A `training_step` on (x, y) batches: carry (params, optimiser state), outputs (loss,)."""
    @training_step
    def step(carry, data, index):
        p, s = carry
        loss, grads = jax.value_and_grad(loss_fn)(p, data[0][index], data[1][index])
        updates, s = optimizer.update(grads, s, p)
        return (optax.apply_updates(p, updates), s), (loss,)
    return step


def run_epochs(step, carry, data, batch, outputs):
    """Runs a `training_step` over shuffled batches (last one partial) for args.epochs epochs.
    Returns the carry, the epoch times and each epoch's per-sample means of the `outputs` values."""
    count = len(data[0])
    rng = np.random.default_rng(7)
    times, means = [], []
    for _ in range(args.epochs):
        start = time.perf_counter()
        totals = jnp.zeros(outputs, jnp.float32)
        for index in common.batches(count, batch, rng):
            carry, totals = step(carry, totals, data, jnp.asarray(index))
        totals = np.asarray(totals)  # waits for the epoch's last step
        times.append(time.perf_counter() - start)
        means.append(totals / count)
    return carry, times, means


def classifier(sizes, batch):
    """An MLP with ReLU hidden layers on Fashion-MNIST: Adam 1e-3, sparse categorical cross-entropy."""
    train_classifier(apply, dense_params(jax.random.key(0), sizes),
                     [jnp.asarray(a) for a in common.fashion_mnist()], batch)


def train_classifier(logits, params, data, batch):
    """Trains `logits(params, x)` on data = (x_train, y_train, x_test, y_test) with Adam 1e-3 and
    sparse categorical cross-entropy; reports the last epoch's train loss and the test accuracy."""
    x_train, y_train, x_test, y_test = data
    optimizer = adam()

    def loss_fn(p, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(logits(p, x), y).mean()

    step = supervised_step(loss_fn, optimizer)
    (params, _), times, means = run_epochs(step, (params, optimizer.init(params)), (x_train, y_train), batch, 1)
    predict = jax.jit(logits)
    correct = sum(int((predict(params, x_test[i:i + 1000]).argmax(1) == y_test[i:i + 1000]).sum())
                  for i in range(0, len(x_test), 1000))
    common.emit(args, "train_loss", float(means[-1][0]), common.median(times))
    common.emit(args, "test_accuracy", correct / len(x_test), common.median(times))


# nnet's he_normal: N(0, 2 / fan_in), not truncated (jax.nn.initializers.he_normal is truncated).
# For an HWIO conv kernel fan_in is kh·kw·cin (the receptive field times the input axis).
he_normal = jax.nn.initializers.variance_scaling(2.0, "fan_in", "normal")


def w4_cnn():
    """Examples/cnn_classifier.nnet: conv 32 3x3 relu, maxpool 2, conv 64 3x3 relu, maxpool 2, flatten,
    dense 128 relu, dense 10 (softmax fused into the loss); 'same' padding, NHWC images and HWIO
    kernels (XLA's CPU layout, nnet's too); He-normal init for the ReLU layers, Glorot-uniform for the
    last; Adam 1e-3, batch 64."""
    keys = jax.random.split(jax.random.key(0), 4)
    params = [(he_normal(keys[0], (3, 3, 1, 32), jnp.float32), jnp.zeros(32, jnp.float32)),
              (he_normal(keys[1], (3, 3, 32, 64), jnp.float32), jnp.zeros(64, jnp.float32)),
              (he_normal(keys[2], (7 * 7 * 64, 128), jnp.float32), jnp.zeros(128, jnp.float32)),
              (glorot(keys[3], (128, 10), jnp.float32), jnp.zeros(10, jnp.float32))]

    def conv_relu_pool(x, weight, bias):
        x = jax.lax.conv_general_dilated(x, weight, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        x = jax.nn.relu(x + bias)
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def logits(p, x):
        x = conv_relu_pool(x, *p[0])
        x = conv_relu_pool(x, *p[1])
        return apply(p[2:], x.reshape(x.shape[0], -1))

    train_classifier(logits, params, [jnp.asarray(a) for a in common.fashion_images()], 64)


def w7_lstm():
    """LSTM(64) -> dense 1 on nnet's sine(n: 2000, length: 50, noise: 0.1, seed: 1): Adam 3e-3,
    batch 32, MSE. The LSTM is a `lax.scan` over time with Keras' and nnet's cell (gates i, f, g, o
    from one [x, h]·W product; Glorot-uniform input kernel, orthogonal recurrent kernel, forget-gate
    bias 1). Reports the final train MSE (all 2000 sequences, after training)."""
    x, y = (jnp.asarray(a) for a in common.sine(2000, 50, 0.1, seed=1))
    units = 64
    keys = jax.random.split(jax.random.key(0), 3)
    params = {"kernel": glorot(keys[0], (1, 4 * units), jnp.float32),
              "recurrent": jax.nn.initializers.orthogonal()(keys[1], (units, 4 * units), jnp.float32),
              "bias": jnp.zeros(4 * units, jnp.float32).at[units:2 * units].set(1.0),
              "head": dense_params(keys[2], [units, 1])}
    optimizer = adam(3e-3)

    def predict(p, sequences):
        inputs = jnp.swapaxes(sequences, 0, 1) @ p["kernel"] + p["bias"]  # [time, batch, 4·units]

        def cell(state, projected):
            h, c = state
            gates = projected + h @ p["recurrent"]
            i, f, g, o = jnp.split(gates, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None

        zeros = jnp.zeros((sequences.shape[0], units), jnp.float32)
        (h, _), _ = jax.lax.scan(cell, (zeros, zeros), inputs)
        return apply(p["head"], h)

    def loss_fn(p, xb, yb):
        return jnp.mean((predict(p, xb) - yb) ** 2)

    step = supervised_step(loss_fn, optimizer)
    (params, _), times, _ = run_epochs(step, (params, optimizer.init(params)), (x, y), 32, 1)
    common.emit(args, "train_mse", float(loss_fn(params, x, y)), common.median(times))


def w5_gan():
    """GAN on Fashion-MNIST. Per batch: a D step on real and G(z), then a G step on the same z with
    the non-saturating loss -log D(G(z)). D outputs a logit; its sigmoid is fused into the loss."""
    x_train = jnp.asarray(common.fashion_mnist()[0])
    g_key, d_key, noise_key = jax.random.split(jax.random.key(0), 3)
    generator, discriminator = dense_params(g_key, [100, 256, 784]), dense_params(d_key, [784, 256, 1])
    g_optimizer, d_optimizer = adam(2e-4, beta1=0.5), adam(2e-4, beta1=0.5)
    leaky = lambda v: jax.nn.leaky_relu(v, 0.2)  # noqa: E731

    def generate(g, z):
        return jax.nn.sigmoid(apply(g, z))

    def d_loss_fn(d, real, fake):
        return (optax.sigmoid_binary_cross_entropy(apply(d, real, leaky), 1.0).mean()
                + optax.sigmoid_binary_cross_entropy(apply(d, fake, leaky), 0.0).mean())

    def g_loss_fn(g, d, z):
        return optax.sigmoid_binary_cross_entropy(apply(d, generate(g, z), leaky), 1.0).mean()

    @training_step
    def step(carry, data, index):
        g, d, g_state, d_state, key = carry
        key, z_key = jax.random.split(key)
        real = data[0][index]
        z = jax.random.normal(z_key, (index.shape[0], 100))
        d_loss, grads = jax.value_and_grad(d_loss_fn)(d, real, generate(g, z))
        updates, d_state = d_optimizer.update(grads, d_state, d)
        d = optax.apply_updates(d, updates)
        g_loss, grads = jax.value_and_grad(g_loss_fn)(g, d, z)
        updates, g_state = g_optimizer.update(grads, g_state, g)
        return (optax.apply_updates(g, updates), d, g_state, d_state, key), (d_loss, g_loss)

    carry = (generator, discriminator, g_optimizer.init(generator), d_optimizer.init(discriminator), noise_key)
    _, times, means = run_epochs(step, carry, (x_train,), 128, 2)
    common.emit(args, "d_loss", float(means[-1][0]), common.median(times))
    common.emit(args, "g_loss", float(means[-1][1]), common.median(times))


def w6_vae():
    """MLP VAE 784-400-(20 mu, 20 logvar)-400-784, ReLU; loss per sample = BCE summed over pixels
    (decoder logits, sigmoid fused) + KL, averaged over the batch; Adam 1e-3, batch 128."""
    x_train = jnp.asarray(common.fashion_mnist()[0])
    keys = jax.random.split(jax.random.key(0), 5)
    params = {"encoder": dense_params(keys[0], [784, 400]), "mu": dense_params(keys[1], [400, 20]),
              "logvar": dense_params(keys[2], [400, 20]), "decoder": dense_params(keys[3], [20, 400, 784])}
    optimizer = adam()

    def loss_fn(p, x, key):
        hidden = jax.nn.relu(apply(p["encoder"], x))
        mu, logvar = apply(p["mu"], hidden), apply(p["logvar"], hidden)
        z = mu + jnp.exp(0.5 * logvar) * jax.random.normal(key, mu.shape)
        reconstruction = optax.sigmoid_binary_cross_entropy(apply(p["decoder"], z), x).sum(axis=1)
        kl = -0.5 * jnp.sum(1 + logvar - mu ** 2 - jnp.exp(logvar), axis=1)
        return jnp.mean(reconstruction + kl)

    @training_step
    def step(carry, data, index):
        p, s, key = carry
        key, noise = jax.random.split(key)
        loss, grads = jax.value_and_grad(loss_fn)(p, data[0][index], noise)
        updates, s = optimizer.update(grads, s, p)
        return (optax.apply_updates(p, updates), s, key), (loss,)

    _, times, means = run_epochs(step, (params, optimizer.init(params), keys[4]), (x_train,), 128, 1)
    common.emit(args, "loss_per_sample_epoch1", float(means[0][0]), common.median(times))


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
