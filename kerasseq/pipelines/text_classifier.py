"""Text classification from raw strings to labels, end to end."""

import dataclasses
import json
import os
from collections.abc import Hashable
from typing import Literal

import keras
import numpy as np
import tensorflow as tf

from kerasseq import registry
from kerasseq import validation
from kerasseq.models.text_classifier_model import TextClassifierModel
from kerasseq.pipelines.pipeline import Pipeline
from kerasseq.preprocessors.text_classifier_preprocessor import (
    TextClassifierPreprocessor,
)
from kerasseq.tokenizers import Vocabulary
from kerasseq.tokenizers import WordTokenizer

LABELS_FILE = "labels.json"


@dataclasses.dataclass
class TextClassifierConfig:
    """The settings of a `TextClassifier` (see its Args)."""

    cell: str = "gru"
    bidirectional: bool = True
    units: int = 128
    num_layers: int = 1
    pooling: Literal["last", "mean", "max", "attention"] = "attention"
    embedding_dim: int | None = None
    embeddings: str | None = None
    oov: Literal["random", "zeros", "mean", "subword", "cascade"] = "random"
    trainable_embeddings: Literal["all", "partial", "none"] = "all"
    max_tokens: int = 20000
    min_count: int = 1
    pretrained_tokens: int = 0
    sequence_length: int | None = None
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    embedding_dropout: float = 0.0
    multi_label: bool = False
    threshold: float = 0.5
    learning_rate: float = 1e-3
    clipnorm: float | None = None
    seed: int | None = None
    strategy: Literal["mirrored", "auto"] | None = None
    deterministic: bool = False

    def __post_init__(self):
        registry.get_cell_class(self.cell)  # An unknown name: did-you-mean error.
        for name in ("units", "num_layers", "max_tokens", "min_count"):
            validation.check_positive_int(name, getattr(self, name))
        for name in ("embedding_dim", "sequence_length"):
            validation.check_positive_int(name, getattr(self, name), allow_none=True)
        validation.check_non_negative_int("pretrained_tokens", self.pretrained_tokens)
        validation.check_rate("dropout", self.dropout)
        validation.check_rate("recurrent_dropout", self.recurrent_dropout)
        validation.check_rate("embedding_dropout", self.embedding_dropout)
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(
                f"`threshold` must be in (0, 1), received: threshold={self.threshold!r}"
            )
        validation.check_positive("learning_rate", self.learning_rate)
        validation.check_positive("clipnorm", self.clipnorm, allow_none=True)
        if self.deterministic and self.seed is None:
            raise ValueError(
                "`deterministic=True` needs a `seed`, received: "
                "deterministic=True, seed=None"
            )
        if self.trainable_embeddings != "all" and self.embeddings is None:
            raise ValueError(
                "`trainable_embeddings` other than 'all' needs pretrained "
                "`embeddings`, received: "
                f"trainable_embeddings={self.trainable_embeddings!r}, embeddings=None"
            )
        if self.pretrained_tokens and self.embeddings is None:
            raise ValueError(
                "`pretrained_tokens` needs pretrained `embeddings`, received: "
                f"pretrained_tokens={self.pretrained_tokens!r}, embeddings=None"
            )


