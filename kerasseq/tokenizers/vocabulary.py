"""The token vocabulary: reserved ids, corpus counting and in-graph lookups."""

import collections
import re
from collections.abc import Iterable
from collections.abc import Mapping

import keras
import numpy as np
import tensorflow as tf

from kerasseq import files
from kerasseq import validation

PAD = "[PAD]"
UNK = "[UNK]"
START = "[START]"
END = "[END]"

_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
_ESCAPED = re.compile(r"\\([\\tnr])")


def reserved_tokens(start_end: bool = False) -> list[str]:
    """The reserved tokens that open every vocabulary, in id order.

    Args:
        start_end: Boolean, whether `[START]` and `[END]` follow `[PAD]` and
            `[UNK]`. Defaults to `False`.

    Returns:
        `["[PAD]", "[UNK]"]`, or `["[PAD]", "[UNK]", "[START]", "[END]"]`.
    """
    return [PAD, UNK, START, END] if start_end else [PAD, UNK]


@keras.saving.register_keras_serializable(package="kerasseq")
class Vocabulary(keras.layers.Layer):
    """A token vocabulary with in-graph lookups in both directions.

    Maps string tokens to int32 ids and back with two
    `tf.lookup.StaticHashTable`s. The layer tracks the tables, so a model,
    `tf.Module` or `keras.export.ExportArchive` that holds the layer carries
    them into its SavedModel, which then serves raw strings with core
    TensorFlow ops only.

    Ids are positions in `tokens`. The first ids are reserved: `[PAD]` is 0,
    `[UNK]` is 1 (the id of every token not in the vocabulary), and
    `[START]`, `[END]` are 2 and 3 when a task needs them (they come as a pair
    or not at all). Tokens must be unique non-empty strings.

    A vocabulary is usually built from a corpus with
    `Vocabulary.from_corpus` (or a tokenizer's `adapt`), saved as a text file
    with `save` and read back with `Vocabulary.load`.

    Args:
        tokens: List of strings, the full vocabulary in id order, starting with
            `"[PAD]"`, `"[UNK]"` and optionally `"[START]"`, `"[END]"`.
        counts: Optional corpus counts: a dict mapping tokens of the
            vocabulary to non-negative integers, or a list aligned with
            `tokens` (with `None` where unknown, e.g. for reserved tokens).
            Defaults to `None` (unknown).
        **kwargs: Base layer keyword arguments, such as `name`.

    Call arguments:
        inputs: String tensor or `tf.RaggedTensor` of any shape (Python
            strings and lists are accepted), the tokens to look up.

    Returns:
        An int32 tensor (ragged when `inputs` is) of the same shape with the
        ids; tokens not in the vocabulary get `unk_id` (1).

    Example:

    >>> from kerasseq.tokenizers import Vocabulary
    >>> vocabulary = Vocabulary(["[PAD]", "[UNK]", "the", "cat"])
    >>> vocabulary.token_to_id(["the", "dog", "cat"]).numpy().tolist()
    [2, 1, 3]
    >>> vocabulary.id_to_token([3, 0]).numpy().tolist()
    [b'cat', b'[PAD]']
    """

    def __init__(self, tokens, counts=None, **kwargs):
        tokens = _check_tokens(tokens)
        counts = _check_counts(counts, tokens)
        super().__init__(**kwargs)
        self.built = True
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self._build_tables(tokens, counts)

    def _build_tables(self, tokens, counts):
        # Held in a plain object: Keras would walk a large list or dict
        # attribute element by element to track it (0.3 s for 75k tokens).
        self._data = _VocabularyData(tuple(tokens), counts)
        keys = tf.constant(tokens, dtype=tf.string)
        ids = tf.range(len(tokens), dtype=tf.int32)
        self.token_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(keys, ids), default_value=1
        )
        self.id_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(ids, keys), default_value=UNK
        )

    def set_vocabulary(self, tokens, counts=None):
        """Replaces the tokens (and counts) in place, keeping this layer.

        Args:
            tokens: List of strings, as for the constructor.
            counts: Optional counts, as for the constructor.
        """
        tokens = _check_tokens(tokens)
        counts = _check_counts(counts, tokens)
        self._build_tables(tokens, counts)

    @property
    def tokens(self) -> list[str]:
        """The tokens in id order (a copy)."""
        return list(self._data.tokens)

    @property
    def counts(self):
        """Dict of corpus counts per token, or `None` when unknown."""
        return None if self._data.counts is None else dict(self._data.counts)

    @property
    def vocabulary_size(self) -> int:
        """The number of tokens, reserved tokens included."""
        return len(self._data.tokens)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def unk_id(self) -> int:
        return 1

    @property
    def start_id(self):
        """2 when the vocabulary has `[START]`, else `None`."""
        return 2 if self._has_start_end() else None

    @property
    def end_id(self):
        """3 when the vocabulary has `[END]`, else `None`."""
        return 3 if self._has_start_end() else None

    def _has_start_end(self):
        return len(self._data.tokens) > 2 and self._data.tokens[2] == START

    def get_vocabulary(self) -> list[str]:
        """The tokens in id order, reserved tokens first."""
        return list(self._data.tokens)

    def token_to_id(self, tokens):
        """Looks up the ids of string tokens (tensor or ragged, any shape).

        Unknown tokens get `unk_id`. Returns int32 ids of the input's shape.
        """
        tokens = to_tensor(tokens, "tokens")
        if tokens.dtype != tf.string:
            raise ValueError(
                "`tokens` must be strings, received: "
                f"tokens with dtype={tokens.dtype.name}"
            )
        if isinstance(tokens, tf.RaggedTensor):
            return tf.ragged.map_flat_values(self.token_table.lookup, tokens)
        return self.token_table.lookup(tokens)

    def id_to_token(self, ids):
        """Looks up the tokens of integer ids (tensor or ragged, any shape).

        Ids outside `[0, vocabulary_size)` give `"[UNK]"`.
        """
        ids = to_tensor(ids, "ids")
        if not ids.dtype.is_integer:
            raise ValueError(
                f"`ids` must be integers, received: ids with dtype={ids.dtype.name}"
            )
        if isinstance(ids, tf.RaggedTensor):
            return tf.ragged.map_flat_values(
                lambda flat: self.id_table.lookup(tf.cast(flat, tf.int32)), ids
            )
        return self.id_table.lookup(tf.cast(ids, tf.int32))

    def call(self, inputs):
        return self.token_to_id(inputs)

    # === Files ===

    def save(self, path) -> None:
        """Writes the vocabulary as a UTF-8 text file, one token a line.

        A line is the token, then a tab and its count when the count is known.
        Backslash, tab, newline and carriage return inside a token are written
        as `\\\\`, `\\t`, `\\n`, `\\r` (so character vocabularies survive).
        The file is written to a temporary name in the same folder and renamed
        into place, so a reader never sees it half-written.

        Args:
            path: Path of the file to write; its folder is created if missing.
        """
        counts = self._data.counts or {}
        lines = []
        for token in self._data.tokens:
            line = "".join(_ESCAPES.get(char, char) for char in token)
            if token in counts:
                line = f"{line}\t{counts[token]}"
            lines.append(line + "\n")
        with files.atomic_write(path, "w", encoding="utf-8") as file:
            file.write("".join(lines))

    @classmethod
    def load(cls, path, **kwargs) -> "Vocabulary":
        """Reads a vocabulary file written by `save` (counts optional).

        Args:
            path: Path of a UTF-8 text file, one token a line, optionally
                followed by a tab and an integer count.
            **kwargs: Passed to the constructor (e.g. `name`).

        Returns:
            A `Vocabulary`.
        """
        with open(path, encoding="utf-8-sig", newline="") as file:
            text = file.read()
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        tokens, counts = [], {}
        for number, line in enumerate(lines, start=1):
            line = line[:-1] if line.endswith("\r") else line
            if "\t" in line:
                line, count = line.rsplit("\t", 1)
                try:
                    count = int(count)
                except ValueError:
                    raise ValueError(
                        f"Line {number} of the vocabulary file {path!r} must be "
                        f"a token and an integer count, received: {line!r}\t{count!r}"
                    ) from None
                counts[_unescape(line)] = count
            tokens.append(_unescape(line))
        return cls(tokens, counts=counts or None, **kwargs)

    # === Corpus ===

    @classmethod
    def from_corpus(
        cls,
        corpus,
        tokenizer=None,
        max_tokens=None,
        min_count=1,
        start_end=False,
        batch_size=1024,
        **kwargs,
    ) -> "Vocabulary":
        """Builds the vocabulary of the most frequent tokens of a corpus.

        Tokens are ordered by decreasing count, ties by increasing code-point
        order of the token (deterministic), after the reserved tokens. Tokens
        equal to a reserved token are not counted as words.

        Counting runs in TensorFlow: each batch of texts is tokenized and
        reduced to its unique tokens and counts in the graph (batches in
        parallel through `tf.data`), and the per-batch counts are merged once
        at the end.

        Args:
            corpus: The texts. With a `tokenizer`: a `tf.data.Dataset` of
                strings (scalar elements are batched, batched elements are used
                as they are) or an iterable of Python strings. Without one
                (`tokenizer=None`), the corpus is already split: a
                `tf.data.Dataset` whose string elements are the tokens, or an
                iterable of token lists (one list of strings per text).
            tokenizer: Optional kerasseq tokenizer (its `split` gives the
                string units that are counted, ignoring its vocabulary and
                `max_length`) or any callable mapping a batch of strings to
                string tokens in TensorFlow. Defaults to `None`.
            max_tokens: Optional positive integer, the largest vocabulary size,
                reserved tokens included (as `TextVectorization`'s
                `max_tokens`). Defaults to `None`, every token.
            min_count: Positive integer, the least corpus count of a kept
                token. Defaults to `1`.
            start_end: Boolean, whether to reserve `[START]` (2) and `[END]`
                (3). Defaults to `False`.
            batch_size: Positive integer, how many texts are tokenized at once
                when the corpus is not batched already. Defaults to `1024`.
            **kwargs: Passed to the constructor (e.g. `name`).

        Returns:
            A `Vocabulary` with `counts` set for the corpus tokens.

        Example:

        >>> from kerasseq.tokenizers import Vocabulary
        >>> corpus = [["a", "rose", "is", "a", "rose"], ["is", "it"]]
        >>> Vocabulary.from_corpus(corpus, min_count=2).get_vocabulary()
        ['[PAD]', '[UNK]', 'a', 'is', 'rose']
        """
        max_tokens = validation.check_positive_int(
            "max_tokens", max_tokens, allow_none=True
        )
        min_count = validation.check_positive_int("min_count", min_count)
        batch_size = validation.check_positive_int("batch_size", batch_size)
        reserved = reserved_tokens(validation.check_bool("start_end", start_end))
        if max_tokens is not None and max_tokens <= len(reserved):
            raise ValueError(
                "`max_tokens` must be greater than the number of reserved "
                f"tokens {reserved}, received: max_tokens={max_tokens}"
            )
        tokens, counts = _count(corpus, tokenizer, batch_size)
        keep = counts >= min_count
        for token in reserved:
            keep &= tokens != token.encode()
        tokens, counts = tokens[keep], counts[keep]
        limit = None if max_tokens is None else max_tokens - len(reserved)
        order = _most_frequent(tokens, counts, limit)
        # NumPy arrays, which Keras's constructor bookkeeping does not walk.
        words = np.empty(len(reserved) + len(order), dtype=object)
        words[: len(reserved)] = reserved
        words[len(reserved) :] = [token.decode("utf-8") for token in tokens[order]]
        word_counts = np.empty(len(words), dtype=object)
        word_counts[len(reserved) :] = counts[order].tolist()
        return cls(words, counts=word_counts, **kwargs)

    def get_config(self):
        config = {
            "tokens": list(self._data.tokens),
            "counts": self.counts,
        }
        return {**super().get_config(), **config}


