"""Additive (Bahdanau-style) attention with its own learned projections."""

import keras
from keras import ops

from kerasseq import validation
from kerasseq.layers.base_attention import BaseAttention


@keras.saving.register_keras_serializable(package="kerasseq")
class BahdanauAttention(BaseAttention):
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
        units = validation.check_positive_int("units", units)
        super().__init__(dropout=dropout, seed=seed, **kwargs)
        self.units = units
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
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

    def calculate_scores(self, query, key):
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
        return ops.tensordot(hidden, self.score_kernel, axes=[[3], [0]])

    def get_config(self):
        config = {
            "units": self.units,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
        return {**super().get_config(), **config}
