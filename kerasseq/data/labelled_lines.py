"""Readers of one-text-a-line files, with labels in a second file, a fastText
`__label__` prefix, or one file per label (rt-polarity's `.pos`/`.neg`)."""

import re
from collections.abc import Mapping
from collections.abc import Sequence

from kerasseq.data.labelled_texts import LabelledTexts
from kerasseq.data.text_file import DataFormatError
from kerasseq.data.text_file import PathLike
from kerasseq.data.text_file import check_encoding
from kerasseq.data.text_file import location
from kerasseq.data.text_file import read_lines

# Texts are stripped of ASCII white space only: a Latin-1 0x85 byte (U+0085,
# which Python counts as white space) is content in rt-polarity.
_SPACES = " \t\r\n\v\f"


def read_texts_and_labels(
    texts_path: PathLike,
    labels_path: PathLike,
    *,
    label_names: Sequence[str] | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> LabelledTexts:
    """Reads one text a line from one file and its label from the same line of
    another.

    Every line counts, blank ones included, so that line `i` of both files
    belongs together; texts and labels are stripped of surrounding spaces.

    Args:
        texts_path: File with one text a line (gzip read transparently).
        labels_path: File with one label a line.
        label_names: Optional list fixing the classes and their ids.
        encoding: Text encoding of both files. Defaults to `"utf-8"`.
        errors: `"strict"` (the default) raises on undecodable bytes naming the
            file and line; `"replace"` substitutes U+FFFD.

    Returns:
        A `LabelledTexts`.

    Raises:
        DataFormatError: The files have different numbers of lines (both counts
            are named), or a label line is blank.
        TextDecodeError: Undecodable bytes with `errors="strict"`.

    Example:

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "texts.txt"), "w") as f:
    ...     _ = f.write("a fine film\\nnot for me\\n")
    >>> with open(os.path.join(folder, "labels.txt"), "w") as f:
    ...     _ = f.write("pos\\nneg\\n")
    >>> from kerasseq.data import read_texts_and_labels
    >>> data = read_texts_and_labels(
    ...     os.path.join(folder, "texts.txt"), os.path.join(folder, "labels.txt")
    ... )
    >>> data.texts, data.labels
    (['a fine film', 'not for me'], ['pos', 'neg'])
    """
    check_encoding(encoding, errors)
    texts = [
        line.strip(_SPACES) for _, line in read_lines(texts_path, encoding, errors)
    ]
    labels = []
    for line_number, line in read_lines(labels_path, encoding, errors):
        label = line.strip(_SPACES)
        if not label:
            raise DataFormatError(f"{location(labels_path, line_number)}: blank label")
        labels.append(label)
    if len(labels) != len(texts):
        raise DataFormatError(
            f"The texts file {location(texts_path)} has {len(texts)} lines but the "
            f"labels file {location(labels_path)} has {len(labels)}; they must "
            "have one line per example."
        )
    return LabelledTexts(texts=texts, labels=labels, label_names=label_names)


def read_fasttext(
    path: PathLike,
    *,
    label_prefix: str = "__label__",
    label_names: Sequence[str] | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> LabelledTexts:
    """Reads fastText's supervised format: `__label__<name> <text>` a line.

    The label is the first white-space separated word, without its prefix;
    the text is the rest of the line, stripped. Blank lines are skipped.
    One label per line: a line with several labels (fastText's multi-label
    form) raises.

    Args:
        path: The file (gzip read transparently).
        label_prefix: The prefix that marks a label. Defaults to `"__label__"`.
        label_names: Optional list fixing the classes and their ids.
        encoding: Text encoding of the file. Defaults to `"utf-8"`.
        errors: `"strict"` (the default) or `"replace"`.

    Returns:
        A `LabelledTexts` whose labels are the names without the prefix.

    Raises:
        DataFormatError: A line without a label or with several labels; the
            message names the file and line.
        TextDecodeError: Undecodable bytes with `errors="strict"`.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "train.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("__label__pos a fine film\\n__label__neg not for me\\n")
    >>> from kerasseq.data import read_fasttext
    >>> data = read_fasttext(path)
    >>> data.texts, data.labels
    (['a fine film', 'not for me'], ['pos', 'neg'])
    """
    check_encoding(encoding, errors)
    if not isinstance(label_prefix, str) or not label_prefix:
        raise ValueError(
            "`label_prefix` must be a non-empty string, received: "
            f"label_prefix={label_prefix!r}"
        )
    label_pattern = re.compile(re.escape(label_prefix) + r"(\S+)(?:\s+|$)")
    texts, labels = [], []
    for line_number, line in read_lines(path, encoding, errors):
        line = line.strip(_SPACES)
        if not line:
            continue
        match = label_pattern.match(line)
        if match is None:
            raise DataFormatError(
                f"{location(path, line_number)}: no label; expected the line to "
                f"start with '{label_prefix}<name> ', found {line[:60]!r}"
            )
        text = line[match.end() :]
        if label_pattern.match(text):
            raise DataFormatError(
                f"{location(path, line_number)}: several labels on one line; "
                "only single-label classification is supported"
            )
        texts.append(text)
        labels.append(match.group(1))
    return LabelledTexts(texts=texts, labels=labels, label_names=label_names)


def read_texts_per_label(
    paths: Mapping[str, PathLike],
    *,
    label_names: Sequence[str] | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> LabelledTexts:
    """Reads one file per label, one text a line (rt-polarity's layout).

    Texts come in the order of `paths`, then of the lines; they are stripped
    of surrounding spaces, and blank lines are skipped.

    Args:
        paths: Mapping from a label to its file, e.g.
            `{"pos": ".../rt-polarity.pos", "neg": ".../rt-polarity.neg"}`.
        label_names: Optional list fixing the classes and their ids. Defaults
            to the sorted labels of `paths`.
        encoding: Text encoding of the files. Defaults to `"utf-8"`;
            rt-polarity needs `"latin-1"`.
        errors: `"strict"` (the default) or `"replace"`.

    Returns:
        A `LabelledTexts`.

    Raises:
        TextDecodeError: Undecodable bytes with `errors="strict"`.

    Example:

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> for label, line in [("pos", b"a caf\\xe9 hit\\n"), ("neg", b"dull\\n")]:
    ...     with open(os.path.join(folder, label), "wb") as f:
    ...         _ = f.write(line)
    >>> from kerasseq.data import read_texts_per_label
    >>> data = read_texts_per_label(
    ...     {name: os.path.join(folder, name) for name in ("pos", "neg")},
    ...     encoding="latin-1",
    ... )
    >>> data.texts, data.labels
    (['a café hit', 'dull'], ['pos', 'neg'])
    """
    check_encoding(encoding, errors)
    if not isinstance(paths, Mapping) or not paths:
        raise ValueError(
            "`paths` must be a non-empty mapping from label to file, received: "
            f"paths={paths!r}"
        )
    texts, labels = [], []
    for label, path in paths.items():
        for _, line in read_lines(path, encoding, errors):
            text = line.strip(_SPACES)
            if text:
                texts.append(text)
                labels.append(str(label))
    return LabelledTexts(texts=texts, labels=labels, label_names=label_names)
