"""Reader of CoNLL column files (one token a line, blank line between
sentences) for sequence tagging, and the IOB1 → IOB2 tag conversion."""

import dataclasses
import re
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from kerasseq.data.text_file import DataFormatError
from kerasseq.data.text_file import PathLike
from kerasseq.data.text_file import check_encoding
from kerasseq.data.text_file import location
from kerasseq.data.text_file import read_lines

DOCSTART = "-DOCSTART-"
_LANGUAGE_PREFIX = re.compile(r"[a-z]{2,3}:(?=.)")


def sorted_tags(tags: Sequence[str]) -> list[str]:
    """The distinct tags with `"O"` first, then by entity type, `B-` before `I-`.

    Example:

    >>> from kerasseq.data import sorted_tags
    >>> sorted_tags(["I-PER", "O", "B-LOC", "B-PER", "I-LOC"])
    ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER']
    """

    def key(tag):
        if tag == "O":
            return (0, "", "")
        prefix, dash, kind = tag.partition("-")
        if dash and len(prefix) == 1:
            return (1, kind, prefix)
        return (1, tag, "")

    return sorted(set(tags), key=key)


def iob1_to_iob2(tags: Sequence[str]) -> list[str]:
    """Converts one sentence's tags from IOB1 to IOB2.

    In IOB1 (CoNLL-2003 as published) an entity starts with `I-`, and `B-`
    only separates two adjacent entities of the same type. In IOB2 every
    entity starts with `B-`. So an `I-X` that follows `O`, the start of the
    sentence, or a tag of another type becomes `B-X`; all else is unchanged.

    Args:
        tags: The tags of one sentence, e.g. `["I-PER", "I-PER", "O"]`.

    Returns:
        The IOB2 tags, a new list.

    Raises:
        ValueError: A tag that is neither `O` nor `B-`/`I-` plus a type.

    Example:

    >>> from kerasseq.data import iob1_to_iob2
    >>> iob1_to_iob2(["I-ORG", "O", "I-MISC", "I-MISC", "B-MISC", "I-LOC"])
    ['B-ORG', 'O', 'B-MISC', 'I-MISC', 'B-MISC', 'B-LOC']
    """
    converted = []
    previous_type = None
    for tag in tags:
        if tag == "O":
            converted.append(tag)
            previous_type = None
            continue
        prefix, dash, kind = tag.partition("-")
        if prefix not in ("B", "I") or not dash or not kind:
            raise ValueError(
                f"IOB tags must be 'O', 'B-<type>' or 'I-<type>', received: {tag!r}"
            )
        if prefix == "I" and kind != previous_type:
            tag = "B-" + kind
        converted.append(tag)
        previous_type = kind
    return converted


