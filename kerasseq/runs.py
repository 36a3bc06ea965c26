"""Run files: one TOML file that says what to train, on which data, and where
to write the results (`kerasseq train CONFIG.toml`).

A run file has a top-level `pipeline` name and four tables:

```toml
pipeline = "text_classifier"   # a key of PIPELINES

[model]    # the pipeline's settings (TextClassifierConfig's fields)
units = 64

[data]     # where the texts and labels are, and how to split them
format = "texts_per_label"
train = { pos = "rt-polarity/rt-polarity.pos", neg = "rt-polarity/rt-polarity.neg" }
encoding = "latin-1"
test_split = 0.1

[fit]      # Pipeline.fit's arguments
epochs = 5

[output]   # what to write: the saved pipeline, the SavedModel, plots
save_dir = "runs/rt"
```

A translator reads sentence pairs instead, from a file or generated:

```toml
pipeline = "translator"

[model]
tokenizer = "char"

[data]
format = "dates"        # or "sentence_pairs", with train = "spa-eng/spa.txt"
size = 20000
test_split = 0.1
```

`load_run` reads it into a `RunConfig` (dataclasses filled by
`kerasseq.config`: unknown keys are rejected with a did-you-mean naming the
dotted key, including `model.xxx`, which the pipeline's `config_class`
checks), `read_splits` reads the data (`LabelledTexts` for a classifier,
`SentencePairs` for a translator), and `train` fits, evaluates, saves and
exports. `pipelines/README.md` documents every key.

Paths:

- Relative data paths (`data.train`, `data.validation`, `data.test`) are
  read from the data root: `data.root` if set, else the `KERASSEQ_DATA`
  environment variable; with neither, a relative data path is an error
  saying to set one. A relative `data.root` is relative to the current
  folder.
- A relative `model.embeddings` (a translator's `model.source_embeddings`,
  `model.target_embeddings`) is looked up in the current folder first,
  then in the data root (`glove/glove.6B.50d.txt.gz` finds the shared GloVe
  file); a name that is neither (a gensim-data name such as
  `glove-wiki-gigaword-50`) is passed on as is.
- Output paths (`output.*`, `fit.checkpoint_dir`, `fit.backup_dir`,
  `fit.log_dir`) are relative to the current folder.
"""

import dataclasses
import datetime
import difflib
import json
import os
import pathlib
import tomllib
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any
from typing import Literal

import numpy as np

from kerasseq import config as config_lib
from kerasseq import validation
from kerasseq.data import LabelledTexts
from kerasseq.data import SentencePairs
from kerasseq.data.text_file import check_encoding
from kerasseq.pipelines import Pipeline
from kerasseq.pipelines import TextClassifier
from kerasseq.pipelines import Translator

# Pipeline names a run file's `pipeline` key may hold.
PIPELINES: dict[str, type[Pipeline]] = {
    "text_classifier": TextClassifier,
    "translator": Translator,
}
# The `data.format`s each pipeline reads: labelled texts or sentence pairs.
PIPELINE_FORMATS: dict[str, tuple[str, ...]] = {
    "text_classifier": ("table", "fasttext", "texts_per_label"),
    "translator": ("sentence_pairs", "dates"),
}
PAIR_FORMATS = ("sentence_pairs", "dates")

SPLITS = ("train", "validation", "test")
DATA_ENV = "KERASSEQ_DATA"
_TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".ndjson")
# `model` keys holding pretrained vectors, resolved as paths (see
# `resolve_embeddings`): the classifier's, and the translator's two sides.
EMBEDDINGS_KEYS = ("embeddings", "source_embeddings", "target_embeddings")

DataFiles = str | dict[str, str]

# The `[data]` keys that only some formats read, with their defaults. In
# `DataConfig` they default to `None`, so that one given with another format
# is an error; `DataConfig` then fills in the defaults of its format's keys
# (`None` here: the reader's own default).
FORMAT_KEYS: dict[str, dict[str, Any]] = {
    "table": {"text_column": "text", "label_column": "label", "header": True},
    "fasttext": {"label_prefix": "__label__"},
    "texts_per_label": {},
    "sentence_pairs": {
        "source_column": 0,
        "target_column": 1,
        "separator": "\t",
        "max_words": None,
    },
    "dates": {
        "size": None,
        "locales": None,
        "start": None,
        "end": None,
        "formats": None,
        "lowercase": 0.25,
    },
}
# The keys of the formats that read files, which "dates" (generated) has not.
FILE_KEYS: dict[str, Any] = {
    "train": None,
    "validation": None,
    "test": None,
    "encoding": "utf-8",
    "errors": "strict",
}


