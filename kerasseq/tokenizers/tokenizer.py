"""The base class of the kerasseq tokenizers: Keras layers that split in-graph."""

import keras
import numpy as np
import tensorflow as tf

from kerasseq import validation
from kerasseq.tokenizers.vocabulary import PAD
from kerasseq.tokenizers.vocabulary import Vocabulary
from kerasseq.tokenizers.vocabulary import to_tensor


@keras.saving.register_keras_serializable(package="kerasseq")
class Tokenizer(keras.layers.Layer):
    """Base class of the tokenizers: text in, tokens or ids out, in the graph.

    A tokenizer is a Keras layer whose call is `tokenize`, so it runs inside
    `tf.data.Dataset.map`, `tf.function` and SavedModels. Subclasses implement
    `split` (text to string tokens) and `_join` (string tokens to text); this
    class adds truncation to `max_length`, the optional vocabulary lookup,
    `detokenize` and `adapt`. Method names follow tensorflow-text.

    Args:
        vocabulary: Optional vocabulary: a `Vocabulary`, a list of tokens
            (starting with `"[PAD]"`, `"[UNK]"`) or the path of a vocabulary
            file written by `Vocabulary.save`. With one, `tokenize` returns
            int32 ids; without, string tokens. Defaults to `None`.
        max_length: Optional positive integer; each sequence keeps its first
            `max_length` tokens. Defaults to `None` (no limit).
        **kwargs: Base layer keyword arguments, such as `name`.
    """

    def __init__(self, vocabulary=None, max_length=None, **kwargs):
        max_length = validation.check_positive_int(
            "max_length", max_length, allow_none=True
        )
        vocabulary = _as_vocabulary(vocabulary)
        super().__init__(**kwargs)
        self.built = True
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.max_length = max_length
        self.vocabulary = vocabulary

    # === Subclass hooks ===

    def split(self, text):
        """Splits text into string tokens, without lookup or truncation.

        These are the units that `adapt` counts.

        Args:
            text: String tensor or `tf.RaggedTensor` of any shape, or Python
                strings.

        Returns:
            A string tensor one rank higher (ragged in the last axis; a dense
            1-D tensor for a scalar input).
        """
        raise NotImplementedError

    def _join(self, tokens):
        """Joins string tokens along the last axis into text."""
        raise NotImplementedError

    # === Public API ===

    @property
    def vocabulary_size(self):
        """The vocabulary size, or `None` without a vocabulary."""
        return None if self.vocabulary is None else self.vocabulary.vocabulary_size

    def tokenize(self, text):
        """Tokenizes text.

        Args:
            text: String tensor or `tf.RaggedTensor` of any shape N, or a
                Python string or (nested) list of strings.

        Returns:
            The tokens, one rank higher than `text` (N+1): a `tf.RaggedTensor`
            (a dense 1-D tensor for a scalar input) of strings, or of int32 ids
            when the tokenizer has a vocabulary.
        """
        tokens = self.split(text)
        if self.max_length is not None:
            tokens = truncate(tokens, self.max_length)
        if self.vocabulary is not None:
            tokens = self.vocabulary.token_to_id(tokens)
        return tokens

    def detokenize(self, tokens):
        """Turns tokens or ids back into text; `[PAD]` is dropped.

        Args:
            tokens: String tokens or integer ids (dense, e.g. padded, or
                ragged), at least 1-D; the last axis is joined.

        Returns:
            A string tensor with the last axis removed.
        """
        tokens = to_tensor(tokens, "tokens")
        if tokens.shape.rank == 0:
            raise ValueError(
                "`tokens` must have at least one axis (a sequence), "
                f"received a scalar: tokens={tokens!r}"
            )
        if tokens.dtype.is_integer:
            if self.vocabulary is None:
                raise ValueError(
                    f"{self.__class__.__name__} has no vocabulary, so it cannot "
                    "detokenize integer ids; pass `vocabulary` or call `adapt`"
                )
            tokens = tf.ragged.boolean_mask(
                tokens, tf.math.not_equal(tokens, self.vocabulary.pad_id)
            )
            tokens = self.vocabulary.id_to_token(tokens)
        elif tokens.dtype == tf.string:
            tokens = tf.ragged.boolean_mask(tokens, tf.math.not_equal(tokens, PAD))
        else:
            raise ValueError(
                "`tokens` must be strings or integer ids, received: "
                f"tokens with dtype={tokens.dtype.name}"
            )
        return self._join(tokens)

    def call(self, inputs):
        return self.tokenize(inputs)

    def adapt(self, corpus, max_tokens=None, min_count=1, start_end=False):
        """Builds the vocabulary of a corpus with this tokenizer and sets it.

        Args:
            corpus: A `tf.data.Dataset` of strings or an iterable of strings.
            max_tokens: Optional positive integer, the largest vocabulary size,
                reserved tokens included. Defaults to `None` (every token).
            min_count: Positive integer, the least count of a kept token.
                Defaults to `1`.
            start_end: Boolean, whether to reserve `[START]` and `[END]`.
                Defaults to `False`.

        Returns:
            The tokenizer's `Vocabulary`.
        """
        vocabulary = Vocabulary.from_corpus(
            corpus,
            tokenizer=self,
            max_tokens=max_tokens,
            min_count=min_count,
            start_end=start_end,
        )
        self.set_vocabulary(vocabulary)
        return self.vocabulary

    def set_vocabulary(self, vocabulary):
        """Sets the vocabulary (a `Vocabulary`, a token list or a file path).

        A tokenizer that already has a `Vocabulary` layer keeps it and
        replaces its tokens, so exactly one vocabulary stays tracked.
        """
        vocabulary = _as_vocabulary(vocabulary)
        if vocabulary is None:
            raise ValueError(
                "`vocabulary` must be a Vocabulary, a list of tokens or a path, "
                "received: vocabulary=None"
            )
        if self.vocabulary is None:
            self.vocabulary = vocabulary
        else:
            self.vocabulary.set_vocabulary(
                vocabulary.get_vocabulary(), counts=vocabulary.counts
            )

    def get_config(self):
        config = {
            "vocabulary": (
                None
                if self.vocabulary is None
                else keras.saving.serialize_keras_object(self.vocabulary)
            ),
            "max_length": self.max_length,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("vocabulary"), dict):
            config["vocabulary"] = keras.saving.deserialize_keras_object(
                config["vocabulary"]
            )
        return cls(**config)


