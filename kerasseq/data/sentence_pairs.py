"""Reader of tab-separated sentence pairs for translation (Tatoeba/Anki files)."""

import dataclasses

import tensorflow as tf

from kerasseq.data.text_file import DataFormatError
from kerasseq.data.text_file import PathLike
from kerasseq.data.text_file import check_encoding
from kerasseq.data.text_file import location
from kerasseq.data.text_file import read_lines


@dataclasses.dataclass
class SentencePairs:
    """Source sentences and their translations, as `read_sentence_pairs`
    returns them.

    Attributes:
        sources: List of source sentences (strings).
        targets: List of target sentences, as long as `sources`.

    Example:

    >>> from kerasseq.data import SentencePairs
    >>> pairs = SentencePairs(["Go."], ["Ve."])
    >>> [(s.numpy(), t.numpy()) for s, t in pairs.to_dataset()]
    [(b'Go.', b'Ve.')]
    """

    sources: list[str]
    targets: list[str]

    def __post_init__(self):
        self.sources = list(self.sources)
        self.targets = list(self.targets)
        if len(self.sources) != len(self.targets):
            raise ValueError(
                f"`targets` must have one sentence per source, received "
                f"{len(self.targets)} targets for {len(self.sources)} sources"
            )

    def __len__(self) -> int:
        return len(self.sources)

    def to_dataset(self) -> tf.data.Dataset:
        """A `tf.data.Dataset` of `(source, target)` scalar string pairs."""
        return tf.data.Dataset.from_tensor_slices(
            (
                tf.constant(self.sources, dtype=tf.string, shape=[len(self)]),
                tf.constant(self.targets, dtype=tf.string, shape=[len(self)]),
            )
        )


def read_sentence_pairs(
    path: PathLike,
    *,
    source_column: int = 0,
    target_column: int = 1,
    separator: str = "\t",
    encoding: str = "utf-8",
    errors: str = "strict",
) -> SentencePairs:
    """Reads one sentence pair a line, the two sentences in separate columns.

    This is the format of the manythings.org/Tatoeba Anki files
    (`english<TAB>spanish`, newer files add a third attribution column, which
    is ignored). Sentences are stripped of surrounding spaces; blank lines are
    skipped. To translate from the second language to the first, swap the
    columns (`source_column=1, target_column=0`).

    Args:
        path: The file (gzip read transparently).
        source_column: 0-based index of the source sentence. Defaults to `0`.
        target_column: 0-based index of the target sentence. Defaults to `1`.
        separator: Column separator. Defaults to `"\\t"`.
        encoding: Text encoding of the file. Defaults to `"utf-8"`.
        errors: `"strict"` (the default) raises on undecodable bytes naming the
            file and line; `"replace"` substitutes U+FFFD.

    Returns:
        A `SentencePairs`.

    Raises:
        DataFormatError: A line with too few columns or an empty sentence; the
            message names the file and line.
        TextDecodeError: Undecodable bytes with `errors="strict"`.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "spa.txt")
    >>> with open(path, "w") as f:
    ...     _ = f.write("Go.\\tVe.\\nRun!\\t¡Corre!\\n")
    >>> from kerasseq.data import read_sentence_pairs
    >>> pairs = read_sentence_pairs(path)
    >>> pairs.sources, pairs.targets
    (['Go.', 'Run!'], ['Ve.', '¡Corre!'])
    """
    check_encoding(encoding, errors)
    for name, value in (
        ("source_column", source_column),
        ("target_column", target_column),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(
                f"`{name}` must be a 0-based column index, received: {name}={value!r}"
            )
    if source_column == target_column:
        raise ValueError(
            "`source_column` and `target_column` must differ, received: "
            f"source_column={source_column!r}, target_column={target_column!r}"
        )
    if not isinstance(separator, str) or not separator:
        raise ValueError(
            f"`separator` must be a non-empty string, received: separator={separator!r}"
        )
    needed = max(source_column, target_column) + 1
    sources, targets = [], []
    for line_number, line in read_lines(path, encoding, errors):
        if not line.strip():
            continue
        fields = line.split(separator)
        if len(fields) < needed:
            raise DataFormatError(
                f"{location(path, line_number)}: found {len(fields)} column(s) "
                f"separated by {separator!r} but the source and target columns "
                f"need {needed}: {line[:80]!r}"
            )
        source = fields[source_column].strip()
        target = fields[target_column].strip()
        if not source or not target:
            raise DataFormatError(
                f"{location(path, line_number)}: empty "
                f"{'source' if not source else 'target'} sentence"
            )
        sources.append(source)
        targets.append(target)
    return SentencePairs(sources=sources, targets=targets)