@dataclasses.dataclass
class DataConfig:
    """The `[data]` table: files (or generated pairs), their format, the splits.

    Keys that belong to other formats than `format` (see `FORMAT_KEYS` and
    `FILE_KEYS`) are errors; the keys of `format` left unset get their
    defaults.
    """

    train: DataFiles | None = None
    format: Literal[
        "table", "fasttext", "texts_per_label", "sentence_pairs", "dates"
    ] = "table"
    root: str | None = None
    validation: DataFiles | None = None
    test: DataFiles | None = None
    validation_split: float = 0.0
    test_split: float = 0.0
    seed: int = 0
    limit: int | None = None
    # "table"
    text_column: str | int | None = None
    label_column: str | int | None = None
    header: bool | None = None
    # "fasttext"
    label_prefix: str | None = None
    # every format but "dates"
    encoding: str | None = None
    errors: str | None = None
    # "sentence_pairs"
    source_column: int | None = None
    target_column: int | None = None
    separator: str | None = None
    max_words: int | None = None
    # "dates"
    size: int | None = None
    locales: list[str] | None = None
    # A TOML date (1950-01-01) or an ISO string, kept as the ISO string.
    start: Any = None
    end: Any = None
    formats: list[str] | None = None
    lowercase: float | None = None

    def __post_init__(self):
        self._check_format_keys()
        if self.format != "dates" and self.train is None:
            raise config_lib.ConfigError(
                "Missing required config key: `data.train` (the training file; "
                f"only format = 'dates' has none), received: format={self.format!r}"
            )
        for name in SPLITS:
            value = getattr(self, name)
            if value is None:
                continue
            if self.format == "texts_per_label":
                if not isinstance(value, dict) or not value:
                    raise ValueError(
                        f'`{name}` must be a table {{label = "file", ...}} with '
                        f"format='texts_per_label', received: {name}={value!r}"
                    )
            elif not isinstance(value, str):
                raise ValueError(
                    f"`{name}` must be one file path with format={self.format!r} "
                    f"(a table of files is for 'texts_per_label'), received: "
                    f"{name}={value!r}"
                )
        for name in ("validation_split", "test_split"):
            fraction = getattr(self, name)
            if not 0.0 <= fraction < 1.0:
                raise ValueError(
                    f"`{name}` must be a fraction in [0, 1), received: "
                    f"{name}={fraction!r}"
                )
            split = name.removesuffix("_split")
            if fraction > 0 and getattr(self, split) is not None:
                raise ValueError(
                    f"Give either a `{split}` file or `{name}` (a fraction held "
                    f"out from `train`), not both, received: {split}="
                    f"{getattr(self, split)!r}, {name}={fraction!r}"
                )
        if self.validation_split + self.test_split >= 1.0:
            raise ValueError(
                "`validation_split` + `test_split` must leave training "
                f"examples, received: validation_split={self.validation_split!r}, "
                f"test_split={self.test_split!r}"
            )
        validation.check_positive_int("limit", self.limit, allow_none=True)
        if self.format != "dates":
            check_encoding(self.encoding, self.errors)
        if self.format == "table":
            for name in ("text_column", "label_column"):
                column = getattr(self, name)
                if isinstance(column, int) and (self.header or column < 0):
                    raise ValueError(
                        f"`{name}` may be a column index only with header = "
                        f"false (and not negative), received: {name}={column!r}"
                    )
        elif self.format == "sentence_pairs":
            self._check_pair_columns()
        elif self.format == "dates":
            self._check_dates()

    def _check_format_keys(self):
        """Rejects the keys of other formats; fills in those of `format`."""
        own = dict(FORMAT_KEYS[self.format])
        if self.format != "dates":
            own.update(FILE_KEYS)
        for key in [*FILE_KEYS, *(k for keys in FORMAT_KEYS.values() for k in keys)]:
            value = getattr(self, key)
            if key in own or value is None:
                continue
            if key in FILE_KEYS:
                reason = "the pairs are generated, not read from files"
            else:
                owner = next(f for f, keys in FORMAT_KEYS.items() if key in keys)
                reason = f"it is a key of format={owner!r}"
            raise ValueError(
                f"`{key}` has no meaning with format={self.format!r} ({reason}), "
                f"received: {key}={value!r}"
            )
        for key, default in own.items():
            if getattr(self, key) is None:
                setattr(self, key, default)

    def _check_pair_columns(self):
        for name in ("source_column", "target_column"):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(
                    f"`{name}` must be a 0-based column index, received: "
                    f"{name}={value!r}"
                )
        if self.source_column == self.target_column:
            raise ValueError(
                "`source_column` and `target_column` must differ, received: "
                f"source_column={self.source_column!r}, "
                f"target_column={self.target_column!r}"
            )
        if not self.separator:
            raise ValueError(
                "`separator` must be a non-empty string, received: "
                f"separator={self.separator!r}"
            )
        validation.check_positive_int("max_words", self.max_words, allow_none=True)

    def _check_dates(self):
        from kerasseq.data import dates

        if self.size is None:
            raise ValueError(
                "`size` (the number of pairs to generate) is required with "
                "format='dates'"
            )
        validation.check_positive_int("size", self.size)
        if not 0.0 <= self.lowercase <= 1.0:
            raise ValueError(
                "`lowercase` must be a fraction in [0, 1], received: "
                f"lowercase={self.lowercase!r}"
            )
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, datetime.datetime):
                value = value.date()
            if isinstance(value, datetime.date):
                setattr(self, name, value.isoformat())
        arguments = self.dates_arguments()
        arguments.pop("lowercase")
        dates.date_formats(**arguments)  # checks locales, formats, start, end

    def dates_arguments(self) -> dict[str, Any]:
        """The keyword arguments of `generate_dates` (but `n`, `seed`) set here."""
        return {
            key: getattr(self, key)
            for key in ("locales", "start", "end", "formats", "lowercase")
            if getattr(self, key) is not None
        }


