"""The base of every kerasseq pipeline: fit, predict, evaluate, save, export.

A pipeline is what users touch: raw Python texts and labels in, labels (or
tags, or text) out. It owns

- its settings, a dataclass (`config_class`) filled through
  `kerasseq.config.from_dict`, so unknown keys and wrong types are rejected
  with the dotted key named, and `get_config()` / `from_config()` round-trip
  through a plain dict (and TOML, with `kerasseq.config.dumps`);
- a tokenizer, a preprocessor layer (raw strings to model inputs, in-graph)
  and a Keras model, all built lazily on the first `fit`, because the
  vocabulary and the label set come from the training data.

Subclasses implement:

- `_build(texts, labels)`: create `self.tokenizer`, `self.preprocessor` and
  a compiled `self.model` from the training data;
- `_targets(labels)`: the labels as a NumPy array the model trains on;
- `_decode(outputs)`: model outputs (NumPy) to Python predictions;
- `_serving_outputs(outputs)`: model outputs (tensors) to the dict the
  exported `serving_default` signature returns;
- `_expected_serving_outputs(texts)`: what that signature must answer, as
  NumPy arrays, computed with `predict` (for the export check);
- optionally `_to_dataset`, `_check_texts`, `_save_extra`, `_load_extra`.
"""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

import keras
import numpy as np
import tensorflow as tf

from kerasseq import config as config_lib
from kerasseq import validation


