"""Tokenizer speed on IMDB train: kerasseq vs `keras.layers.TextVectorization`.

Rows (each figure the median over `repeats` rounds; ours and the peer run side
by side in every round, alternating which goes first):

1. Building the vocabulary of the 25,000 IMDB training reviews, given as a
   Python list (`Vocabulary.from_corpus(texts, tokenizer=WordTokenizer())` vs
   `TextVectorization().adapt(texts)`), seconds.
2. The same from a `tf.data.Dataset` of the texts batched by 1024, seconds.
3. Tokenize + vocabulary lookup in a `tf.data` pipeline (batch 1024, map with
   one call per core, 20,000-token vocabularies), sentences per second.
4. The same with equal work on both sides, for information: TextVectorization
   given our normalization as `standardize`, so both produce the same tokens.

Ratios are written so that > 1 means kerasseq is faster: peer/ours seconds,
ours/peer throughput. Rows 1-3 use each side's default standardization: ours
lower-cases with Unicode case mapping, maps Unicode whitespace and keeps every
punctuation character as a token (7.39 M tokens on IMDB train),
TextVectorization lower-cases ASCII only and strips ASCII punctuation
(5.82 M tokens), so ours splits and looks up 27 % more tokens in row 3.
Throughput epochs are short (25 batches); on a shared 2-core machine the
row-3 and row-4 ratios move by about +-0.15 between runs.

Usage:
`python benchmarks/text_tokenize.py [--repeats 3] [--data DIR] [--limit N]`
"""

import argparse
import gzip
import json
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from kerasseq.tokenizers import Vocabulary  # noqa: E402
from kerasseq.tokenizers import WordTokenizer  # noqa: E402
from kerasseq.tokenizers.word_tokenizer import PUNCTUATION  # noqa: E402
from kerasseq.tokenizers.word_tokenizer import normalize_case_and_space  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchlib import default_data_dir  # noqa: E402

BATCH_SIZE = 1024
MAX_TOKENS = 20000
EPOCHS_PER_REPEAT = 5


def load_imdb_texts(data_dir=None, limit=None) -> list[str]:
    """The review texts of IMDB's `train.jsonl.gz`, in file order."""
    path = pathlib.Path(data_dir or default_data_dir()) / "imdb" / "train.jsonl.gz"
    texts = []
    with gzip.open(path, "rt", encoding="utf-8") as file:
        for line in file:
            texts.append(json.loads(line)["text"])
            if limit is not None and len(texts) >= limit:
                break
    return texts


def _seconds(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _side_by_side(ours, peer, repeats):
    """Median seconds of `ours` and `peer`, alternating which runs first.

    Each runs once untimed first (imports, tracing, allocator warm-up).
    """
    ours()
    peer()
    times = {"ours": [], "peer": []}
    for round_ in range(repeats):
        order = [("ours", ours), ("peer", peer)]
        if round_ % 2:
            order.reverse()
        for name, function in order:
            times[name].append(_seconds(function))
    return statistics.median(times["ours"]), statistics.median(times["peer"])


def _texts_dataset(texts):
    return tf.data.Dataset.from_tensor_slices(texts).batch(BATCH_SIZE)


def vocabulary_rows(texts, repeats):
    def ours_list():
        Vocabulary.from_corpus(texts, tokenizer=WordTokenizer())

    def peer_list():
        keras.layers.TextVectorization().adapt(texts)

    dataset = _texts_dataset(texts)

    def ours_dataset():
        Vocabulary.from_corpus(dataset, tokenizer=WordTokenizer())

    def peer_dataset():
        keras.layers.TextVectorization().adapt(dataset)

    rows = []
    for name, ours, peer in [
        ("vocabulary build, IMDB train, list of texts", ours_list, peer_list),
        (
            "vocabulary build, IMDB train, tf.data batch 1024",
            ours_dataset,
            peer_dataset,
        ),
    ]:
        ours_s, peer_s = _side_by_side(ours, peer, repeats)
        rows.append(
            {
                "name": name,
                "ours": ours_s,
                "peer": peer_s,
                "ratio": peer_s / ours_s,
                "unit": "s",
                "goal": ">= 1.0x (not slower than TextVectorization.adapt)",
            }
        )
    return rows


def _throughput(tokenizer, vectorizer, texts, repeats):
    """Median sentences per second of two tokenize + lookup tf.data pipelines."""
    # A fixed parallelism (one map call per core): AUTOTUNE restarts with every
    # new iterator and ramps up at its own pace, which made epochs of 25
    # batches bimodal (0.7x-1.3x between runs).
    dataset = _texts_dataset(texts)
    parallel = os.cpu_count() or 1
    pipelines = [
        dataset.map(layer, num_parallel_calls=parallel).prefetch(2)
        for layer in (tokenizer, vectorizer)
    ]

    def epoch(pipeline):
        def run_epoch():
            for _ in pipeline:
                pass

        return run_epoch

    # Epochs are short (about 0.5 s), so each repeat alternates five of them.
    ours_s, peer_s = _side_by_side(
        epoch(pipelines[0]), epoch(pipelines[1]), repeats * EPOCHS_PER_REPEAT
    )
    return len(texts) / ours_s, len(texts) / peer_s


def throughput_rows(texts, repeats):
    tokenizer = WordTokenizer()
    tokenizer.adapt(texts, max_tokens=MAX_TOKENS)
    vectorizer = keras.layers.TextVectorization(max_tokens=MAX_TOKENS, ragged=True)
    vectorizer.adapt(texts)
    ours, peer = _throughput(tokenizer, vectorizer, texts, repeats)
    rows = [
        {
            "name": "tokenize + lookup, IMDB train, tf.data batch 1024",
            "ours": ours,
            "peer": peer,
            "ratio": ours / peer,
            "unit": "sentences/s",
            "goal": ">= 1.0x TextVectorization",
        }
    ]
    # The same tokens on both sides: TextVectorization given our normalization
    # (lower-casing, whitespace, punctuation as tokens) as its `standardize`,
    # then its own whitespace split and StringLookup.
    same = keras.layers.TextVectorization(
        max_tokens=MAX_TOKENS, standardize=_our_standardize, ragged=True
    )
    same.adapt(texts)
    ours, peer = _throughput(tokenizer, same, texts, repeats)
    rows.append(
        {
            "name": "tokenize + lookup, same tokens both sides",
            "ours": ours,
            "peer": peer,
            "ratio": ours / peer,
            "unit": "sentences/s",
            "goal": "information (equal work)",
        }
    )
    return rows


def _our_standardize(texts):
    texts = normalize_case_and_space(texts)
    return tf.strings.regex_replace(texts, PUNCTUATION, r" \0 ")


def run(repeats: int = 3, data_dir=None, limit=None) -> list[dict]:
    """Runs every row; returns `{"name", "ours", "peer", "ratio", "unit", "goal"}`.

    Args:
        repeats: Positive integer, rounds per row (medians are reported).
        data_dir: Folder holding `imdb/train.jsonl.gz`. Defaults to
            `$KERASSEQ_DATA` or `../shared/data`.
        limit: Optional number of reviews to read (for smoke tests).
    """
    texts = load_imdb_texts(data_dir, limit)
    return vocabulary_rows(texts, repeats) + throughput_rows(texts, repeats)


def main(argv=None):
    from text import format_table  # benchmarks/ is on sys.path as a script

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", default=None, help="data folder")
    parser.add_argument("--limit", type=int, default=None, help="reviews to read")
    args = parser.parse_args(argv)
    rows = run(args.repeats, args.data, args.limit)
    print(format_table(rows))
    return rows


if __name__ == "__main__":
    main()
