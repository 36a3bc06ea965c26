"""Throughput of kerasseq's recurrent layers against Keras's, side by side.

For each row (cell, sequence length, masking, bidirectional) both layers are
trained and run in inference inside the same model (input → layer → Dense(1)),
interleaved (alternating which goes first), and timed from batch-end callbacks
inside one long `fit` or `predict` call (never the whole call: on these
machines calls return late), the first batches skipped. Each figure is the
median over `--repeats` rounds of the median batch time. The last line is
`min ratio: X`, the smallest ours/Keras ratio of the table.

Usage: `python benchmarks/recurrent.py [--repeats 5] [--batches 12] [--rows gru]`
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kerasseq  # noqa: E402

PEERS = {
    "gru": (kerasseq.layers.GRU, keras.layers.GRU),
    "lstm": (kerasseq.layers.LSTM, keras.layers.LSTM),
    "simple_rnn": (kerasseq.layers.SimpleRNN, keras.layers.SimpleRNN),
}


class BatchTimer(keras.callbacks.Callback):
    """Records a timestamp at the end of every train or predict batch."""

    def __init__(self):
        super().__init__()
        self.stamps = []

    def on_train_batch_end(self, batch, logs=None):
        self.stamps.append(time.perf_counter())

    def on_predict_batch_end(self, batch, logs=None):
        self.stamps.append(time.perf_counter())

    def median_interval(self, skip):
        intervals = np.diff(self.stamps[skip:])
        return float(np.median(intervals))


def make_dataset(batch_size, length, features, masked, seed=0):
    """Random float sequences; masked rows have zero padding after a length."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch_size * 4, length, features)).astype("float32")
    if masked:
        lengths = rng.integers(length // 2, length + 1, size=len(x))
        x[np.arange(length)[None, :] >= lengths[:, None]] = 0.0
    y = rng.normal(size=(len(x), 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).repeat()


def make_model(layer_class, length, features, units, masked, bidirectional):
    inputs = keras.Input((length, features))
    x = keras.layers.Masking(0.0)(inputs) if masked else inputs
    layer = layer_class(units)
    if bidirectional:
        layer = keras.layers.Bidirectional(layer)
    outputs = keras.layers.Dense(1)(layer(x))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse")
    return model


def throughput(model, dataset, batch_size, batches, warmup, train):
    timer = BatchTimer()
    steps = warmup + batches
    if train:
        model.fit(
            dataset,
            steps_per_epoch=steps,
            epochs=1,
            shuffle=False,
            verbose=0,
            callbacks=[timer],
        )
    else:
        model.predict(dataset, steps=steps, verbose=0, callbacks=[timer])
    return batch_size / timer.median_interval(skip=warmup)


def bench_row(args, cell, length, masked, bidirectional):
    dataset = make_dataset(args.batch_size, length, args.features, masked)
    models = {
        name: make_model(
            layer_class, length, args.features, args.units, masked, bidirectional
        )
        for name, layer_class in zip(("ours", "keras"), PEERS[cell])
    }
    results = {(name, mode): [] for name in models for mode in ("train", "infer")}
    for repeat in range(args.repeats):
        # The first round also traces, so it gets more warm-up batches; the
        # order alternates so neither implementation always runs first.
        warmup = args.warmup + (3 if repeat == 0 else 0)
        order = list(models.items())
        for name, model in order if repeat % 2 == 0 else order[::-1]:
            for mode in ("train", "infer"):
                results[(name, mode)].append(
                    throughput(
                        model,
                        dataset,
                        args.batch_size,
                        args.batches,
                        warmup,
                        train=mode == "train",
                    )
                )
    return {key: statistics.median(values) for key, values in results.items()}


def rows(args):
    cells = args.rows or list(PEERS)
    for cell in cells:
        for length in args.lengths:
            for masked in (False, True):
                yield cell, length, masked, False
    if args.bidirectional_length:
        for cell in cells:
            yield cell, args.bidirectional_length, False, True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batches", type=int, default=12, help="timed batches")
    parser.add_argument("--warmup", type=int, default=2, help="batches skipped")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--lengths", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--bidirectional-length", type=int, default=100)
    parser.add_argument("--rows", nargs="+", choices=list(PEERS))
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.batches < 2:
        parser.error("need --repeats >= 1 and --batches >= 2")

    print(
        f"batch {args.batch_size}, features {args.features}, units {args.units}; "
        f"median of {args.repeats} rounds × {args.batches} batches; samples/s"
    )
    header = (
        f"{'layer':<24}{'train ours':>11}{'keras':>9}{'ratio':>7}"
        f"{'infer ours':>12}{'keras':>9}{'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    ratios = []
    for cell, length, masked, bidirectional in rows(args):
        result = bench_row(args, cell, length, masked, bidirectional)
        label = f"{'bi-' if bidirectional else ''}{cell} T={length}"
        label += " masked" if masked else ""
        line = f"{label:<24}"
        for mode in ("train", "infer"):
            ours, peer = result[("ours", mode)], result[("keras", mode)]
            ratios.append(ours / peer)
            width = 11 if mode == "train" else 12
            line += f"{ours:>{width}.0f}{peer:>9.0f}{ours / peer:>7.2f}"
        print(line, flush=True)
        keras.backend.clear_session()
    print(f"min ratio: {min(ratios):.2f}")
    return min(ratios)


if __name__ == "__main__":
    main()