@dataclasses.dataclass
class FitConfig:
    """The `[fit]` table: the arguments of `Pipeline.fit`."""

    epochs: int = 1
    batch_size: int = 32
    early_stopping: int | None = None
    monitor: str | None = None
    checkpoint_dir: str | None = None
    backup_dir: str | None = None
    log_dir: str | None = None
    verbose: Literal["auto"] | int = "auto"
    class_weight: Literal["balanced"] | dict[str, float] | None = None
    bucketing: bool = True

    def __post_init__(self):
        validation.check_positive_int("epochs", self.epochs)
        validation.check_positive_int("batch_size", self.batch_size)
        validation.check_positive_int(
            "early_stopping", self.early_stopping, allow_none=True
        )
        if self.verbose not in ("auto", 0, 1, 2):
            raise ValueError(
                "`verbose` must be 'auto', 0, 1 or 2, received: "
                f"verbose={self.verbose!r}"
            )
        if isinstance(self.class_weight, dict):
            for label, weight in self.class_weight.items():
                if not weight > 0:
                    raise ValueError(
                        "`class_weight` values must be positive, received: "
                        f"class_weight[{label!r}]={weight!r}"
                    )


@dataclasses.dataclass
class OutputConfig:
    """The `[output]` table: what `train` writes, and where."""

    save_dir: str | None = None
    export_dir: str | None = None
    history_plot: str | None = None
    metrics_file: str | None = None
    overwrite: bool = False


@dataclasses.dataclass(kw_only=True)
class RunConfig:
    """A whole run file (see the module docstring and `pipelines/README.md`).

    Attributes:
        pipeline: A key of `PIPELINES` (`"text_classifier"`,
            `"translator"`); it decides the `data.format`s allowed
            (`PIPELINE_FORMATS`).
        model: The pipeline's settings, checked against its `config_class`
            (unknown keys are reported as `model.xxx`); kept as a dict so
            that it is passed on unchanged.
        data: A `DataConfig`.
        fit: A `FitConfig`.
        output: An `OutputConfig`.
        source: The file the run was read from (not a config key), or
            `None`.
    """

    pipeline: str
    model: dict[str, Any] = dataclasses.field(default_factory=dict)
    data: DataConfig
    fit: FitConfig = dataclasses.field(default_factory=FitConfig)
    output: OutputConfig = dataclasses.field(default_factory=OutputConfig)
    source: str | None = dataclasses.field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self):
        config_lib.from_dict(
            pipeline_class(self.pipeline).config_class, self.model, "model"
        )
        formats = PIPELINE_FORMATS[self.pipeline]
        if self.data.format not in formats:
            raise config_lib.ConfigError(
                f"`data.format` must be one of {', '.join(map(repr, formats))} for "
                f"pipeline = {self.pipeline!r}, received: data.format="
                f"{self.data.format!r} ('table' is the default when data.format "
                "is not set)"
            )
        if self.data.format in PAIR_FORMATS and self.fit.class_weight is not None:
            raise config_lib.ConfigError(
                "`fit.class_weight` weighs labels, and sentence pairs have none, "
                f"received: fit.class_weight={self.fit.class_weight!r} with "
                f"data.format={self.data.format!r}"
            )