@dataclasses.dataclass
class TaggedSentences:
    """Sentences of tokens with one tag per token, as `read_conll` returns them.

    Attributes:
        tokens: List of sentences, each a list of token strings.
        tags: List of sentences, each a list of tag strings as long as its
            tokens.
        tag_names: List of the tags; a tag's id is its index here. Defaults to
            the distinct tags ordered by `sorted_tags` (`"O"` first, id 0).

    Example:

    >>> from kerasseq.data import TaggedSentences
    >>> data = TaggedSentences([["Peter", "runs"]], [["B-PER", "O"]])
    >>> data.tag_names, [ids.tolist() for ids in data.tag_ids()]
    (['O', 'B-PER'], [[1, 0]])
    >>> tokens, tags = next(iter(data.to_dataset()))
    >>> tokens.numpy().tolist(), tags.numpy().tolist()
    ([b'Peter', b'runs'], [1, 0])
    """

    tokens: list[list[str]]
    tags: list[list[str]]
    tag_names: list[str] | None = None

    def __post_init__(self):
        self.tokens = [list(sentence) for sentence in self.tokens]
        self.tags = [list(sentence) for sentence in self.tags]
        if len(self.tokens) != len(self.tags):
            raise ValueError(
                f"`tags` must have one sentence per sentence of `tokens`, received "
                f"{len(self.tags)} and {len(self.tokens)}"
            )
        for i, (tokens, tags) in enumerate(zip(self.tokens, self.tags)):
            if len(tokens) != len(tags):
                raise ValueError(
                    f"Sentence {i} has {len(tokens)} tokens but {len(tags)} tags"
                )
        all_tags = [tag for sentence in self.tags for tag in sentence]
        if self.tag_names is None:
            self.tag_names = sorted_tags(all_tags)
        else:
            self.tag_names = list(self.tag_names)
            unknown = sorted(set(all_tags) - set(self.tag_names))
            if unknown:
                raise ValueError(
                    f"Tags {unknown[:10]!r} are not in `tag_names`, received: "
                    f"tag_names={self.tag_names!r}"
                )

    def __len__(self) -> int:
        return len(self.tokens)

    def tag_ids(self) -> list[np.ndarray]:
        """The tags as `int32` arrays of indices into `tag_names`."""
        index = {name: i for i, name in enumerate(self.tag_names)}
        return [
            np.array([index[tag] for tag in sentence], dtype=np.int32)
            for sentence in self.tags
        ]

    def to_dataset(self, encode_tags: bool = True) -> tf.data.Dataset:
        """A `tf.data.Dataset` of `(tokens, tags)`, one sentence an element.

        Args:
            encode_tags: Whether tags come as `int32` ids (indices into
                `tag_names`) rather than strings. Defaults to `True`.

        Returns:
            A dataset of pairs of 1-D tensors of the sentence's length:
            `tf.string` tokens, and `tf.int32` (or `tf.string`) tags.
        """
        lengths = [len(sentence) for sentence in self.tokens]
        tokens = tf.RaggedTensor.from_row_lengths(
            tf.constant(
                [token for sentence in self.tokens for token in sentence],
                dtype=tf.string,
                shape=[sum(lengths)],
            ),
            tf.constant(lengths, dtype=tf.int64),
        )
        if encode_tags:
            flat_tags = tf.constant(
                np.concatenate(self.tag_ids() or [np.zeros([0], np.int32)])
            )
        else:
            flat_tags = tf.constant(
                [tag for sentence in self.tags for tag in sentence],
                dtype=tf.string,
                shape=[sum(lengths)],
            )
        tags = tf.RaggedTensor.from_row_lengths(
            flat_tags, tf.constant(lengths, dtype=tf.int64)
        )
        # Slices of a ragged tensor come out as ragged specs; an identity map
        # turns them into plain 1-D tensors, which padded_batch needs.
        return tf.data.Dataset.from_tensor_slices((tokens, tags)).map(
            lambda tokens, tags: (tokens, tags)
        )