class Pipeline:
    """Shared machinery of the kerasseq pipelines (see the module docstring).

    Not used directly: subclasses set `config_class` (a dataclass of their
    settings) and implement the building and decoding hooks.

    Args:
        **settings: Values of the fields of `config_class`; unknown names
            and values of the wrong type raise a `ValueError`
            (`kerasseq.config.ConfigError`).

    Attributes:
        settings: The `config_class` instance.
        tokenizer, preprocessor, model: `None` until the first `fit` (or
            `load`).
        history: The `keras.callbacks.History` of the last `fit`, or `None`.
    """

    config_class = None
    # Files of a saved pipeline directory.
    CONFIG_FILE = "config.toml"
    VOCABULARY_FILE = "vocabulary.txt"
    MODEL_FILE = "model.keras"

    def __init__(self, **settings):
        if self.config_class is None:
            raise TypeError(
                f"{type(self).__name__} must set `config_class` (a dataclass)"
            )
        self.settings = config_lib.from_dict(self.config_class, settings)
        self.tokenizer = None
        self.preprocessor = None
        self.model = None
        self.history = None

    # === Config ===

    def get_config(self) -> dict:
        """The settings as a plain dict (`None` values included)."""
        return dataclasses.asdict(self.settings)

    @classmethod
    def from_config(cls, config: dict) -> "Pipeline":
        """A new, unfitted pipeline from `get_config()` (or a TOML table).

        Unknown keys raise a `ValueError` naming the key.
        """
        settings = config_lib.from_dict(cls.config_class, dict(config))
        return cls(**dataclasses.asdict(settings))

    def __repr__(self):
        fitted = "fitted" if self.model is not None else "not fitted"
        return f"<{type(self).__name__} {fitted} {self.get_config()}>"

    # === Hooks ===

    def _build(self, texts, labels):
        raise NotImplementedError

    def _targets(self, labels):
        raise NotImplementedError

    def _decode(self, outputs):
        raise NotImplementedError

    def _serving_outputs(self, outputs):
        raise NotImplementedError

    def _expected_serving_outputs(self, texts):
        raise NotImplementedError

    def _fit_kwargs(self, fit_kwargs):
        """Adapts extra `fit` arguments (e.g. `class_weight` keys) to the model."""
        return fit_kwargs

    def _save_extra(self, directory):
        """Writes subclass files (label names, ...) into `directory`."""

    def _load_extra(self, directory):
        """Reads what `_save_extra` wrote."""

    def _texts_and_labels(self, x, y=None):
        """Unpacks the other input forms into Python texts and labels.

        - a `tf.data.Dataset` of texts or of `(text, label)` pairs
          (unbatched) is read into Python lists (bytes become `str`, NumPy
          scalars Python scalars), since labels of any type are mapped to ids
          in Python;
        - an object with `texts` and `labels` attributes (a
          `kerasseq.data.LabelledTexts`, as the readers return) gives those;
        - anything else is returned as is, for `_check_texts`.
        """
        if isinstance(x, tf.data.Dataset):
            if y is not None:
                raise ValueError(
                    "`y` must be None when `x` is a tf.data.Dataset (its "
                    "elements carry the labels)"
                )
            texts, labels = [], []
            for element in x.as_numpy_iterator():
                if isinstance(element, tuple):
                    text = element[0]
                    labels.append(_python_value(element[1]))
                else:
                    text = element
                texts.append(_python_value(text))
            return texts, (labels or None)
        if hasattr(x, "texts") and hasattr(x, "labels"):
            if y is not None:
                raise ValueError(
                    f"`y` must be None when `x` ({type(x).__name__}) carries the labels"
                )
            return x.texts, x.labels
        return x, y

    def _check_texts(self, texts, name="x"):
        """`texts` as a non-empty list of strings, with a clear error."""
        if isinstance(texts, (str, bytes)):
            raise ValueError(
                f"`{name}` must be a list of texts, not one string, received: "
                f"{name}={texts!r}"
            )
        if hasattr(texts, "tolist") and not isinstance(texts, list):
            texts = texts.tolist()  # NumPy arrays and pandas Series.
        try:
            texts = list(texts)
        except TypeError:
            raise ValueError(
                f"`{name}` must be a list of texts, received: {name} of type "
                f"{type(texts).__name__}"
            ) from None
        if not texts:
            raise ValueError(f"`{name}` must hold at least one text, received: []")
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise ValueError(
                    f"`{name}` must hold strings, received: {name}[{index}]="
                    f"{text!r} of type {type(text).__name__}"
                )
        return texts

    def _check_labels(self, texts, labels, name="y"):
        if labels is None:
            raise ValueError(f"`{name}` (the labels) must be given")
        if hasattr(labels, "tolist") and not isinstance(labels, list):
            labels = labels.tolist()
        labels = list(labels)
        if len(labels) != len(texts):
            raise ValueError(
                f"The texts and `{name}` must have the same length, received: "
                f"{len(texts)} texts and {len(labels)} labels"
            )
        return labels

    def _to_dataset(self, x, y=None, shuffle=False, batch_size=32):
        """Texts (and labels) as a batched, preprocessed `tf.data.Dataset`.

        Accepts lists, tuples, NumPy arrays and pandas Series of strings.
        The order: (shuffle) → batch → preprocessor map (in-graph
        tokenization, padding, mask) → prefetch.
        """
        texts = self._check_texts(x)
        if y is None:
            dataset = tf.data.Dataset.from_tensor_slices(tf.constant(texts, tf.string))
        else:
            labels = self._check_labels(texts, y)
            targets = self._targets(labels)
            dataset = tf.data.Dataset.from_tensor_slices(
                (tf.constant(texts, tf.string), targets)
            )
        if shuffle:
            seed = getattr(self.settings, "seed", None)
            dataset = dataset.shuffle(len(texts), seed=seed)
        dataset = dataset.batch(batch_size)
        preprocessor = self.preprocessor
        if y is None:
            dataset = dataset.map(
                lambda texts: preprocessor(texts), num_parallel_calls=tf.data.AUTOTUNE
            )
        else:
            dataset = dataset.map(
                lambda texts, targets: preprocessor(texts, targets),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        return dataset.prefetch(tf.data.AUTOTUNE)

    def _check_fitted(self):
        if self.model is None:
            raise ValueError(
                f"This {type(self).__name__} is not fitted yet: call `fit` (or "
                f"`{type(self).__name__}.load`) before using it"
            )

    # === Training and inference ===

    def fit(
        self,
        x,
        y=None,
        validation_data=None,
        epochs: int = 1,
        batch_size: int = 32,
        verbose="auto",
        callbacks=None,
        **fit_kwargs,
    ):
        """Trains the pipeline; the first call builds it from the data.

        The first `fit` adapts the vocabulary to `x`, fixes the label set from
        `y` and builds the model; later calls keep training the same model
        (a label unseen at the first `fit` is then an error).

        Args:
            x: The training texts (list, tuple, NumPy array, pandas Series),
                or a `tf.data.Dataset` of `(text, label)` pairs, or a
                `kerasseq.data.LabelledTexts` (see `_texts_and_labels`).
            y: Their labels, as long as `x` (`None` when `x` carries them).
            validation_data: Optional `(texts, labels)` (or a dataset or
                `LabelledTexts`) evaluated after each epoch (`val_loss`, ...
                in `history`).
            epochs: Number of epochs. Defaults to `1`.
            batch_size: Texts per batch. Defaults to `32`.
            verbose: As for `keras.Model.fit`. Defaults to `"auto"`.
            callbacks: Optional list of Keras callbacks.
            **fit_kwargs: Other `keras.Model.fit` arguments (`class_weight`,
                `initial_epoch`, ...); `shuffle` (default `True`) shuffles
                the texts in `tf.data` before batching, every epoch.

        Returns:
            The `keras.callbacks.History` (also kept as `self.history`).
        """
        epochs = validation.check_positive_int("epochs", epochs)
        batch_size = validation.check_positive_int("batch_size", batch_size)
        x, y = self._texts_and_labels(x, y)
        texts = self._check_texts(x)
        labels = self._check_labels(texts, y)
        shuffle = fit_kwargs.pop("shuffle", True)
        if self.model is None:
            self._build(texts, labels)
        fit_kwargs = self._fit_kwargs(fit_kwargs)
        train = self._to_dataset(texts, labels, shuffle=shuffle, batch_size=batch_size)
        validation_dataset = None
        if validation_data is not None and not isinstance(
            validation_data, (tuple, list)
        ):
            validation_data = self._texts_and_labels(validation_data)
        if validation_data is not None:
            if (
                not isinstance(validation_data, (tuple, list))
                or len(validation_data) != 2
            ):
                raise ValueError(
                    "`validation_data` must be a pair (texts, labels), received: "
                    f"validation_data of type {type(validation_data).__name__}"
                )
            validation_dataset = self._to_dataset(
                *validation_data, batch_size=batch_size
            )
        self.history = self.model.fit(
            train,
            validation_data=validation_dataset,
            epochs=epochs,
            shuffle=False,  # Done in tf.data above.
            verbose=verbose,
            callbacks=callbacks,
            **fit_kwargs,
        )
        return self.history

    def _predict_outputs(self, x, batch_size=32, verbose=0):
        self._check_fitted()
        x, _ = self._texts_and_labels(x)
        dataset = self._to_dataset(x, batch_size=batch_size)
        return self.model.predict(dataset, verbose=verbose)

    def predict(self, x, batch_size: int = 32, verbose=0):
        """Predictions for the texts `x`, decoded to Python values."""
        return self._decode(self._predict_outputs(x, batch_size, verbose))

    # === Files ===

    def save(self, directory, overwrite: bool = False) -> None:
        """Saves settings, vocabulary, subclass files and the Keras model.

        The directory holds `config.toml` (`kerasseq.config.dumps` of the
        settings), `vocabulary.txt`, subclass files (e.g. `labels.json`) and
        `model.keras` (weights and optimizer state, so a loaded pipeline can
        keep training). Everything is written to a temporary folder beside
        `directory` and renamed into place.

        Args:
            directory: The folder to create.
            overwrite: Whether to replace an existing `directory`. Defaults
                to `False` (an existing one is an error).
        """
        self._check_fitted()

        def write(tmp):
            self._write_files(tmp)
            self.model.save(os.path.join(tmp, self.MODEL_FILE))

        _write_directory(directory, write, overwrite)

    def _write_files(self, folder):
        """Writes the settings, the vocabulary and the subclass files."""
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, self.CONFIG_FILE)
        with open(path, "w", encoding="utf-8") as file:
            file.write(config_lib.dumps(self.settings))
        self.tokenizer.vocabulary.save(os.path.join(folder, self.VOCABULARY_FILE))
        self._save_extra(folder)

    @classmethod
    def load(cls, directory) -> "Pipeline":
        """Loads a pipeline written by `save`, ready to predict or train."""
        directory = os.fspath(directory)
        path = os.path.join(directory, cls.CONFIG_FILE)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"{directory!r} is not a saved {cls.__name__}: {path!r} is missing"
            )
        settings = config_lib.load(cls.config_class, path)
        pipeline = cls(**dataclasses.asdict(settings))
        pipeline._load_extra(directory)
        pipeline._restore(directory)
        return pipeline

    def _restore(self, directory):
        """Rebuilds tokenizer, preprocessor and model from saved files."""
        raise NotImplementedError

    # === Export ===

    def export(self, directory, check_texts=None, overwrite: bool = False) -> None:
        """Exports a SavedModel serving raw strings, and checks it.

        The SavedModel's `serving_default` signature takes `texts`, a
        `tf.string` tensor of shape `[None]`, and returns the subclass's
        outputs dict; the tokenizer runs inside (core TensorFlow ops only), so
        `tf.saved_model.load` serves it in a process that never imports
        kerasseq. The settings travel in `assets/config.toml`, the
        vocabulary in `assets/vocabulary.txt`, and the subclass files (e.g.
        `assets/labels.json`) beside them.

        It is written to a temporary folder beside `directory`, reloaded
        there in a fresh Python process (`sys.executable`, importing only
        TensorFlow), checked to answer as `predict` does on `check_texts`, and
        only then renamed into place.

        Args:
            directory: The SavedModel folder to create (e.g.
                `"saved_models/imdb/1"`).
            check_texts: Optional texts for the check. Defaults to a few
                fixed sentences (an empty one included).
            overwrite: Whether to replace an existing `directory`. Defaults to
                `False`.

        Raises:
            RuntimeError: when the reloaded SavedModel fails or answers
                differently from `predict`.
        """
        self._check_fitted()
        texts = self._check_texts(
            check_texts
            if check_texts is not None
            else ["a moving, beautifully shot film", "dull and far too long", ""],
            name="check_texts",
        )
        preprocessor, model = self.preprocessor, self.model
        serving_outputs = self._serving_outputs

        archive = keras.export.ExportArchive()
        archive.track(preprocessor)
        archive.track(model)

        # A closure (default arguments break `add_endpoint`).
        def serve(texts):
            return serving_outputs(model(preprocessor(texts), training=False))

        archive.add_endpoint(
            "serve",
            serve,
            input_signature=[tf.TensorSpec([None], tf.string, name="texts")],
        )
        expected = self._expected_serving_outputs(texts)

        def write(tmp):
            archive.write_out(tmp, verbose=False)
            self._write_files(os.path.join(tmp, "assets"))
            _check_export(tmp, texts, expected)

        _write_directory(directory, write, overwrite)


