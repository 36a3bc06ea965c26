"""One training epoch of a GRU classifier on IMDB: length bucketing vs pad-to-max.

The model is `Embedding(20,000, 64, mask_zero=True) → kerasseq.layers.GRU(64) →
Dense(1)` (`--layer keras` swaps in `keras.layers.GRU`), trained with Adam on
binary cross-entropy. Every arm reads the same IMDB training reviews through
`kerasseq.data.make_batches` with the same shuffle, the same tokenizer
(`keras.layers.TextVectorization(ragged=True)`, adapted on those reviews) and
the same maximum length (reviews truncated to `--max-length`, 400 tokens):

- peer: no bucketing, every batch padded to the maximum length (the classic
  fixed-shape pipeline), `--batch-size` reviews a batch;
- ours, same batch size: quantile buckets (`bucket_boundaries="auto"`,
  `--num-buckets`, 16 here: finer than `make_batches`' default of 8, which
  pads a little more), each batch padded to its longest review; the same
  number of reviews a batch, so the same number of steps (plus at most one
  partial batch per bucket);
- ours, same token budget: `batch_tokens = batch_size × max_length` (the
  peer's padded tokens a batch, so the same memory), which makes batches of
  short reviews larger and the epoch fewer steps.

Timing follows ../shared/PERF-NOTES.md: never a whole `fit` call. Inside each
one-epoch `fit`, a callback stamps the epoch's start and every batch end; the
epoch time is the last batch end minus the start. Every model first trains
one untimed epoch (tracing, and the retrace Keras makes once batch shapes
vary); then the arms alternate order for `repeats` rounds and each figure is
the median epoch time. ratio = peer time / our time (> 1: ours is faster).

The speed-up cannot exceed the ratio of padded timesteps, which verbose mode
prints: at max length 400 the truncated reviews average 208.5 tokens, so even
perfect bucketing at equal batch size removes at most 1 - 208.5/400 of the
work (≤ 1.92x); the token budget also cuts the number of steps.

By default a random 20 % of the training set (5,000 reviews) is used so the run
takes a few minutes on 2 cores; `--fraction 1` runs the full 25,000.

Usage: `python benchmarks/text_bucketing.py [--repeats 3] [--fraction 0.2]`
"""

import argparse
import os
import pathlib
import statistics
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasseq  # noqa: E402
from kerasseq.data import make_batches  # noqa: E402
from kerasseq.data import read_jsonl  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchlib import EpochTimer  # noqa: E402
from benchlib import default_data_dir  # noqa: E402

GOAL = ">= 1.8x"
LAYERS = {"kerasseq": kerasseq.layers.GRU, "keras": keras.layers.GRU}


def load_reviews(data_dir, fraction, seed):
    reviews = read_jsonl(pathlib.Path(data_dir) / "imdb" / "train.jsonl.gz")
    count = max(1, round(fraction * len(reviews)))
    order = np.random.default_rng(seed).permutation(len(reviews))
    return reviews.select(order[:count])


def make_model(layer, vocabulary_size, embedding_dim, units):
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(vocabulary_size, embedding_dim, mask_zero=True),
            LAYERS[layer](units),
            keras.layers.Dense(1),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    return model


def train_one_epoch(model, dataset):
    timer = EpochTimer()
    model.fit(dataset, epochs=1, shuffle=False, verbose=0, callbacks=[timer])
    return timer.seconds[0], timer.steps[0]


def run(
    repeats: int = 3,
    fraction: float = 0.2,
    max_length: int = 400,
    batch_size: int = 32,
    num_buckets: int = 16,
    layer: str = "kerasseq",
    vocabulary_size: int = 20_000,
    embedding_dim: int = 64,
    units: int = 64,
    data_dir: str | os.PathLike | None = None,
    seed: int = 0,
    verbose: bool = False,
) -> list[dict]:
    """Times one epoch per arm and returns the benchmark rows.

    Returns:
        Two rows `{"name", "ours", "peer", "ratio", "unit", "goal"}`: bucketing
        at the same batch size, and at the same token budget, each against
        pad-to-`max_length` batches; `ours` and `peer` are median seconds per
        epoch, `ratio = peer / ours`.
    """
    keras.utils.set_random_seed(seed)
    reviews = load_reviews(data_dir or default_data_dir(), fraction, seed)
    tokenizer = keras.layers.TextVectorization(max_tokens=vocabulary_size, ragged=True)
    tokenizer.adapt(reviews.texts, batch_size=1024)
    dataset = reviews.to_dataset()
    common = {"max_length": max_length, "seed": seed}
    arms = {
        "pad": make_batches(
            dataset,
            tokenizer,
            batch_size=batch_size,
            bucket_boundaries=None,
            pad_to_bucket_boundary=True,
            **common,
        ),
        "bucket": make_batches(
            dataset, tokenizer, batch_size=batch_size, num_buckets=num_buckets, **common
        ),
        "budget": make_batches(
            dataset,
            tokenizer,
            batch_tokens=batch_size * max_length,
            num_buckets=num_buckets,
            **common,
        ),
    }
    if verbose:
        for name, batches in arms.items():
            widths = [int(ids.shape[1]) for ids, _ in batches]
            print(f"  {name}: {len(widths)} batches, {sum(widths):,} padded timesteps")
    vocabulary_size = tokenizer.vocabulary_size()
    models = {
        name: make_model(layer, vocabulary_size, embedding_dim, units) for name in arms
    }
    weights = models["pad"].get_weights()
    for model in models.values():
        model.set_weights(weights)

    # Untimed first epoch: tracing and the shape-generalising retrace.
    for name, model in models.items():
        train_one_epoch(model, arms[name])
    times = {name: [] for name in arms}
    steps = {}
    for repeat in range(repeats):
        names = list(arms) if repeat % 2 == 0 else list(arms)[::-1]
        for name in names:
            seconds, steps[name] = train_one_epoch(models[name], arms[name])
            times[name].append(seconds)
            if verbose:
                print(f"  round {repeat + 1}: {name:6s} {seconds:7.2f} s", flush=True)
    median = {name: statistics.median(values) for name, values in times.items()}
    if verbose:
        for name in arms:
            print(
                f"  {name}: {steps[name]} steps/epoch, median {median[name]:.2f} s, "
                f"min {min(times[name]):.2f} s"
            )

    described = (
        f"GRU({units}) epoch, IMDB train {len(reviews):,} reviews, "
        f"{layer} layer, max length {max_length}"
    )
    rows = []
    for name, detail in (
        ("bucket", f"{num_buckets} buckets vs pad-to-max, batch {batch_size}"),
        ("budget", f"token budget {batch_size * max_length:,} vs pad-to-max"),
    ):
        rows.append(
            {
                "name": f"{described}: {detail}",
                "ours": median[name],
                "peer": median["pad"],
                "ratio": median["pad"] / median[name],
                "unit": "s/epoch",
                "goal": GOAL,
            }
        )
    return rows


def main(argv=None):
    from text import format_table  # benchmarks/ is on sys.path as a script

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument("--max-length", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--num-buckets", type=int, default=16)
    parser.add_argument("--layer", choices=sorted(LAYERS), default="kerasseq")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    rows = run(
        repeats=args.repeats,
        fraction=args.fraction,
        max_length=args.max_length,
        batch_size=args.batch_size,
        num_buckets=args.num_buckets,
        layer=args.layer,
        data_dir=args.data_dir,
        verbose=True,
    )
    print(format_table(rows))
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