def read_conll(
    path: PathLike,
    *,
    token_column: int = 0,
    tag_column: int = -1,
    separator: str | None = None,
    language_prefix: str | None = "auto",
    to_iob2: bool = False,
    tag_names: Sequence[str] | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> TaggedSentences:
    """Reads a CoNLL column file: one token a line, a blank line between
    sentences.

    Each line holds a token and its columns (CoNLL-2003: `token POS chunk
    NER`; WikiANN: `en:token<TAB>tag`). Lines starting with `-DOCSTART-`
    (document boundaries) are skipped and end the current sentence. Every
    token line of a file must have the same number of columns.

    Args:
        path: The file (gzip read transparently).
        token_column: Index of the token column. Defaults to `0`.
        tag_column: Index of the tag column; negative counts from the end.
            Defaults to `-1` (the last: NER in CoNLL-2003; `1` is POS, `2`
            chunk).
        separator: Column separator, e.g. `"\\t"`. Defaults to `None`: any run
            of white space.
        language_prefix: Prefix to remove from every token, as in WikiANN's
            `en:Saunders`. `"auto"` (the default) detects one: if the first
            token of the file starts with two or three lower-case letters and a
            colon, that prefix is removed from every token (and a token
            without it raises); otherwise nothing is removed. A string removes
            exactly that prefix (every token must have it); `None` keeps tokens
            unchanged.
        to_iob2: Whether to convert the tags from IOB1 to IOB2 with
            `iob1_to_iob2` (CoNLL-2003 is published in IOB1). Defaults to
            `False`.
        tag_names: Optional list fixing the tags and their ids.
        encoding: Text encoding of the file. Defaults to `"utf-8"`.
        errors: `"strict"` (the default) raises on undecodable bytes naming the
            file and line; `"replace"` substitutes U+FFFD.

    Returns:
        A `TaggedSentences`.

    Raises:
        DataFormatError: A line with too few columns or a different number of
            columns than the file's first token line, a token without the
            language prefix, or (with `to_iob2`) a tag that is not IOB; each
            names the file and line.
        TextDecodeError: Undecodable bytes with `errors="strict"`.

    Example:

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "eng.train")
    >>> with open(path, "w") as f:
    ...     _ = f.write("-DOCSTART- -X- -X- O\\n\\nEU NNP I-NP I-ORG\\n"
    ...                 "rejects VBZ I-VP O\\n\\nPeter NNP I-NP I-PER\\n")
    >>> from kerasseq.data import read_conll
    >>> data = read_conll(path, to_iob2=True)
    >>> data.tokens, data.tags
    ([['EU', 'rejects'], ['Peter']], [['B-ORG', 'O'], ['B-PER']])
    """
    check_encoding(encoding, errors)
    for name, value in (("token_column", token_column), ("tag_column", tag_column)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(
                f"`{name}` must be an integer column index, received: {name}={value!r}"
            )
    if separator is not None and (not isinstance(separator, str) or not separator):
        raise ValueError(
            "`separator` must be a non-empty string or None, received: "
            f"separator={separator!r}"
        )
    if language_prefix is not None and not (
        isinstance(language_prefix, str) and language_prefix
    ):
        raise ValueError(
            "`language_prefix` must be 'auto', a non-empty string or None, "
            f"received: language_prefix={language_prefix!r}"
        )
    needed = max(
        column + 1 if column >= 0 else -column for column in (token_column, tag_column)
    )
    prefix = None if language_prefix == "auto" else language_prefix
    detect_prefix = language_prefix == "auto"
    columns = None
    sentences, sentence_tags = [], []
    tokens, tags, first_line = [], [], None

    def end_sentence():
        if not tokens:
            return
        if to_iob2:
            try:
                tags[:] = iob1_to_iob2(tags)
            except ValueError as error:
                raise DataFormatError(
                    f"{location(path, first_line)} (sentence starting here): {error}"
                ) from None
        sentences.append(tokens[:])
        sentence_tags.append(tags[:])
        tokens.clear()
        tags.clear()

    for line_number, line in read_lines(path, encoding, errors):
        fields = line.split(separator) if separator else line.split()
        if separator:
            fields = [field.strip() for field in fields]
            if not any(fields):
                fields = []
        if not fields:
            end_sentence()
            continue
        if fields[0] == DOCSTART:
            end_sentence()
            continue
        if columns is None:
            columns = len(fields)
            resolved = {column % columns for column in (token_column, tag_column)}
            if columns < needed or len(resolved) != 2:
                raise DataFormatError(
                    f"{location(path, line_number)}: found {columns} column(s) but "
                    f"token_column={token_column} and tag_column={tag_column} need "
                    f"two different columns out of at least {max(needed, 2)}: "
                    f"{line!r}"
                )
        elif len(fields) != columns:
            raise DataFormatError(
                f"{location(path, line_number)}: found {len(fields)} column(s) "
                f"where the file's first token line has {columns}: {line!r}"
            )
        token = fields[token_column]
        if detect_prefix:
            detect_prefix = False
            match = _LANGUAGE_PREFIX.match(token)
            prefix = match.group(0) if match else None
        if prefix is not None:
            if not token.startswith(prefix):
                raise DataFormatError(
                    f"{location(path, line_number)}: token {token!r} lacks the "
                    f"language prefix {prefix!r}"
                    + (
                        " found on the first token; pass language_prefix=None "
                        "to keep tokens unchanged"
                        if language_prefix == "auto"
                        else ""
                    )
                )
            token = token[len(prefix) :]
        if not tokens:
            first_line = line_number
        tokens.append(token)
        tags.append(fields[tag_column])
    end_sentence()
    return TaggedSentences(tokens=sentences, tags=sentence_tags, tag_names=tag_names)
