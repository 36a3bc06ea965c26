"""Additive (Bahdanau-style) attention with its own learned projections."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kerasseq")
class BahdanauAttention(keras.layers.Layer):
    """Additive attention layer, a.k.a. Bahdanau-style attention.

    Each query attends over the keys with an alignment score computed by a
    one-hidden-layer feed-forward network: the query and the key are projected
    into a common space of size `units`, added (plus an optional bias), passed
    through `tanh` and reduced to a scalar by a learned vector `v`:

    `score(q_i, k_j) = v^T tanh(W1 q_i + W2 k_j + b)`.

    The scores are turned into weights with a softmax over the key positions
    and the context of each query is the weighted sum of the values. Unlike
    `keras.layers.AdditiveAttention`, the layer owns the projections `W1`
    (`query_kernel`), `W2` (`key_kernel`), `b` (`bias`) and `v`
    (`score_kernel`), so query, key and value may all have different depths.

    Args:
        units: Positive integer, the size of the hidden alignment space.
        use_bias: Boolean, whether to add the learned bias `b` inside the
            `tanh`. Defaults to `True`.
        kernel_initializer: Initializer for `query_kernel`, `key_kernel` and
            `score_kernel`. Defaults to `"glorot_uniform"`.
        bias_initializer: Initializer for `bias`. Defaults to `"zeros"`.
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

    Masking:
        Key positions where `value_mask` is `False` get a weight of exactly
        `0.0`; the weights of each query sum to one over the valid positions.
        A query whose keys are all masked gets all-zero weights and a zero
        context (never NaN). Outputs at positions where `query_mask` is
        `False` are set to zero, and the query mask is propagated to the
        context (the weights carry no mask), as `keras.layers.Attention` does.

    Example:

    >>> import numpy as np
    >>> query = np.random.rand(2, 3, 4).astype("float32")
    >>> value = np.random.rand(2, 5, 6).astype("float32")
    >>> layer = BahdanauAttention(units=8)
    >>> context, weights = layer([query, value], return_attention_scores=True)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 3, 6), (2, 3, 5))

    Reference:
        - [Bahdanau et al., 2015. Neural Machine Translation by Jointly Learning
          to Align and Translate](https://arxiv.org/abs/1409.0473)
    """

    def __init__(
        self,
        units,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        dropout=0.0,
        seed=None,
        **kwargs,
    ):
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                f"`units` must be a positive integer, received: units={units!r}"
            )
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, (int, float))
            or not 0.0 <= dropout < 1.0
        ):
            raise ValueError(
                f"`dropout` must be a float in [0, 1), received: dropout={dropout!r}"
            )
        super().__init__(**kwargs)
        self.units = units
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.dropout = dropout
        self.seed = seed
        self.supports_masking = True
        if dropout > 0:
            self.seed_generator = keras.random.SeedGenerator(seed=seed)

    def build(self, input_shape):
        _validate_inputs(self, input_shape)
        query_depth = input_shape[0][-1]
        key_depth = input_shape[-1][-1]
        self.query_kernel = self.add_weight(
            name="query_kernel",
            shape=(query_depth, self.units),
            initializer=self.kernel_initializer,
        )
        self.key_kernel = self.add_weight(
            name="key_kernel",
            shape=(key_depth, self.units),
            initializer=self.kernel_initializer,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
            )
        self.score_kernel = self.add_weight(
            name="score_kernel",
            shape=(self.units,),
            initializer=self.kernel_initializer,
        )

    def call(
        self,
        inputs,
        mask=None,
        return_attention_scores=False,
        training=None,
    ):
        _validate_inputs(self, inputs, mask)
        query = inputs[0]
        value = inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None

        # Project queries and keys once: (batch, Tq, units) and (batch, Tv, units).
        projected_query = ops.matmul(query, self.query_kernel)
        projected_key = ops.matmul(key, self.key_kernel)
        if self.bias is not None:
            projected_query = projected_query + self.bias

        # Broadcast add to (batch, Tq, Tv, units), tanh, reduce with v.
        hidden = ops.tanh(
            ops.expand_dims(projected_query, axis=-2)
            + ops.expand_dims(projected_key, axis=-3)
        )
        scores = ops.tensordot(hidden, self.score_kernel, axes=[[3], [0]])

        # Masked softmax over the key positions.
        weights = _masked_softmax(scores, value_mask)
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
        _validate_inputs(self, inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return ops.convert_to_tensor(mask[0])

    def compute_output_shape(self, input_shape):
        _validate_inputs(self, input_shape)
        return (*input_shape[0][:-1], input_shape[1][-1])

    def compute_output_spec(
        self,
        inputs,
        mask=None,
        return_attention_scores=False,
        training=None,
    ):
        _validate_inputs(self, inputs, mask)
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
            "units": self.units,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "dropout": self.dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


def _validate_inputs(layer, inputs, mask=None):
    """Checks `inputs` (or their shapes) and `mask` are lists of 2 or 3."""
    name = layer.__class__.__name__
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


def _masked_softmax(scores, value_mask):
    """Softmax over the last axis with masked keys at exactly zero weight."""
    if value_mask is None:
        return ops.softmax(scores, axis=-1)
    # (batch, Tv) -> (batch, 1, Tv), broadcast over the queries.
    value_mask = ops.expand_dims(ops.cast(value_mask, "bool"), axis=-2)
    dtype = keras.backend.standardize_dtype(scores.dtype)
    large_negative = -65504.0 if dtype == "float16" else -1e9
    scores = ops.where(value_mask, scores, ops.full_like(scores, large_negative))
    weights = ops.softmax(scores, axis=-1)
    # Fully masked rows came out uniform: zero them (and every masked key).
    return weights * ops.cast(value_mask, weights.dtype)
