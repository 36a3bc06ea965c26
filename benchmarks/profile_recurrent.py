"""Op-level profile of one training step of a recurrent layer: ours vs Keras.

Runs `tf.profiler` over a few gradient steps of the layer alone (no model, no
optimizer), reads the XSpace it writes and prints, for each implementation,
the ops that took the most time (summed over threads, per step) and how often
they ran. Use it to see where a step's time goes before changing a loop: on
this machine the per-step matmuls dominate, and their count is what the fused
gradient of `kerasseq.layers.Recurrent` reduces.

Usage: `python benchmarks/profile_recurrent.py [--cell lstm] [--length 100]`
"""

import argparse
import collections
import os
import pathlib
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.tsl.profiler.protobuf import xplane_pb2  # noqa: E402

import kerasseq  # noqa: E402

PEERS = {
    "gru": (kerasseq.layers.GRU, keras.layers.GRU),
    "lstm": (kerasseq.layers.LSTM, keras.layers.LSTM),
    "simple_rnn": (kerasseq.layers.SimpleRNN, keras.layers.SimpleRNN),
}
# Wrappers around the whole step, not ops: left out of the table.
_WRAPPERS = ("Process", "step", "Execute", "__inference", "Run", "FunctionRun")


def training_step(layer, inputs):
    layer.build(inputs.shape)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(inputs, training=True))
        return tape.gradient(loss, layer.trainable_variables)

    return step


def profile(step, steps):
    """Returns `{op: (milliseconds per step, calls per step)}`."""
    for _ in range(2):
        step()  # trace and warm up outside the profile
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        for _ in range(steps):
            tf.nest.map_structure(lambda t: t.numpy(), step())
        tf.profiler.experimental.stop()
        (path,) = pathlib.Path(logdir).rglob("*.xplane.pb")
        space = xplane_pb2.XSpace()
        space.ParseFromString(path.read_bytes())
    milliseconds, calls = collections.Counter(), collections.Counter()
    for plane in space.planes:
        if "Host" not in plane.name and "CPU" not in plane.name:
            continue
        names = {key: value.name for key, value in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                op = names.get(event.metadata_id, "?").split(":")[-1]
                if op.strip().startswith(_WRAPPERS) or "Execute" in op:
                    continue
                milliseconds[op] += event.duration_ps / 1e9 / steps
                calls[op] += 1 / steps
    return {op: (ms, calls[op]) for op, ms in milliseconds.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cell", choices=list(PEERS), default="lstm")
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    shape = (args.batch_size, args.length, args.features)
    inputs = tf.constant(rng.normal(size=shape).astype("float32"))
    tables = {}
    for name, layer_class in zip(("ours", "keras"), PEERS[args.cell]):
        table = profile(training_step(layer_class(args.units), inputs), args.steps)
        tables[name] = table
        total = sum(ms for ms, _ in table.values())
        print(f"== {name} {args.cell} T={args.length}: {total:.1f} ms of ops per step")
        ranked = sorted(table.items(), key=lambda item: -item[1][0])
        for op, (ms, count) in ranked[: args.top]:
            print(f"   {op[:36]:<36}{ms:9.2f} ms{count:8.0f} calls")
    return tables


if __name__ == "__main__":
    main()