_CHECK_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import tensorflow as tf
    revived = tf.saved_model.load(sys.argv[1])
    serve = revived.signatures["serving_default"]
    outputs = serve(texts=tf.constant(json.loads(sys.argv[2]), tf.string))
    for name in ("kerasseq", "tensorflow_text"):
        assert name not in sys.modules, name + " was imported"
    result = {}
    for key, value in outputs.items():
        value = value.numpy()
        if value.dtype == object:
            result[key] = [item.decode("utf-8") for item in value.reshape(-1)]
        else:
            result[key] = value.tolist()
    print(json.dumps(result))
    """
)


def _check_export(path, texts, expected):
    """Reloads the SavedModel at `path` in a fresh process and compares."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", _CHECK_SCRIPT, path, json.dumps(texts)],
        capture_output=True,
        text=True,
        env=env,
        cwd=path,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(
            "The exported SavedModel failed to load or answer in a fresh "
            f"process:\n{result.stderr[-3000:]}"
        )
    actual = json.loads(result.stdout.strip().splitlines()[-1])
    for key, value in expected.items():
        if key not in actual:
            raise RuntimeError(f"The exported SavedModel has no output {key!r}")
        value = np.asarray(value)
        got = np.asarray(actual[key])
        if value.dtype.kind in "fc":
            same = got.shape == value.shape and np.allclose(got, value, atol=1e-5)
        else:
            same = got.tolist() == value.tolist()
        if not same:
            raise RuntimeError(
                f"The exported SavedModel answers differently from `predict` "
                f"on {texts!r}: output {key!r} is {got.tolist()!r}, expected "
                f"{value.tolist()!r}"
            )


def _write_directory(directory, write, overwrite):
    """Calls `write(tmp)` on a temporary folder, then renames it to `directory`."""
    directory = os.path.abspath(os.fspath(directory))
    if os.path.exists(directory) and not overwrite:
        raise FileExistsError(
            f"{directory!r} already exists; pass `overwrite=True` to replace it"
        )
    parent = os.path.dirname(directory)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(directory)}.", dir=parent)
    try:
        write(tmp)
        if os.path.exists(directory):
            old = tempfile.mkdtemp(
                prefix=f".{os.path.basename(directory)}.old.", dir=parent
            )
            os.replace(directory, os.path.join(old, "previous"))
            os.replace(tmp, directory)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _python_value(value):
    """A NumPy value from `tf.data` as a Python one (bytes decoded)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return value
