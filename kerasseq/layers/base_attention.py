"""The shared base of the query/value attention layers and their masked softmax."""

import keras
from keras import ops

from kerasseq import validation


@keras.saving.register_keras_serializable(package="kerasseq")
class BaseAttention(keras.layers.Layer):
    """Base class of the query/value attention layers.

    Holds everything the attention layers share except the alignment score:
    each query `q_i` is scored against every key `k_j` by `calculate_scores`,
    the scores are turned into weights with a softmax over the key positions
    (`masked_softmax`), optionally dropped out during training, and the
    context of each query is the weighted sum of the values,
    `context_i = sum_j weights_ij v_j`. Like `keras.layers.AdditiveAttention`
    over `keras.layers.Attention`, a subclass only says how to score:

    - `build(input_shape)`: creates the weights of the score from the list of
      shapes `[query_shape, value_shape]` or `[query_shape, value_shape,
      key_shape]` (the key shape is `input_shape[-1]`); start it with
      `self._validate_inputs(input_shape)`, so a wrong input raises a clear
      `ValueError` before any shape is read;
    - `calculate_scores(query, key)`: returns the alignment scores of shape
      `(batch_size, Tq, Tv)`, before any softmax or masking;

    plus its own `__init__` (validate its arguments, then call
    `super().__init__(dropout=dropout, seed=seed, **kwargs)`) and `get_config`
    (its own arguments merged into `super().get_config()`).

    Args:
        dropout: Float in `[0, 1)`, fraction of the attention weights to drop
            during training. Defaults to `0.0`.
        seed: Optional integer, the random seed of the dropout. Defaults to
            `None`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: List `[query, value]` or `[query, value, key]`:
            - `query`: tensor of shape `(batch_size, Tq, query_dim)`.
            - `value`: tensor of shape `(batch_size, Tv, value_dim)`.
            - `key`: optional tensor of shape `(batch_size, Tv, key_dim)`;
                `value` is used as the key when it is not given.
        mask: Optional list `[query_mask, value_mask]` of boolean tensors of
            shapes `(batch_size, Tq)` and `(batch_size, Tv)`; either may be
            `None`.
        return_attention_scores: Boolean, whether to also return the attention
            weights. Defaults to `False`.
        training: Boolean, whether the layer runs in training mode (applies
            `dropout`). Defaults to `None`, the Keras learning phase.

    Returns:
        The context tensor of shape `(batch_size, Tq, value_dim)`, or the tuple
        `(context, weights)` with weights of shape `(batch_size, Tq, Tv)` when
        `return_attention_scores=True`.

    Raises:
        ValueError: on an invalid `dropout` or `seed`, or when the inputs or
            the mask are not lists of two or three.

    Masking:
        The subclass scores every (query, key) pair and never sees a mask; the
        base applies it. Key positions where `value_mask` is `False` get a
        weight of exactly `0.0`; the weights of each query sum to one over
        the valid positions. A query whose keys are all masked gets all-zero
        weights and a zero context (never NaN, also in `float16`). Outputs at
        positions where `query_mask` is `False` are set to zero, and the
        query mask is propagated to the context (the weights carry no mask),
        as `keras.layers.Attention` does.

    Example:

    >>> import numpy as np
    >>> class DotAttention(BaseAttention):
    ...     def calculate_scores(self, query, key):
    ...         return ops.matmul(query, ops.swapaxes(key, -2, -1))
    >>> query = np.random.rand(2, 3, 4).astype("float32")
    >>> value = np.random.rand(2, 5, 4).astype("float32")
    >>> value_mask = np.array([[True] * 5, [True, True, False, False, False]])
    >>> context, weights = DotAttention()(
    ...     [query, value], mask=[None, value_mask], return_attention_scores=True
    ... )
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 3, 4), (2, 3, 5))
    >>> float(ops.sum(weights[1, :, 2:]))
    0.0

    Reference:
        - `keras.layers.Attention` and `keras.layers.AdditiveAttention`, whose
          split between the shared base and the score this class follows.
    """

    def __init__(self, dropout=0.0, seed=None, **kwargs):
        dropout = validation.check_rate("dropout", dropout)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(
                f"`seed` must be an integer or None, received: seed={seed!r}"
            )
        super().__init__(**kwargs)
        self.dropout = dropout
        self.seed = seed
        self.supports_masking = True
        if dropout > 0:
            self.seed_generator = keras.random.SeedGenerator(seed=seed)

    def calculate_scores(self, query, key):
        raise NotImplementedError(
            f"{self.__class__.__name__} must implement "
            "`calculate_scores(query, key)`, returning scores of shape "
            "(batch_size, Tq, Tv)."
        )

    def call(
        self,
        inputs,
        mask=None,
        return_attention_scores=False,
        training=None,
    ):
        self._validate_inputs(inputs, mask)
        query = inputs[0]
        value = inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None

        # Alignment scores (batch, Tq, Tv), from the subclass.
        scores = self.calculate_scores(query, key)

        # Masked softmax over the key positions: (batch, Tv) -> (batch, 1, Tv).
        if value_mask is not None:
            value_mask = ops.expand_dims(value_mask, axis=-2)
        weights = masked_softmax(scores, value_mask)
        if training and self.dropout > 0:
            weights = keras.random.dropout(
                weights, self.dropout, seed=self.seed_generator
            )

        # Context as the weighted sum of the values; masked queries get zeros.
        context = ops.matmul(weights, value)
        if query_mask is not None:
            query_mask = ops.expand_dims(ops.cast(query_mask, "bool"), axis=-1)
            context = ops.where(query_mask, context, ops.zeros_like(context))
        if return_attention_scores:
            return context, weights
        return context

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return ops.convert_to_tensor(mask[0])

    def compute_output_shape(self, input_shape):
        self._validate_inputs(input_shape)
        return (*input_shape[0][:-1], input_shape[1][-1])

    def compute_output_spec(
        self,
        inputs,
        mask=None,
        return_attention_scores=False,
        training=None,
    ):
        self._validate_inputs(inputs, mask)
        query, value, key = inputs[0], inputs[1], inputs[-1]
        context = keras.KerasTensor(
            self.compute_output_shape([query.shape, value.shape, key.shape]),
            dtype=self.compute_dtype,
        )
        if not return_attention_scores:
            return context
        weights = keras.KerasTensor(
            (*query.shape[:-1], key.shape[-2]), dtype=self.compute_dtype
        )
        return context, weights

    def get_config(self):
        config = {
            "dropout": self.dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}

    def _validate_inputs(self, inputs, mask=None):
        """Checks `inputs` (or their shapes) and `mask` are lists of 2 or 3."""
        name = self.__class__.__name__
        if (
            not isinstance(inputs, (list, tuple))
            or not 2 <= len(inputs) <= 3
            # a single shape tuple such as (batch, T, dim) is not a list of inputs
            or any(x is None or isinstance(x, int) for x in inputs)
        ):
            raise ValueError(
                f"{name} must be called on a list [query, value] or "
                f"[query, value, key], received: inputs={inputs}"
            )
        if mask is not None and (
            not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3
        ):
            raise ValueError(
                f"{name} expects `mask` as a list [query_mask, value_mask], "
                f"received: mask={mask}"
            )


def masked_softmax(scores, mask=None):
    """Softmax over the last axis that gives masked positions exactly zero weight.

    Args:
        scores: Float tensor of scores; the softmax runs over its last axis.
        mask: Optional boolean (or 0/1) tensor broadcastable to `scores`,
            `True` where a position may be attended. Defaults to `None`, a
            plain softmax.

    Returns:
        A tensor of the shape and dtype of `scores`. Masked positions weigh
        exactly `0.0` and each row sums to one over its valid positions; a
        row with no valid position is all zeros (never NaN). Masked scores
        enter the softmax as a large finite negative (`-65504`, the lowest
        `float16`, in `float16`; `-1e9` otherwise), so the result stays
        finite in mixed precision.
    """
    if mask is None:
        return ops.softmax(scores, axis=-1)
    mask = ops.cast(mask, "bool")
    dtype = keras.backend.standardize_dtype(scores.dtype)
    large_negative = -65504.0 if dtype == "float16" else -1e9
    scores = ops.where(mask, scores, ops.full_like(scores, large_negative))
    weights = ops.softmax(scores, axis=-1)
    # Fully masked rows came out uniform: zero them (and every masked position).
    return weights * ops.cast(mask, weights.dtype)
