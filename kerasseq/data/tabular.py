"""Readers of CSV, TSV and JSON Lines files with a text column and a label column."""

import csv
import json
import os
from collections.abc import Sequence

from kerasseq.data.labelled_texts import LabelledTexts
from kerasseq.data.text_file import DataFormatError
from kerasseq.data.text_file import PathLike
from kerasseq.data.text_file import check_encoding
from kerasseq.data.text_file import location
from kerasseq.data.text_file import read_lines

Column = str | int


def read_csv(
    path: PathLike,
    text_column: Column = "text",
    label_column: Column | None = "label",
    *,
    header: bool = True,
    delimiter: str = ",",
    extra_columns: Sequence[Column] = (),
    label_names: Sequence[str] | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> LabelledTexts:
    """Reads a CSV file with one text and one label a row.

    Quoting follows Python's `csv` module (Excel dialect: fields may be quoted
    with `"`, quoted fields may hold the delimiter and newlines). Blank lines
    are skipped. Texts are kept exactly as written; labels are stripped of
    surrounding spaces.

    Args:
        path: The file; gzip-compressed files are read transparently.
        text_column: Name of the text column (with `header=True`) or its
            0-based index. Defaults to `"text"`.
        label_column: Name or index of the label column, or `None` for
            unlabelled texts. Defaults to `"label"`.
        header: Whether the first row names the columns. Defaults to `True`.
            Without a header, columns are chosen by index.
        delimiter: One-character field separator. Defaults to `","`.
        extra_columns: Other columns to keep, returned in `extras` under the
            given name or index. Defaults to `()`.
        label_names: Optional list fixing the classes and their ids; a label
            outside it raises. Defaults to the sorted distinct labels.
        encoding: Text encoding of the file. Defaults to `"utf-8"`.
        errors: `"strict"` (the default) raises on undecodable bytes naming the
            file and line; `"replace"` substitutes U+FFFD.

    Returns:
        A `LabelledTexts`.

    Raises:
        DataFormatError: A column that is not in the header (the message lists
            the columns found), a row too short for the requested columns, an
            empty label, or a CSV syntax error; each names the file and line.
        TextDecodeError: Undecodable bytes with `errors="strict"`.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "emoji.csv")
    >>> with open(path, "w", newline="") as f:
    ...     _ = f.write('never talk to me again,3\\r\\n"I love you, mum",0\\r\\n')
    >>> from kerasseq.data import read_csv
    >>> data = read_csv(path, text_column=0, label_column=1, header=False)
    >>> data.texts, data.labels
    (['never talk to me again', 'I love you, mum'], ['3', '0'])
    """
    check_encoding(encoding, errors)
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(
            f"`delimiter` must be a single character, received: delimiter={delimiter!r}"
        )
    columns = _requested_columns(text_column, label_column, extra_columns, header)
    lines = (line for _, line in read_lines(path, encoding, errors, keep_ends=True))
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    indices = None
    header_size = None
    texts, labels, extras = [], [], {column: [] for column in extra_columns}
    for row_line, row in _rows(reader, path):
        if not row or row == [""]:
            continue
        if indices is None:
            if header:
                indices = _header_indices(path, row_line, row, columns)
                header_size = len(row)
                continue
            indices = {column: column for column in columns}
        needed = max(indices.values()) + 1
        if len(row) < needed:
            expected = (
                f"the header has {header_size}"
                if header
                else f"column {needed - 1} needs at least {needed}"
            )
            raise DataFormatError(
                f"{location(path, row_line)}: the row has {len(row)} "
                f"field(s) but {expected} (delimiter={delimiter!r}): {row!r}"
            )
        texts.append(row[indices[text_column]])
        if label_column is not None:
            labels.append(_label(row[indices[label_column]], path, row_line))
        for column in extra_columns:
            extras[column].append(row[indices[column]])
    if indices is None and header:
        raise DataFormatError(f"{location(path)}: the file is empty (no header row).")
    return LabelledTexts(
        texts=texts,
        labels=labels if label_column is not None else None,
        label_names=label_names,
        extras=extras,
    )


def read_tsv(
    path: PathLike,
    text_column: Column = "text",
    label_column: Column | None = "label",
    **kwargs,
) -> LabelledTexts:
    """Reads a tab-separated file: `read_csv` with `delimiter="\\t"`.

    Takes the keyword arguments of `read_csv` (`header`, `extra_columns`,
    `label_names`, `encoding`, `errors`).
    """
    return read_csv(path, text_column, label_column, delimiter="\t", **kwargs)


def read_jsonl(
    path: PathLike,
    text_column: str = "text",
    label_column: str | None = "label",
    *,
    extra_columns: Sequence[str] = (),
    label_names: Sequence[str] | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> LabelledTexts:
    """Reads JSON Lines: one JSON object a line, text and label under keys.

    Blank lines are skipped. The text must be a JSON string; the label a
    string or an integer (returned as a string, e.g. `"3"`). The IMDB copy in
    `../shared/data/imdb/train.jsonl.gz` (`{"id", "rating", "label", "text"}`)
    reads with the defaults; `extra_columns=("id", "rating")` keeps the rest.

    Args:
        path: The file; gzip-compressed files are read transparently.
        text_column: Key of the text. Defaults to `"text"`.
        label_column: Key of the label, or `None` for unlabelled texts.
            Defaults to `"label"`.
        extra_columns: Other keys to keep, returned in `extras` with their
            JSON values. Defaults to `()`.
        label_names: Optional list fixing the classes and their ids.
        encoding: Text encoding of the file. Defaults to `"utf-8"`.
        errors: `"strict"` (the default) or `"replace"`, as in `read_csv`.

    Returns:
        A `LabelledTexts`.

    Raises:
        DataFormatError: Invalid JSON, a line that is not an object, a missing
            key (the message lists the keys found), a text that is not a
            string or a label that is not a string or integer; each names the
            file and line.
        TextDecodeError: Undecodable bytes with `errors="strict"`.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "reviews.jsonl")
    >>> with open(path, "w") as f:
    ...     _ = f.write('{"text": "Great!", "label": "pos", "rating": 9}\\n')
    ...     _ = f.write('{"text": "Awful.", "label": "neg", "rating": 2}\\n')
    >>> from kerasseq.data import read_jsonl
    >>> data = read_jsonl(path, extra_columns=["rating"])
    >>> data.texts, data.label_ids().tolist(), data.extras
    (['Great!', 'Awful.'], [1, 0], {'rating': [9, 2]})
    """
    check_encoding(encoding, errors)
    columns = _requested_columns(text_column, label_column, extra_columns, True)
    texts, labels, extras = [], [], {column: [] for column in extra_columns}
    for line_number, line in read_lines(path, encoding, errors):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataFormatError(
                f"{location(path, line_number)}: invalid JSON ({error})"
            ) from None
        if not isinstance(record, dict):
            raise DataFormatError(
                f"{location(path, line_number)}: expected a JSON object, found "
                f"{type(record).__name__}"
            )
        for column in columns:
            if column not in record:
                raise DataFormatError(
                    f"{location(path, line_number)}: column {column!r} not "
                    f"found; columns found: {sorted(record)}"
                )
        text = record[text_column]
        if not isinstance(text, str):
            raise DataFormatError(
                f"{location(path, line_number)}: the text under {text_column!r} "
                f"must be a string, found {type(text).__name__}"
            )
        texts.append(text)
        if label_column is not None:
            label = record[label_column]
            if isinstance(label, bool) or not isinstance(label, str | int):
                raise DataFormatError(
                    f"{location(path, line_number)}: the label under "
                    f"{label_column!r} must be a string or an integer, found "
                    f"{label!r}"
                )
            labels.append(_label(str(label), path, line_number))
        for column in extra_columns:
            extras[column].append(record[column])
    return LabelledTexts(
        texts=texts,
        labels=labels if label_column is not None else None,
        label_names=label_names,
        extras=extras,
    )


_SUFFIXES = {".csv": read_csv, ".tsv": read_tsv, ".tab": read_tsv}
_SUFFIXES.update({".jsonl": read_jsonl, ".ndjson": read_jsonl})


def read_table(path: PathLike, *args, **kwargs) -> LabelledTexts:
    """Reads a CSV, TSV or JSON Lines file, chosen by its file name.

    `.csv` → `read_csv`, `.tsv`/`.tab` → `read_tsv`, `.jsonl`/`.ndjson` →
    `read_jsonl`, each optionally followed by `.gz`. Other arguments are
    passed on.

    Raises:
        ValueError: The file name has none of these suffixes.
    """
    name = os.fspath(path).lower().removesuffix(".gz")
    for suffix, reader in _SUFFIXES.items():
        if name.endswith(suffix):
            return reader(path, *args, **kwargs)
    raise ValueError(
        "`path` must end in one of "
        f"{sorted(_SUFFIXES)} (optionally + '.gz'), received: path={path!r}"
    )


def _rows(reader, path):
    # Yields (first line of the row, row): quoted fields can span lines.
    while True:
        row_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise DataFormatError(
                f"{location(path, row_line)}: CSV error in the row starting here: "
                f"{error} (an unclosed quote, or a quote inside an unquoted field?)"
            ) from None
        yield row_line, row


def _requested_columns(text_column, label_column, extra_columns, header):
    columns = [text_column]
    if label_column is not None:
        columns.append(label_column)
    columns.extend(extra_columns)
    for column in columns:
        if isinstance(column, bool) or not isinstance(column, str | int):
            raise ValueError(
                f"Columns must be names or 0-based indices, received: {column!r}"
            )
        if isinstance(column, int) and column < 0:
            raise ValueError(f"Column indices must be 0 or more, received: {column!r}")
        if isinstance(column, str) and not header:
            raise ValueError(
                f"Column {column!r} is a name but `header=False`: choose columns "
                "by 0-based index, e.g. text_column=0, label_column=1."
            )
    return columns


def _header_indices(path, line_number, row, columns):
    names = [name.strip() for name in row]
    indices = {}
    for column in columns:
        if isinstance(column, int):
            if column >= len(names):
                raise DataFormatError(
                    f"{location(path, line_number)}: column {column} not found; "
                    f"the header has {len(names)} columns: {names}"
                )
            indices[column] = column
        elif column in names:
            indices[column] = names.index(column)
        else:
            raise DataFormatError(
                f"{location(path, line_number)}: column {column!r} not found; "
                f"columns found: {names}"
            )
    return indices


def _label(value, path, line_number):
    label = value.strip()
    if not label:
        raise DataFormatError(f"{location(path, line_number)}: the label is empty")
    return label