def count_tokens(corpus, tokenizer=None, batch_size: int = 1024) -> dict[str, int]:
    """Counts the tokens of a corpus in TensorFlow.

    Args:
        corpus: The texts, as for `Vocabulary.from_corpus`: a `tf.data.Dataset`
            of strings or an iterable of strings with a `tokenizer`; already
            split tokens without one.
        tokenizer: Optional kerasseq tokenizer or callable, as for
            `Vocabulary.from_corpus`. Defaults to `None`.
        batch_size: Positive integer, texts tokenized at once. Defaults to
            `1024`.

    Returns:
        A dict mapping each token to its count, most frequent first (ties in
        code-point order).

    Example:

    >>> from kerasseq.tokenizers import WordTokenizer, count_tokens
    >>> count_tokens(["A cat, a hat."], tokenizer=WordTokenizer())
    {'a': 2, ',': 1, '.': 1, 'cat': 1, 'hat': 1}
    """
    batch_size = validation.check_positive_int("batch_size", batch_size)
    tokens, counts = _count(corpus, tokenizer, batch_size)
    order = _most_frequent(tokens, counts, None)
    return dict(
        zip(
            (token.decode("utf-8") for token in tokens[order]),
            counts[order].tolist(),
        )
    )


# === Helpers ===


class _VocabularyData:
    """The tokens and counts of a `Vocabulary`, out of Keras's tracking."""

    def __init__(self, tokens, counts):
        self.tokens = tokens
        self.counts = counts


