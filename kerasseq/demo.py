"""The embedded demo (`make demo`, `kerasseq demo`): the whole workflow offline.

It needs nothing but what pip installs: the 200 movie-review sentences that
gensim ships as test data (`gensim/test/test_data/pang_lee_polarity.cor`, 100
negative and 100 positive, from Pang & Lee's sentence polarity data, in
fastText's `__label__` format, Windows-1252 encoded). On them it

1. reads the file with `kerasseq.data.read_fasttext` and holds out a
   stratified 20% (40 sentences);
2. trains Word2Vec vectors on the 160 training sentences with
   `kerasseq.embeddings.train_word2vec`, written to a word2vec text file;
3. trains a `TextClassifier` (bidirectional GRU, attention pooling) whose
   embedding starts from that file for a fixed number of epochs, and reports
   held-out accuracy and macro-F1 (the held-out sentences are also scored
   after each epoch for the plotted curves; nothing is chosen on them);
4. shows the attention weights of a held-out sentence (`explain`);
5. exports a SavedModel to `saved_models/demo/1` (relative to the current
   folder; `export` checks it in a fresh process);
6. reloads it in another fresh Python process that imports only TensorFlow
   and classifies two sentences;
7. plots the training curves and the token weights (if matplotlib is
   installed).

160 sentences are far too few for a good sentiment model: the held-out
figures are modest and noisy. The demo shows the workflow;
`pipelines/sentiment_rt.toml` is the real recipe (10,662 sentences).
"""

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import keras
import numpy as np

from kerasseq import registry
from kerasseq import validation

# Two sentences for the fresh-process check (not in the corpus).
SENTENCES = [
    "a moving , beautifully acted and often funny film .",
    "a dull , tedious mess that is far too long .",
]


@dataclasses.dataclass
class DemoResult:
    """What `run` did, for tests and callers.

    Attributes:
        train_size: Number of training sentences.
        test_size: Number of held-out sentences.
        epochs: Epochs trained.
        accuracy: Held-out accuracy in `[0, 1]`.
        macro_f1: Held-out macro-F1 in `[0, 1]`.
        vocabulary_size: Words with a Word2Vec vector.
        explained_text: The held-out sentence passed to `explain`.
        token_weights: Its `(token, weight)` pairs from `explain`.
        export_dir: Absolute path of the exported SavedModel.
        sentences: The texts classified in the fresh process.
        fresh_labels: The SavedModel's labels for them, in that process.
        fresh_probabilities: Its probabilities, one row per sentence, columns
            in `label_names` order.
        predicted_labels: `TextClassifier.predict` on the same sentences.
        predicted_probabilities: `TextClassifier.predict_proba` on them.
        label_names: The classes, in column order.
        plot_paths: The PNG files written (empty without matplotlib).
        seconds: Wall-clock time of the whole run.
    """

    train_size: int
    test_size: int
    epochs: int
    accuracy: float
    macro_f1: float
    vocabulary_size: int
    explained_text: str
    token_weights: list
    export_dir: str
    sentences: list
    fresh_labels: list
    fresh_probabilities: list
    predicted_labels: list
    predicted_probabilities: list
    label_names: list
    plot_paths: list
    seconds: float


def corpus_path() -> str:
    """The path of gensim's `pang_lee_polarity.cor` test file.

    Raises:
        FileNotFoundError: gensim is installed without its test data.
    """
    import gensim

    path = os.path.join(
        os.path.dirname(gensim.__file__), "test", "test_data", "pang_lee_polarity.cor"
    )
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"The demo reads gensim's test data, but {path!r} is missing; "
            "reinstall gensim from its wheel (`pip install --force-reinstall "
            "gensim`)"
        )
    return path


