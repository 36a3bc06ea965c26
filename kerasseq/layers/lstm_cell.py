"""LSTMCell: long short-term memory, with optional peepholes and layer norm."""

import keras
import tensorflow as tf
from keras import ops

from kerasseq.layers.recurrent_cell import RecurrentCell


@keras.saving.register_keras_serializable(package="kerasseq")
class LSTMCell(RecurrentCell):
    """Cell class for the long short-term memory (LSTM): one timestep.

    With input gate `i`, forget gate `f`, candidate `g`, output gate `o` and
    cell state `c` (`σ` is `recurrent_activation`, `act` is `activation`):

    - `i = σ(W_i x + U_i h_{t-1} + b_i)`, `f = σ(W_f x + U_f h_{t-1} + b_f)`
    - `g = act(W_g x + U_g h_{t-1} + b_g)`
    - `c_t = f * c_{t-1} + i * g`
    - `o = σ(W_o x + U_o h_{t-1} + b_o)`, `h_t = o * act(c_t)`

    With `use_peepholes=True` (Gers & Schmidhuber 2000) the gates also see the
    cell state through diagonal weights `p`: `p_i * c_{t-1}` and `p_f * c_{t-1}`
    are added to the input and forget gates, `p_o * c_t` to the output gate.
    With `use_layer_norm=True` (Ba et al. 2016) the input projection `W x` and
    the recurrent projection `U h_{t-1}` are each layer-normalised (over all
    four gates) before they are summed, and `c_t` is normalised before the
    output activation: `h_t = o * act(LN(c_t))`; the state `c_t` itself is kept
    unnormalised.

    Weights have the names, shapes and gate order (`i`, `f`, `g`, `o`) of
    `keras.layers.LSTMCell`: `kernel` `(input_dim, 4 * units)`,
    `recurrent_kernel` `(units, 4 * units)`, `bias` `(4 * units,)`; then, when
    asked for, `peephole_kernel` `(3, units)` (rows `i`, `f`, `o`) and the
    layer-norm scales and offsets `input_gamma`, `input_beta`,
    `recurrent_gamma`, `recurrent_beta` `(4 * units,)`, `cell_gamma`,
    `cell_beta` `(units,)`.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation of the candidate and of the output. Default
            `"tanh"`.
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        unit_forget_bias: Boolean (default `True`). Initialise the forget-gate
            bias to 1 (Jozefowicz et al. 2015), the other biases with
            `bias_initializer`.
        use_peepholes: Boolean (default `False`), add peephole connections.
        use_layer_norm: Boolean (default `False`), add layer normalisation.
        layer_norm_epsilon: Float (default `1e-3`), added to the variance in
            layer normalisation.
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        kernel_regularizer, recurrent_regularizer, bias_regularizer,
        kernel_constraint, recurrent_constraint, bias_constraint, dropout,
        recurrent_dropout, seed: see `kerasseq.layers.RecurrentCell`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: A 2D tensor `(batch, features)`.
        states: A list `[h, c]` of two 2D tensors `(batch, units)`.
        training: Python boolean, whether dropout is applied.

    Returns:
        `(h, [h, c])`, each of shape `(batch, units)`.

    Masking: a cell sees one timestep; masking is done by the sequence layer
    (`kerasseq.layers.Recurrent` or `keras.layers.RNN`).

    Example:

    >>> cell = LSTMCell(4, use_peepholes=True)
    >>> layer = kerasseq.layers.Recurrent(cell, return_state=True)
    >>> output, h, c = layer(np.ones((2, 3, 5), "float32"))
    >>> output.shape, c.shape
    (TensorShape([2, 4]), TensorShape([2, 4]))

    Reference:
        - [Hochreiter & Schmidhuber, 1997](https://doi.org/10.1162/neco.1997.9.8.1735)
        - [Gers & Schmidhuber, 2000](https://doi.org/10.1109/IJCNN.2000.861302)
        - [Ba et al., 2016](https://arxiv.org/abs/1607.06450)
    """

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        unit_forget_bias=True,
        use_peepholes=False,
        use_layer_norm=False,
        layer_norm_epsilon=1e-3,
        **kwargs,
    ):
        if not layer_norm_epsilon > 0:
            raise ValueError(
                "`layer_norm_epsilon` must be a positive float, received: "
                f"layer_norm_epsilon={layer_norm_epsilon!r}"
            )
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.use_peepholes = use_peepholes
        self.use_layer_norm = use_layer_norm
        self.layer_norm_epsilon = layer_norm_epsilon

    @property
    def state_size(self):
        return [self.units, self.units]

    def build(self, input_shape):
        bias_initializer = None
        if self.unit_forget_bias:

            def bias_initializer(_, *args, **kwargs):
                return ops.concatenate(
                    [
                        self.bias_initializer((self.units,), *args, **kwargs),
                        ops.ones((self.units,)),
                        self.bias_initializer((self.units * 2,), *args, **kwargs),
                    ]
                )

        self.add_gate_weights(
            input_shape[-1], 4 * self.units, (4 * self.units,), bias_initializer
        )
        if self.use_peepholes:
            self.peephole_kernel = self.add_weight(
                shape=(3, self.units), name="peephole_kernel", initializer="zeros"
            )
        if self.use_layer_norm:
            for prefix, size in (
                ("input", 4 * self.units),
                ("recurrent", 4 * self.units),
                ("cell", self.units),
            ):
                gamma = self.add_weight(
                    shape=(size,), name=f"{prefix}_gamma", initializer="ones"
                )
                beta = self.add_weight(
                    shape=(size,), name=f"{prefix}_beta", initializer="zeros"
                )
                setattr(self, f"{prefix}_gamma", gamma)
                setattr(self, f"{prefix}_beta", beta)

    def project_inputs(self, inputs):
        projected = ops.matmul(inputs, self.kernel)
        if self.use_layer_norm:
            projected = self._layer_norm(projected, self.input_gamma, self.input_beta)
        if self.use_bias:
            projected = projected + self.bias
        return projected

    @property
    def supports_fused_gradient(self):
        return (
            not self.use_peepholes
            and not self.use_layer_norm
            and self.activation is keras.activations.tanh
            and self.recurrent_activation is keras.activations.sigmoid
        )

    @property
    def gradient_is_shared(self):
        return True

    def gates(self, projected_inputs, recurrent, states):
        c_tm1 = states[1]
        if self.use_layer_norm:
            recurrent = self._layer_norm(
                recurrent, self.recurrent_gamma, self.recurrent_beta
            )
        # equal-size splits are one op; split points would cost several per step
        z_i, z_f, z_g, z_o = ops.split(projected_inputs + recurrent, 4, axis=-1)
        if self.use_peepholes:
            # the input and forget gates look at the previous cell state
            z_i = z_i + self.peephole_kernel[0] * c_tm1
            z_f = z_f + self.peephole_kernel[1] * c_tm1
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        g = self.activation(z_g)
        # new cell state: forget part of the old one, write the candidate
        c = f * c_tm1 + i * g
        if self.use_peepholes:
            # the output gate looks at the new cell state
            z_o = z_o + self.peephole_kernel[2] * c
        o = self.recurrent_activation(z_o)
        c_out = c
        if self.use_layer_norm:
            c_out = self._layer_norm(c, self.cell_gamma, self.cell_beta)
        activated_c = self.activation(c_out)
        h = o * activated_c
        return [h, c], [i, f, g, o, activated_c, c_tm1]

    def gates_gradient(self, cache, h_tm1, d_new_states):
        # the plain form (no peepholes, no layer norm), tanh and sigmoid
        i, f, g, o, tanh_c, c_tm1 = cache
        d_h, d_c = d_new_states
        # h = o tanh(c), c = f c_tm1 + i g
        d_c = d_c + tf.raw_ops.TanhGrad(y=tanh_c, dy=d_h * o)
        d_z = ops.concatenate(
            [
                tf.raw_ops.SigmoidGrad(y=i, dy=d_c * g),
                tf.raw_ops.SigmoidGrad(y=f, dy=d_c * c_tm1),
                tf.raw_ops.TanhGrad(y=g, dy=d_c * i),
                tf.raw_ops.SigmoidGrad(y=o, dy=d_h * tanh_c),
            ],
            axis=-1,
        )
        return d_z, d_z, [None, d_c * f]

    def _layer_norm(self, x, gamma, beta):
        mean, variance = ops.moments(x, axes=[-1], keepdims=True)
        return (x - mean) * ops.rsqrt(variance + self.layer_norm_epsilon) * gamma + beta

    def get_config(self):
        config = {
            "recurrent_activation": keras.activations.serialize(
                self.recurrent_activation
            ),
            "unit_forget_bias": self.unit_forget_bias,
            "use_peepholes": self.use_peepholes,
            "use_layer_norm": self.use_layer_norm,
            "layer_norm_epsilon": self.layer_norm_epsilon,
        }
        return {**super().get_config(), **config}