def to_tensor(value, name="text"):
    """A `tf.Tensor`/`tf.RaggedTensor` from a tensor, NumPy array or list."""
    if isinstance(value, (tf.Tensor, tf.RaggedTensor)):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "OSU":
        return tf.convert_to_tensor(value.astype(object), dtype=tf.string)
    try:
        return tf.convert_to_tensor(value)
    except (ValueError, TypeError):
        if isinstance(value, (list, tuple)):
            return tf.ragged.constant(value)
        raise ValueError(
            f"`{name}` must be a tensor, a string or a (nested) list, "
            f"received: {name} of type {type(value).__name__}"
        ) from None


def _check_tokens(tokens):
    if isinstance(tokens, (str, bytes)) or not isinstance(
        tokens, (Iterable, np.ndarray)
    ):
        raise ValueError(
            "`tokens` must be a list of strings, received: "
            f"tokens of type {type(tokens).__name__}"
        )
    checked = tokens.tolist() if isinstance(tokens, np.ndarray) else list(tokens)
    if not all(type(token) is str for token in checked):
        checked = [_as_str(token) for token in checked]
    if checked[:2] != [PAD, UNK]:
        raise ValueError(
            f"`tokens` must start with the reserved tokens {[PAD, UNK]}, "
            f"received: tokens[:2]={checked[:2]!r}"
        )
    seen = set(checked)
    if len(seen) != len(checked):
        seen = set()
        for index, token in enumerate(checked):
            if token in seen:
                raise ValueError(
                    f"`tokens` must be unique, received {token!r} twice "
                    f"(again at index {index})"
                )
            seen.add(token)
    if "" in seen:
        raise ValueError(
            "`tokens` must not hold the empty string, received it at "
            f"index {checked.index('')}"
        )
    for token in (START, END):
        if token in seen and checked[2:4] != [START, END]:
            raise ValueError(
                f"{START!r} and {END!r} must come together at ids 2 and 3, "
                f"received: {token!r} at index {checked.index(token)} and "
                f"tokens[:4]={checked[:4]!r}"
            )
    return checked


