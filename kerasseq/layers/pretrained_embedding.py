"""An embedding layer whose pretrained rows stay frozen while the others train."""

import numbers

import keras
import numpy as np
from keras import ops

from kerasseq import validation

TRAINABILITY = ("partial", "all", "none")


@keras.saving.register_keras_serializable(package="kerasseq")
class PretrainedEmbedding(keras.layers.Layer):
    """Turns token ids into pretrained vectors, training only chosen rows.

    Looks up row `i` of an embedding matrix for token id `i`, as
    `keras.layers.Embedding` does, with three trainability modes:

    - `"partial"` (the default): only the rows in `trainable_rows` train,
      typically the rows of tokens the pretrained vectors did not cover and
      the special tokens (`[UNK]`, `[START]`, ...); the pretrained rows stay
      frozen. The layer keeps two weights: the full matrix `embeddings`
      (frozen) and `trainable_embeddings`, one row per trainable row; a
      lookup reads the trainable copy for those ids and the frozen matrix for
      the others. Gradients and optimizer state exist only for the trainable
      rows.
    - `"all"`: the whole matrix trains (one trainable weight `embeddings`).
    - `"none"`: nothing trains (one frozen weight `embeddings`).

    The matrix itself is never part of the config: pass it as `weights` when
    creating the layer; `.keras` files store it with the other weights, and
    `from_config` rebuilds the layer from its shape, `trainable_rows` and
    mode. `kerasseq.embeddings.EmbeddingMatrix.layer()` makes this layer from
    a matrix built with `build_embedding_matrix`.

    Args:
        input_dim: Positive integer, the vocabulary size (rows). Defaults to
            `None`: the number of rows of `weights`.
        output_dim: Positive integer, the vector size. Defaults to `None`: the
            number of columns of `weights`.
        weights: Optional initial matrix of shape `(input_dim, output_dim)`
            (NumPy array or tensor). Not stored in the config.
        trainable_rows: Sequence of row ids that train under `"partial"`,
            e.g. `EmbeddingMatrix.trainable_rows`. Ignored by the other modes.
            Defaults to `None`, no row.
        trainability: `"partial"`, `"all"` or `"none"`. Defaults to
            `"partial"`.
        mask_zero: Boolean, whether id 0 is padding. If `True`, the layer
            returns a mask (`ids != 0`), embeds id 0 as zeros and never trains
            row 0, whatever the mode. Defaults to `False`.
        embeddings_initializer: Initializer of the matrix when no `weights`
            are given. Defaults to `"uniform"`, as `keras.layers.Embedding`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: Integer tensor of token ids of any shape, e.g.
            `(batch_size, sequence_length)`.

    Returns:
        Float tensor of shape `inputs.shape + (output_dim,)`.

    Masking:
        With `mask_zero=True` the layer produces the boolean mask
        `inputs != 0`, which Keras passes to the layers after it.

    Example:

    >>> matrix = np.array([[0, 0], [1, 1], [2, 2], [3, 3]], "float32")
    >>> layer = PretrainedEmbedding(weights=matrix, trainable_rows=[1, 3])
    >>> layer(np.array([[2, 3, 0]])).numpy().tolist()
    [[[2.0, 2.0], [3.0, 3.0], [0.0, 0.0]]]
    >>> [(w.name, tuple(w.shape), w.trainable) for w in layer.weights]
    [('trainable_embeddings', (2, 2), True), ('embeddings', (4, 2), False)]
    """

    def __init__(
        self,
        input_dim=None,
        output_dim=None,
        weights=None,
        trainable_rows=None,
        trainability="partial",
        mask_zero=False,
        embeddings_initializer="uniform",
        **kwargs,
    ):
        if weights is not None:
            weights = np.asarray(keras.ops.convert_to_numpy(weights))
            if weights.ndim != 2:
                raise ValueError(
                    "`weights` must be a matrix of shape (input_dim, output_dim), "
                    f"received: weights.shape={weights.shape}"
                )
            for name, given, actual in (
                ("input_dim", input_dim, weights.shape[0]),
                ("output_dim", output_dim, weights.shape[1]),
            ):
                if given is not None and given != actual:
                    raise ValueError(
                        f"`{name}` must match the shape of `weights` "
                        f"{weights.shape}, received: {name}={given!r}"
                    )
            input_dim, output_dim = weights.shape
        input_dim = validation.check_positive_int("input_dim", input_dim)
        output_dim = validation.check_positive_int("output_dim", output_dim)
        trainability = validation.check_one_of(
            "trainability", trainability, TRAINABILITY
        )
        trainable_rows = _check_rows(trainable_rows, input_dim)
        super().__init__(**kwargs)
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.trainable_rows = trainable_rows
        self.trainability = trainability
        self.mask_zero = bool(mask_zero)
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.supports_masking = self.mask_zero
        self.autocast = False
        if weights is not None:
            self.build()
            self.set_embedding_matrix(weights)

    @property
    def _partial(self):
        return self.trainability == "partial" and len(self.trainable_rows) > 0

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            trainable=self.trainability == "all",
        )
        self.trainable_embeddings = None
        if self._partial:
            rows = np.asarray(self.trainable_rows, "int32")
            self.trainable_embeddings = self.add_weight(
                name="trainable_embeddings",
                shape=(len(rows), self.output_dim),
                initializer=self.embeddings_initializer,
                trainable=True,
            )
            self.trainable_embeddings.assign(ops.take(self.embeddings, rows, axis=0))
            # Row id -> its slot in `trainable_embeddings`, -1 for frozen rows.
            slots = np.full((self.input_dim,), -1, "int32")
            slots[rows] = np.arange(len(rows), dtype="int32")
            # A NumPy constant, so a build inside a traced function leaks nothing.
            self._row_slots = slots
        self.built = True

    def call(self, inputs):
        ids = inputs if "int" in str(inputs.dtype) else ops.cast(inputs, "int32")
        outputs = ops.take(self.embeddings, ids, axis=0)
        if self._partial:
            # Trainable rows read from their own copy; gradients reach only it.
            slots = ops.take(self._row_slots, ids, axis=0)
            trained = ops.take(self.trainable_embeddings, ops.maximum(slots, 0), axis=0)
            outputs = ops.where(ops.expand_dims(slots >= 0, -1), trained, outputs)
        if self.mask_zero:
            # Padding embeds as zeros, so row 0 gets no gradient in any mode.
            keep = ops.cast(ops.not_equal(ids, 0), outputs.dtype)
            outputs = outputs * ops.expand_dims(keep, -1)
        if outputs.dtype != self.compute_dtype:
            outputs = ops.cast(outputs, self.compute_dtype)
        return outputs

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(
            self.compute_output_shape(inputs.shape), dtype=self.compute_dtype
        )

    def get_embedding_matrix(self):
        """The current full matrix `(input_dim, output_dim)`, trained rows merged."""
        if not self.built:
            self.build()
        matrix = ops.convert_to_tensor(self.embeddings)
        if self._partial:
            rows = np.asarray(self.trainable_rows, "int32")[:, None]
            matrix = ops.scatter_update(matrix, rows, self.trainable_embeddings)
        return matrix

    def set_embedding_matrix(self, matrix):
        """Assigns a full matrix `(input_dim, output_dim)` (trainable rows too)."""
        if not self.built:
            self.build()
        matrix = np.asarray(keras.ops.convert_to_numpy(matrix), "float32")
        if matrix.shape != (self.input_dim, self.output_dim):
            raise ValueError(
                f"The matrix must have shape ({self.input_dim}, {self.output_dim}), "
                f"received: matrix.shape={matrix.shape}"
            )
        self.embeddings.assign(matrix)
        if self._partial:
            self.trainable_embeddings.assign(matrix[list(self.trainable_rows)])

    def get_config(self):
        config = {
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "trainable_rows": list(self.trainable_rows),
            "trainability": self.trainability,
            "mask_zero": self.mask_zero,
            "embeddings_initializer": keras.initializers.serialize(
                self.embeddings_initializer
            ),
        }
        return {**super().get_config(), **config}


def _check_rows(rows, input_dim):
    """The rows as a sorted tuple of unique ints in [0, input_dim), else raises."""
    if rows is None:
        return ()
    rows = np.asarray(keras.ops.convert_to_numpy(rows)).reshape(-1).tolist()
    for row in rows:
        if (
            isinstance(row, bool)
            or not isinstance(row, numbers.Integral)
            or not 0 <= row < input_dim
        ):
            raise ValueError(
                f"`trainable_rows` must hold row ids in [0, {input_dim}), "
                f"received: trainable_rows containing {row!r}"
            )
    if len(set(rows)) != len(rows):
        raise ValueError(
            "`trainable_rows` must not repeat a row, received: trainable_rows="
            f"{sorted(rows)[:10]}{'...' if len(rows) > 10 else ''}"
        )
    return tuple(sorted(int(row) for row in rows))
