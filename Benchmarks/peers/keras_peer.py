#!/usr/bin/env python3
"""Keras 3 (TensorFlow backend) peer for the nnet workloads (see Benchmarks/README.md).

    python keras_peer.py --workload w2 --threads 1 [--epochs 5]

Classifiers and W1 use `model.fit` as a Keras user would (Dense layers default to Glorot-uniform
weights and zero biases, nnet's initialisation; Adam's default epsilon is 1e-7, nnet's too). On this
CPU `jit_compile="auto"` resolves to False, so fit runs a tf.function graph without XLA. The GAN and
the VAE need two optimisers or a custom loss, so they use a `tf.function` step with GradientTape, the
way the Keras and TensorFlow tutorials write them, also without XLA. Threads:
tf.config.threading intra-op and inter-op, plus the environment set by common.setup.
"""
import time

import numpy as np

import common

args = common.setup("keras", __doc__)

import tensorflow as tf  # noqa: E402  (after the thread environment is set)

tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(args.threads)

import keras  # noqa: E402
from keras import layers  # noqa: E402

keras.utils.set_random_seed(0)


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def w1_logistic():
    """Logistic regression on nnet's blobs(n: 1000, centers: 2, seed: 1), full-batch GD lr 0.1:
    fit with batch_size 1000 and one epoch per step."""
    x, y = common.blobs(1000, 2, seed=1)
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=1000, epochs=args.epochs, shuffle=False, verbose=0)
    step = (time.perf_counter() - start) / args.epochs
    common.emit(args, "loop_us_per_step", step * 1e6, step)
    common.emit(args, "train_loss", history.history["loss"][-1], step)
    common.emit(args, "train_accuracy", history.history["accuracy"][-1], step)

    # The same steps without fit's per-epoch machinery (a new tf.data iterator, callbacks, logs):
    # a tf.function step called in a Python loop, on a freshly initialised copy of the model.
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1, activation="sigmoid")])
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    loss_fn = keras.losses.BinaryCrossentropy()
    x, y = tf.constant(x), tf.constant(y)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    start = time.perf_counter()
    for _ in range(args.epochs):
        loss = train_step()
    float(loss)
    step = (time.perf_counter() - start) / args.epochs
    common.emit(args, "custom_loop_us_per_step", step * 1e6, step)


def classifier(sizes, batch):
    """An MLP with ReLU hidden layers on Fashion-MNIST: Adam 1e-3, sparse categorical cross-entropy."""
    x_train, y_train, x_test, y_test = common.fashion_mnist()
    model = keras.Sequential([keras.Input((sizes[0],))]
                             + [layers.Dense(units, activation="relu") for units in sizes[1:-1]]
                             + [layers.Dense(sizes[-1], activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(x_train, y_train, batch_size=batch, epochs=args.epochs, shuffle=True, verbose=0,
                        callbacks=[timer])
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    common.emit(args, "train_loss", history.history["loss"][-1], common.median(timer.times))
    common.emit(args, "test_accuracy", accuracy, common.median(timer.times))


# nnet's he_normal is an untruncated normal (Keras' HeNormal is truncated).
he_normal = keras.initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution="untruncated_normal")


def w4_cnn():
    """Examples/cnn_classifier.nnet with `fit`: conv 32 3x3 relu, maxpool 2, conv 64 3x3 relu, maxpool 2,
    flatten, dense 128 relu, dense 10 softmax; 'same' padding, NHWC (Keras' default, nnet's layout);
    He-normal init for the ReLU layers, Glorot-uniform for the last; Adam 1e-3, batch 64."""
    x_train, y_train, x_test, y_test = common.fashion_images()
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=he_normal),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu", kernel_initializer=he_normal),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(128, activation="relu", kernel_initializer=he_normal),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(x_train, y_train, batch_size=64, epochs=args.epochs, shuffle=True, verbose=0,
                        callbacks=[timer])
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    common.emit(args, "train_loss", history.history["loss"][-1], common.median(timer.times))
    common.emit(args, "test_accuracy", accuracy, common.median(timer.times))


