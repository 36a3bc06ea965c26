"""The base of every kerasseq pipeline: fit, predict, evaluate, save, export.

A pipeline is what users touch: raw Python texts and labels in, labels (or
tags, or text) out. It owns

- its settings, a dataclass (`config_class`) filled through
  `kerasseq.config.from_dict`, so unknown keys and wrong types are rejected
  with the dotted key named, and `get_config()` / `from_config()` round-trip
  through a plain dict (and TOML, with `kerasseq.config.dumps`);
  `from_config` also takes a whole run file (`pipeline = "..."` and a
  `[model]` table, as `pipelines/*.toml` hold it);
- a tokenizer, a preprocessor layer (raw strings to model inputs, in-graph)
  and a Keras model, all built lazily on the first `fit`, because the
  vocabulary and the label set come from the training data; the model (and
  its optimizer) is built under the scope of the distribution strategy
  (`strategy` setting or a `tf.distribute.Strategy` object);
- the training loop around `keras.Model.fit`: length-bucketed batches
  (`kerasseq.data.make_batches`), early stopping, checkpointing of the whole
  pipeline, `BackupAndRestore`, TensorBoard logs and deterministic ops on
  request (see `Pipeline.fit`);
- the files: `save`/`load` (a folder with the settings, the vocabulary,
  subclass files and the `.keras` model) and `export` (a SavedModel serving
  raw strings, checked in a fresh process by `kerasseq.export`).

Inputs (`x`) may be lists, tuples, NumPy arrays or pandas Series of strings
with labels `y`; a `kerasseq.data.LabelledTexts`; a path to a `.csv`, `.tsv`
or `.jsonl` file (optionally `.gz`) with `text` and `label` columns; or a
`tf.data.Dataset` of `(text, label)` pairs, which `fit` streams when the
subclass can map its labels to ids in the graph (`_label_lookup`).

Subclasses set `name` (the `pipeline` key of run files) and implement:

- `_build(texts, labels)`: create `self.tokenizer`, `self.preprocessor` and
  a compiled `self.model` (inside `with self._scope():`) from the training
  data; `texts` is a list of strings or a `tf.data.Dataset` of strings,
  `labels` a list;
- `_targets(labels)`: the labels as a NumPy array the model trains on;
- `_decode(outputs)`: model outputs (NumPy) to Python predictions;
- `_serving_outputs(outputs)`: model outputs (tensors) to the dict the
  exported `serving_default` signature returns;
- `_expected_serving_outputs(texts)`: what that signature must answer, as
  NumPy arrays, computed with `predict` (for the export check);
- optionally `_metric_names`, `_label_lookup`, `_length_tokenizer`,
  `_bucketed_batch`,
  `_check_texts`, `_save_extra`, `_load_extra`.
"""

import contextlib
import dataclasses
import importlib.util
import os
import tomllib

import keras
import numpy as np
import tensorflow as tf

from kerasseq import config as config_lib
from kerasseq import export as export_lib
from kerasseq import validation

# Suffixes of the files `x` may name (each optionally followed by `.gz`).
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".ndjson")
# Top-level keys of a run file (`kerasseq.runs`); `from_config` reads `model`.
RUN_FILE_KEYS = ("pipeline", "model", "data", "fit", "output")
# The shuffle buffer of streamed `tf.data` input.
STREAM_SHUFFLE_BUFFER = 10_000
# The MirroredStrategy of each device set that `strategy="mirrored"` made.
_MIRRORED_STRATEGIES = {}