def pipeline_class(name: str) -> type[Pipeline]:
    """The pipeline class of a run file's `pipeline` name.

    Raises:
        ConfigError: for an unknown name (with the closest known one).

    Example:

    >>> from kerasseq.runs import pipeline_class
    >>> pipeline_class("text_classifier").__name__
    'TextClassifier'
    """
    if name in PIPELINES:
        return PIPELINES[name]
    close = difflib.get_close_matches(str(name), list(PIPELINES), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise config_lib.ConfigError(
        f"Unknown pipeline {name!r}{hint} Known pipelines: {', '.join(PIPELINES)}"
    )


def load_run(path: str | os.PathLike, overrides: Iterable[str] = ()) -> RunConfig:
    """Reads and checks a run file.

    Args:
        path: The TOML file.
        overrides: `key=value` strings applied before checking, as given to
            `--set` (`"model.units=8"`, `"fit.epochs=1"`,
            `"data.root=/data"`; see `kerasseq.config.apply_overrides`).

    Returns:
        A `RunConfig` (its `source` is `path`). Files are not opened yet:
        `check_paths` checks them.

    Raises:
        FileNotFoundError: no file at `path`.
        ConfigError: (a `ValueError`) invalid TOML, an unknown key (with a
            did-you-mean, naming the file and the dotted key), a value of the
            wrong type, a bad override.

    Example:

    >>> import os, tempfile
    >>> from kerasseq.runs import load_run
    >>> path = os.path.join(tempfile.mkdtemp(), "run.toml")
    >>> with open(path, "w") as f:
    ...     _ = f.write('pipeline = "text_classifier"\\n'
    ...                 '[model]\\nunits = 16\\n[data]\\ntrain = "train.csv"\\n')
    >>> run = load_run(path, ["fit.epochs=3", "data.test_split=0.2"])
    >>> run.model, run.fit.epochs, run.data.test_split
    ({'units': 16}, 3, 0.2)
    >>> try:
    ...     load_run(path, ["model.unit=8"])
    ... except ValueError as error:
    ...     print(str(error).split(path + ": ")[1])  # doctest: +ELLIPSIS
    Unknown config key `model.unit`; did you mean `model.units`? ...
    """
    run = config_lib.load(RunConfig, path, overrides)
    run.source = os.fspath(path)
    return run


# === Paths ===


def data_root(run: RunConfig) -> pathlib.Path | None:
    """`data.root`, else `$KERASSEQ_DATA`, as an absolute path (or `None`)."""
    root = run.data.root if run.data.root is not None else os.environ.get(DATA_ENV)
    if not root:
        return None
    return pathlib.Path(root).expanduser().absolute()


def _root_origin(run: RunConfig) -> str:
    if run.data.root is not None:
        return "data.root"
    return f"${DATA_ENV}"


def resolve_data_path(run: RunConfig, path: str, key: str) -> pathlib.Path:
    """A data file path, resolved against the data root, checked to exist.

    Args:
        run: The run (for `data.root`).
        path: The path as written in the run file.
        key: Its dotted key, for messages (`"data.train"`,
            `"data.train.pos"`).

    Raises:
        ValueError: `path` is relative and no data root is set.
        FileNotFoundError: there is no file there.
    """
    candidate = pathlib.Path(path).expanduser()
    if not candidate.is_absolute():
        root = data_root(run)
        if root is None:
            raise ValueError(
                f"`{key}` = {path!r} is relative to the data root, but no data "
                f"root is set: set the {DATA_ENV} environment variable to your "
                "data folder, or `data.root` in the run file (or "
                "--set data.root=/path/to/data)"
            )
        candidate = root / candidate
    if not candidate.is_file():
        where = ""
        if not pathlib.Path(path).expanduser().is_absolute():
            where = f" (data root {data_root(run)} from {_root_origin(run)})"
        raise FileNotFoundError(f"No data file for `{key}` at {candidate}{where}")
    return candidate


def data_files(run: RunConfig, split: str) -> pathlib.Path | dict[str, pathlib.Path]:
    """The resolved file(s) of a split that has its own file(s)."""
    value = getattr(run.data, split)
    if value is None:
        raise ValueError(f"`data.{split}` is not set")
    if isinstance(value, dict):
        return {
            label: resolve_data_path(run, path, f"data.{split}.{label}")
            for label, path in value.items()
        }
    return resolve_data_path(run, value, f"data.{split}")


def resolve_embeddings(run: RunConfig, key: str = "embeddings") -> str | None:
    """`model.<key>` resolved: the current folder first, then the data root.

    Args:
        run: The run.
        key: The `model` key of the vectors: `"embeddings"` (a classifier's),
            `"source_embeddings"` or `"target_embeddings"` (a translator's).
            Defaults to `"embeddings"`.

    Returns the path (or gensim-data name) to pass to the pipeline, or `None`
    when the run uses no pretrained embeddings there.

    Raises:
        FileNotFoundError: a relative path found in neither place (a bare
            gensim-data name is passed on unchanged).
    """
    from kerasseq.embeddings import formats

    value = run.model.get(key)
    if value is None:
        return None
    path = pathlib.Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return os.fspath(path)
    root = data_root(run)
    if root is not None and (root / path).exists():
        return os.fspath(root / path)
    if formats.looks_like_gensim_data_name(value):
        return value
    if root is None:
        places = (
            f"the current folder ({os.getcwd()}), and no data root is set "
            f"({DATA_ENV} or data.root)"
        )
    else:
        places = (
            f"the current folder ({os.getcwd()}) nor in the data root ({root}, "
            f"from {_root_origin(run)})"
        )
    raise FileNotFoundError(f"No embeddings file `model.{key}` = {value!r} in {places}")


def _embeddings_keys(run: RunConfig) -> list[str]:
    """The keys of `EMBEDDINGS_KEYS` that the run's pipeline has."""
    fields = {
        f.name for f in dataclasses.fields(pipeline_class(run.pipeline).config_class)
    }
    return [key for key in EMBEDDINGS_KEYS if key in fields]


def check_paths(run: RunConfig) -> dict[str, Any]:
    """Resolves every input path of the run and checks that it exists.

    Returns:
        `{"train": ..., "validation": ..., "test": ...}`, the resolved paths
        (a dict of paths for `texts_per_label`; `None` where a split has no
        file of its own, and for generated dates), and the resolved
        embeddings of the pipeline (`None` where none are used):
        `"embeddings"` for a classifier, `"source_embeddings"` and
        `"target_embeddings"` for a translator.

    Raises:
        ValueError, FileNotFoundError: as `resolve_data_path` and
            `resolve_embeddings`.
    """
    paths: dict[str, Any] = {}
    for split in SPLITS:
        paths[split] = (
            data_files(run, split) if getattr(run.data, split) is not None else None
        )
    for key in _embeddings_keys(run):
        paths[key] = resolve_embeddings(run, key)
    return paths


def output_path(path: str | None) -> str | None:
    """An output path (`output.*`, `fit.*_dir`) made absolute from the cwd."""
    if path is None:
        return None
    return os.fspath(pathlib.Path(path).expanduser().absolute())


# === Data ===


def read_file(run: RunConfig, split: str) -> LabelledTexts | SentencePairs:
    """Reads the file(s) of `data.<split>` with the reader of `data.format`.

    `"sentence_pairs"` files are read with `read_sentence_pairs`, and pairs
    with more than `data.max_words` words (split on whitespace) on either
    side are dropped.
    """
    from kerasseq import data as data_lib

    settings = run.data
    if settings.format == "dates":
        raise ValueError("format='dates' has no files: see `generate_pairs`")
    files = data_files(run, split)
    common = {"encoding": settings.encoding, "errors": settings.errors}
    if settings.format == "sentence_pairs":
        pairs = data_lib.read_sentence_pairs(
            files,
            source_column=settings.source_column,
            target_column=settings.target_column,
            separator=settings.separator,
            **common,
        )
        return drop_long_pairs(pairs, settings.max_words)
    if settings.format == "texts_per_label":
        return data_lib.read_texts_per_label(files, **common)
    if settings.format == "fasttext":
        return data_lib.read_fasttext(
            files, label_prefix=settings.label_prefix, **common
        )
    name = files.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson")):
        for key in ("text_column", "label_column"):
            if not isinstance(getattr(settings, key), str):
                raise ValueError(
                    f"`data.{key}` must be a key name for JSON Lines ({files}), "
                    f"received: {getattr(settings, key)!r}"
                )
        return data_lib.read_jsonl(
            files, settings.text_column, settings.label_column, **common
        )
    if not name.endswith(_TABLE_SUFFIXES):
        raise ValueError(
            f"`data.{split}` must end in one of {', '.join(_TABLE_SUFFIXES)} "
            f"(optionally + .gz) with format='table', received: {files}; for "
            "other files set data.format to 'fasttext' or 'texts_per_label'"
        )
    return data_lib.read_table(
        files,
        settings.text_column,
        settings.label_column,
        header=settings.header,
        **common,
    )


def split_holdout(
    data: LabelledTexts,
    validation_split: float = 0.0,
    test_split: float = 0.0,
    seed: int = 0,
) -> dict[str, LabelledTexts | None]:
    """Holds out stratified validation and test examples from `data`.

    Within each label, the examples are shuffled with `seed`; the first
    `round(test_split * n)` go to test, the next `round(validation_split *
    n)` to validation, the rest to train. Each split is then shuffled (with
    the same generator), so a split does not come sorted by label.

    Args:
        data: Labelled texts.
        validation_split: Fraction of each label's examples for validation.
        test_split: Fraction for test.
        seed: Seed of the shuffles. Defaults to `0`.

    Returns:
        `{"train", "validation", "test"}`, a `LabelledTexts` each (with the
        `label_names` of `data`), `None` for a fraction of 0.

    Raises:
        ValueError: a non-zero fraction that leaves a split empty.

    Example:

    >>> from kerasseq.data import LabelledTexts
    >>> from kerasseq.runs import split_holdout
    >>> texts = [f"text {i}" for i in range(10)]
    >>> data = LabelledTexts(texts, ["a"] * 5 + ["b"] * 5)
    >>> splits = split_holdout(data, test_split=0.2, seed=1)
    >>> sorted(splits["test"].labels), len(splits["train"].texts)
    (['a', 'b'], 8)
    >>> print(splits["validation"])
    None
    """
    rng = np.random.default_rng(seed)
    labels = data.labels
    if labels is None:
        raise ValueError("Held-out splits need labelled data")
    chosen: dict[str, list[int]] = {name: [] for name in SPLITS}
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    for label in sorted(by_label):
        indices = np.array(by_label[label])
        rng.shuffle(indices)
        test_count = round(test_split * len(indices))
        validation_count = round(validation_split * len(indices))
        chosen["test"] += indices[:test_count].tolist()
        chosen["validation"] += indices[
            test_count : test_count + validation_count
        ].tolist()
        chosen["train"] += indices[test_count + validation_count :].tolist()
    fractions = {"train": 1.0, "validation": validation_split, "test": test_split}
    result: dict[str, LabelledTexts | None] = {}
    for name in SPLITS:
        if fractions[name] == 0:
            result[name] = None
            continue
        if not chosen[name]:
            raise ValueError(
                f"The {name} split is empty: {len(labels)} examples with "
                f"validation_split={validation_split}, test_split={test_split}"
            )
        order = rng.permutation(chosen[name])
        result[name] = _subset(data, order)
    return result


def split_pairs(
    pairs: SentencePairs,
    validation_split: float = 0.0,
    test_split: float = 0.0,
    seed: int = 0,
    by: Literal["source", "target"] = "source",
) -> dict[str, SentencePairs | None]:
    """Holds out validation and test pairs that share no source (or target).

    Not stratified (pairs have no labels): `kerasseq.data.split_dates` first
    holds out `test_split` of the distinct sources (`by="source"`) or
    targets (`by="target"`: for dates, days never seen in training), then
    `validation_split / (1 - test_split)` of the rest, both seeded with
    `seed`. Each split keeps the order of `pairs`.

    Args:
        pairs: A `SentencePairs`.
        validation_split: Fraction of the distinct keys for validation.
        test_split: Fraction for test.
        seed: Non-negative seed of the draws. Defaults to `0`.
        by: `"source"` or `"target"`, the strings no two splits share.
            Defaults to `"source"`.

    Returns:
        `{"train", "validation", "test"}`, a `SentencePairs` each, `None` for
        a fraction of 0.

    Example:

    >>> from kerasseq.data import SentencePairs
    >>> from kerasseq.runs import split_pairs
    >>> pairs = SentencePairs([f"s{i % 10}" for i in range(40)],
    ...                       [f"t{i}" for i in range(40)])
    >>> splits = split_pairs(pairs, validation_split=0.2, test_split=0.1)
    >>> {name: len(split) for name, split in splits.items()}
    {'train': 28, 'validation': 8, 'test': 4}
    >>> set(splits["train"].sources) & set(splits["test"].sources)
    set()
    """
    from kerasseq.data import split_dates

    result: dict[str, SentencePairs | None] = {"validation": None, "test": None}
    rest = pairs
    if test_split > 0:
        rest, result["test"] = split_dates(rest, held_out=test_split, seed=seed, by=by)
    if validation_split > 0:
        rest, result["validation"] = split_dates(
            rest, held_out=validation_split / (1.0 - test_split), seed=seed, by=by
        )
    return {"train": rest, **result}


def drop_long_pairs(pairs: SentencePairs, max_words: int | None) -> SentencePairs:
    """The pairs with at most `max_words` words (split on whitespace) a side.

    Example:

    >>> from kerasseq.data import SentencePairs
    >>> from kerasseq.runs import drop_long_pairs
    >>> pairs = SentencePairs(["Go.", "I see you."], ["Ve.", "Te veo."])
    >>> drop_long_pairs(pairs, 2).sources
    ['Go.']
    """
    if max_words is None:
        return pairs
    kept = [
        index
        for index, (source, target) in enumerate(zip(pairs.sources, pairs.targets))
        if len(source.split()) <= max_words and len(target.split()) <= max_words
    ]
    return _subset(pairs, kept)


def generate_pairs(run: RunConfig) -> SentencePairs:
    """The `data.size` date pairs of a `format = "dates"` run (`generate_dates`,
    seeded with `data.seed`)."""
    from kerasseq.data import generate_dates

    settings = run.data
    return generate_dates(
        settings.size, seed=settings.seed, **settings.dates_arguments()
    )


def _hold_out(
    run: RunConfig, data: LabelledTexts | SentencePairs
) -> dict[str, LabelledTexts | SentencePairs | None]:
    """`split_holdout` for labelled texts, `split_pairs` for pairs."""
    settings = run.data
    if isinstance(data, SentencePairs):
        return split_pairs(
            data,
            settings.validation_split,
            settings.test_split,
            settings.seed,
            by="target" if settings.format == "dates" else "source",
        )
    return split_holdout(
        data, settings.validation_split, settings.test_split, settings.seed
    )


def _subset(data, indices):
    if isinstance(data, SentencePairs):
        return SentencePairs(
            [data.sources[i] for i in indices], [data.targets[i] for i in indices]
        )
    return LabelledTexts(
        texts=[data.texts[i] for i in indices],
        labels=None if data.labels is None else [data.labels[i] for i in indices],
        label_names=data.label_names,
    )


def _limit(data, limit: int | None, seed: int):
    """At most `limit` examples, a seeded random sample (in a random order)."""
    if limit is None or len(data) <= limit:
        return data
    rng = np.random.default_rng([seed, limit])
    return _subset(data, rng.permutation(len(data))[:limit])


def read_splits(
    run: RunConfig, splits: Iterable[str] = SPLITS
) -> dict[str, LabelledTexts | SentencePairs | None]:
    """Reads the requested splits, each file once.

    A split with its own file (`data.validation`, `data.test`) reads it; one
    with a fraction (`data.validation_split`, `data.test_split`) is held out
    from the `data.train` file (or, for `format = "dates"`, from the
    `data.size` generated pairs), seeded with `data.seed`: stratified by
    label for labelled texts (`split_holdout`), by distinct source for
    sentence pairs and by distinct day for dates (`split_pairs`);
    `data.limit` then keeps a seeded random sample of at most that many
    examples of each split.

    Returns:
        `{split: data or None}` for the requested splits (`None`: the run has
        no such split), `LabelledTexts` for a classifier's formats,
        `SentencePairs` for `"sentence_pairs"` and `"dates"`.
    """
    settings = run.data
    splits = list(splits)
    for split in splits:
        validation.check_one_of("split", split, SPLITS)
    fractions = {
        "validation": settings.validation_split,
        "test": settings.test_split,
    }
    held: dict[str, LabelledTexts | SentencePairs | None] = {}
    if "train" in splits or any(fractions.get(split, 0) > 0 for split in splits):
        if settings.format == "dates":
            train = generate_pairs(run)
        else:
            train = read_file(run, "train")
        held = _hold_out(run, train)
    result: dict[str, LabelledTexts | SentencePairs | None] = {}
    for split in splits:
        if split == "train" or fractions[split] > 0:
            result[split] = held[split]
        elif getattr(settings, split) is not None:
            result[split] = read_file(run, split)
        else:
            result[split] = None
    for split in splits:
        if result[split] is not None:
            result[split] = _limit(result[split], settings.limit, settings.seed)
    return result


def read_split(run: RunConfig, split: str) -> LabelledTexts | SentencePairs | None:
    """Reads one split (`"train"`, `"validation"` or `"test"`); see `read_splits`."""
    return read_splits(run, [split])[split]


def as_xy(data: LabelledTexts | SentencePairs) -> tuple[list[str], list[str] | None]:
    """The `(x, y)` of a split for `fit`/`evaluate`: texts and labels, or
    sources and targets.

    Example:

    >>> from kerasseq.data import LabelledTexts, SentencePairs
    >>> from kerasseq.runs import as_xy
    >>> as_xy(LabelledTexts(["good"], ["pos"])), as_xy(SentencePairs(["Go."], ["Ve."]))
    ((['good'], ['pos']), (['Go.'], ['Ve.']))
    """
    if isinstance(data, SentencePairs):
        return data.sources, data.targets
    return data.texts, data.labels


def describe_splits(splits: dict[str, LabelledTexts | SentencePairs | None]) -> str:
    """The sizes of the splits in one line (with the labels, for labelled texts).

    Example:

    >>> from kerasseq.data import SentencePairs
    >>> from kerasseq.runs import describe_splits
    >>> pairs = SentencePairs(["Go.", "Run!"], ["Ve.", "Corre."])
    >>> describe_splits({"train": pairs, "validation": None, "test": pairs})
    'train 2, test 2 pairs'
    """
    present = {name: data for name, data in splits.items() if data is not None}
    sizes = ", ".join(f"{name} {len(data):,}" for name, data in present.items())
    first = next(iter(present.values()), None)
    if isinstance(first, SentencePairs):
        return f"{sizes} pairs"
    names = first.label_names if first is not None else None
    labels = f"; labels: {', '.join(map(str, names))}" if names else ""
    return f"{sizes} texts{labels}"


# === Training ===


def build_pipeline(run: RunConfig) -> Pipeline:
    """A new, unfitted pipeline from `run.model` (embeddings path resolved)."""
    settings = dict(run.model)
    for key in _embeddings_keys(run):
        if settings.get(key) is not None:
            settings[key] = resolve_embeddings(run, key)
    return pipeline_class(run.pipeline).from_config(settings)


def load_pipeline(directory: str | os.PathLike) -> Pipeline:
    """Loads a pipeline saved by `Pipeline.save` (a folder with `config.toml`).

    The class is the one named by the `pipeline` key of its `config.toml`
    (`Pipeline.save` writes it), `TextClassifier` when there is none (a
    folder saved before the key existed).

    Raises:
        FileNotFoundError: `directory` is not a saved pipeline (the message
            says when it is an exported SavedModel instead).
    """
    folder = pathlib.Path(directory).expanduser()
    config_file = folder / Pipeline.CONFIG_FILE
    if not config_file.is_file():
        if (folder / "saved_model.pb").is_file():
            raise FileNotFoundError(
                f"{folder} is an exported SavedModel, not a saved pipeline (a "
                "folder with config.toml, as written to output.save_dir)"
            )
        raise FileNotFoundError(
            f"{folder} is not a saved pipeline: {config_file} is missing"
        )
    with open(config_file, "rb") as file:
        settings = tomllib.load(file)
    return pipeline_class(settings.get("pipeline", "text_classifier")).load(folder)


def fit_arguments(
    run: RunConfig, train: LabelledTexts | SentencePairs | None = None
) -> dict:
    """The keyword arguments of `Pipeline.fit` that `[fit]` sets.

    `epochs`, `batch_size` and `verbose` always; the callbacks' arguments
    (`early_stopping`, `monitor`, `checkpoint_dir`, `backup_dir`,
    `log_dir`), `bucketing=False` and `class_weight` only when set.
    `class_weight = "balanced"` weighs each label by `n / (k * count)` over
    the `train` labels (as scikit-learn's "balanced").
    """
    fit = run.fit
    kwargs: dict[str, Any] = {
        "epochs": fit.epochs,
        "batch_size": fit.batch_size,
        "verbose": fit.verbose,
    }
    if fit.early_stopping is not None:
        kwargs["early_stopping"] = fit.early_stopping
    if fit.monitor is not None:
        kwargs["monitor"] = fit.monitor
    for key in ("checkpoint_dir", "backup_dir", "log_dir"):
        if getattr(fit, key) is not None:
            kwargs[key] = output_path(getattr(fit, key))
    if not fit.bucketing:
        kwargs["bucketing"] = False
    if fit.class_weight == "balanced":
        if getattr(train, "labels", None) is None:
            raise ValueError(
                '`fit.class_weight = "balanced"` needs labelled training data'
            )
        names, counts = np.unique(
            np.array(train.labels, dtype=object), return_counts=True
        )
        total = len(train.labels)
        kwargs["class_weight"] = {
            name: total / (len(names) * count) for name, count in zip(names, counts)
        }
    elif fit.class_weight is not None:
        kwargs["class_weight"] = dict(fit.class_weight)
    return kwargs


def check_outputs(run: RunConfig) -> None:
    """Raises `FileExistsError` before training if an output would be overwritten."""
    if run.output.overwrite:
        return
    for key in ("save_dir", "export_dir"):
        path = output_path(getattr(run.output, key))
        if path is not None and os.path.exists(path):
            raise FileExistsError(
                f"`output.{key}` {path} already exists; set output.overwrite = "
                "true (or --set output.overwrite=true) to replace it, or choose "
                "another folder"
            )


def format_metrics(metrics: dict[str, dict[str, float]]) -> str:
    """A table of metrics, one row per metric and one column per split.

    Example:

    >>> from kerasseq.runs import format_metrics
    >>> print(format_metrics({"validation": {"accuracy": 0.75, "loss": 0.5},
    ...                       "test": {"accuracy": 0.7, "loss": 0.55}}))
    metric    validation    test
    accuracy      0.7500  0.7000
    loss          0.5000  0.5500
    """
    splits = list(metrics)
    names: list[str] = []
    for values in metrics.values():
        names += [name for name in values if name not in names]
    width = max([len("metric")] + [len(name) for name in names])
    columns = [max(len(split), 6) for split in splits]
    lines = [
        f"{'metric':<{width}}"
        + "".join(f"  {split:>{column}}" for split, column in zip(splits, columns))
    ]
    for name in names:
        cells = [
            f"{metrics[split][name]:.4f}" if name in metrics[split] else "-"
            for split in splits
        ]
        lines.append(
            f"{name:<{width}}"
            + "".join(f"  {cell:>{column}}" for cell, column in zip(cells, columns))
        )
    return "\n".join(lines)


def train(
    run: RunConfig, echo: Callable[[str], None] | None = print
) -> dict[str, dict[str, float]]:
    """Fits the run's pipeline, evaluates it, and writes its outputs.

    Steps: check that no output would be overwritten (unless
    `output.overwrite`); read the data (`read_splits`); build the pipeline
    from `[model]`; `fit` with `[fit]`, validating on the validation split
    when there is one; evaluate on the validation and test splits; `save` to
    `output.save_dir`, `export` to `output.export_dir`, plot the history to
    `output.history_plot` (skipped with a message when matplotlib or
    `kerasseq.plotting` is missing), write `output.metrics_file` (JSON:
    metrics, history, run file); last, print the metrics table.

    Args:
        run: A `RunConfig` (`load_run`).
        echo: Where progress lines and the metrics table go. Defaults to
            `print`; `None` is silent (Keras's own progress bars follow
            `fit.verbose`).

    Returns:
        `{split: {metric: value}}` for the validation and test splits the
        run has (`loss`, `accuracy`, `macro_f1` for a `TextClassifier`;
        `exact_match`, `token_accuracy`, `loss`, `bleu` for a `Translator`,
        whose `evaluate` decodes with its `beam_width` setting).
    """
    say = echo or (lambda line: None)
    check_outputs(run)
    check_paths(run)
    splits = read_splits(run)
    say(f"data: {describe_splits(splits)}")
    pipeline = build_pipeline(run)
    validation_data = splits["validation"]
    pipeline.fit(
        *as_xy(splits["train"]),
        validation_data=None if validation_data is None else as_xy(validation_data),
        **fit_arguments(run, splits["train"]),
    )
    metrics: dict[str, dict[str, float]] = {}
    for name in ("validation", "test"):
        data = splits[name]
        if data is not None:
            metrics[name] = pipeline.evaluate(
                *as_xy(data), batch_size=run.fit.batch_size
            )
    write_outputs(run, pipeline, metrics, say)
    if metrics:
        say(format_metrics(metrics))
    return metrics


def write_outputs(run: RunConfig, pipeline: Pipeline, metrics: dict, say) -> None:
    """Saves, exports, plots and writes the metrics file, as `[output]` asks."""
    output = run.output
    if output.save_dir is not None:
        path = output_path(output.save_dir)
        pipeline.save(path, overwrite=output.overwrite)
        say(f"saved the pipeline to {path}")
    if output.export_dir is not None:
        path = output_path(output.export_dir)
        pipeline.export(path, overwrite=output.overwrite)
        say(f"exported a SavedModel to {path}")
    history = getattr(pipeline.history, "history", None) or {}
    if output.history_plot is not None:
        try:
            from kerasseq import plotting

            path = plotting.plot_history(history, output_path(output.history_plot))
            say(f"plotted the training history to {path}")
        except ImportError as error:
            say(f"history plot skipped: {error}")
    if output.metrics_file is not None:
        from kerasseq import files

        path = output_path(output.metrics_file)
        record = {
            "run": config_lib.to_dict(run),
            "metrics": metrics,
            "history": {
                key: [float(value) for value in values]
                for key, values in history.items()
            },
        }
        with files.atomic_write(path, "w", encoding="utf-8") as file:
            json.dump(record, file, indent=2)
            file.write("\n")
        say(f"wrote the metrics to {path}")
    if all(
        getattr(output, key) is None
        for key in ("save_dir", "export_dir", "history_plot", "metrics_file")
    ):
        say(
            "nothing written: set output.save_dir or output.export_dir to keep "
            "the model"
        )
