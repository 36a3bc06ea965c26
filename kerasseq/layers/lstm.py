"""LSTM: long short-term memory over a whole sequence."""

import keras

from kerasseq.layers.lstm_cell import LSTMCell
from kerasseq.layers.recurrent import _CellOwningRecurrent


@keras.saving.register_keras_serializable(package="kerasseq")
class LSTM(_CellOwningRecurrent):
    """Long short-term memory layer: `Recurrent(LSTMCell(...))` in one class.

    The drop-in twin of `keras.layers.LSTM`: same arguments, same weights in
    the same order (`ours.set_weights(keras_lstm.get_weights())` works both
    ways), same outputs, run by the `kerasseq.layers.Recurrent` loop. See
    `kerasseq.layers.LSTMCell` for the equations and for the optional
    peephole connections and layer normalisation, which Keras lacks.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Default `"tanh"`.
        recurrent_activation: Default `"sigmoid"`.
        unit_forget_bias: Default `True`: forget-gate bias initialised to 1.
        use_peepholes: Default `False`.
        use_layer_norm: Default `False`.
        return_sequences, return_state, go_backwards, stateful, unroll,
        zero_output_for_mask: see `kerasseq.layers.Recurrent`.
        **kwargs: The other `LSTMCell` arguments (`use_bias`, initializers,
            regularizers, constraints, `dropout`, `recurrent_dropout`,
            `layer_norm_epsilon`, `seed`) and the base layer arguments.

    Call arguments:
        sequences: A 3D tensor `(batch, timesteps, features)`.
        initial_state: Optional list `[h, c]`, each `(batch, units)`.
        mask: Optional boolean tensor `(batch, timesteps)`.
        training: Python boolean, whether dropout is applied.

    Returns:
        As `kerasseq.layers.Recurrent`: `(batch, units)`, or
        `(batch, timesteps, units)` with `return_sequences`; with
        `return_state`, `[output, h, c]`.

    Masking: see `kerasseq.layers.Recurrent` (identical to `keras.layers.RNN`).

    Example:

    >>> lstm = LSTM(8, return_state=True)
    >>> output, h, c = lstm(np.ones((4, 10, 16), "float32"))
    >>> c.shape
    TensorShape([4, 8])

    Reference:
        - [Hochreiter & Schmidhuber, 1997](https://doi.org/10.1162/neco.1997.9.8.1735)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        unit_forget_bias=True,
        use_peepholes=False,
        use_layer_norm=False,
        **kwargs,
    ):
        super().__init__(
            LSTMCell,
            {
                "units": units,
                "activation": activation,
                "recurrent_activation": recurrent_activation,
                "unit_forget_bias": unit_forget_bias,
                "use_peepholes": use_peepholes,
                "use_layer_norm": use_layer_norm,
            },
            **kwargs,
        )