class TextClassifier(Pipeline):
    """Classifies raw texts with a recurrent network, from fit to SavedModel.

    `fit` adapts a `WordTokenizer` vocabulary to the training texts (at most
    `max_tokens` ids, tokens seen at least `min_count` times; then
    `pretrained_tokens` more from the pretrained vectors), maps the labels
    to ids in sorted order (`label_names`), builds a `TextClassifierModel`
    (embedding, `num_layers` recurrent layers, pooling, softmax or sigmoid
    head) and trains it with Adam on sparse categorical (or, with
    `multi_label=True`, binary) cross-entropy, logging `accuracy` (and
    `val_accuracy`; per label with `multi_label=True`) in `history`. The
    texts are tokenized in `tf.data` with the tokenizer of the
    `TextClassifierPreprocessor`, the layer that runs inside the exported
    SavedModel: training batches group texts of similar length
    (`fit(..., bucketing=True)`, the default), prediction keeps the order
    of the texts. A `tf.data.Dataset` of `(text, label)` pairs with string
    or integer labels is streamed (labels mapped to ids by a
    `tf.lookup.StaticHashTable`); `fit` also takes early stopping,
    checkpointing, `BackupAndRestore` and TensorBoard arguments (see
    `Pipeline.fit`).

    Labels may be of any hashable type that sorts (strings, ints, bools);
    `predict` returns them in that type, and `fit(..., class_weight=...)`
    takes a dict keyed by them (`{"pos": 1.0, "neg": 3.0}`). With
    `multi_label=True` each label is a collection of such labels and
    `predict` returns, per text, the sorted tuple of labels whose
    probability is at least `threshold`.

    Args:
        cell: Recurrent cell name of `kerasseq.registry` (`"gru"`, `"lstm"`,
            `"simple_rnn"`). Defaults to `"gru"`.
        bidirectional: Whether each layer also reads backwards. Defaults to
            `True`.
        units: Units per recurrent layer and direction. Defaults to `128`.
        num_layers: Stacked recurrent layers. Defaults to `1`.
        pooling: `"last"`, `"mean"`, `"max"` or `"attention"` (which
            `explain` needs). Defaults to `"attention"`.
        embedding_dim: Token vector size. Defaults to `None`: 128, or the
            dimension of `embeddings`; a value contradicting the vectors is an
            error at `fit`.
        embeddings: Optional pretrained vectors, a path or gensim-data name
            for `kerasseq.embeddings.load_vectors`. Defaults to `None`.
        oov: How vocabulary tokens missing from `embeddings` are initialised
            (see `kerasseq.embeddings.build_embedding_matrix`). Defaults to
            `"random"`.
        trainable_embeddings: `"all"`, `"partial"` (only rows without a
            pretrained vector train) or `"none"`; the last two need
            `embeddings`. Defaults to `"all"`.
        max_tokens: Largest vocabulary size, reserved tokens included.
            Defaults to `20000`.
        min_count: Least count of a vocabulary token. Defaults to `1`.
        pretrained_tokens: How many words of `embeddings` that the training
            texts lack are added to the vocabulary, most frequent first
            (`kerasseq.embeddings.pretrained_tokens`; words the tokenizer
            never produces are skipped). A word first met at prediction
            time, or too rare in training for `min_count`, then gets its
            pretrained vector instead of `[UNK]`'s. They come on top of
            `max_tokens`. Defaults to `0` (none).
        sequence_length: Optional padded length; longer texts are truncated.
            Defaults to `None` (each batch padded to its longest text).
        dropout: Recurrent input and pooled-vector dropout. Defaults to `0.0`.
        recurrent_dropout: Recurrent state dropout. Defaults to `0.0`.
        embedding_dropout: Spatial dropout of the token vectors (whole
            embedding channels per text). Defaults to `0.0`.
        multi_label: Independent sigmoid outputs, several labels per text.
            Defaults to `False`.
        threshold: Probability from which a label is predicted, with
            `multi_label=True`. Defaults to `0.5`.
        learning_rate: Adam learning rate. Defaults to `1e-3`.
        clipnorm: Optional gradient norm clipping. Defaults to `None`.
        seed: Optional seed of the weights, the OOV vectors and the shuffling
            (it sets Keras's global seed at the first `fit`). Defaults to
            `None`.
        strategy: The `tf.distribute.Strategy` to build and train under:
            `None` (the default strategy, or the one whose scope `fit` is
            called in), `"mirrored"` (`tf.distribute.MirroredStrategy` over
            all visible devices), `"auto"` (mirrored when more than one GPU
            is visible), or a `tf.distribute.Strategy` object (kept as
            `self.strategy`; the settings then record `None`, since it
            cannot be serialized). Defaults to `None`.
        deterministic: Whether the first `fit` calls
            `tf.config.experimental.enable_op_determinism()` (process-wide),
            so that runs with the same `seed` give the same weights; needs
            `seed`. Defaults to `False`.

    Example:

    >>> from kerasseq.pipelines import TextClassifier
    >>> clf = TextClassifier(units=8, embedding_dim=8, seed=1)
    >>> texts = ["good film", "great film", "bad film", "awful film"] * 8
    >>> labels = ["pos", "pos", "neg", "neg"] * 8
    >>> _ = clf.fit(texts, labels, epochs=2, verbose=0)
    >>> clf.label_names
    ['neg', 'pos']
    >>> clf.predict(["good", "awful"])[0] in ("neg", "pos")
    True
    >>> sorted(clf.evaluate(texts, labels))
    ['accuracy', 'loss', 'macro_f1']
    """

    config_class = TextClassifierConfig
    name = "text_classifier"

    def __init__(
        self,
        cell: str = "gru",
        bidirectional: bool = True,
        units: int = 128,
        num_layers: int = 1,
        pooling: str = "attention",
        embedding_dim: int | None = None,
        embeddings: str | None = None,
        oov: str = "random",
        trainable_embeddings: str = "all",
        max_tokens: int = 20000,
        min_count: int = 1,
        pretrained_tokens: int = 0,
        sequence_length: int | None = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        embedding_dropout: float = 0.0,
        multi_label: bool = False,
        threshold: float = 0.5,
        learning_rate: float = 1e-3,
        clipnorm: float | None = None,
        seed: int | None = None,
        strategy: str | tf.distribute.Strategy | None = None,
        deterministic: bool = False,
    ):
        if embeddings is not None:
            embeddings = os.fspath(embeddings)
        settings = dict(locals())
        settings.pop("self")
        settings.pop("__class__", None)
        super().__init__(**settings)
        self.label_names = None
        self._label_ids = None

    # === Labels ===

    def _set_labels(self, labels):
        names = set()
        for index, label in enumerate(labels):
            for item in self._label_items(label, index):
                names.add(item)
        try:
            self.label_names = sorted(names)
        except TypeError:
            raise ValueError(
                "Labels must be of one sortable type (e.g. all strings or all "
                f"ints), received: {sorted(map(repr, names))}"
            ) from None
        if not self.settings.multi_label and len(self.label_names) < 2:
            raise ValueError(
                "Single-label classification needs at least 2 distinct labels, "
                f"received only: {self.label_names!r}"
            )
        self._label_ids = {name: i for i, name in enumerate(self.label_names)}

    def _label_items(self, label, index):
        """The labels of one example (one, or several with multi_label)."""
        if self.settings.multi_label:
            if isinstance(label, (str, bytes)) or not hasattr(label, "__iter__"):
                raise ValueError(
                    "With `multi_label=True` each label must be a collection of "
                    f"labels, received: y[{index}]={label!r}"
                )
            items = [_plain(item) for item in label]
        else:
            items = [_plain(label)]
        for item in items:
            if item is None or not isinstance(item, Hashable):
                raise ValueError(
                    f"Labels must be hashable and not None, received: "
                    f"y[{index}]={label!r}"
                )
        return items

    def _label_id(self, item):
        try:
            return self._label_ids[item]
        except KeyError:
            raise ValueError(
                f"Unknown label {item!r}: it was not seen in `fit`; known "
                f"labels: {self.label_names!r}"
            ) from None

    def _targets(self, labels):
        if self.settings.multi_label:
            targets = np.zeros((len(labels), len(self.label_names)), "float32")
            for row, label in enumerate(labels):
                for item in self._label_items(label, row):
                    targets[row, self._label_id(item)] = 1.0
            return targets
        return np.array(
            [
                self._label_id(self._label_items(label, row)[0])
                for row, label in enumerate(labels)
            ],
            dtype="int32",
        )

    def _metric_names(self):
        return ["loss", "accuracy"]

    def _can_stream(self, label_spec):
        # Scalar string or integer labels map to ids through a hash table.
        return not self.settings.multi_label and (
            label_spec.dtype == tf.string or label_spec.dtype.is_integer
        )

    def _label_lookup(self):
        names = self.label_names
        if all(isinstance(name, str) for name in names):
            dtype = tf.string
        elif all(
            isinstance(name, int) and not isinstance(name, bool) for name in names
        ):
            dtype = tf.int64
        else:
            return None
        table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(names, dtype), tf.range(len(names), dtype=tf.int32)
            ),
            default_value=-1,
        )
        return dtype, table.lookup

    def _fit_kwargs(self, fit_kwargs):
        """`class_weight` keyed by the user's labels becomes keyed by ids."""
        class_weight = fit_kwargs.get("class_weight")
        if class_weight is not None:
            if self.settings.multi_label:
                raise ValueError(
                    "`class_weight` is not supported with `multi_label=True`"
                )
            fit_kwargs = dict(fit_kwargs)
            fit_kwargs["class_weight"] = {
                self._label_id(_plain(label)): float(weight)
                for label, weight in dict(class_weight).items()
            }
        return fit_kwargs

    # === Building ===

    def _build(self, texts, labels):
        settings = self.settings
        self._set_labels(labels)
        if settings.seed is not None:
            keras.utils.set_random_seed(settings.seed)
        tokenizer = WordTokenizer()
        tokenizer.adapt(
            texts, max_tokens=settings.max_tokens, min_count=settings.min_count
        )
        embedding_dim = settings.embedding_dim or 128
        weights, trainable_rows = None, None
        if settings.embeddings is not None:
            from kerasseq.embeddings import build_embedding_matrix
            from kerasseq.embeddings import load_vectors

            vectors = load_vectors(settings.embeddings)
            if settings.embedding_dim not in (None, vectors.vector_size):
                raise ValueError(
                    "`embedding_dim` contradicts the pretrained embeddings: "
                    f"received embedding_dim={settings.embedding_dim}, but "
                    f"{settings.embeddings!r} has {vectors.vector_size} dimensions"
                )
            if settings.pretrained_tokens:
                _add_pretrained_tokens(tokenizer, vectors, settings.pretrained_tokens)
            matrix = build_embedding_matrix(
                vectors,
                tokenizer.vocabulary,
                oov=settings.oov,
                seed=settings.seed,
            )
            weights = matrix.matrix
            trainable_rows = matrix.trainable_rows
            embedding_dim = matrix.output_dim
        with self._scope():
            self.model = self._build_model(
                tokenizer, embedding_dim, weights, trainable_rows
            )
        self.tokenizer = tokenizer
        self.preprocessor = TextClassifierPreprocessor(
            tokenizer, sequence_length=settings.sequence_length
        )

    def _build_model(self, tokenizer, embedding_dim, weights, trainable_rows):
        settings = self.settings
        model = TextClassifierModel(
            vocabulary_size=tokenizer.vocabulary_size,
            num_classes=len(self.label_names),
            embedding_dim=embedding_dim,
            cell=settings.cell,
            units=settings.units,
            num_layers=settings.num_layers,
            bidirectional=settings.bidirectional,
            pooling=settings.pooling,
            dropout=settings.dropout,
            recurrent_dropout=settings.recurrent_dropout,
            embedding_dropout=settings.embedding_dropout,
            multi_label=settings.multi_label,
            embedding_trainability=settings.trainable_embeddings,
            trainable_rows=trainable_rows,
            embedding_weights=weights,
        )
        optimizer = keras.optimizers.Adam(
            learning_rate=settings.learning_rate, clipnorm=settings.clipnorm
        )
        loss = (
            "binary_crossentropy"
            if settings.multi_label
            else "sparse_categorical_crossentropy"
        )
        if settings.multi_label:
            # Per label and text, not the exact match of `evaluate`.
            accuracy = keras.metrics.BinaryAccuracy(
                name="accuracy", threshold=settings.threshold
            )
        else:
            accuracy = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        model.compile(optimizer=optimizer, loss=loss, metrics=[accuracy])
        return model

    def _restore(self, directory):
        vocabulary = Vocabulary.load(os.path.join(directory, self.VOCABULARY_FILE))
        self.tokenizer = WordTokenizer(vocabulary=vocabulary)
        self.preprocessor = TextClassifierPreprocessor(
            self.tokenizer, sequence_length=self.settings.sequence_length
        )
        with self._scope():
            self.model = keras.saving.load_model(
                os.path.join(directory, self.MODEL_FILE)
            )

    def _save_extra(self, directory):
        try:
            text = json.dumps({"label_names": self.label_names})
        except TypeError:
            raise ValueError(
                "`save` needs labels that JSON can hold (str, int, float, bool), "
                f"received: {self.label_names!r}"
            ) from None
        with open(os.path.join(directory, LABELS_FILE), "w", encoding="utf-8") as f:
            f.write(text)

    def _load_extra(self, directory):
        with open(os.path.join(directory, LABELS_FILE), encoding="utf-8") as f:
            self.label_names = json.load(f)["label_names"]
        self._label_ids = {name: i for i, name in enumerate(self.label_names)}

    # === Inference ===

    def predict_proba(self, x, batch_size: int = 32, verbose=0) -> np.ndarray:
        """Float32 probabilities `(len(x), len(label_names))`."""
        return np.asarray(self._predict_outputs(x, batch_size, verbose), "float32")

    def _decode(self, outputs):
        outputs = np.asarray(outputs)
        if self.settings.multi_label:
            chosen = outputs >= self.settings.threshold
            return [
                tuple(self.label_names[i] for i in np.flatnonzero(row))
                for row in chosen
            ]
        return [self.label_names[i] for i in np.argmax(outputs, axis=-1)]

    def evaluate(self, x, y=None, batch_size: int = 32, verbose=0) -> dict:
        """Loss, accuracy and macro-F1 of the predictions for `x` against `y`.

        Accuracy is exact-match (all labels right) with `multi_label=True`.
        Macro-F1 averages, over the classes that occur in `y` or in the
        predictions, `2·TP / (2·TP + FP + FN)` (as scikit-learn's
        `f1_score(average="macro")`).

        Returns:
            A dict `{"loss", "accuracy", "macro_f1"}` of floats.

        Raises:
            ValueError: for a label never seen in `fit` (named).
        """
        self._check_fitted()
        x, y = self._texts_and_labels(x, y)
        texts = self._check_texts(x)
        labels = self._check_labels(texts, y)
        targets = self._targets(labels)
        probabilities = self.predict_proba(texts, batch_size, verbose)
        num_classes = len(self.label_names)
        if self.settings.multi_label:
            loss = keras.losses.binary_crossentropy(targets, probabilities)
            true = targets.astype(bool)
            predicted = probabilities >= self.settings.threshold
            accuracy = np.mean(np.all(true == predicted, axis=-1))
        else:
            loss = keras.losses.sparse_categorical_crossentropy(targets, probabilities)
            true = np.eye(num_classes, dtype=bool)[targets]
            predicted = np.eye(num_classes, dtype=bool)[
                np.argmax(probabilities, axis=-1)
            ]
            accuracy = np.mean(np.argmax(probabilities, axis=-1) == targets)
        return {
            "loss": float(np.mean(keras.ops.convert_to_numpy(loss))),
            "accuracy": float(accuracy),
            "macro_f1": macro_f1(true, predicted),
        }

    def explain(self, text: str) -> list[tuple[str, float]]:
        """The attention weight of each token of `text` (attention pooling).

        Returns:
            A list of `(token, weight)` pairs, the text's tokens after
            tokenization and truncation to `sequence_length`, the weights
            summing to one (an empty list for a text without tokens).
        """
        self._check_fitted()
        if not isinstance(text, str):
            raise ValueError(
                f"`text` must be a string, received: {text!r} of type "
                f"{type(text).__name__}"
            )
        if self.settings.pooling != "attention":
            raise ValueError(
                "`explain` needs pooling='attention', received: "
                f"pooling={self.settings.pooling!r}"
            )
        tokens = [token.decode("utf-8") for token in self.tokenizer.split(text).numpy()]
        if self.settings.sequence_length is not None:
            tokens = tokens[: self.settings.sequence_length]
        _, weights = self.model.attention_model()(self.preprocessor([text]))
        weights = keras.ops.convert_to_numpy(weights)[0]
        return [(token, float(weights[i])) for i, token in enumerate(tokens)]

    # === Export ===

    def _serving_outputs(self, probabilities):
        names = tf.constant([str(name) for name in self.label_names], tf.string)
        if self.settings.multi_label:
            chosen = probabilities >= self.settings.threshold
            selected = tf.ragged.boolean_mask(
                tf.broadcast_to(names, tf.shape(probabilities)), chosen
            )
            label = tf.strings.reduce_join(selected, axis=-1, separator=",")
        else:
            label = tf.gather(names, tf.argmax(probabilities, axis=-1))
        return {"label": label, "probabilities": probabilities}

    def _expected_serving_outputs(self, texts):
        probabilities = self.predict_proba(texts)
        predictions = self._decode(probabilities)
        if self.settings.multi_label:
            labels = [",".join(str(item) for item in row) for row in predictions]
        else:
            labels = [str(label) for label in predictions]
        return {"label": np.array(labels, object), "probabilities": probabilities}


