"""Spanish → English translation: BLEU of greedy vs beam search, and decoding speed.

Data: the Tatoeba/Anki `spa-eng/spa.txt` of the TensorFlow "NMT with
attention" tutorial (`english<TAB>spanish`, 118,964 pairs), read from
`../shared/data` or `$KERASSEQ_DATA` with the columns swapped (source
Spanish, target English).

The fixed split (`split_pairs`, seeded by `[data] seed` of the recipe):

1. keep the pairs whose source and target both have at most `max_words`
   (12) whitespace-separated words (duplicates kept, file order kept);
2. with `--limit N`, keep a random N of those (smoke runs);
3. hold out exactly `--held-out` (2,000) pairs whose source strings never
   occur in training: the distinct sources are shuffled with the seed and
   taken in that order, each with all of its pairs, skipping a source whose
   pairs would overshoot the count, until the count is reached;
4. carve the validation slice (early stopping) from the rest the same way,
   `round(validation_split * rest)` pairs, with the seed + 1.

The recipe is `pipelines/spa_eng.toml` (`--config`): its `[model]` table
builds the `kerasseq.pipelines.Translator`, its `[fit]` table is passed to
`Translator.fit`, its `[data]` table gives the file, columns, `max_words`,
`validation_split` and `seed` (its `test_split` fraction is what the run
file loader holds out; here the held-out part is the exact `--held-out`
count). Training is timed by the wall clock around `fit` (vocabularies,
validation and early stopping included; the epochs are also timed from
callbacks).

Rows (each: ours, the peer, `ratio`, the goal, pass/FAIL):

1. Corpus BLEU (sacrebleu, on the lower-cased word tokens of both sides as
   `Translator.evaluate` computes it) of the held-out pairs: beam search of
   width 4 (with the recipe's `length_penalty`) vs greedy search. Goal: beam
   >= greedy + 0.5 BLEU. `--length-penalties A B ...` also prints beam 4 BLEU
   for other GNMT alphas (information, not the goal row).
2. Decoding throughput in sentences/s over the held-out sources, in batches
   of `--batch-size` (64) raw strings, median of `--repeats` (3) passes after
   a warm-up pass: (a) the exported SavedModel (`Translator.export`, then
   `tf.saved_model.load` and its `greedy` endpoint: tokenization, encoder,
   the in-graph greedy loop and detokenization in one graph call per
   batch) vs (b) the tutorial's way over the same trained model: tokenize and
   encode the batch, then a Python `for` loop calling
   `model.decoder.step` once per output token, eagerly (as the tutorial's
   `Translator.translate` runs `decoder.get_next_token`), with the argmax,
   padding of finished rows and the stop when every row has produced
   `[END]` (or after the model's `max_output_length` tokens), then
   detokenization. Goal: (a) >= 5x (b).
3. Agreement of (b)'s translations with (a)'s (the fraction equal; they
   differ only through float rounding). Goal: >= 0.99.
4. Training wall time against the ~20 minute budget of the recipe on 2 CPU
   cores (the row also names the CPU seconds of the process, a steadier
   figure on a shared machine). Goal: at most 1.25x the budget.

The last line is the results as one JSON object (prefixed `json: `).

`--limit N` (a random N of the kept pairs), `--epochs`, `--held-out` and
`--set TABLE.KEY=VALUE` (a TOML value replacing one of the recipe's, e.g.
`--set model.units=8`) shorten the smoke runs.

Usage: `python benchmarks/translate.py [--limit N] [--epochs E]
[--held-out 2000] [--config pipelines/spa_eng.toml] [--repeats 3]
[--length-penalties 0.6 1.0] [--set model.units=64]`
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time
import tomllib

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")

from kerasseq.data import SentencePairs  # noqa: E402
from kerasseq.data import read_sentence_pairs  # noqa: E402
from kerasseq.pipelines import Translator  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchlib import REPO_ROOT  # noqa: E402
from benchlib import EpochTimer  # noqa: E402
from benchlib import default_data_dir  # noqa: E402
from benchlib import format_rows  # noqa: E402
from benchlib import row  # noqa: E402

DEFAULT_CONFIG = REPO_ROOT / "pipelines" / "spa_eng.toml"
BEAM_WIDTH = 4
GOAL_BEAM_GAIN = 0.5  # BLEU points over greedy
GOAL_SPEEDUP = 5.0
GOAL_AGREEMENT = 0.99
TRAIN_BUDGET_SECONDS = 20 * 60
GOAL_TRAIN_FACTOR = 1.25


def load_recipe(path) -> dict:
    """The run file's tables: `{"model": ..., "fit": ..., "data": ...}`."""
    with open(path, "rb") as file:
        config = tomllib.load(file)
    if config.get("pipeline") != "translator":
        raise ValueError(
            f"{path}: `pipeline` must be 'translator', received: "
            f"pipeline={config.get('pipeline')!r}"
        )
    return {key: dict(config.get(key, {})) for key in ("model", "fit", "data")}


