"""GRUCell: the gated recurrent unit, in both the Cho 2014 and the cuDNN form."""

import keras
import tensorflow as tf
from keras import ops

from kerasseq.layers.recurrent_cell import RecurrentCell


@keras.saving.register_keras_serializable(package="kerasseq")
class GRUCell(RecurrentCell):
    """Cell class for the gated recurrent unit (GRU): one timestep.

    With update gate `z`, reset gate `r` and candidate state `h~`:

    - `z = recurrent_activation(W_z x + U_z h_{t-1} + b_z)`
    - `r = recurrent_activation(W_r x + U_r h_{t-1} + b_r)`
    - `reset_after=True` (default; the form of Keras and cuDNN):
      `h~ = activation(W_h x + b_h + r * (U_h h_{t-1} + b'_h))`
    - `reset_after=False` (Cho et al. 2014): the reset gate multiplies the
      previous state before the matmul,
      `h~ = activation(W_h x + U_h (r * h_{t-1}) + b_h)`
    - `h_t = z * h_{t-1} + (1 - z) * h~`

    Weights have the names, shapes and gate order (`z`, `r`, `h`) of
    `keras.layers.GRUCell`: `kernel` `(input_dim, 3 * units)`,
    `recurrent_kernel` `(units, 3 * units)`, `bias` `(2, 3 * units)` with
    `reset_after` (input and recurrent biases) or `(3 * units,)` without.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation of the candidate state. Default `"tanh"`.
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        reset_after: Boolean (default `True`), apply the reset gate after the
            recurrent matmul (Keras/cuDNN form) or before it (Cho et al. 2014).
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint, dropout,
        recurrent_dropout, seed: see `kerasseq.layers.RecurrentCell`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A 2D tensor `(batch, features)`.
        states: A list with one 2D tensor `(batch, units)`, the previous state.
        training: Python boolean, whether dropout is applied.

    Returns:
        `(h, [h])` with `h` of shape `(batch, units)`.

    Masking: a cell sees one timestep; masking is done by the sequence layer
    (`kerasseq.layers.Recurrent` or `keras.layers.RNN`).

    Example:

    >>> layer = kerasseq.layers.Recurrent(GRUCell(4), return_state=True)
    >>> output, state = layer(np.ones((2, 3, 5), "float32"))
    >>> output.shape, state.shape
    (TensorShape([2, 4]), TensorShape([2, 4]))

    Reference:
        - [Cho et al., 2014](https://arxiv.org/abs/1406.1078)
        - [Chung et al., 2014](https://arxiv.org/abs/1412.3555)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        reset_after=True,
        **kwargs,
    ):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.reset_after = reset_after

    @property
    def state_size(self):
        return self.units

    def build(self, input_shape):
        bias_shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self.add_gate_weights(input_shape[-1], 3 * self.units, bias_shape)

    def project_inputs(self, inputs):
        projected = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            # the input bias; with reset_after the recurrent bias stays in `step`
            projected = projected + (self.bias[0] if self.reset_after else self.bias)
        return projected

    @property
    def supports_fused_gradient(self):
        return (
            self.reset_after
            and self.activation is keras.activations.tanh
            and self.recurrent_activation is keras.activations.sigmoid
        )

    def recurrent_bias(self):
        return self.bias[1] if self.use_bias and self.reset_after else None

    def step(self, projected_inputs, states, recurrent_mask=None):
        if self.reset_after:
            # previous state projected by all gate matrices at once, then gates
            return super().step(projected_inputs, states, recurrent_mask)
        h_tm1 = states[0]
        h_in = h_tm1 if recurrent_mask is None else h_tm1 * recurrent_mask
        # equal-size splits are one op; split points would cost several per step
        x_z, x_r, x_h = ops.split(projected_inputs, 3, axis=-1)
        kernel_zr = self.recurrent_kernel[:, : 2 * self.units]
        kernel_h = self.recurrent_kernel[:, 2 * self.units :]
        recurrent_z, recurrent_r = ops.split(ops.matmul(h_in, kernel_zr), 2, axis=-1)
        z = self.recurrent_activation(x_z + recurrent_z)
        r = self.recurrent_activation(x_r + recurrent_r)
        # reset gate applied to the previous state before the matmul
        candidate = self.activation(x_h + ops.matmul(r * h_in, kernel_h))
        # previous and candidate state mixed by the update gate
        h = candidate + z * (h_tm1 - candidate)
        return h, [h]

    def gates(self, projected_inputs, recurrent, states):
        # the reset_after form; `recurrent` already holds the recurrent bias
        h_tm1 = states[0]
        x_z, x_r, x_h = ops.split(projected_inputs, 3, axis=-1)
        recurrent_z, recurrent_r, recurrent_h = ops.split(recurrent, 3, axis=-1)
        z = self.recurrent_activation(x_z + recurrent_z)
        r = self.recurrent_activation(x_r + recurrent_r)
        # reset gate applied after the matmul
        candidate = self.activation(x_h + r * recurrent_h)
        # previous and candidate state mixed by the update gate
        h = candidate + z * (h_tm1 - candidate)
        return [h], [z, r, candidate, recurrent_h]

    def gates_gradient(self, cache, h_tm1, d_new_states):
        z, r, candidate, recurrent_h = cache
        d_h = d_new_states[0]
        # h = candidate + z (h_tm1 - candidate)
        d_pre_h = tf.raw_ops.TanhGrad(y=candidate, dy=d_h - d_h * z)
        d_pre_z = tf.raw_ops.SigmoidGrad(y=z, dy=d_h * (h_tm1 - candidate))
        d_pre_r = tf.raw_ops.SigmoidGrad(y=r, dy=d_pre_h * recurrent_h)
        d_projected = ops.concatenate([d_pre_z, d_pre_r, d_pre_h], axis=-1)
        d_recurrent = ops.concatenate([d_pre_z, d_pre_r, d_pre_h * r], axis=-1)
        return d_projected, d_recurrent, [d_h * z]

    def get_config(self):
        config = {
            "recurrent_activation": keras.activations.serialize(
                self.recurrent_activation
            ),
            "reset_after": self.reset_after,
        }
        return {**super().get_config(), **config}