def stratified_split(
    labels, test_fraction: float = 0.2, seed: int = 0
) -> tuple[list[int], list[int]]:
    """Indices of a stratified train / test split.

    Each label keeps `round(test_fraction * count)` of its examples for the
    test side, drawn with NumPy's generator seeded by `seed`.

    Returns:
        The sorted train indices and the sorted test indices.

    Example:

    >>> from kerasseq.demo import stratified_split
    >>> train, test = stratified_split(["a"] * 5 + ["b"] * 10, 0.2, seed=0)
    >>> len(train), len(test), sum(index >= 5 for index in test)
    (12, 3, 2)
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(
            "`test_fraction` must be in (0, 1), received: "
            f"test_fraction={test_fraction!r}"
        )
    rng = np.random.default_rng(seed)
    labels = list(labels)
    test = []
    for label in sorted(set(labels)):
        indices = [i for i, item in enumerate(labels) if item == label]
        count = int(round(test_fraction * len(indices)))
        test.extend(rng.permutation(indices)[:count].tolist())
    test = sorted(test)
    chosen = set(test)
    return [i for i in range(len(labels)) if i not in chosen], test


def run(
    epochs: int = 20,
    cell: str = "gru",
    export_dir="saved_models/demo/1",
    plot_dir="runs/demo",
    seed: int = 0,
    seconds: float | None = None,
    verbose: bool = True,
) -> DemoResult:
    """Runs the demo (see the module docstring) and returns what it found.

    Args:
        epochs: Training epochs. Defaults to `20`.
        cell: Recurrent cell (`"gru"`, `"lstm"`, `"simple_rnn"`). Defaults
            to `"gru"`.
        export_dir: Where the SavedModel goes (replaced if it exists).
            Defaults to `"saved_models/demo/1"`, relative to the current
            folder.
        plot_dir: Folder of the PNG plots. Defaults to `"runs/demo"`.
        seed: Seed of the split, the vectors and the classifier. Defaults
            to `0`.
        seconds: Optional cap on the training time: training stops after
            the first epoch that ends past it. Defaults to `None` (all
            `epochs`).
        verbose: Whether to print the stages. Defaults to `True`.

    Returns:
        A `DemoResult`.
    """
    epochs = validation.check_positive_int("epochs", epochs)
    registry.get_cell_class(cell)  # An unknown name fails here, not after training.
    if seconds is not None and not seconds > 0:
        raise ValueError(
            f"`seconds` must be positive or None, received: seconds={seconds!r}"
        )
    start = time.perf_counter()
    say = print if verbose else (lambda *args, **kwargs: None)
    export_dir = os.path.abspath(os.fspath(export_dir))
    plot_dir = os.path.abspath(os.fspath(plot_dir))

    from kerasseq.data import read_fasttext
    from kerasseq.embeddings import train_word2vec
    from kerasseq.pipelines import TextClassifier
    from kerasseq.tokenizers import WordTokenizer

    # === 1. Data ===
    path = corpus_path()
    data = read_fasttext(path, encoding="cp1252")  # As the original release.
    train_ids, test_ids = stratified_split(data.labels, 0.2, seed=seed)
    train_texts = [data.texts[i] for i in train_ids]
    train_labels = [data.labels[i] for i in train_ids]
    test_texts = [data.texts[i] for i in test_ids]
    test_labels = [data.labels[i] for i in test_ids]
    counts = ", ".join(
        f"{name} {data.labels.count(name)}" for name in sorted(set(data.labels))
    )
    say(f"== 1/6 Data: {len(data.texts)} movie-review sentences installed by gensim")
    say(f"   {path}")
    say(
        f"   labels: {counts}; {len(train_texts)} for training, "
        f"{len(test_texts)} held out (stratified, seed {seed})"
    )

    with tempfile.TemporaryDirectory(prefix="kerasseq-demo-") as tmp:
        # === 2. Word2Vec ===
        # Tokenized as the classifier tokenizes, so every training word
        # finds its vector.
        tokens = WordTokenizer()(train_texts).to_list()
        sentences = [[token.decode("utf-8") for token in row] for row in tokens]
        vectors = train_word2vec(
            sentences,
            vector_size=32,
            window=5,
            min_count=1,
            epochs=50,
            sample=0,
            seed=seed,
        )
        vectors_path = os.path.join(tmp, "word2vec.txt")
        vectors.save_word2vec_format(vectors_path, binary=False)
        say(
            "== 2/6 Word2Vec vectors (kerasseq.embeddings.train_word2vec) on "
            "the training sentences"
        )
        say(
            f"   {len(vectors.index_to_key):,} words x {vectors.vector_size} "
            "dimensions, in a word2vec text file"
        )

        # === 3. Classifier ===
        clf = TextClassifier(
            cell=cell,
            bidirectional=True,
            units=16,
            pooling="attention",
            embeddings=vectors_path,
            dropout=0.2,
            learning_rate=3e-3,
            seed=seed,
        )
        say(
            f"== 3/6 TextClassifier: Bidirectional {cell.upper()}(16) + attention "
            f"pooling, embedding from those vectors, {epochs} epochs"
        )
        callbacks = [_TimeLimit(seconds)] if seconds is not None else None
        fit_start = time.perf_counter()
        history = clf.fit(
            train_texts,
            train_labels,
            validation_data=(test_texts, test_labels),
            epochs=epochs,
            batch_size=16,
            verbose=0,
            callbacks=callbacks,
        )
    losses = history.history["loss"]
    epochs_run = len(losses)
    say(
        f"   trained {epochs_run} epochs in {time.perf_counter() - fit_start:.0f} s; "
        f"training loss {losses[0]:.2f} -> {losses[-1]:.2f}"
    )
    metrics = clf.evaluate(test_texts, test_labels)
    say(
        f"   held-out ({len(test_texts)} sentences): accuracy "
        f"{metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f} "
        f"(chance 0.5; one standard error {_standard_error(len(test_texts)):.2f})"
    )
    say(
        f"   Modest by design: {len(train_texts)} training sentences are far "
        "too few; this shows the workflow."
    )
    say(
        "   The real recipe: kerasseq train pipelines/sentiment_rt.toml "
        "(10,662 sentences, GloVe)."
    )

    # === 4. Attention weights ===
    explained = test_texts[0]
    weights = clf.explain(explained)
    predicted = clf.predict([explained])[0]
    top = sorted(weights, key=lambda pair: -pair[1])[:5]
    say("== 4/6 Attention weights of a held-out sentence (clf.explain)")
    say(f'   "{explained}"')
    say(f"   predicted {predicted}, true {test_labels[0]}; top tokens:")
    say("   " + ", ".join(f"{token} {weight:.2f}" for token, weight in top))

    # === 5. Export ===
    clf.export(export_dir, check_texts=SENTENCES, overwrite=True)
    say("== 5/6 Exported SavedModel (serving_default: texts -> label, probabilities)")
    say(f"   {_display_path(export_dir)}")

    # === 6. Fresh process ===
    fresh = _classify_in_fresh_process(export_dir, SENTENCES)
    predicted_labels = clf.predict(SENTENCES)
    predicted_probabilities = clf.predict_proba(SENTENCES)
    label_names = fresh["label_names"]
    say("== 6/6 Reloaded in a fresh Python process that imports only TensorFlow")
    for text, label, row in zip(
        SENTENCES, fresh["label"], fresh["probabilities"], strict=True
    ):
        probabilities = ", ".join(
            f"{name} {value:.2f}" for name, value in zip(label_names, row, strict=True)
        )
        say(f'   {label:<4} ({probabilities})  "{text}"')
    same = fresh["label"] == [str(label) for label in predicted_labels] and np.allclose(
        fresh["probabilities"], predicted_probabilities, atol=1e-5
    )
    say(f"   same answers as clf.predict in this process: {'yes' if same else 'NO'}")

    # === Plots ===
    title = f"clf.explain: predicted {predicted}, true {test_labels[0]}"
    plot_paths = _plots(history, weights, title, plot_dir, say)
    elapsed = time.perf_counter() - start
    say(f"Done in {elapsed:.0f} s.")
    return DemoResult(
        train_size=len(train_texts),
        test_size=len(test_texts),
        epochs=epochs_run,
        accuracy=metrics["accuracy"],
        macro_f1=metrics["macro_f1"],
        vocabulary_size=len(vectors.index_to_key),
        explained_text=explained,
        token_weights=weights,
        export_dir=export_dir,
        sentences=list(SENTENCES),
        fresh_labels=fresh["label"],
        fresh_probabilities=fresh["probabilities"],
        predicted_labels=list(predicted_labels),
        predicted_probabilities=predicted_probabilities.tolist(),
        label_names=label_names,
        plot_paths=plot_paths,
        seconds=elapsed,
    )


class _TimeLimit(keras.callbacks.Callback):
    """Stops training after the first epoch that ends past `seconds`."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() - self.start > self.seconds:
            self.model.stop_training = True