def filter_pairs(pairs: SentencePairs, max_words: int) -> SentencePairs:
    """The pairs whose two sides both have at most `max_words` words.

    Example:

    >>> from kerasseq.data import SentencePairs
    >>> filter_pairs(SentencePairs(["a b", "a b c"], ["x", "y"]), 2).sources
    ['a b']
    """
    kept = [
        (source, target)
        for source, target in zip(pairs.sources, pairs.targets)
        if len(source.split()) <= max_words and len(target.split()) <= max_words
    ]
    return SentencePairs([s for s, _ in kept], [t for _, t in kept])


def split_pairs(
    pairs: SentencePairs, count: int, seed: int = 0
) -> tuple[SentencePairs, SentencePairs]:
    """Holds out exactly `count` pairs whose sources never occur in the rest.

    The distinct sources are shuffled with `seed` and taken in that order,
    each with all of its pairs; a source whose pairs would make the held-out
    part exceed `count` is skipped. Both parts keep the input order.

    Args:
        pairs: A `SentencePairs`.
        count: Positive integer, the held-out pairs, fewer than `len(pairs)`.
        seed: Integer seed of the shuffle. Defaults to `0`.

    Returns:
        The tuple `(rest, held_out)`.

    Raises:
        ValueError: when no choice of sources adds up to `count` pairs.

    Example:

    >>> from kerasseq.data import SentencePairs
    >>> pairs = SentencePairs(["a", "a", "b", "c", "d"], ["1", "2", "3", "4", "5"])
    >>> rest, held = split_pairs(pairs, 2, seed=0)
    >>> len(held), set(rest.sources) & set(held.sources)
    (2, set())
    """
    if not 0 < count < len(pairs):
        raise ValueError(
            f"`count` must be in [1, {len(pairs) - 1}] for {len(pairs)} pairs, "
            f"received: count={count!r}"
        )
    sizes = {}
    for source in pairs.sources:
        sizes[source] = sizes.get(source, 0) + 1
    distinct = list(sizes)
    chosen, total = set(), 0
    for index in np.random.default_rng(seed).permutation(len(distinct)).tolist():
        source = distinct[index]
        if total + sizes[source] <= count:
            chosen.add(source)
            total += sizes[source]
            if total == count:
                break
    if total != count:
        raise ValueError(
            f"cannot hold out exactly {count} pairs with whole sources "
            f"(reached {total})"
        )
    rest, held = ([], []), ([], [])
    for source, target in zip(pairs.sources, pairs.targets):
        side = held if source in chosen else rest
        side[0].append(source)
        side[1].append(target)
    return SentencePairs(*rest), SentencePairs(*held)


def load_split(data_dir, data, held_out, limit=None):
    """`(train, validation, test)` `SentencePairs` of the fixed split."""
    pairs = read_sentence_pairs(
        pathlib.Path(data_dir) / data["train"],
        source_column=data.get("source_column", 1),
        target_column=data.get("target_column", 0),
    )
    pairs = filter_pairs(pairs, data.get("max_words", 12))
    seed = data.get("seed", 0)
    if limit is not None and limit < len(pairs):
        order = np.sort(np.random.default_rng(seed).permutation(len(pairs))[:limit])
        pairs = SentencePairs(
            [pairs.sources[i] for i in order], [pairs.targets[i] for i in order]
        )
    train, test = split_pairs(pairs, held_out, seed)
    validation = None
    fraction = data.get("validation_split", 0.0)
    if fraction:
        train, validation = split_pairs(
            train, max(1, round(fraction * len(train))), seed + 1
        )
    return train, validation, test


def normalize(translator, texts):
    """Texts as the target tokenizer splits and joins them (for BLEU)."""
    tokenizer = translator.target_tokenizer
    joined = tokenizer.detokenize(tokenizer.split(tf.constant(texts, tf.string)))
    return [text.decode("utf-8") for text in joined.numpy().tolist()]


def corpus_bleu(translations, references) -> float:
    """sacrebleu's corpus BLEU of already tokenized texts."""
    import sacrebleu

    # force: the texts are tokenized on purpose (no "tokenized period" note)
    bleu = sacrebleu.corpus_bleu(
        translations, [references], tokenize="none", force=True
    )
    return float(bleu.score)


