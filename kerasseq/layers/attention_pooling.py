"""Attention pooling: a learned query summarises a sequence into one vector."""

import keras
from keras import ops

from kerasseq import validation
from kerasseq.layers.base_attention import masked_softmax


@keras.saving.register_keras_serializable(package="kerasseq")
class AttentionPooling(keras.layers.Layer):
    """Many-to-one attention pooling over the time axis.

    A learned context vector attends over the timesteps of a sequence and
    returns their weighted sum, as the word and sentence attention of
    Hierarchical Attention Networks (Yang et al.) and the feed-forward
    attention of Raffel & Ellis. Each timestep `h_t` is projected to
    `u_t = tanh(W h_t + b)`, scored against the learned context vector `q`
    as `score_t = u_t . q`, the scores are turned into weights with a softmax
    over time, and the output is `sum_t weights_t h_t`.

    The weights are `kernel` (`W`, shape `(features, units)`), `bias` (`b`,
    shape `(units,)`) and `query` (`q`, shape `(units,)`).

    Args:
        units: Positive integer, the size of the hidden projection `u_t`.
            Defaults to `None`, the feature size of the input.
        use_bias: Boolean, whether to add the learned bias `b`. Defaults to
            `True`.
        kernel_initializer: Initializer for `kernel` and `query`. Defaults to
            `"glorot_uniform"`.
        bias_initializer: Initializer for `bias`. Defaults to `"zeros"`.
        dropout: Float in `[0, 1)`, fraction of the attention weights to drop
            during training. Defaults to `0.0`.
        seed: Optional integer, the random seed of the dropout. Defaults to
            `None`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: Sequence tensor of shape `(batch_size, timesteps, features)`.
        mask: Optional boolean tensor of shape `(batch_size, timesteps)`;
            picked up automatically from an upstream layer such as
            `keras.layers.Embedding(mask_zero=True)`.
        return_attention_scores: Boolean, whether to also return the attention
            weights. Defaults to `False`.
        training: Boolean, whether the layer runs in training mode (applies
            `dropout`). Defaults to `None`, the Keras learning phase.

    Returns:
        The pooled tensor of shape `(batch_size, features)`, or the tuple
        `(pooled, weights)` with weights of shape `(batch_size, timesteps)`
        when `return_attention_scores=True`.

    Masking:
        Timesteps where `mask` is `False` get a weight of exactly `0.0`; the
        weights of each sequence sum to one over the valid timesteps. A fully
        masked sequence gives all-zero weights and a zero vector (never NaN).
        The layer consumes the time axis, so it propagates no mask.

    Example:

    >>> import numpy as np
    >>> sequence = np.random.rand(2, 7, 4).astype("float32")
    >>> layer = AttentionPooling(units=8)
    >>> pooled, weights = layer(sequence, return_attention_scores=True)
    >>> tuple(pooled.shape), tuple(weights.shape)
    ((2, 4), (2, 7))

    Reference:
        - [Yang et al., 2016. Hierarchical Attention Networks for Document
          Classification](https://aclanthology.org/N16-1174/)
        - [Raffel & Ellis, 2015. Feed-Forward Networks with Attention Can
          Solve Some Long-Term Memory Problems](https://arxiv.org/abs/1512.08756)
    """

    def __init__(
        self,
        units=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        dropout=0.0,
        seed=None,
        **kwargs,
    ):
        units = validation.check_positive_int("units", units, allow_none=True)
        dropout = validation.check_rate("dropout", dropout)
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
        features = input_shape[-1]
        units = features if self.units is None else self.units
        self.kernel = self.add_weight(
            name="kernel",
            shape=(features, units),
            initializer=self.kernel_initializer,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(units,),
                initializer=self.bias_initializer,
            )
        self.query = self.add_weight(
            name="query",
            shape=(units,),
            initializer=self.kernel_initializer,
        )

    def call(
        self,
        inputs,
        mask=None,
        return_attention_scores=False,
        training=None,
    ):
        # Hidden representation u_t = tanh(W h_t + b): (batch, T, units).
        hidden = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            hidden = hidden + self.bias
        hidden = ops.tanh(hidden)

        # Scores against the learned query: (batch, T).
        scores = ops.tensordot(hidden, self.query, axes=[[2], [0]])

        # Masked softmax over time.
        weights = masked_softmax(scores, mask)
        if training and self.dropout > 0:
            weights = keras.random.dropout(
                weights, self.dropout, seed=self.seed_generator
            )

        # Weighted sum over time: (batch, features).
        pooled = ops.einsum("bt,btf->bf", weights, inputs)
        if return_attention_scores:
            return pooled, weights
        return pooled

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def compute_output_spec(
        self,
        inputs,
        mask=None,
        return_attention_scores=False,
        training=None,
    ):
        pooled = keras.KerasTensor(
            self.compute_output_shape(inputs.shape), dtype=self.compute_dtype
        )
        if not return_attention_scores:
            return pooled
        weights = keras.KerasTensor(inputs.shape[:-1], dtype=self.compute_dtype)
        return pooled, weights

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
