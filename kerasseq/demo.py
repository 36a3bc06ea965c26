"""The embedded demo (`make demo`, `kerasseq demo`): date normalisation, offline.

The attention exercise of the Sequence Models course, made multilingual:
translate human-readable dates ("25th of June, 2009", "2009년 6월 25일
목요일", "Donnerstag, 9. November 1989") into ISO `YYYY-MM-DD`, character by
character, with an attentional encoder-decoder. Nothing is downloaded: the
dates are written by Babel's CLDR formats (`kerasseq.data.dates`). The demo

1. generates 20,000 dates in English, Korean, French, German and Spanish
   (about fifty formats) and holds out 10 % of the days
   (`split_dates(by="target")`): no held-out day is seen in training, in any
   format;
2. trains a character-level `Translator` (bidirectional LSTM encoder,
   LSTM decoder with Bahdanau attention and input feeding) for 3 epochs;
3. reports held-out exact match (greedy decoding) and character BLEU, with
   a few held-out translations;
4. exports a SavedModel to `saved_models/dates/1` (relative to the current
   folder; `export` checks it in a fresh process);
5. reloads it in another fresh Python process that imports only TensorFlow
   and translates a few raw strings;
6. writes the attention heatmap of one of them, and the training curves, to
   PNG files (if matplotlib is installed).

`pipelines/dates.toml` holds the same recipe for `kerasseq train`.
"""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import time
import unicodedata

import keras

from kerasseq import registry
from kerasseq import validation

# Raw strings for the fresh-process step, with their ISO dates (each is one of
# the default formats; tests check the pairs with `render_date`).
SENTENCES = (
    ("25th of June, 2009", "2009-06-25"),
    ("2009년 6월 25일 목요일", "2009-06-25"),
    ("Donnerstag, 9. November 1989", "1989-11-09"),
    ("vendredi 14 juillet 1989", "1989-07-14"),
    ("20 de julio de 1969", "1969-07-20"),
)
# The sentence whose attention heatmap is drawn.
HEATMAP_SENTENCE = SENTENCES[0][0]

# The recipe (as pipelines/dates.toml).
SIZE = 20000
HELD_OUT = 0.1
RECIPE = {
    "tokenizer": "char",
    "bidirectional_encoder": True,
    "units": 64,
    "attention": "bahdanau",
    "learning_rate": 3e-3,
    "clipnorm": 1.0,
}
BATCH_SIZE = 64
GOAL_EXACT_MATCH = 0.98


@dataclasses.dataclass
class DemoResult:
    """What `run` did, for tests and callers.

    Attributes:
        train_size: Number of training pairs.
        test_size: Number of held-out pairs (days never seen in training).
        epochs: Epochs trained.
        exact_match: Held-out exact match in `[0, 1]`, greedy decoding.
        bleu: Held-out character BLEU (sacrebleu, 0-100).
        export_dir: Absolute path of the exported SavedModel.
        sentences: The raw strings translated in the fresh process.
        expected: Their ISO dates.
        fresh_translations: The SavedModel's translations of them, in that
            process.
        translations: `Translator.translate` on the same strings, here.
        plot_paths: The PNG files written: the attention heatmap, then the
            training history (empty without matplotlib).
        seconds: Wall-clock time of the whole run.
    """

    train_size: int
    test_size: int
    epochs: int
    exact_match: float
    bleu: float
    export_dir: str
    sentences: list
    expected: list
    fresh_translations: list
    translations: list
    plot_paths: list
    seconds: float


