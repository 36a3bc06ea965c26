"""SimpleRNNCell: the vanilla (Elman) recurrent cell."""

import keras
import tensorflow as tf
from keras import ops

from kerasseq.layers.recurrent_cell import RecurrentCell


@keras.saving.register_keras_serializable(package="kerasseq")
class SimpleRNNCell(RecurrentCell):
    """Cell class for the vanilla RNN (Elman 1990): one timestep.

    Computes `h_t = activation(W x_t + U h_{t-1} + b)`; the output is `h_t`.
    `W` is `kernel` `(input_dim, units)`, `U` is `recurrent_kernel`
    `(units, units)`, `b` is `bias` `(units,)`: the names and shapes of
    `keras.layers.SimpleRNNCell`, so weights copy across with `set_weights`.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Default `"tanh"`; `None` means linear.
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint, dropout,
        recurrent_dropout, seed: see `kerasseq.layers.RecurrentCell`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A 2D tensor `(batch, features)`.
        states: A list with one 2D tensor `(batch, units)`, the previous
            state (or that tensor alone).
        training: Python boolean, whether dropout is applied.

    Returns:
        `(h, [h])` with `h` of shape `(batch, units)`.

    Masking: a cell sees one timestep; masking is done by the sequence layer
    (`kerasseq.layers.Recurrent` or `keras.layers.RNN`).

    Example:

    >>> cell = SimpleRNNCell(4)
    >>> layer = kerasseq.layers.Recurrent(cell, return_sequences=True)
    >>> layer(np.ones((2, 3, 5), "float32")).shape
    TensorShape([2, 3, 4])

    Reference:
        - [Elman, 1990](https://doi.org/10.1207/s15516709cog1402_1)
    """

    @property
    def state_size(self):
        return self.units

    def build(self, input_shape):
        self.add_gate_weights(input_shape[-1], self.units, (self.units,))

    def project_inputs(self, inputs):
        projected = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            projected = projected + self.bias
        return projected

    @property
    def supports_fused_gradient(self):
        return self.activation is keras.activations.tanh

    @property
    def gradient_is_shared(self):
        return True

    def gates(self, projected_inputs, recurrent, states):
        h = self.activation(projected_inputs + recurrent)
        return [h], [h]

    def gates_gradient(self, cache, h_tm1, d_new_states):
        # d tanh(a) = (1 - h^2) da, one fused op
        d_pre = tf.raw_ops.TanhGrad(y=cache[0], dy=d_new_states[0])
        return d_pre, d_pre, [None]
