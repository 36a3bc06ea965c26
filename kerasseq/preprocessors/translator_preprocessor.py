"""Translator preprocessor: raw source and target strings to seq2seq inputs."""

import keras
import tensorflow as tf

from kerasseq import validation
from kerasseq.preprocessors.text_classifier_preprocessor import _as_strings


@keras.saving.register_keras_serializable(package="kerasseq")
class TranslatorPreprocessor(keras.layers.Layer):
    """Turns raw source (and target) strings into `TranslatorModel` inputs.

    Sources are tokenized with `source_tokenizer`, truncated to their first
    `source_length` ids and right-padded with the `[PAD]` id 0, with the
    boolean mask of the real tokens. Targets, when given, are tokenized with
    `target_tokenizer` (whose vocabulary must reserve `[START]` and `[END]`),
    truncated to `target_length` ids and wrapped for teacher forcing: the
    decoder reads `[START] w1 ... wn` (`"target_ids"`) and learns to emit
    `w1 ... wn [END]` (the labels); the sample weights are 1.0 on those real
    label positions and 0.0 on padding, so the loss and the token accuracy
    ignore padding. Everything runs with core TensorFlow ops (given core-ops
    tokenizers such as `WordTokenizer` and `CharTokenizer`), in `tf.data`, in
    a `tf.function` and in an exported SavedModel.

    Args:
        source_tokenizer: A kerasseq tokenizer with a vocabulary.
        target_tokenizer: A kerasseq tokenizer whose vocabulary has `[START]`
            and `[END]` (`adapt(..., start_end=True)`).
        source_length: Optional positive integer, the most source tokens
            kept (the first ones). Defaults to `None` (no limit).
        target_length: Optional positive integer, the most target tokens
            kept before `[END]` is added. Defaults to `None` (no limit).
        **kwargs: Base layer keyword arguments, such as `name`.

    Call arguments:
        x: The source texts, a string tensor of shape `(batch_size,)` or a
            Python list of strings.
        y: Optional target texts of the same shape. Defaults to `None`.
        sample_weight: Optional per-text weights `(batch_size,)`, multiplied
            into the per-token weights. Defaults to `None`.

    Returns:
        Without `y`, a dict `{"source_ids": int32 (batch, src_len),
        "source_padding_mask": bool (batch, src_len)}`; with `y`, the tuple
        `(x, labels, sample_weight)` where `x` also holds `"target_ids"`,
        int32 `(batch, tgt_len + 1)` starting with `[START]`, `labels` is
        int32 `(batch, tgt_len + 1)` ending each row with `[END]`, and
        `sample_weight` float32 `(batch, tgt_len + 1)`.

    Example:

    >>> from kerasseq.preprocessors.translator_preprocessor import (
    ...     TranslatorPreprocessor)
    >>> from kerasseq.tokenizers import WordTokenizer
    >>> source = WordTokenizer(vocabulary=["[PAD]", "[UNK]", "hola", "mundo"])
    >>> target = WordTokenizer(
    ...     vocabulary=["[PAD]", "[UNK]", "[START]", "[END]", "hello", "world"])
    >>> preprocessor = TranslatorPreprocessor(source, target)
    >>> x, labels, weights = preprocessor(
    ...     ["hola mundo", "hola"], ["hello", "hello world"])
    >>> x["source_ids"].numpy().tolist()
    [[2, 3], [2, 0]]
    >>> x["target_ids"].numpy().tolist()
    [[2, 4, 0], [2, 4, 5]]
    >>> labels.numpy().tolist()
    [[4, 3, 0], [4, 5, 3]]
    >>> weights.numpy().tolist()
    [[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]
    """

    def __init__(
        self,
        source_tokenizer,
        target_tokenizer,
        source_length=None,
        target_length=None,
        **kwargs,
    ):
        source_tokenizer = _check_tokenizer("source_tokenizer", source_tokenizer)
        target_tokenizer = _check_tokenizer("target_tokenizer", target_tokenizer)
        if target_tokenizer.vocabulary.start_id is None:
            raise ValueError(
                "`target_tokenizer` must have a vocabulary with [START] and "
                "[END] (adapt it with `start_end=True`), received a vocabulary "
                f"starting with {target_tokenizer.vocabulary.tokens[:4]!r}"
            )
        source_length = validation.check_positive_int(
            "source_length", source_length, allow_none=True
        )
        target_length = validation.check_positive_int(
            "target_length", target_length, allow_none=True
        )
        super().__init__(**kwargs)
        self.built = True
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.source_tokenizer = source_tokenizer
        self.target_tokenizer = target_tokenizer
        self.source_length = source_length
        self.target_length = target_length

    @property
    def start_id(self) -> int:
        return self.target_tokenizer.vocabulary.start_id

    @property
    def end_id(self) -> int:
        return self.target_tokenizer.vocabulary.end_id

    def source_inputs(self, token_ids):
        """Ragged or right-padded source ids to the model's source inputs.

        Truncates to `source_length` and pads to the longest row (at least
        one step).
        """
        if not isinstance(token_ids, tf.RaggedTensor):
            token_ids = tf.RaggedTensor.from_tensor(token_ids, padding=0)
        token_ids = tf.cast(token_ids, tf.int32)
        if self.source_length is not None:
            token_ids = token_ids[:, : self.source_length]
        lengths = tf.cast(token_ids.row_lengths(), tf.int32)
        length = tf.maximum(tf.reduce_max(lengths), 1)
        shape = tf.stack([token_ids.nrows(), tf.cast(length, tf.int64)])
        dense = token_ids.to_tensor(default_value=0, shape=shape)
        return {
            "source_ids": dense,
            "source_padding_mask": tf.sequence_mask(lengths, tf.shape(dense)[1]),
        }

    def target_inputs(self, targets):
        """Target strings `(batch,)` to `(target_ids, labels, sample_weight)`."""
        ids = self.target_tokenizer.tokenize(_as_strings(targets))
        if not isinstance(ids, tf.RaggedTensor):
            ids = tf.RaggedTensor.from_tensor(ids)
        ids = tf.cast(ids, tf.int32)
        if self.target_length is not None:
            ids = ids[:, : self.target_length]
        rows = ids.nrows()
        start = tf.fill(tf.stack([rows, 1]), self.start_id)
        end = tf.fill(tf.stack([rows, 1]), self.end_id)
        start = tf.RaggedTensor.from_tensor(start)
        end = tf.RaggedTensor.from_tensor(end)
        decoder_inputs = tf.concat([start, ids], axis=1).to_tensor(0)
        labels = tf.concat([ids, end], axis=1).to_tensor(0)
        weights = tf.cast(tf.not_equal(labels, 0), tf.float32)
        return decoder_inputs, labels, weights

    def call(self, x, y=None, sample_weight=None):
        texts = _as_strings(x)
        if texts.shape.rank != 1:
            raise ValueError(
                "`x` must be a batch of strings of shape (batch_size,), "
                f"received: x with shape {texts.shape}"
            )
        inputs = self.source_inputs(self.source_tokenizer.tokenize(texts))
        if y is None:
            return inputs
        target_ids, labels, weights = self.target_inputs(y)
        if sample_weight is not None:
            weights = weights * tf.cast(sample_weight, tf.float32)[:, None]
        return {**inputs, "target_ids": target_ids}, labels, weights

    def detokenize(self, token_ids):
        """Generated target ids (any leading shape) to strings.

        `[START]`, `[END]` and `[PAD]` are dropped; the last axis is joined
        (with spaces by a `WordTokenizer`, without by a `CharTokenizer`).
        """
        token_ids = tf.convert_to_tensor(token_ids)
        special = tf.logical_or(
            tf.equal(token_ids, self.start_id), tf.equal(token_ids, self.end_id)
        )
        token_ids = tf.where(special, tf.zeros_like(token_ids), token_ids)
        shape = tf.shape(token_ids)
        flat = tf.reshape(token_ids, [-1, shape[-1]])
        return tf.reshape(self.target_tokenizer.detokenize(flat), shape[:-1])

    def get_config(self):
        config = {
            "source_tokenizer": keras.saving.serialize_keras_object(
                self.source_tokenizer
            ),
            "target_tokenizer": keras.saving.serialize_keras_object(
                self.target_tokenizer
            ),
            "source_length": self.source_length,
            "target_length": self.target_length,
        }
        return {**super().get_config(), **config}


def _check_tokenizer(name, tokenizer):
    if isinstance(tokenizer, dict):
        tokenizer = keras.saving.deserialize_keras_object(tokenizer)
    if not callable(getattr(tokenizer, "tokenize", None)):
        raise ValueError(
            f"`{name}` must be a kerasseq tokenizer, received: {name} of type "
            f"{type(tokenizer).__name__}"
        )
    if getattr(tokenizer, "vocabulary", None) is None:
        raise ValueError(
            f"`{name}` must have a vocabulary (pass `vocabulary=` or call "
            f"`adapt` first), received: {name}={tokenizer!r} without one"
        )
    return tokenizer
