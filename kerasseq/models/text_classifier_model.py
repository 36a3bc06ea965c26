"""Text classification model: embedding, recurrent encoder, pooling, head."""

import keras
import numpy as np
from keras import ops

from kerasseq import registry
from kerasseq import validation
from kerasseq.layers.attention_pooling import AttentionPooling
from kerasseq.layers.pretrained_embedding import TRAINABILITY
from kerasseq.layers.pretrained_embedding import PretrainedEmbedding

POOLINGS = ("last", "mean", "max", "attention")


@keras.saving.register_keras_serializable(package="kerasseq")
class TextClassifierModel(keras.Model):
    """A recurrent text classifier from token ids to class probabilities.

    A functional model: token ids are embedded (`PretrainedEmbedding`, so
    pretrained vectors can be frozen whole or in part), run through
    `num_layers` recurrent layers (any cell of `kerasseq.registry`, optionally
    bidirectional with the two directions concatenated), pooled over time
    into one vector per text, and mapped by a dense layer to class
    probabilities:

    - `"last"`: the final output of the last recurrent layer (for a
      bidirectional layer, the forward direction at the last real token and
      the backward direction at the first);
    - `"mean"` / `"max"`: the mean / element-wise maximum of the last
      layer's outputs over the real tokens;
    - `"attention"`: `AttentionPooling`, a learned query attending over the
      outputs (Yang et al., 2016); `attention_model()` also returns the
      weights, per token, for explanations.

    The head is a softmax over `num_classes` for single-label
    classification (binary included: `num_classes=2` gives two
    probabilities that sum to one; train with sparse categorical
    cross-entropy on integer labels), or `num_classes` independent sigmoids
    for `multi_label=True` (train with binary cross-entropy on multi-hot
    labels; `num_classes=1` is a single-sigmoid binary classifier). The
    probabilities are always float32.

    Args:
        vocabulary_size: Positive integer, the number of token ids.
        num_classes: Positive integer, the number of classes (at least 2
            unless `multi_label=True`).
        embedding_dim: Positive integer, the token vector size. Defaults to
            `128`; must match the columns of `embedding_weights`.
        cell: String, the recurrent cell name in `kerasseq.registry`
            (`"gru"`, `"lstm"`, `"simple_rnn"`). Defaults to `"gru"`.
        units: Positive integer, the units of each recurrent layer (each
            direction). Defaults to `128`.
        num_layers: Positive integer, how many recurrent layers are stacked.
            Defaults to `1`.
        bidirectional: Boolean, whether each recurrent layer also reads the
            text backwards. Defaults to `True`.
        pooling: `"last"`, `"mean"`, `"max"` or `"attention"`. Defaults to
            `"attention"`.
        dropout: Float in `[0, 1)`, the input dropout of every recurrent layer
            and the dropout of the pooled vector before the head. Defaults to
            `0.0`.
        recurrent_dropout: Float in `[0, 1)`, the dropout of the recurrent
            state of every recurrent layer. Defaults to `0.0`.
        embedding_dropout: Float in `[0, 1)`, spatial dropout of the token
            vectors: whole embedding channels are zeroed for a whole text
            (`keras.layers.SpatialDropout1D`). Defaults to `0.0`.
        multi_label: Boolean, sigmoid outputs instead of a softmax. Defaults
            to `False`.
        embedding_trainability: `"all"`, `"partial"` (only `trainable_rows`
            train) or `"none"`. Defaults to `"all"`.
        trainable_rows: Optional row ids that train under `"partial"`, e.g.
            `EmbeddingMatrix.trainable_rows`. Defaults to `None`.
        embedding_weights: Optional NumPy matrix `(vocabulary_size,
            embedding_dim)` of initial vectors. Not part of the config: the
            model's weights carry it (as for `PretrainedEmbedding`).
        dtype: Optional dtype or dtype policy of the layers. Defaults to
            `None`, the global policy.
        **kwargs: Base model keyword arguments, such as `name`.

    Call arguments:
        inputs: A dict with `"token_ids"`, int `(batch_size, length)` padded
            with 0, and `"padding_mask"`, bool `(batch_size, length)`, `True`
            on real tokens (as `TextClassifierPreprocessor` makes them).

    Returns:
        Float32 class probabilities of shape `(batch_size, num_classes)`.

    Masking:
        `padding_mask` reaches every recurrent layer (masked steps leave the
        state unchanged) and the pooling (masked steps get no weight and are
        left out of means and maxima), so padding does not change the
        output. A text without tokens gives the probabilities of a zero
        vector.

    Example:

    >>> from kerasseq.models import TextClassifierModel
    >>> model = TextClassifierModel(vocabulary_size=10, num_classes=3, units=4)
    >>> inputs = {
    ...     "token_ids": np.array([[2, 5, 3, 0]]),
    ...     "padding_mask": np.array([[True, True, True, False]]),
    ... }
    >>> model(inputs).shape
    TensorShape([1, 3])
    >>> probabilities, weights = model.attention_model()(inputs)
    >>> float(weights[0, 3])  # the padded step
    0.0
    """

    def __init__(
        self,
        vocabulary_size,
        num_classes,
        embedding_dim=128,
        cell="gru",
        units=128,
        num_layers=1,
        bidirectional=True,
        pooling="attention",
        dropout=0.0,
        recurrent_dropout=0.0,
        embedding_dropout=0.0,
        multi_label=False,
        embedding_trainability="all",
        trainable_rows=None,
        embedding_weights=None,
        dtype=None,
        **kwargs,
    ):
        vocabulary_size = validation.check_positive_int(
            "vocabulary_size", vocabulary_size
        )
        num_classes = validation.check_positive_int("num_classes", num_classes)
        multi_label = validation.check_bool("multi_label", multi_label)
        if num_classes < 2 and not multi_label:
            raise ValueError(
                "`num_classes` must be at least 2 for single-label "
                "classification (use `multi_label=True` for one sigmoid "
                f"output), received: num_classes={num_classes}"
            )
        embedding_dim = validation.check_positive_int("embedding_dim", embedding_dim)
        rnn_class = registry.get_recurrent_layer_class(cell)
        units = validation.check_positive_int("units", units)
        num_layers = validation.check_positive_int("num_layers", num_layers)
        bidirectional = validation.check_bool("bidirectional", bidirectional)
        pooling = validation.check_one_of("pooling", pooling, POOLINGS)
        dropout = validation.check_rate("dropout", dropout)
        recurrent_dropout = validation.check_rate(
            "recurrent_dropout", recurrent_dropout
        )
        embedding_dropout = validation.check_rate(
            "embedding_dropout", embedding_dropout
        )
        embedding_trainability = validation.check_one_of(
            "embedding_trainability", embedding_trainability, TRAINABILITY
        )
        if embedding_weights is not None:
            embedding_weights = np.asarray(
                keras.ops.convert_to_numpy(embedding_weights)
            )
            if embedding_weights.shape != (vocabulary_size, embedding_dim):
                raise ValueError(
                    "`embedding_weights` must have shape (vocabulary_size, "
                    f"embedding_dim) = ({vocabulary_size}, {embedding_dim}), "
                    f"received: embedding_weights.shape={embedding_weights.shape}"
                )

        # === Layers ===
        embedding = PretrainedEmbedding(
            input_dim=vocabulary_size,
            output_dim=embedding_dim,
            weights=embedding_weights,
            trainable_rows=trainable_rows,
            trainability=embedding_trainability,
            dtype=dtype,
            name="token_embedding",
        )
        embedded_dropout = (
            keras.layers.SpatialDropout1D(
                embedding_dropout, dtype=dtype, name="embedding_dropout"
            )
            if embedding_dropout > 0
            else None
        )
        recurrent_layers = []
        for index in range(num_layers):
            layer = rnn_class(
                units,
                return_sequences=index < num_layers - 1 or pooling != "last",
                dropout=dropout,
                recurrent_dropout=recurrent_dropout,
                dtype=dtype,
                name=f"recurrent_{index}",
            )
            if bidirectional:
                layer = keras.layers.Bidirectional(
                    layer, dtype=dtype, name=f"bidirectional_{index}"
                )
            recurrent_layers.append(layer)
        if pooling == "attention":
            pooling_layer = AttentionPooling(dtype=dtype, name="attention_pooling")
        elif pooling in ("mean", "max"):
            pooling_layer = _MaskedGlobalPooling(
                mode=pooling, dtype=dtype, name=f"{pooling}_pooling"
            )
        else:
            pooling_layer = None
        pooled_dropout = (
            keras.layers.Dropout(dropout, dtype=dtype, name="pooled_dropout")
            if dropout > 0
            else None
        )
        logits_layer = keras.layers.Dense(num_classes, dtype=dtype, name="logits")
        # Float32 probabilities, also under a mixed-precision policy.
        activation_layer = keras.layers.Activation(
            "sigmoid" if multi_label else "softmax",
            dtype="float32",
            name="probabilities",
        )

        # === Functional Model ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        padding_mask = keras.Input(shape=(None,), dtype="bool", name="padding_mask")
        inputs = {"token_ids": token_ids, "padding_mask": padding_mask}
        x = embedding(token_ids)
        if embedded_dropout is not None:
            x = embedded_dropout(x)
        for layer in recurrent_layers:
            x = layer(x, mask=padding_mask)
        attention_weights = None
        if pooling == "attention":
            x, attention_weights = pooling_layer(
                x, mask=padding_mask, return_attention_scores=True
            )
        elif pooling_layer is not None:
            x = pooling_layer(x, mask=padding_mask)
        if pooled_dropout is not None:
            x = pooled_dropout(x)
        probabilities = activation_layer(logits_layer(x))
        super().__init__(inputs=inputs, outputs=probabilities, dtype=dtype, **kwargs)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_classes = num_classes
        self.embedding_dim = embedding_dim
        self.cell = cell
        self.units = units
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.embedding_dropout = embedding_dropout
        self.multi_label = multi_label
        self.embedding_trainability = embedding_trainability
        self.trainable_rows = list(embedding.trainable_rows)
        self.embedding = embedding
        self._model_inputs = inputs
        self._attention_weights = attention_weights

    def attention_model(self):
        """A model from the same inputs to the probabilities and attention.

        Shares this model's layers and weights (nothing is copied), for
        explaining predictions: which tokens the pooling looked at.

        Returns:
            A `keras.Model` mapping the inputs dict to a tuple
            `(probabilities, attention_weights)`, the weights of shape
            `(batch_size, length)`, zero on padding, summing to one over the
            real tokens of each text.

        Raises:
            ValueError: when `pooling` is not `"attention"`.
        """
        if self.pooling != "attention":
            raise ValueError(
                "`attention_model()` needs attention pooling, but this model "
                f"was built with pooling={self.pooling!r}"
            )
        return keras.Model(
            inputs=dict(self._model_inputs),
            outputs=(self.output, self._attention_weights),
            name=f"{self.name}_attention",
        )

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            # The policy the layers run under (the model's own stays float32).
            "dtype": keras.dtype_policies.serialize(self.embedding.dtype_policy),
            "vocabulary_size": self.vocabulary_size,
            "num_classes": self.num_classes,
            "embedding_dim": self.embedding_dim,
            "cell": self.cell,
            "units": self.units,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "pooling": self.pooling,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "embedding_dropout": self.embedding_dropout,
            "multi_label": self.multi_label,
            "embedding_trainability": self.embedding_trainability,
            "trainable_rows": list(self.trainable_rows),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = keras.dtype_policies.deserialize(config["dtype"])
        return cls(**config)


@keras.saving.register_keras_serializable(package="kerasseq")
class _MaskedGlobalPooling(keras.layers.Layer):
    """Mean or maximum over time of the unmasked steps (zeros if none)."""

    def __init__(self, mode="mean", **kwargs):
        if mode not in ("mean", "max"):
            raise ValueError(f"`mode` must be 'mean' or 'max', received: {mode=!r}")
        super().__init__(**kwargs)
        self.mode = mode
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            mask = ops.ones(ops.shape(inputs)[:2], dtype="bool")
        keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        if self.mode == "mean":
            total = ops.sum(ops.where(keep, inputs, 0.0), axis=1)
            count = ops.sum(ops.cast(keep, inputs.dtype), axis=1)
            return total / ops.maximum(count, 1.0)
        lowest = ops.full_like(inputs, float("-inf"))
        maximum = ops.max(ops.where(keep, inputs, lowest), axis=1)
        return ops.where(ops.any(keep, axis=1), maximum, 0.0)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