def _add_pretrained_tokens(tokenizer, vectors, count):
    """Extends the tokenizer's vocabulary by `count` words of `vectors`."""
    from kerasseq.embeddings import pretrained_tokens

    vocabulary = tokenizer.vocabulary
    extra = pretrained_tokens(vectors, count, vocabulary, tokenizer=tokenizer)
    vocabulary.set_vocabulary(vocabulary.tokens + extra, counts=vocabulary.counts)


def macro_f1(true: np.ndarray, predicted: np.ndarray) -> float:
    """Macro-averaged F1 of boolean indicator matrices `(examples, classes)`.

    Averages over the classes present in `true` or `predicted`.

    Example:

    >>> from kerasseq.pipelines.text_classifier import macro_f1
    >>> true = np.array([[1, 0], [1, 0], [0, 1]], bool)
    >>> predicted = np.array([[1, 0], [0, 1], [0, 1]], bool)
    >>> round(macro_f1(true, predicted), 4)  # F1 2/3 and 2/3
    0.6667
    """
    true = np.asarray(true, bool)
    predicted = np.asarray(predicted, bool)
    tp = np.sum(true & predicted, axis=0)
    fp = np.sum(~true & predicted, axis=0)
    fn = np.sum(true & ~predicted, axis=0)
    present = (tp + fp + fn) > 0
    if not present.any():
        return 0.0
    f1 = 2 * tp[present] / (2 * tp[present] + fp[present] + fn[present])
    return float(np.mean(f1))


def _plain(label):
    """NumPy scalars as Python ones (so predictions come back as `int`, ...)."""
    return label.item() if isinstance(label, np.generic) else label