def run(
    epochs: int = 3,
    cell: str = "lstm",
    size: int = SIZE,
    export_dir="saved_models/dates/1",
    plot_dir="runs/dates",
    seed: int = 0,
    seconds: float | None = None,
    verbose: bool = True,
) -> DemoResult:
    """Runs the demo (see the module docstring) and returns what it found.

    Args:
        epochs: Training epochs. Defaults to `3`.
        cell: Recurrent cell of the encoder and decoder (`"lstm"`, `"gru"`,
            `"simple_rnn"`). Defaults to `"lstm"`.
        size: Positive integer, the number of generated date pairs (10 % of
            the days are held out). Defaults to `20000`.
        export_dir: Where the SavedModel goes (replaced if it exists).
            Defaults to `"saved_models/dates/1"`, relative to the current
            folder.
        plot_dir: Folder of the PNG plots. Defaults to `"runs/dates"`.
        seed: Seed of the data, the split and the weights. Defaults to `0`.
        seconds: Optional cap on the training time: training stops after
            the first epoch that ends past it. Defaults to `None` (all
            `epochs`).
        verbose: Whether to print the stages. Defaults to `True`.

    Returns:
        A `DemoResult`.
    """
    epochs = validation.check_positive_int("epochs", epochs)
    registry.get_cell_class(cell)  # An unknown name fails here, not after training.
    size = validation.check_positive_int("size", size)
    if size < 20:
        raise ValueError(
            "`size` must be at least 20 (some days are held out), received: "
            f"size={size}"
        )
    if seconds is not None and not seconds > 0:
        raise ValueError(
            f"`seconds` must be positive or None, received: seconds={seconds!r}"
        )
    start = time.perf_counter()
    say = print if verbose else (lambda *args, **kwargs: None)
    export_dir = os.path.abspath(os.fspath(export_dir))
    plot_dir = os.path.abspath(os.fspath(plot_dir))

    from kerasseq.data.dates import DEFAULT_LOCALES
    from kerasseq.data.dates import date_formats
    from kerasseq.data.dates import generate_dates
    from kerasseq.data.dates import split_dates
    from kerasseq.pipelines import Translator

    # === 1. Data ===
    pairs = generate_dates(size, seed=seed)
    train, test = split_dates(pairs, held_out=HELD_OUT, seed=seed, by="target")
    formats = sum(len(names) for names in date_formats().values())
    say(
        f"== 1/6 Data: {size:,} dates in {formats} formats of "
        f"{', '.join(DEFAULT_LOCALES)} (Babel's CLDR patterns, generated offline)"
    )
    say(
        f"   {len(train):,} for training, {len(test):,} held out: 10 % of the "
        "days, never seen in training in any format"
    )
    for source, target in list(zip(train.sources, train.targets))[:4]:
        say(f"   {_quoted(source)} -> {target}")

    # === 2. Training ===
    translator = Translator(cell=cell, seed=seed + 1, **RECIPE)
    say(
        f"== 2/6 Translator: characters in, characters out; bidirectional "
        f"{cell.upper()}({RECIPE['units']}) encoder, {cell.upper()} decoder with "
        f"Bahdanau attention; {epochs} epochs"
    )
    callbacks = [_EpochReport(say, seconds)]
    fit_start = time.perf_counter()
    history = translator.fit(
        train.sources,
        train.targets,
        epochs=epochs,
        batch_size=BATCH_SIZE,
        verbose=0,
        callbacks=callbacks,
    )
    epochs_run = len(history.history["loss"])
    say(f"   trained {epochs_run} epochs in {time.perf_counter() - fit_start:.0f} s")

    # === 3. Held-out quality ===
    metrics = translator.evaluate(test.sources, test.targets, batch_size=256)
    verdict = "goal met" if metrics["exact_match"] >= GOAL_EXACT_MATCH else "BELOW"
    say(f"== 3/6 Held-out days ({len(test):,} dates, greedy decoding)")
    say(
        f"   exact match {metrics['exact_match']:.4f} (goal {GOAL_EXACT_MATCH}: "
        f"{verdict}), character BLEU {metrics['bleu']:.1f}"
    )
    shown = test.sources[:3]
    for source, translation in zip(shown, translator.translate(shown)):
        say(f"   {_quoted(source)} -> {translation}")

    # === 4. Export ===
    check_texts = [text for text, _ in SENTENCES]
    translator.export(export_dir, check_texts=check_texts, overwrite=True)
    say("== 4/6 Exported SavedModel (serving_default: texts -> translation, score)")
    say(f"   {_display_path(export_dir)}")

    # === 5. Fresh process ===
    fresh = _translate_in_fresh_process(export_dir, check_texts)
    translations = translator.translate(check_texts)
    say("== 5/6 Reloaded in a fresh Python process that imports only TensorFlow")
    for (text, expected), translation in zip(SENTENCES, fresh, strict=True):
        mark = "ok" if translation == expected else f"expected {expected}"
        say(f"   {_quoted(text)} -> {translation}  ({mark})")
    same = fresh == translations
    say(
        "   same answers as translator.translate in this process: "
        f"{'yes' if same else 'NO'}"
    )

    # === 6. Plots ===
    plot_paths = _plots(translator, history, plot_dir, say)
    elapsed = time.perf_counter() - start
    say(f"Done in {elapsed:.0f} s.")
    return DemoResult(
        train_size=len(train),
        test_size=len(test),
        epochs=epochs_run,
        exact_match=metrics["exact_match"],
        bleu=metrics["bleu"],
        export_dir=export_dir,
        sentences=check_texts,
        expected=[iso for _, iso in SENTENCES],
        fresh_translations=fresh,
        translations=translations,
        plot_paths=plot_paths,
        seconds=elapsed,
    )