def to_string_tensor(text, name="text"):
    """Like `to_tensor`, and checks that the values are strings."""
    text = to_tensor(text, name)
    if text.dtype != tf.string:
        raise ValueError(
            f"`{name}` must be strings, received: {name} with dtype={text.dtype.name}"
        )
    return text


def map_strings(function, text):
    """Applies an elementwise string op to a dense or ragged tensor."""
    if isinstance(text, tf.RaggedTensor):
        return tf.ragged.map_flat_values(function, text)
    return function(text)


def by_ascii(strings, ascii_function, unicode_function):
    """Applies one function to pure-ASCII strings and another to the rest.

    Most strings of an English corpus are pure ASCII, where cheap byte-wise
    ops give the same result as Unicode-aware ones; this partitions a dense
    string tensor of any shape by that test, maps each part and stitches the
    results back in place.
    """
    shape = tf.shape(strings)
    flat = tf.reshape(strings, [-1])
    is_ascii = tf.equal(
        tf.strings.length(flat, unit="UTF8_CHAR"), tf.strings.length(flat)
    )
    partitions = tf.cast(is_ascii, tf.int32)
    positions = tf.dynamic_partition(tf.range(tf.size(flat)), partitions, 2)
    other, plain = tf.dynamic_partition(flat, partitions, 2)
    flat = tf.dynamic_stitch(
        positions, [unicode_function(other), ascii_function(plain)]
    )
    return tf.reshape(flat, shape)


def lower(strings):
    """Unicode lower-casing of a dense string tensor, fast on ASCII strings.

    Pure-ASCII strings take the ASCII op, about 10x faster than Unicode case
    mapping, which the others get.
    """
    return by_ascii(
        strings,
        tf.strings.lower,
        lambda other: tf.strings.lower(other, encoding="utf-8"),
    )


def split_on(text, delimiter):
    """Splits strings on every occurrence of a one-byte delimiter, in-graph.

    Empty pieces are dropped. Uses the `StringSplit` op, which splits on one
    byte faster than `tf.strings.split` splits on whitespace (see
    `benchmarks/text_tokenize.py`).

    Args:
        text: String tensor or `tf.RaggedTensor` of any shape.
        delimiter: A one-byte Python `bytes` or `str`.

    Returns:
        The pieces, one rank higher than `text` (ragged in the last axis; a
        dense 1-D tensor for a scalar input), as `tf.strings.split` returns.
    """
    if isinstance(text, tf.RaggedTensor):
        return text.with_flat_values(split_on(text.flat_values, delimiter))
    rank = text.shape.rank
    if rank is None:
        raise ValueError(
            "Tokenizers need text of a known rank (number of axes), received "
            f"a tensor of unknown rank: {text!r}; give `tf.function` an "
            "`input_signature` with a shape such as `[None]`"
        )
    if rank == 0:
        return _split_vector(tf.reshape(text, [1]), delimiter).flat_values
    pieces = _split_vector(tf.reshape(text, [-1]), delimiter)
    for axis in range(rank - 1, 0, -1):
        length = text.shape[axis]
        if length is None:
            length = tf.shape(text, out_type=tf.int64)[axis]
        pieces = tf.RaggedTensor.from_uniform_row_length(pieces, length, validate=False)
    return pieces


def _split_vector(text, delimiter):
    parts = tf.raw_ops.StringSplit(input=text, delimiter=delimiter, skip_empty=True)
    rows = tf.size(text)
    row_lengths = tf.math.bincount(
        tf.cast(parts.indices[:, 0], tf.int32),
        minlength=rows,
        maxlength=rows,
        dtype=tf.int64,
    )
    return tf.RaggedTensor.from_row_lengths(parts.values, row_lengths, validate=False)


def truncate(tokens, max_length):
    """Keeps the first `max_length` entries of the last (ragged) axis."""
    if isinstance(tokens, tf.RaggedTensor):
        if tokens.ragged_rank == 1:
            return tokens[:, :max_length]
        return tokens.with_values(truncate(tokens.values, max_length))
    return tokens[..., :max_length]


def _as_vocabulary(vocabulary):
    if vocabulary is None or isinstance(vocabulary, Vocabulary):
        return vocabulary
    if isinstance(vocabulary, dict):
        return keras.saving.deserialize_keras_object(vocabulary)
    if isinstance(vocabulary, (str, bytes)) or hasattr(vocabulary, "__fspath__"):
        return Vocabulary.load(vocabulary)
    if isinstance(vocabulary, (list, tuple, np.ndarray)):
        return Vocabulary(vocabulary)
    raise ValueError(
        "`vocabulary` must be a Vocabulary, a list of tokens, a file path or "
        f"None, received: vocabulary of type {type(vocabulary).__name__}"
    )
