"""SimpleRNN: the vanilla recurrent network over a whole sequence."""

import keras

from kerasseq.layers.recurrent import _CellOwningRecurrent
from kerasseq.layers.simple_rnn_cell import SimpleRNNCell


@keras.saving.register_keras_serializable(package="kerasseq")
class SimpleRNN(_CellOwningRecurrent):
    """Vanilla RNN layer: `Recurrent(SimpleRNNCell(...))` in one class.

    The drop-in twin of `keras.layers.SimpleRNN`: same arguments, same weights
    in the same order, same outputs, run by the `kerasseq.layers.Recurrent`
    loop. Computes `h_t = activation(W x_t + U h_{t-1} + b)`.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Default `"tanh"`.
        return_sequences, return_state, go_backwards, stateful, unroll,
        zero_output_for_mask: see `kerasseq.layers.Recurrent`.
        **kwargs: The other `SimpleRNNCell` arguments (`use_bias`,
            initializers, regularizers, constraints, `dropout`,
            `recurrent_dropout`, `seed`) and the base layer arguments.

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

    >>> rnn = SimpleRNN(8)
    >>> rnn(np.ones((4, 10, 16), "float32")).shape
    TensorShape([4, 8])

    Reference:
        - [Elman, 1990](https://doi.org/10.1207/s15516709cog1402_1)
    """

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(
            SimpleRNNCell, {"units": units, "activation": activation}, **kwargs
        )