def exact_match(translations, references) -> float:
    return float(np.mean([t == r for t, r in zip(translations, references)]))


def tutorial_translate(translator, texts, max_length=None):
    """Greedy translations by a per-token Python loop, run eagerly.

    The TensorFlow tutorial's way over the trained model of `translator`:
    the batch is tokenized and encoded once, then each output token is one
    eager `decoder.step` call from Python; finished rows emit padding, and
    the loop stops when every row has produced `[END]`.
    """
    model = translator.model
    preprocessor = translator.preprocessor
    if max_length is None:
        max_length = translator.max_output_length
    inputs = preprocessor(tf.constant(texts, tf.string))
    state = model.initial_cache(inputs["source_ids"], inputs["source_padding_mask"])
    ids = tf.fill([len(texts)], model.start_id)
    done = tf.zeros([len(texts)], tf.bool)
    tokens = []
    for _ in range(max_length):
        logits, state = model.decoder.step(model.target_embedding(ids), state)
        ids = tf.argmax(logits, axis=-1, output_type=tf.int32)
        ids = tf.where(done, tf.zeros_like(ids), ids)
        tokens.append(ids)
        done = tf.logical_or(done, tf.equal(ids, model.end_id))
        if bool(tf.reduce_all(done)):
            break
    translations = preprocessor.detokenize(tf.stack(tokens, axis=1))
    return [text.decode("utf-8") for text in translations.numpy().tolist()]


def time_decoding(function, batches, repeats):
    """Translations of the first pass and the median sentences/s of `repeats`."""
    translations = []
    for batch in batches:  # warm-up (tracing), and the outputs
        translations.extend(function(batch))
    count = sum(len(batch) for batch in batches)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            function(batch)
        rates.append(count / (time.perf_counter() - start))
    return translations, statistics.median(rates), rates


def savedmodel_function(directory):
    """`texts -> translations` through the SavedModel's `greedy` endpoint."""
    loaded = tf.saved_model.load(os.fspath(directory))

    def translate(texts):
        outputs = loaded.greedy(tf.constant(texts, tf.string))
        return [text.decode("utf-8") for text in outputs["translation"].numpy()]

    return loaded, translate