def w7_lstm():
    """LSTM(64) -> dense 1 on nnet's sine(n: 2000, length: 50, noise: 0.1, seed: 1) with `fit`: Adam
    3e-3, batch 32, MSE. Keras' LSTM defaults are nnet's (Glorot-uniform kernel, orthogonal recurrent
    kernel, unit forget bias). Reports the final train MSE (all 2000 sequences, after training)."""
    x, y = common.sine(2000, 50, 0.1, seed=1)
    model = keras.Sequential([keras.Input((50, 1)), layers.LSTM(64), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mse")
    timer = EpochTimer()
    model.fit(x, y, batch_size=32, epochs=args.epochs, shuffle=True, verbose=0, callbacks=[timer])
    mse = model.evaluate(x, y, batch_size=1000, verbose=0)
    common.emit(args, "train_mse", mse, common.median(timer.times))


def epochs_of(x_train, step):
    """Runs `step(batch)` over shuffled batches of 128 (last one partial) for args.epochs epochs;
    returns the epoch times and each epoch's per-sample mean of the step's outputs."""
    data = tf.data.Dataset.from_tensor_slices(x_train).shuffle(len(x_train), seed=7).batch(128)
    times, means = [], []
    for _ in range(args.epochs):
        start = time.perf_counter()
        totals = None
        for batch in data:
            values = [float(v) * len(batch) for v in step(batch)]
            totals = values if totals is None else [t + v for t, v in zip(totals, values)]
        times.append(time.perf_counter() - start)
        means.append([t / len(x_train) for t in totals])
    return times, means


def w5_gan():
    """GAN on Fashion-MNIST. Per batch: a D step on real and G(z), then a G step on the same z with
    the non-saturating loss -log D(G(z)). D outputs a logit; its sigmoid is fused into the loss."""
    x_train = common.fashion_mnist()[0]
    generator = keras.Sequential([keras.Input((100,)), layers.Dense(256, activation="relu"),
                                  layers.Dense(784, activation="sigmoid")])
    discriminator = keras.Sequential([keras.Input((784,)), layers.Dense(256), layers.LeakyReLU(negative_slope=0.2),
                                      layers.Dense(1)])
    g_optimizer = keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)
    d_optimizer = keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def step(real):
        count = tf.shape(real)[0]
        z = tf.random.normal((count, 100))
        ones, zeros = tf.ones((count, 1)), tf.zeros((count, 1))
        fake = generator(z, training=False)
        with tf.GradientTape() as tape:
            d_loss = bce(ones, discriminator(real, training=True)) + bce(zeros, discriminator(fake, training=True))
        d_optimizer.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_variables),
                                        discriminator.trainable_variables))
        with tf.GradientTape() as tape:
            g_loss = bce(ones, discriminator(generator(z, training=True), training=True))
        g_optimizer.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_variables),
                                        generator.trainable_variables))
        return d_loss, g_loss

    times, means = epochs_of(x_train, step)
    common.emit(args, "d_loss", means[-1][0], common.median(times))
    common.emit(args, "g_loss", means[-1][1], common.median(times))


def w6_vae():
    """MLP VAE 784-400-(20 mu, 20 logvar)-400-784, ReLU; loss per sample = BCE summed over pixels
    (decoder logits, sigmoid fused) + KL, averaged over the batch; Adam 1e-3, batch 128."""
    x_train = common.fashion_mnist()[0]
    inputs = keras.Input((784,))
    hidden = layers.Dense(400, activation="relu")(inputs)
    encoder = keras.Model(inputs, [layers.Dense(20)(hidden), layers.Dense(20)(hidden)])
    decoder = keras.Sequential([keras.Input((20,)), layers.Dense(400, activation="relu"), layers.Dense(784)])
    variables = encoder.trainable_variables + decoder.trainable_variables
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            mu, logvar = encoder(x, training=True)
            z = mu + tf.exp(0.5 * logvar) * tf.random.normal(tf.shape(mu))
            logits = decoder(z, training=True)
            reconstruction = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), axis=1)
            kl = -0.5 * tf.reduce_sum(1 + logvar - tf.square(mu) - tf.exp(logvar), axis=1)
            loss = tf.reduce_mean(reconstruction + kl)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return (loss,)

    times, means = epochs_of(x_train, step)
    common.emit(args, "loss_per_sample_epoch1", means[0][0], common.median(times))


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