def _as_str(token):
    if isinstance(token, (bytes, np.bytes_)):
        return bytes(token).decode("utf-8")
    if not isinstance(token, str):
        raise ValueError(
            "`tokens` must hold strings only, received: "
            f"{token!r} of type {type(token).__name__}"
        )
    return str(token)


def _check_counts(counts, tokens):
    if counts is None:
        return None
    if isinstance(counts, Mapping):
        items = counts.items()
    elif isinstance(counts, (Iterable, np.ndarray)) and not isinstance(
        counts, (str, bytes)
    ):
        counts = list(counts)
        if len(counts) != len(tokens):
            raise ValueError(
                "`counts` given as a list must be aligned with `tokens`, "
                f"received: {len(counts)} counts for {len(tokens)} tokens"
            )
        items = [(t, c) for t, c in zip(tokens, counts) if c is not None]
    else:
        raise ValueError(
            "`counts` must be a dict, a list aligned with `tokens` or None, "
            f"received: counts of type {type(counts).__name__}"
        )
    checked = dict(items)
    unknown = checked.keys() - set(tokens)
    if unknown:
        raise ValueError(
            "`counts` must only count tokens of the vocabulary, received: "
            f"a count for {sorted(unknown, key=str)[0]!r}"
        )
    if not all(type(count) is int and count >= 0 for count in checked.values()):
        for token, count in checked.items():
            if (
                isinstance(count, bool)
                or not isinstance(count, (int, np.integer))
                or count < 0
            ):
                raise ValueError(
                    "`counts` must be non-negative integers, received: "
                    f"counts[{token!r}]={count!r}"
                )
        checked = {token: int(count) for token, count in checked.items()}
    return checked