# Runs in the fresh process: TensorFlow only (and json, to read the labels
# that travel in the SavedModel's assets).
_CLASSIFY_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import tensorflow as tf
    path, texts = sys.argv[1], json.loads(sys.argv[2])
    serve = tf.saved_model.load(path).signatures["serving_default"]
    outputs = serve(texts=tf.constant(texts))
    with open(os.path.join(path, "assets", "labels.json"), encoding="utf-8") as f:
        label_names = json.load(f)["label_names"]
    print(json.dumps({
        "label": [label.decode("utf-8") for label in outputs["label"].numpy()],
        "probabilities": outputs["probabilities"].numpy().tolist(),
        "label_names": label_names,
        "kerasseq_imported": "kerasseq" in sys.modules,
    }))
    """
)


def _classify_in_fresh_process(export_dir, texts) -> dict:
    """Classifies `texts` with the SavedModel in a new `sys.executable`."""
    result = subprocess.run(
        [sys.executable, "-c", _CLASSIFY_SCRIPT, export_dir, json.dumps(texts)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        cwd=export_dir,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"The fresh process could not classify with {export_dir!r}:\n"
            f"{result.stderr[-3000:]}"
        )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    if answer.pop("kerasseq_imported"):
        raise RuntimeError("The fresh process imported kerasseq")
    return answer


def _plots(history, weights, title, plot_dir, say) -> list:
    """Writes the history and token-weight PNGs; none without matplotlib."""
    from kerasseq import plotting

    try:
        paths = [
            plotting.plot_history(history, os.path.join(plot_dir, "history.png")),
            plotting.plot_token_weights(
                weights,
                os.path.join(plot_dir, "token_weights.png"),
                title=title,
            ),
        ]
    except ImportError:
        say(
            'Plots skipped: matplotlib is not installed (pip install "kerasseq[plot]").'
        )
        return []
    say("Plots: " + ", ".join(_display_path(path) for path in paths))
    return paths


def _standard_error(count) -> float:
    """The standard error of an accuracy near 0.5 measured on `count` texts."""
    return float(np.sqrt(0.25 / count))


def _display_path(path) -> str:
    """`path` relative to the current folder when it lies inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