def make_rows(results):
    bleu, speed, size = results["bleu"], results["speed"], results["size"]
    described = f"{size['test']:,} held-out pairs"
    greedy, beam = bleu["greedy"], bleu["beam"]
    train_seconds = results["train"]["seconds"]
    return [
        row(
            f"BLEU {described}: beam {BEAM_WIDTH} "
            f"(alpha {bleu['length_penalty']:g}) vs greedy",
            beam,
            greedy,
            beam / greedy if greedy else float("inf"),
            "BLEU",
            f">= greedy + {GOAL_BEAM_GAIN}",
            beam >= greedy + GOAL_BEAM_GAIN,
        ),
        row(
            f"decoding {described}: SavedModel greedy vs eager per-token loop",
            speed["savedmodel"],
            speed["loop"],
            speed["savedmodel"] / speed["loop"],
            "sentences/s",
            f">= {GOAL_SPEEDUP:g}x",
            speed["savedmodel"] >= GOAL_SPEEDUP * speed["loop"],
        ),
        row(
            "greedy translations equal: per-token loop vs SavedModel",
            speed["agreement"],
            1.0,
            speed["agreement"],
            "fraction",
            f">= {GOAL_AGREEMENT}",
            speed["agreement"] >= GOAL_AGREEMENT,
        ),
        row(
            f"training wall time ({results['train']['cpu_seconds']:.0f} CPU s), "
            f"{size['train']:,} pairs, {results['train']['epochs_run']} epochs "
            "vs the 20 min budget",
            train_seconds,
            TRAIN_BUDGET_SECONDS,
            TRAIN_BUDGET_SECONDS / train_seconds,
            "s",
            f"<= {GOAL_TRAIN_FACTOR:g}x budget",
            train_seconds <= GOAL_TRAIN_FACTOR * TRAIN_BUDGET_SECONDS,
        ),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--limit", type=int, default=None, help="pairs")
    parser.add_argument("--held-out", type=int, default=2000, help="pairs")
    parser.add_argument("--epochs", type=int, default=None, help="the recipe's")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64, help="decoding")
    parser.add_argument(
        "--length-penalties",
        type=float,
        nargs="*",
        default=[],
        help="extra beam alphas to report",
    )
    parser.add_argument("--set", action="append", default=[], help="model.KEY=VALUE")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error(f"--epochs must be >= 1, received: {args.epochs}")
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, received: {args.repeats}")
    if args.held_out < 1:
        parser.error(f"--held-out must be >= 1, received: {args.held_out}")
    verbose = not args.quiet
    recipe = load_recipe(args.config)
    for item in args.set:  # quick recipe variations: --set model.units=64
        key, _, value = item.partition("=")
        table, _, name = key.partition(".")
        recipe[table][name] = tomllib.loads(f"v = {value}")["v"]
    if args.epochs is not None:
        recipe["fit"]["epochs"] = args.epochs
    data_dir = pathlib.Path(args.data_dir or default_data_dir())
    train, validation, test = load_split(
        data_dir, recipe["data"], args.held_out, args.limit
    )
    size = {
        "train": len(train),
        "validation": len(validation) if validation is not None else 0,
        "test": len(test),
    }
    results = {
        "settings": vars(args) | {"data_dir": str(data_dir)},
        "recipe": recipe,
        "size": size,
    }
    if verbose:
        print(f"  split: {size}", flush=True)

    fit = dict(recipe["fit"])
    if validation is None:
        fit.pop("early_stopping", None)
        fit.pop("monitor", None)
    translator = Translator(**recipe["model"])
    timer = EpochTimer()
    start, cpu_start = time.perf_counter(), time.process_time()
    history = translator.fit(
        train,
        validation_data=validation,
        verbose=2 if verbose else 0,
        callbacks=[timer],
        **fit,
    )
    results["train"] = {
        "seconds": time.perf_counter() - start,
        # CPU seconds of this process: on a shared machine, a steadier figure
        "cpu_seconds": time.process_time() - cpu_start,
        "epoch_seconds": timer.seconds,
        "epochs_run": len(history.history["loss"]),
        "history": history.history,
    }
    if verbose:
        print(
            f"  trained in {results['train']['seconds']:.0f} s "
            f"({results['train']['cpu_seconds']:.0f} CPU s)",
            flush=True,
        )

    references = normalize(translator, test.targets)
    start = time.perf_counter()
    greedy = translator.translate(test.sources, beam_width=1)
    greedy_seconds = time.perf_counter() - start
    alpha = float(recipe["model"].get("length_penalty", 0.0))
    start = time.perf_counter()
    beam = translator.translate(
        test.sources, beam_width=BEAM_WIDTH, length_penalty=alpha
    )
    beam_seconds = time.perf_counter() - start
    results["bleu"] = {
        "greedy": corpus_bleu(greedy, references),
        "beam": corpus_bleu(beam, references),
        "length_penalty": alpha,
        "greedy_exact_match": exact_match(greedy, references),
        "beam_exact_match": exact_match(beam, references),
        "greedy_seconds": greedy_seconds,
        "beam_seconds": beam_seconds,
        "other_length_penalties": {},
        "examples": [
            {"source": s, "reference": r, "greedy": g, "beam": b}
            for s, r, g, b in list(zip(test.sources, references, greedy, beam))[:10]
        ],
    }
    for other in args.length_penalties:
        translations = translator.translate(
            test.sources, beam_width=BEAM_WIDTH, length_penalty=other
        )
        results["bleu"]["other_length_penalties"][str(other)] = corpus_bleu(
            translations, references
        )
    if verbose:
        print(f"  bleu: {json.dumps(results['bleu'])}", flush=True)

    batches = [
        test.sources[i : i + args.batch_size]
        for i in range(0, len(test.sources), args.batch_size)
    ]
    with tempfile.TemporaryDirectory() as folder:
        directory = pathlib.Path(folder) / "spa_eng"
        start = time.perf_counter()
        translator.export(directory)
        export_seconds = time.perf_counter() - start
        _loaded, serve = savedmodel_function(directory)
        served, served_rate, served_rates = time_decoding(serve, batches, args.repeats)
    looped, loop_rate, loop_rates = time_decoding(
        lambda batch: tutorial_translate(translator, batch), batches, args.repeats
    )
    results["speed"] = {
        "savedmodel": served_rate,
        "loop": loop_rate,
        "savedmodel_rates": served_rates,
        "loop_rates": loop_rates,
        "agreement": float(np.mean([a == b for a, b in zip(served, looped)])),
        "export_seconds": export_seconds,
        "batch_size": args.batch_size,
    }
    rows = make_rows(results)
    results["rows"] = rows
    print(format_rows(rows))
    for other, score in results["bleu"]["other_length_penalties"].items():
        print(f"beam {BEAM_WIDTH} BLEU with length_penalty {other}: {score:.2f}")
    print("json: " + json.dumps(results))
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
