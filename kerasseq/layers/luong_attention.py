"""Multiplicative (Luong-style) attention with the dot, general and concat scores."""

import keras
from keras import ops

from kerasseq import validation
from kerasseq.layers.base_attention import BaseAttention

SCORE_MODES = ("dot", "general", "concat")


@keras.saving.register_keras_serializable(package="kerasseq")
class LuongAttention(BaseAttention):
    """Multiplicative attention layer, a.k.a. Luong-style attention.

    Each query attends over the keys with one of the alignment scores of
    Luong et al.:

    - `"dot"`: `score(q_i, k_j) = q_i . k_j` (query and key of the same depth);
    - `"general"`: `score(q_i, k_j) = q_i^T W_a k_j`, with `W_a` the learned
      `kernel` of shape `(query_dim, key_dim)`;
    - `"concat"`: `score(q_i, k_j) = v_a^T tanh(W_a [q_i; k_j])`, with `W_a`
      the learned `concat_kernel` of shape `(query_dim + key_dim, units)` and
      `v_a` the learned `score_kernel` of shape `(units,)`.

    The scores are optionally scaled, turned into weights with a softmax over
    the key positions, and the context of each query is the weighted sum of
    the values.

    Args:
        score_mode: One of `"dot"`, `"general"` or `"concat"`. Defaults to
            `"general"`.
        scale: `False` (no scaling), `True` (multiply the scores by a learned
            scalar `scale` initialised to one, as
            `keras.layers.Attention(use_scale=True)` does) or `"sqrt"` (divide
            the scores by the square root of the key depth). Defaults to
            `False`.
        units: Positive integer, the size of the hidden layer of the
            `"concat"` score, where it is required. Defaults to `None`;
            unused by the other score modes.
        kernel_initializer: Initializer for `kernel`, `concat_kernel` and
            `score_kernel`. Defaults to `"glorot_uniform"`.
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
        ValueError: on an invalid argument, or when `score_mode="dot"` is built
            with query and key of different depths.

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
    >>> layer = LuongAttention(score_mode="general", scale="sqrt")
    >>> context, weights = layer([query, value], return_attention_scores=True)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 3, 6), (2, 3, 5))

    Reference:
        - [Luong et al., 2015. Effective Approaches to Attention-based Neural
          Machine Translation](https://arxiv.org/abs/1508.04025)
    """

    def __init__(
        self,
        score_mode="general",
        scale=False,
        units=None,
        kernel_initializer="glorot_uniform",
        dropout=0.0,
        seed=None,
        **kwargs,
    ):
        score_mode = validation.check_one_of("score_mode", score_mode, SCORE_MODES)
        if not isinstance(scale, bool) and scale != "sqrt":
            raise ValueError(
                f"`scale` must be True, False or 'sqrt', received: scale={scale!r}"
            )
        if score_mode == "concat" and units is None:
            raise ValueError(
                "`units` is required (a positive integer) with "
                f"score_mode='concat', received: units={units!r}"
            )
        units = validation.check_positive_int("units", units, allow_none=True)
        super().__init__(dropout=dropout, seed=seed, **kwargs)
        self.score_mode = score_mode
        self.scale = scale
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        query_depth = input_shape[0][-1]
        key_depth = input_shape[-1][-1]
        if self.score_mode == "dot" and query_depth != key_depth:
            raise ValueError(
                "score_mode='dot' needs query and key of the same depth, "
                f"received query depth {query_depth} and key depth {key_depth}"
            )
        if self.score_mode == "general":
            self.kernel = self.add_weight(
                name="kernel",
                shape=(query_depth, key_depth),
                initializer=self.kernel_initializer,
            )
        elif self.score_mode == "concat":
            self.concat_kernel = self.add_weight(
                name="concat_kernel",
                shape=(query_depth + key_depth, self.units),
                initializer=self.kernel_initializer,
            )
            self.score_kernel = self.add_weight(
                name="score_kernel",
                shape=(self.units,),
                initializer=self.kernel_initializer,
            )
        # The learned scale lives beside the `scale` argument it comes from.
        self.scale_weight = None
        if self.scale is True:
            self.scale_weight = self.add_weight(
                name="scale", shape=(), initializer="ones"
            )

    def calculate_scores(self, query, key):
        # Alignment scores (batch, Tq, Tv).
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
        elif self.score_mode == "general":
            projected_query = ops.matmul(query, self.kernel)
            scores = ops.matmul(projected_query, ops.swapaxes(key, -2, -1))
        else:
            # W_a [q; k] = W_q q + W_k k: project each side once, broadcast add.
            query_kernel, key_kernel = ops.split(
                self.concat_kernel, [query.shape[-1]], axis=0
            )
            projected_query = ops.matmul(query, query_kernel)
            projected_key = ops.matmul(key, key_kernel)
            hidden = ops.tanh(
                ops.expand_dims(projected_query, axis=-2)
                + ops.expand_dims(projected_key, axis=-3)
            )
            scores = ops.tensordot(hidden, self.score_kernel, axes=[[3], [0]])

        # Optional scaling: learned scalar or 1 / sqrt(key depth).
        if self.scale_weight is not None:
            scores = scores * self.scale_weight
        elif self.scale == "sqrt":
            key_depth = ops.cast(ops.shape(key)[-1], scores.dtype)
            scores = scores / ops.sqrt(key_depth)
        return scores

    def get_config(self):
        config = {
            "score_mode": self.score_mode,
            "scale": self.scale,
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
        return {**super().get_config(), **config}
