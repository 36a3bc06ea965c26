"""GRU: the gated recurrent unit over a whole sequence."""

import keras

from kerasseq.layers.gru_cell import GRUCell
from kerasseq.layers.recurrent import _CellOwningRecurrent


@keras.saving.register_keras_serializable(package="kerasseq")
class GRU(_CellOwningRecurrent):
    """Gated recurrent unit layer: `Recurrent(GRUCell(...))` in one class.

    The drop-in twin of `keras.layers.GRU`: same arguments, same weights in
    the same order (`ours.set_weights(keras_gru.get_weights())` works both
    ways), same outputs, run by the `kerasseq.layers.Recurrent` loop. See
    `kerasseq.layers.GRUCell` for the equations (`reset_after=False` gives the
    Cho et al. 2014 form, which Keras lacks).

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Default `"tanh"`.
        recurrent_activation: Default `"sigmoid"`.
        reset_after: Default `True` (the Keras/cuDNN form).
        return_sequences, return_state, go_backwards, stateful, unroll,
        zero_output_for_mask: see `kerasseq.layers.Recurrent`.
        **kwargs: The other `GRUCell` arguments (`use_bias`, initializers,
            regularizers, constraints, `dropout`, `recurrent_dropout`, `seed`)
            and the base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        sequences: A 3D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[h]`, `(batch, units)`.
        mask: Optional boolean tensor `(batch, timesteps)`.
        training: Python boolean, whether dropout is applied.

    Returns:
        As `kerasseq.layers.Recurrent`: `(batch, units)`, or
        `(batch, timesteps, units)` with `return_sequences`; with
        `return_state`, `[output, h]`.

    Masking: see `kerasseq.layers.Recurrent` (identical to `keras.layers.RNN`).

    Example:

    >>> gru = GRU(8, return_sequences=True)
    >>> gru(np.ones((4, 10, 16), "float32")).shape
    TensorShape([4, 10, 8])

    Reference:
        - [Cho et al., 2014](https://arxiv.org/abs/1406.1078)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        reset_after=True,
        **kwargs,
    ):
        super().__init__(
            GRUCell,
            {
                "units": units,
                "activation": activation,
                "recurrent_activation": recurrent_activation,
                "reset_after": reset_after,
            },
            **kwargs,
        )
