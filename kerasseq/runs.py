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

`load_run` reads it into a `RunConfig` (dataclasses filled by
`kerasseq.config`: unknown keys are rejected with a did-you-mean naming the
dotted key, including `model.xxx`, which the pipeline's `config_class`
checks), `read_split` reads the data, and `train` fits, evaluates, saves and
exports. `pipelines/README.md` documents every key.

Paths:

- Relative data paths (`data.train`, `data.validation`, `data.test`) are
  read from the data root: `data.root` if set, else the `KERASSEQ_DATA`
  environment variable; with neither, a relative data path is an error
  saying to set one. A relative `data.root` is relative to the current
  folder.
- A relative `model.embeddings` is looked up in the current folder first,
  then in the data root (`glove/glove.6B.50d.txt.gz` finds the shared GloVe
  file); a name that is neither (a gensim-data name such as
  `glove-wiki-gigaword-50`) is passed on as is.
- Output paths (`output.*`, `fit.checkpoint_dir`, `fit.backup_dir`,
  `fit.log_dir`) are relative to the current folder.
"""

import dataclasses
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
from kerasseq.data.text_file import check_encoding
from kerasseq.pipelines import Pipeline
from kerasseq.pipelines import TextClassifier

# Pipeline names a run file's `pipeline` key may hold.
PIPELINES: dict[str, type[Pipeline]] = {"text_classifier": TextClassifier}

SPLITS = ("train", "validation", "test")
DATA_ENV = "KERASSEQ_DATA"
_TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".jsonl", ".ndjson")

DataFiles = str | dict[str, str]


@dataclasses.dataclass
class DataConfig:
    """The `[data]` table: files, their format, and the held-out splits."""

    train: DataFiles
    format: Literal["table", "fasttext", "texts_per_label"] = "table"
    root: str | None = None
    validation: DataFiles | None = None
    test: DataFiles | None = None
    validation_split: float = 0.0
    test_split: float = 0.0
    seed: int = 0
    limit: int | None = None
    text_column: str | int = "text"
    label_column: str | int = "label"
    header: bool = True
    label_prefix: str = "__label__"
    encoding: str = "utf-8"
    errors: str = "strict"

    def __post_init__(self):
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
        check_encoding(self.encoding, self.errors)
        if self.format == "table":
            for name in ("text_column", "label_column"):
                column = getattr(self, name)
                if isinstance(column, int) and (self.header or column < 0):
                    raise ValueError(
                        f"`{name}` may be a column index only with header = "
                        f"false (and not negative), received: {name}={column!r}"
                    )


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
        pipeline: A key of `PIPELINES` (`"text_classifier"`).
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


def resolve_embeddings(run: RunConfig) -> str | None:
    """`model.embeddings` resolved: the current folder first, then the data root.

    Returns the path (or gensim-data name) to pass to the pipeline, or `None`
    when the run uses no pretrained embeddings.

    Raises:
        FileNotFoundError: a relative path found in neither place (a bare
            gensim-data name is passed on unchanged).
    """
    from kerasseq.embeddings import formats

    value = run.model.get("embeddings")
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
    raise FileNotFoundError(
        f"No embeddings file `model.embeddings` = {value!r} in {places}"
    )


def check_paths(run: RunConfig) -> dict[str, Any]:
    """Resolves every input path of the run and checks that it exists.

    Returns:
        `{"train": ..., "validation": ..., "test": ..., "embeddings": ...}`,
        the resolved paths (a dict of paths for `texts_per_label`), `None`
        where a split has no file of its own or no embeddings are used.

    Raises:
        ValueError, FileNotFoundError: as `resolve_data_path` and
            `resolve_embeddings`.
    """
    paths: dict[str, Any] = {}
    for split in SPLITS:
        paths[split] = (
            data_files(run, split) if getattr(run.data, split) is not None else None
        )
    paths["embeddings"] = resolve_embeddings(run)
    return paths


def output_path(path: str | None) -> str | None:
    """An output path (`output.*`, `fit.*_dir`) made absolute from the cwd."""
    if path is None:
        return None
    return os.fspath(pathlib.Path(path).expanduser().absolute())


# === Data ===


def read_file(run: RunConfig, split: str) -> LabelledTexts:
    """Reads the file(s) of `data.<split>` with the reader of `data.format`."""
    from kerasseq import data as data_lib

    settings = run.data
    files = data_files(run, split)
    common = {"encoding": settings.encoding, "errors": settings.errors}
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


def _subset(data: LabelledTexts, indices) -> LabelledTexts:
    return LabelledTexts(
        texts=[data.texts[i] for i in indices],
        labels=None if data.labels is None else [data.labels[i] for i in indices],
        label_names=data.label_names,
    )


def _limit(data: LabelledTexts, limit: int | None, seed: int) -> LabelledTexts:
    """At most `limit` examples, a seeded random sample (in a random order)."""
    if limit is None or len(data.texts) <= limit:
        return data
    rng = np.random.default_rng([seed, limit])
    return _subset(data, rng.permutation(len(data.texts))[:limit])


def read_splits(
    run: RunConfig, splits: Iterable[str] = SPLITS
) -> dict[str, LabelledTexts | None]:
    """Reads the requested splits, each file once.

    A split with its own file (`data.validation`, `data.test`) reads it; one
    with a fraction (`data.validation_split`, `data.test_split`) is held out
    from the `data.train` file by `split_holdout` (stratified, seeded with
    `data.seed`); `data.limit` then keeps a seeded random sample of at most
    that many examples of each split.

    Returns:
        `{split: LabelledTexts or None}` for the requested splits (`None`:
        the run has no such split).
    """
    settings = run.data
    splits = list(splits)
    for split in splits:
        if split not in SPLITS:
            raise ValueError(
                f"`split` must be one of {', '.join(SPLITS)}, received: {split!r}"
            )
    fractions = {
        "validation": settings.validation_split,
        "test": settings.test_split,
    }
    held: dict[str, LabelledTexts | None] = {}
    if "train" in splits or any(fractions.get(split, 0) > 0 for split in splits):
        held = split_holdout(
            read_file(run, "train"),
            settings.validation_split,
            settings.test_split,
            settings.seed,
        )
    result: dict[str, LabelledTexts | None] = {}
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


def read_split(run: RunConfig, split: str) -> LabelledTexts | None:
    """Reads one split (`"train"`, `"validation"` or `"test"`); see `read_splits`."""
    return read_splits(run, [split])[split]


# === Training ===


def build_pipeline(run: RunConfig) -> Pipeline:
    """A new, unfitted pipeline from `run.model` (embeddings path resolved)."""
    settings = dict(run.model)
    if settings.get("embeddings") is not None:
        settings["embeddings"] = resolve_embeddings(run)
    return pipeline_class(run.pipeline).from_config(settings)


def load_pipeline(directory: str | os.PathLike) -> Pipeline:
    """Loads a pipeline saved by `Pipeline.save` (a folder with `config.toml`).

    The class is the one named by a top-level `pipeline` key of its
    `config.toml` when there is one, else `TextClassifier`.

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
        name = tomllib.load(file).get("pipeline", "text_classifier")
    return pipeline_class(name).load(folder)


def fit_arguments(run: RunConfig, train: LabelledTexts | None = None) -> dict:
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
        if train is None or train.labels is None:
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
        run has (`loss`, `accuracy`, `macro_f1` for a `TextClassifier`).
    """
    say = echo or (lambda line: None)
    check_outputs(run)
    check_paths(run)
    splits = read_splits(run)
    train_data = splits["train"]
    sizes = ", ".join(
        f"{name} {len(data.texts):,}"
        for name, data in splits.items()
        if data is not None
    )
    say(f"data: {sizes} texts; labels: {', '.join(map(str, train_data.label_names))}")
    pipeline = build_pipeline(run)
    validation_data = splits["validation"]
    pipeline.fit(
        train_data.texts,
        train_data.labels,
        validation_data=(
            None
            if validation_data is None
            else (validation_data.texts, validation_data.labels)
        ),
        **fit_arguments(run, train_data),
    )
    metrics: dict[str, dict[str, float]] = {}
    for name in ("validation", "test"):
        data = splits[name]
        if data is not None:
            metrics[name] = pipeline.evaluate(
                data.texts, data.labels, batch_size=run.fit.batch_size
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