class Pipeline:
    """Shared machinery of the kerasseq pipelines (see the module docstring).

    Not used directly: subclasses set `config_class` (a dataclass of their
    settings) and `name`, and implement the building and decoding hooks.

    Args:
        **settings: Values of the fields of `config_class`; unknown names
            and values of the wrong type raise a `ValueError`
            (`kerasseq.config.ConfigError`). A `strategy` that is a
            `tf.distribute.Strategy` object is kept as `self.strategy` and
            recorded as `None` in the settings (it cannot be serialized).

    Attributes:
        settings: The `config_class` instance.
        tokenizer, preprocessor, model: `None` until the first `fit` (or
            `load`).
        strategy: The `tf.distribute.Strategy` given as `strategy=`, or the
            one the `strategy` setting names, or the one in whose scope the
            model was built, once it is built (`None` before, and for the
            default strategy).
        history: The `keras.callbacks.History` of the last `fit`, or `None`.
    """

    config_class = None
    # The `pipeline` name of run files (`kerasseq.runs.PIPELINES`).
    name = None
    # Files of a saved pipeline directory.
    CONFIG_FILE = "config.toml"
    # What `export` checks the SavedModel on when no `check_texts` are given,
    # and how close its float outputs must be to the expected ones.
    DEFAULT_CHECK_TEXTS = (
        "a moving, beautifully shot film",
        "dull and far too long",
        "",
    )
    EXPORT_ATOL = 1e-5
    VOCABULARY_FILE = "vocabulary.txt"
    MODEL_FILE = "model.keras"

    def __init__(self, **settings):
        if self.config_class is None:
            raise TypeError(
                f"{type(self).__name__} must set `config_class` (a dataclass)"
            )
        self.strategy = None
        if isinstance(settings.get("strategy"), tf.distribute.Strategy):
            self.strategy = settings["strategy"]
            settings["strategy"] = None
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
        """A new, unfitted pipeline from `get_config()` or a whole run file.

        Args:
            config: The flat settings (`get_config()` output, or a TOML
                table of them), or a run file as a dict (`tomllib.load` of
                `pipelines/*.toml`): `{"pipeline": name, "model": {...},
                "data": {...}, "fit": {...}, "output": {...}}`. Then the
                pipeline is built from the `model` table, `pipeline` (when
                given) must equal the class's `name`, and the `data`, `fit`
                and `output` tables are ignored (they are
                `kerasseq.runs`'s business).

        Raises:
            ValueError: An unknown key (named, as `model.xxx` in a run
                file), a value of the wrong type, or a run file for another
                pipeline.
        """
        config = dict(config)
        fields = {field.name for field in dataclasses.fields(cls.config_class)}
        is_run_file = ("pipeline" in config and "pipeline" not in fields) or (
            "model" in config and "model" not in fields
        )
        if is_run_file:
            unknown = sorted(set(config) - set(RUN_FILE_KEYS))
            if unknown:
                raise ValueError(
                    f"Unknown run file key `{unknown[0]}`; a run file has the "
                    f"keys {list(RUN_FILE_KEYS)}"
                )
            name = config.get("pipeline", cls.name)
            if name != cls.name:
                raise ValueError(
                    f"This run file is for the pipeline {name!r}, not "
                    f"{cls.name!r} ({cls.__name__}), received: pipeline={name!r}"
                )
            model = config.get("model", {})
            if not isinstance(model, dict):
                raise ValueError(
                    f"`model` must be a table of settings, received: model={model!r}"
                )
            settings = config_lib.from_dict(cls.config_class, model, path="model")
        else:
            settings = config_lib.from_dict(cls.config_class, config)
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
        """What `serving_default` must answer on `texts` (see `export`)."""
        raise NotImplementedError

    def _metric_names(self):
        """What the compiled model logs per epoch (without `val_`)."""
        return ["loss"]

    def _can_stream(self, label_spec):
        """Whether `fit` may stream a dataset with labels of `label_spec`."""
        return False

    def _label_lookup(self):
        """An in-graph map of labels to targets, or `None` (no streaming).

        Returns a `(dtype, function)` pair: streamed `tf.data` labels are
        cast to `dtype` and mapped by `function` to what `_targets` gives.
        """
        return None

    def _length_tokenizer(self):
        """The `(tokenize, max_length)` that bucketing measures lengths with.

        The default: the preprocessor's tokenizer and its `sequence_length`.
        """
        return (
            self.preprocessor.tokenizer.tokenize,
            getattr(self.preprocessor, "sequence_length", None),
        )

    def _bucketed_batch(self, token_ids, targets=None):
        """A bucketed batch (`token_ids` right-padded with 0) as model inputs.

        The default gives the `{"token_ids", "padding_mask"}` dict of the
        kerasseq preprocessors (at least one step, as they do), paired with
        `targets` when there are some.
        """
        missing = tf.maximum(0, 1 - tf.shape(token_ids)[1])
        token_ids = tf.pad(token_ids, [[0, 0], [0, missing]])
        inputs = {"token_ids": token_ids, "padding_mask": token_ids != 0}
        return inputs if targets is None else (inputs, targets)

    def _fit_kwargs(self, fit_kwargs):
        """Adapts extra `fit` arguments (e.g. `class_weight` keys) to the model."""
        return fit_kwargs

    def _save_extra(self, directory):
        """Writes subclass files (label names, ...) into `directory`."""

    def _load_extra(self, directory):
        """Reads what `_save_extra` wrote."""

    # === Distribution ===

    def _distribution_strategy(self):
        """The strategy to build and train under (created on first use)."""
        if self.strategy is None:
            name = getattr(self.settings, "strategy", None)
            gpus = tf.config.list_logical_devices("GPU")
            if name == "mirrored" or (name == "auto" and len(gpus) > 1):
                # All GPUs, or without any all (logical) CPUs, where
                # MirroredStrategy() alone would take the first CPU only.
                devices = gpus or tf.config.list_logical_devices("CPU")
                names = tuple(device.name for device in devices)
                # One per process: two MirroredStrategy objects over the same
                # devices can mix up their collective ops (TF 2.21).
                if names not in _MIRRORED_STRATEGIES:
                    _MIRRORED_STRATEGIES[names] = tf.distribute.MirroredStrategy(
                        list(names)
                    )
                self.strategy = _MIRRORED_STRATEGIES[names]
            elif name is None and tf.distribute.has_strategy():
                # Built inside `with strategy.scope():`: keep that strategy.
                self.strategy = tf.distribute.get_strategy()
        return self.strategy or tf.distribute.get_strategy()

    def _scope(self):
        """`strategy.scope()`, or no scope for the default strategy."""
        strategy = self._distribution_strategy()
        if strategy is tf.distribute.get_strategy():
            return contextlib.nullcontext()
        return strategy.scope()

    # === Input ===

    def _texts_and_labels(self, x, y=None, labels=True):
        """Unpacks the other input forms into Python texts and labels.

        - a path (`str` ending in `.csv`, `.tsv`, `.jsonl`, ... or any
          `os.PathLike`) is read with `kerasseq.data.read_table` (columns
          `text` and, when `labels`, `label`);
        - a `tf.data.Dataset` of texts or of `(text, label)` pairs
          (unbatched) is read into Python lists (bytes become `str`, NumPy
          scalars Python scalars);
        - an object with `texts` and `labels` attributes (a
          `kerasseq.data.LabelledTexts`, as the readers return) gives those;
        - anything else is returned as is, for `_check_texts`.
        """
        if _is_table_path(x):
            if y is not None:
                raise ValueError(
                    f"`y` must be None when `x` is a file (its `label` column "
                    f"holds the labels), received: x={os.fspath(x)!r}"
                )
            from kerasseq.data import read_table

            if labels:
                x = read_table(x)
            else:
                x = read_table(x, label_column=None)
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
                f"`{name}` must be a list of texts (or a path ending in one of "
                f"{list(TABLE_SUFFIXES)}), not one string, received: "
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

    def _stream(self, x, y=None):
        """A streamable `(text, label)` dataset and its labels, or `None`.

        Streams a `tf.data.Dataset` of scalar `(text, label)` pairs when the
        subclass has an in-graph label map (`_label_lookup`): one pass reads
        the labels only (for the label set and their check); the texts stay
        in `tf.data`.
        """
        if not isinstance(x, tf.data.Dataset) or y is not None:
            return None
        spec = x.element_spec
        if not (
            isinstance(spec, tuple)
            and len(spec) == 2
            and all(isinstance(s, tf.TensorSpec) and s.shape.rank == 0 for s in spec)
            and spec[0].dtype == tf.string
            and self._can_stream(spec[1])
        ):
            return None
        labels = [
            _python_value(label)
            for label in x.map(lambda text, label: label).as_numpy_iterator()
        ]
        if not labels:
            raise ValueError("`x` must hold at least one text, received: []")
        return x, labels

    def _batches(self, dataset, batch_size, shuffle=False, bucketing=False, size=None):
        """A dataset of texts or `(text, target)` pairs as model batches.

        With `bucketing`, `kerasseq.data.make_batches` tokenizes with
        `_length_tokenizer` (by default the preprocessor's tokenizer,
        truncating to its `sequence_length`), groups texts of similar length
        (boundaries at the length quantiles, one pass over `dataset`) and pads
        each batch to its longest text; `_bucketed_batch` then gives the
        model's inputs. Without, the order
        is (shuffle) → batch → preprocessor map (in-graph tokenization,
        padding, mask). Both prefetch.

        Args:
            dataset: Unbatched scalar strings or `(text, target)` pairs.
            batch_size: Texts per batch.
            shuffle: Whether to shuffle the examples (every epoch).
            bucketing: Whether to batch by length.
            size: The number of examples (the shuffle buffer), or `None`
                for a streamed dataset (`STREAM_SHUFFLE_BUFFER`).
        """
        seed = getattr(self.settings, "seed", None)
        buffer = size or STREAM_SHUFFLE_BUFFER
        if bucketing:
            from kerasseq.data import make_batches

            tokenize, max_length = self._length_tokenizer()
            batches = make_batches(
                dataset,
                tokenize,
                batch_size=batch_size,
                max_length=max_length,
                shuffle_buffer=buffer if shuffle else None,
                seed=seed,
            )
            batches = batches.map(
                self._bucketed_batch, num_parallel_calls=tf.data.AUTOTUNE
            )
        else:
            if shuffle:
                dataset = dataset.shuffle(buffer, seed=seed)
            preprocessor = self.preprocessor
            batches = dataset.batch(batch_size).map(
                lambda *element: preprocessor(*element),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        return self._for_strategy(batches).prefetch(tf.data.AUTOTUNE)

    def _for_strategy(self, dataset):
        """Boolean tensors as int32 under an explicit distribution strategy.

        Keras (3.15) averages the first batch over the replicas to build the
        model under a strategy, which fails on `bool` tensors (the padding
        mask); the functional model casts the int32 mask back to `bool`.
        """
        if self.strategy is None:
            return dataset

        def cast(*element):
            element = tf.nest.map_structure(
                lambda t: tf.cast(t, tf.int32) if t.dtype == tf.bool else t, element
            )
            return element if len(element) > 1 else element[0]

        return dataset.map(cast, num_parallel_calls=tf.data.AUTOTUNE)

    def _to_dataset(self, x, y=None, shuffle=False, batch_size=32, bucketing=False):
        """Texts (and labels) as a batched, preprocessed `tf.data.Dataset`.

        Accepts lists, tuples, NumPy arrays and pandas Series of strings;
        see `_batches` for the stages. Without bucketing the order of the
        texts is kept (when not shuffled), as `predict` needs.
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
        return self._batches(
            dataset, batch_size, shuffle=shuffle, bucketing=bucketing, size=len(texts)
        )

    def _streamed_dataset(self, dataset, labels, batch_size, shuffle, bucketing):
        """Batches of a streamed `(text, label)` dataset, labels mapped in-graph."""
        self._targets(labels)  # Raises, naming an unknown label.
        dtype, lookup = self._label_lookup()
        dataset = dataset.map(
            lambda text, label: (text, lookup(tf.cast(label, dtype))),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        return self._batches(
            dataset, batch_size, shuffle=shuffle, bucketing=bucketing, size=None
        )

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
        *,
        early_stopping: int | None = None,
        monitor: str | None = None,
        checkpoint_dir: str | os.PathLike | None = None,
        backup_dir: str | os.PathLike | None = None,
        log_dir: str | os.PathLike | None = None,
        bucketing: bool = True,
        **fit_kwargs,
    ):
        """Trains the pipeline; the first call builds it from the data.

        The first `fit` adapts the vocabulary to `x`, fixes the label set from
        `y` and builds the model (under the distribution strategy's scope;
        with the `deterministic` setting it first calls
        `tf.config.experimental.enable_op_determinism()`); later calls keep
        training the same model (a label unseen at the first `fit` is then
        an error).

        Args:
            x: The training texts (list, tuple, NumPy array, pandas Series);
                or a `tf.data.Dataset` of unbatched `(text, label)` pairs,
                streamed when the labels are scalar strings or integers
                (label set from one pass over the labels, vocabulary from the
                dataset's texts, labels mapped to ids in the graph; other
                datasets are read into lists); or a
                `kerasseq.data.LabelledTexts`; or a path to a `.csv`,
                `.tsv` or `.jsonl` file (optionally `.gz`) with `text` and
                `label` columns.
            y: Their labels, as long as `x` (`None` when `x` carries them).
            validation_data: Optional `(texts, labels)` (or any form of `x`)
                evaluated after each epoch (`val_loss`, `val_accuracy`, ...
                in `history`).
            epochs: Number of epochs. Defaults to `1`.
            batch_size: Texts per batch. Defaults to `32`.
            verbose: As for `keras.Model.fit`. Defaults to `"auto"`.
            callbacks: Optional list of Keras callbacks.
            early_stopping: Optional patience, a positive integer: training
                stops after that many epochs without improvement of
                `monitor`, and the weights of the best epoch are restored
                (`keras.callbacks.EarlyStopping(restore_best_weights=True)`).
                Defaults to `None` (no early stopping).
            monitor: The logged metric `early_stopping` and `checkpoint_dir`
                watch: `"loss"`, `"accuracy"`, or with validation data
                `"val_loss"`, `"val_accuracy"` (whatever `_metric_names`
                gives). Metrics with "loss" in the name are minimized, the
                others maximized. Defaults to `"val_loss"` with
                `validation_data`, else `"loss"`.
            checkpoint_dir: Optional folder: after every epoch that improves
                `monitor`, the whole pipeline is saved there with
                `save(checkpoint_dir, overwrite=True)` (atomically), so
                `load(checkpoint_dir)` gives the best epoch's pipeline.
                Defaults to `None`.
            backup_dir: Optional folder for
                `keras.callbacks.BackupAndRestore`: the training state is
                backed up every epoch, and a `fit` interrupted before its
                end resumes, when called again with the same `backup_dir`,
                at the epoch after the last one completed (the backup is
                deleted when a `fit` ends normally). Defaults to `None`.
            log_dir: Optional folder of `keras.callbacks.TensorBoard` logs
                (needs the `tensorboard` package, which TensorFlow 2.21 does
                not install). Defaults to `None`.
            bucketing: Whether training (and validation) batches group texts
                of similar length (`kerasseq.data.make_batches`, boundaries
                at the length quantiles, each batch padded to its longest
                text); `False` pads shuffled batches. Defaults to `True`.
            **fit_kwargs: Other `keras.Model.fit` arguments (`class_weight`,
                `initial_epoch`, ...); `shuffle` (default `True`) shuffles
                the texts in `tf.data` every epoch.

        Returns:
            The `keras.callbacks.History` (also kept as `self.history`).

        Raises:
            ValueError: Bad input (named), an `early_stopping` that is not a
                positive integer, or a `monitor` the model does not log (the
                message lists those it logs).
            ImportError: `log_dir` without the `tensorboard` package.
        """
        epochs = validation.check_positive_int("epochs", epochs)
        batch_size = validation.check_positive_int("batch_size", batch_size)
        early_stopping = validation.check_positive_int(
            "early_stopping", early_stopping, allow_none=True
        )
        bucketing = validation.check_bool("bucketing", bucketing)
        if monitor is not None and not isinstance(monitor, str):
            raise ValueError(
                f"`monitor` must be a metric name, received: monitor={monitor!r}"
            )
        # Checked before any work, so that a typo fails at once.
        callbacks = list(callbacks or []) + self._callbacks(
            monitor=monitor,
            has_validation=validation_data is not None,
            early_stopping=early_stopping,
            checkpoint_dir=checkpoint_dir,
            backup_dir=backup_dir,
            log_dir=log_dir,
        )
        shuffle = fit_kwargs.pop("shuffle", True)
        stream = self._stream(x, y)
        texts = labels = None
        if stream is None:
            x, y = self._texts_and_labels(x, y)
            texts = self._check_texts(x)
            labels = self._check_labels(texts, y)
        if self.model is None:
            if getattr(self.settings, "deterministic", False):
                tf.config.experimental.enable_op_determinism()
            if stream is None:
                self._build(texts, labels)
            else:
                self._build(stream[0].map(lambda text, label: text), stream[1])
        fit_kwargs = self._fit_kwargs(fit_kwargs)
        if stream is None:
            train = self._to_dataset(
                texts,
                labels,
                shuffle=shuffle,
                batch_size=batch_size,
                bucketing=bucketing,
            )
        else:
            train = self._streamed_dataset(
                *stream, batch_size=batch_size, shuffle=shuffle, bucketing=bucketing
            )
        validation_dataset = None
        if validation_data is not None:
            validation_dataset = self._validation_dataset(
                validation_data, batch_size, bucketing
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

    def _validation_dataset(self, validation_data, batch_size, bucketing):
        stream = self._stream(validation_data)
        if stream is not None:
            return self._streamed_dataset(
                *stream, batch_size=batch_size, shuffle=False, bucketing=bucketing
            )
        if not isinstance(validation_data, (tuple, list)):
            validation_data = self._texts_and_labels(validation_data)
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError(
                "`validation_data` must be a pair (texts, labels), received: "
                f"validation_data of type {type(validation_data).__name__}"
            )
        texts, labels = validation_data
        texts = self._check_texts(texts, name="validation_data[0]")
        labels = self._check_labels(texts, labels, name="validation_data[1]")
        return self._to_dataset(
            texts, labels, batch_size=batch_size, bucketing=bucketing
        )

    def _callbacks(
        self,
        monitor,
        has_validation,
        early_stopping,
        checkpoint_dir,
        backup_dir,
        log_dir,
    ):
        """The Keras callbacks that `fit`'s keyword arguments ask for."""
        names = list(self._metric_names())
        if has_validation:
            names += [f"val_{name}" for name in names]
        if monitor is None:
            monitor = "val_loss" if has_validation else "loss"
        elif monitor not in names:
            hint = (
                " (pass `validation_data` to get the `val_` metrics)"
                if monitor.startswith("val_") and not has_validation
                else ""
            )
            raise ValueError(
                f"`monitor` must be a metric the model logs: one of {names}"
                f"{hint}, received: monitor={monitor!r}"
            )
        mode = "min" if "loss" in monitor else "max"
        callbacks = []
        if backup_dir is not None:
            callbacks.append(keras.callbacks.BackupAndRestore(os.fspath(backup_dir)))
        if early_stopping is not None:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor=monitor,
                    mode=mode,
                    patience=early_stopping,
                    restore_best_weights=True,
                )
            )
        if checkpoint_dir is not None:
            callbacks.append(
                _PipelineCheckpoint(self, os.fspath(checkpoint_dir), monitor, mode)
            )
        if log_dir is not None:
            if importlib.util.find_spec("tensorboard") is None:
                # TensorFlow 2.21 no longer installs it; Keras would only fail
                # at the end of the first epoch.
                raise ImportError(
                    "`log_dir` needs the `tensorboard` package: "
                    'pip install "tensorboard>=2.21,<2.22"'
                )
            callbacks.append(keras.callbacks.TensorBoard(os.fspath(log_dir)))
        return callbacks

    def _predict_outputs(self, x, batch_size=32, verbose=0):
        self._check_fitted()
        x, _ = self._texts_and_labels(x, labels=False)
        dataset = self._to_dataset(x, batch_size=batch_size)
        return self.model.predict(dataset, verbose=verbose)

    def predict(self, x, batch_size: int = 32, verbose=0):
        """Predictions for the texts `x`, decoded to Python values.

        `x` takes the forms `fit` takes (labels, if any, are ignored); the
        predictions are in the order of `x`.
        """
        return self._decode(self._predict_outputs(x, batch_size, verbose))

    # === Files ===

    def save(self, directory, overwrite: bool = False) -> None:
        """Saves settings, vocabulary, subclass files and the Keras model.

        The directory holds `config.toml` (`kerasseq.config.dumps` of the
        settings), `vocabulary.txt`, subclass files (e.g. `labels.json`) and
        `model.keras` (weights and optimizer state, so a loaded pipeline can
        keep training). Everything is written to a temporary folder beside
        `directory` and renamed into place (`kerasseq.export.write_directory`).

        Args:
            directory: The folder to create.
            overwrite: Whether to replace an existing `directory`. Defaults
                to `False` (an existing one is an error).
        """
        self._check_fitted()

        def write(tmp):
            self._write_files(tmp)
            self.model.save(os.path.join(tmp, self.MODEL_FILE))

        export_lib.write_directory(directory, write, overwrite)

    def _write_files(self, folder):
        """Writes the settings, the vocabulary and the subclass files."""
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, self.CONFIG_FILE)
        # The pipeline's name first, so that `kerasseq.runs.load_pipeline`
        # knows the class, then the settings.
        record = {"pipeline": self.name, **config_lib.to_dict(self.settings)}
        with open(path, "w", encoding="utf-8") as file:
            file.write(config_lib.dumps(record))
        self.tokenizer.vocabulary.save(os.path.join(folder, self.VOCABULARY_FILE))
        self._save_extra(folder)

    @classmethod
    def load(cls, directory, strategy=None) -> "Pipeline":
        """Loads a pipeline written by `save`, ready to predict or train.

        Args:
            directory: The folder `save` wrote.
            strategy: Optional `tf.distribute.Strategy` to load the model
                under (instead of the saved `strategy` setting). Defaults to
                `None`.
        """
        directory = os.fspath(directory)
        path = os.path.join(directory, cls.CONFIG_FILE)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"{directory!r} is not a saved {cls.__name__}: {path!r} is missing"
            )
        with open(path, "rb") as file:
            try:
                saved = tomllib.load(file)
            except tomllib.TOMLDecodeError as error:
                raise config_lib.ConfigError(f"{path}: invalid TOML: {error}") from None
        name = saved.pop("pipeline", cls.name)  # Absent in older saves.
        if name != cls.name:
            raise ValueError(
                f"{directory!r} holds a saved {name!r} pipeline, not a "
                f"{cls.name!r} ({cls.__name__}); load it with its own class or "
                "`kerasseq.runs.load_pipeline`"
            )
        try:
            settings = config_lib.from_dict(cls.config_class, saved)
        except config_lib.ConfigError as error:
            raise config_lib.ConfigError(f"{path}: {error}") from None
        pipeline = cls(**dataclasses.asdict(settings))
        if strategy is not None:
            pipeline.strategy = strategy
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
        there in a fresh Python process (`kerasseq.export.check_export`),
        checked to answer as `predict` does on `check_texts`, and only then
        renamed into place (`kerasseq.export.write_directory`).

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
        self._export(directory, check_texts, overwrite)

    def _export(self, directory, check_texts, overwrite, **options):
        """Writes and checks the SavedModel of `export`.

        `options` (a subclass's export arguments, such as the Translator's
        beam width) go to `_serving_endpoints` and `_expected_serving_outputs`.
        """
        self._check_fitted()
        texts = self._check_texts(
            list(self.DEFAULT_CHECK_TEXTS) if check_texts is None else check_texts,
            name="check_texts",
        )
        archive = keras.export.ExportArchive()
        archive.track(self.preprocessor)
        archive.track(self.model)
        signature = [tf.TensorSpec([None], tf.string, name="texts")]
        # The first endpoint is also `serving_default`.
        for name, function in self._serving_endpoints(**options).items():
            archive.add_endpoint(name, function, input_signature=signature)
        expected = self._expected_serving_outputs(texts, **options)

        def write(tmp):
            archive.write_out(tmp, verbose=False)
            self._write_files(os.path.join(tmp, "assets"))
            export_lib.check_export(tmp, texts, expected, atol=self.EXPORT_ATOL)

        export_lib.write_directory(directory, write, overwrite)

    def _serving_endpoints(self) -> dict:
        """The SavedModel's functions, name -> `texts -> outputs dict`.

        The first is also `serving_default`. By default one, `serve`: the
        model's outputs through `_serving_outputs`.
        """
        preprocessor, model = self.preprocessor, self.model
        serving_outputs = self._serving_outputs

        # A closure (default arguments break `add_endpoint`).
        def serve(texts):
            return serving_outputs(model(preprocessor(texts), training=False))

        return {"serve": serve}


class _PipelineCheckpoint(keras.callbacks.Callback):
    """Saves the whole pipeline whenever `monitor` improves (see `fit`)."""

    def __init__(self, pipeline, directory, monitor, mode):
        super().__init__()
        self.pipeline = pipeline
        self.directory = directory
        self.monitor = monitor
        self.mode = mode
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(
                f"`monitor={self.monitor!r}` is not in the logs of epoch "
                f"{epoch + 1}: {sorted(logs or {})}"
            )
        value = float(value)
        if self.best is not None and not (
            value < self.best if self.mode == "min" else value > self.best
        ):
            return
        self.best = value
        self.pipeline.save(self.directory, overwrite=True)


def _is_table_path(x):
    if isinstance(x, os.PathLike):
        return True
    return isinstance(x, str) and x.lower().removesuffix(".gz").endswith(TABLE_SUFFIXES)


def _python_value(value):
    """A NumPy value from `tf.data` as a Python one (bytes decoded)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return value