def _unescape(token):
    return _ESCAPED.sub(lambda match: _UNESCAPES[match.group(1)], token)


def _most_frequent(tokens, counts, limit):
    """Indices of the `limit` most frequent tokens; ties in byte order."""
    candidates = np.arange(len(counts))
    if limit is not None and limit < len(counts):
        # Only tokens at least as frequent as the limit-th can be kept.
        kth = np.partition(counts, len(counts) - limit)[len(counts) - limit]
        candidates = np.flatnonzero(counts >= kth)
    by_token = candidates[np.argsort(tokens[candidates], kind="stable")]
    order = by_token[np.argsort(-counts[by_token], kind="stable")]
    return order if limit is None else order[:limit]


def _split_function(tokenizer):
    if tokenizer is None:
        return None
    split = getattr(tokenizer, "split", None)
    if callable(split) and isinstance(tokenizer, keras.layers.Layer):
        return split
    if callable(tokenizer):
        return tokenizer
    raise ValueError(
        "`tokenizer` must be a kerasseq tokenizer, a callable or None, "
        f"received: tokenizer of type {type(tokenizer).__name__}"
    )


def _count(corpus, tokenizer, batch_size):
    """Counts tokens; returns (object array of UTF-8 bytes, int64 counts)."""
    split = _split_function(tokenizer)
    if isinstance(corpus, (str, bytes)):
        raise ValueError(
            "`corpus` must be a tf.data.Dataset or an iterable of texts, "
            "received a single string; wrap it in a list"
        )
    if isinstance(corpus, tf.data.Dataset):
        return _count_dataset(corpus, split, batch_size)
    if not isinstance(corpus, (Iterable, np.ndarray, tf.Tensor)):
        raise ValueError(
            "`corpus` must be a tf.data.Dataset or an iterable, received: "
            f"corpus of type {type(corpus).__name__}"
        )
    if split is None:
        return _count_python_tokens(corpus)
    if isinstance(corpus, (list, tuple, np.ndarray, tf.Tensor)):
        texts = _texts_tensor(corpus)
        dataset = tf.data.Dataset.from_tensor_slices(texts)
        return _count_dataset(dataset, split, batch_size)
    return _count_chunks(corpus, split, batch_size)