class _EpochReport(keras.callbacks.Callback):
    """Prints one line per epoch; stops after the epoch that ends past `seconds`."""

    def __init__(self, say, seconds=None):
        super().__init__()
        self.say = say
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.start = self.epoch_start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        now = time.perf_counter()
        self.say(
            f"   epoch {epoch + 1}: loss {logs.get('loss', float('nan')):.4f}, "
            f"token accuracy {logs.get('token_accuracy', float('nan')):.4f} "
            f"({now - self.epoch_start:.0f} s)"
        )
        if self.seconds is not None and now - self.start > self.seconds:
            self.model.stop_training = True


# Runs in the fresh process: TensorFlow only.
_TRANSLATE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    path, texts = sys.argv[1], json.loads(sys.argv[2])
    serve = tf.saved_model.load(path).signatures["serving_default"]
    outputs = serve(texts=tf.constant(texts))
    print(json.dumps({
        "translation": [t.decode("utf-8") for t in outputs["translation"].numpy()],
        "kerasseq_imported": "kerasseq" in sys.modules,
    }))
    """
)


def _translate_in_fresh_process(export_dir, texts) -> list:
    """Translates `texts` with the SavedModel in a new `sys.executable`."""
    result = subprocess.run(
        [sys.executable, "-c", _TRANSLATE_SCRIPT, export_dir, json.dumps(texts)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        cwd=export_dir,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"The fresh process could not translate with {export_dir!r}:\n"
            f"{result.stderr[-3000:]}"
        )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    if answer["kerasseq_imported"]:
        raise RuntimeError("The fresh process imported kerasseq")
    return answer["translation"]


def _plots(translator, history, plot_dir, say) -> list:
    """Writes the attention heatmap and history PNGs; none without matplotlib."""
    from kerasseq import plotting

    try:
        paths = [
            translator.plot_attention(
                HEATMAP_SENTENCE, os.path.join(plot_dir, "attention.png")
            ),
            plotting.plot_history(history, os.path.join(plot_dir, "history.png")),
        ]
    except ImportError:
        say(
            "== 6/6 Plots skipped: matplotlib is not installed "
            '(pip install "kerasseq[plot]").'
        )
        return []
    say(f"== 6/6 Attention heatmap of {HEATMAP_SENTENCE!r}: {_display_path(paths[0])}")
    say(f"   training curves: {_display_path(paths[1])}")
    return paths


def _quoted(text: str, width: int = 34) -> str:
    """`repr(text)` right-aligned to `width` terminal columns.

    Wide characters (Hangul, CJK: East Asian width "W" or "F") take two
    columns, so the arrows after them line up.

    Example:

    >>> from kerasseq import demo
    >>> print(demo._quoted("6월", 8))
       '6월'
    >>> print(demo._quoted("6.", 8))
        '6.'
    """
    quoted = repr(text)
    columns = sum(
        2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in quoted
    )
    return " " * max(0, width - columns) + quoted


def _display_path(path) -> str:
    """`path` relative to the current folder when it lies inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
