"""Text classification preprocessor: raw strings to padded token ids and a mask."""

import keras
import tensorflow as tf

from kerasseq import validation


@keras.saving.register_keras_serializable(package="kerasseq")
class TextClassifierPreprocessor(keras.layers.Layer):
    """Turns a batch of raw strings into the inputs of `TextClassifierModel`.

    Tokenizes each text with a kerasseq tokenizer that has a vocabulary,
    keeps the first `sequence_length` ids of each text (truncation from the
    right end), pads every row on the right with the `[PAD]` id 0, and builds
    the boolean mask of the real tokens. Everything runs with core TensorFlow
    ops (given a core-ops tokenizer such as `WordTokenizer`), so the layer
    works eagerly, inside `tf.data.Dataset.map` (batched or unbatched
    elements), in a `tf.function` with a `tf.string` `[None]` signature and
    in an exported SavedModel.

    Labels pass through unchanged: mapping labels of any hashable type to
    integer ids (and back) is the pipeline's job, done in Python before the
    data reaches `tf.data`, because arbitrary Python labels have no
    in-graph representation.

    Args:
        tokenizer: A kerasseq tokenizer with a vocabulary (e.g.
            `WordTokenizer(vocabulary=...)`), whose `tokenize` returns ids.
        sequence_length: Optional positive integer, the padded length. Longer
            texts keep their first `sequence_length` tokens. Defaults to
            `None`: each batch is padded to its longest text (at least one
            step, so a batch of empty texts still has one padded step).
        **kwargs: Base layer keyword arguments, such as `name`.

    Call arguments:
        x: The texts: a string tensor of shape `(batch_size,)`, a Python list
            of strings, or a scalar string (one unbatched text, as in
            `dataset.map` before `batch`; the outputs then have no batch
            axis).
        y: Optional labels, passed through unchanged. Defaults to `None`.
        sample_weight: Optional sample weights, passed through unchanged.
            Defaults to `None`.

    Returns:
        `x`, `(x, y)` or `(x, y, sample_weight)` as
        `keras.utils.pack_x_y_sample_weight` packs them, where `x` is a dict:
        `"token_ids"`, int32 `(batch_size, length)`, and `"padding_mask"`,
        bool `(batch_size, length)`, `True` on real tokens.

    Example:

    >>> from kerasseq.preprocessors import TextClassifierPreprocessor
    >>> from kerasseq.tokenizers import WordTokenizer
    >>> vocabulary = ["[PAD]", "[UNK]", "the", "quick", "brown", "fox", "."]
    >>> preprocessor = TextClassifierPreprocessor(
    ...     WordTokenizer(vocabulary=vocabulary), sequence_length=4
    ... )
    >>> x = preprocessor(["The fox.", "the quick brown red fox"])
    >>> x["token_ids"].numpy().tolist()
    [[2, 5, 6, 0], [2, 3, 4, 1]]
    >>> x["padding_mask"].numpy().tolist()
    [[True, True, True, False], [True, True, True, True]]
    """

    def __init__(self, tokenizer, sequence_length=None, **kwargs):
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        if not callable(getattr(tokenizer, "tokenize", None)):
            raise ValueError(
                "`tokenizer` must be a kerasseq tokenizer, received: "
                f"tokenizer of type {type(tokenizer).__name__}"
            )
        if getattr(tokenizer, "vocabulary", None) is None:
            raise ValueError(
                "`tokenizer` must have a vocabulary (pass `vocabulary=` or call "
                f"`adapt` first), received: tokenizer={tokenizer!r} without one"
            )
        sequence_length = validation.check_positive_int(
            "sequence_length", sequence_length, allow_none=True
        )
        super().__init__(**kwargs)
        self.built = True
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.tokenizer = tokenizer
        self.sequence_length = sequence_length

    @property
    def vocabulary_size(self):
        """The size of the tokenizer's vocabulary (reserved tokens included)."""
        return self.tokenizer.vocabulary_size

    def call(self, x, y=None, sample_weight=None):
        texts = _as_strings(x)
        unbatched = texts.shape.rank == 0
        if unbatched:
            texts = tf.reshape(texts, [1])
        elif texts.shape.rank != 1:
            raise ValueError(
                "`x` must be a batch of strings of shape (batch_size,) or one "
                f"string, received: x with shape {texts.shape}"
            )
        ids = self.tokenizer.tokenize(texts)
        if isinstance(ids, tf.RaggedTensor):
            lengths = tf.cast(ids.row_lengths(), tf.int32)
        else:  # A dense result: every row is full.
            ids = tf.RaggedTensor.from_tensor(ids)
            lengths = tf.cast(ids.row_lengths(), tf.int32)
        ids = tf.cast(ids, tf.int32)
        if self.sequence_length is None:
            length = tf.maximum(tf.reduce_max(lengths), 1)
            shape = tf.stack([ids.nrows(), tf.cast(length, ids.row_splits.dtype)])
        else:
            length = self.sequence_length
            lengths = tf.minimum(lengths, length)
            shape = [None, length]
        # Right-padded with [PAD] = 0; to_tensor truncates longer rows.
        token_ids = ids.to_tensor(default_value=0, shape=shape)
        token_ids = tf.ensure_shape(token_ids, [None, self.sequence_length])
        padding_mask = tf.sequence_mask(lengths, tf.shape(token_ids)[1])
        if unbatched:
            token_ids = token_ids[0]
            padding_mask = padding_mask[0]
        x = {"token_ids": token_ids, "padding_mask": padding_mask}
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def get_config(self):
        config = {
            "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
            "sequence_length": self.sequence_length,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("tokenizer"), dict):
            config["tokenizer"] = keras.saving.deserialize_keras_object(
                config["tokenizer"]
            )
        return cls(**config)


def _as_strings(x):
    """`x` as a dense string tensor, with a clear error otherwise."""
    if isinstance(x, tf.RaggedTensor):
        raise ValueError(
            "`x` must be a dense batch of strings, received a tf.RaggedTensor"
        )
    if not isinstance(x, tf.Tensor):
        if isinstance(x, (list, tuple)):
            for text in x:
                if not isinstance(text, (str, bytes)):
                    raise ValueError(
                        "`x` must hold strings, received: "
                        f"{text!r} of type {type(text).__name__}"
                    )
        try:
            x = tf.convert_to_tensor(x, dtype=tf.string)
        except (TypeError, ValueError):
            raise ValueError(
                f"`x` must be strings, received: x of type {type(x).__name__}"
            ) from None
    if x.dtype != tf.string:
        raise ValueError(f"`x` must be strings, received: x with dtype={x.dtype.name}")
    return x