def _texts_tensor(texts):
    if isinstance(texts, tf.Tensor):
        texts = tf.reshape(texts, [-1])
    else:
        texts = np.asarray(texts, dtype=object).reshape(-1)
        for text in texts:
            if not isinstance(text, (str, bytes)):
                raise ValueError(
                    "`corpus` must hold strings, received: "
                    f"{text!r} of type {type(text).__name__}"
                )
    texts = tf.convert_to_tensor(texts, dtype=tf.string)
    return texts


def _unique_counts(split):
    def count(texts):
        tokens = texts if split is None else split(texts)
        if isinstance(tokens, tf.RaggedTensor):
            tokens = tokens.flat_values
        tokens = tf.reshape(tokens, [-1])
        unique, _, counts = tf.unique_with_counts(tokens)
        return unique, tf.cast(counts, tf.int64)

    return count


def _count_dataset(dataset, split, batch_size):
    spec = dataset.element_spec
    if (
        not isinstance(spec, (tf.TensorSpec, tf.RaggedTensorSpec))
        or spec.dtype != tf.string
    ):
        raise ValueError(
            "`corpus` must be a tf.data.Dataset of strings (one tensor per "
            f"element), received: element_spec={spec}; select the texts first, "
            "e.g. `dataset.map(lambda text, label: text)`"
        )
    if spec.shape.rank == 0:
        dataset = dataset.batch(batch_size)
    dataset = dataset.map(
        _unique_counts(split),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=False,
    )
    parts = list(dataset.prefetch(tf.data.AUTOTUNE))
    return _merge(parts)


def _count_chunks(iterable, split, batch_size):
    count = tf.function(
        _unique_counts(split),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    parts, chunk = [], []
    for text in iterable:
        if not isinstance(text, (str, bytes)):
            raise ValueError(
                "`corpus` must hold strings, received: "
                f"{text!r} of type {type(text).__name__}"
            )
        chunk.append(text)
        if len(chunk) == batch_size:
            parts.append(count(tf.constant(chunk, tf.string)))
            chunk = []
    if chunk:
        parts.append(count(tf.constant(chunk, tf.string)))
    return _merge(parts)


def _merge(parts):
    if not parts:
        return np.array([], dtype=object), np.array([], dtype=np.int64)
    tokens = tf.concat([unique for unique, _ in parts], axis=0)
    counts = tf.concat([count for _, count in parts], axis=0)
    unique, index = tf.unique(tokens)
    totals = tf.math.unsorted_segment_sum(counts, index, tf.shape(unique)[0])
    return unique.numpy().astype(object), totals.numpy().astype(np.int64)


def _count_python_tokens(corpus):
    counter = collections.Counter()
    for tokens in corpus:
        if isinstance(tokens, (str, bytes)):
            raise ValueError(
                "Without a `tokenizer`, `corpus` must hold token lists, "
                f"received the string {tokens[:40]!r}; pass a tokenizer or "
                "split the texts first"
            )
        if isinstance(tokens, (tf.Tensor, tf.RaggedTensor)):
            if isinstance(tokens, tf.RaggedTensor):
                tokens = tokens.flat_values
            tokens = tokens.numpy().reshape(-1).tolist()
        counter.update(tokens)
    for token in counter:
        if not isinstance(token, (str, bytes)):
            raise ValueError(
                "Tokens must be strings, received: "
                f"{token!r} of type {type(token).__name__}"
            )
    merged = collections.Counter()
    for token, count in counter.items():
        merged[token.encode("utf-8") if isinstance(token, str) else token] += count
    tokens = np.empty(len(merged), dtype=object)
    tokens[:] = list(merged)
    counts = np.fromiter(merged.values(), dtype=np.int64, count=len(merged))
    return tokens, counts
