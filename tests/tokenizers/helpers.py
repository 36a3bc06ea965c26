"""Shared helpers of the tokenizer tests."""

import tensorflow as tf


def to_python(tokens):
    """Nested Python lists of `str` (or ints) from a tensor or ragged tensor."""
    if isinstance(tokens, tf.RaggedTensor):
        values = tokens.to_list()
    else:
        values = tokens.numpy()
        values = values.tolist() if hasattr(values, "tolist") else values
    return _decode(values)


def _decode(values):
    if isinstance(values, list):
        return [_decode(value) for value in values]
    if isinstance(values, bytes):
        return values.decode("utf-8")
    return values
