"""The base class of kerasseq's recurrent cells and the contract they share."""

import keras
from keras import ops

from kerasseq import validation


@keras.saving.register_keras_serializable(package="kerasseq")
class RecurrentCell(keras.layers.Layer):
    """Base class of the kerasseq cells: one timestep, split in two halves.

    A cell holds the weights and the math of one timestep. It works inside
    `keras.layers.RNN` like any Keras cell (`call(inputs, states, training)`
    returns `(output, new_states)`), and it also exposes the two halves of its
    step, which `kerasseq.layers.Recurrent` uses to run a whole sequence fast:

    - `project_inputs(inputs)`: everything in the gate pre-activations that does
      not depend on the previous state (the input matmul and the biases that
      can be added before the loop). It works on `(batch, features)` and on
      `(batch, time, features)`, so a sequence layer can project all timesteps
      with one matmul.
    - `step(projected_inputs, states, recurrent_mask=None)`: the rest, one
      timestep: the recurrent matmul and the gates.

    `call(inputs, states)` is exactly `step(project_inputs(inputs), states)`, so
    both paths share one implementation of the equations.

    Subclasses set the weights in `build` and implement `project_inputs`,
    `state_size` and `output_size`, and either `gates` (the default `step`
    uses it) or `step` itself. The output of a step is always its
    first new state (`h`), which lets the sequence loops carry one tensor less.

    A cell whose step is "recurrent matmul, then elementwise gates" can also
    offer the hand-written gradient that `Recurrent` uses for training
    (`supports_fused_gradient`). The default `step` (through `gated_step`)
    computes `recurrent = h_{t-1} @ recurrent_kernel (+ recurrent_bias())` and
    hands over to two methods, which hold the cell's equations once:

    - `gates(projected_inputs, recurrent, states)` returns
      `(new_states, cache)`: the new states (the output is `new_states[0]`) and
      a list of `(batch, units)` tensors the gradient needs, including any
      previous state other than `h_{t-1}`;
    - `gates_gradient(cache, h_tm1, d_new_states)` returns
      `(d_projected_inputs, d_recurrent, d_states)`: the gradients of the step's
      inputs given those of its new states, `d_states` holding only the direct
      paths from old to new states (an entry may be `None`); the path through
      the recurrent matmul is added by `Recurrent`.
    - `gradient_is_shared` is true when `d_projected_inputs is d_recurrent`
      always (inputs and recurrent projections summed before any gate).

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation of the candidate state and output. Default:
            `"tanh"`. `None` means linear.
        use_bias: Boolean (default `True`), whether the cell uses a bias.
        kernel_initializer: Initializer of the input `kernel`. Default:
            `"glorot_uniform"`.
        recurrent_initializer: Initializer of the `recurrent_kernel`. Default:
            `"orthogonal"`.
        bias_initializer: Initializer of the `bias`. Default: `"zeros"`.
        kernel_regularizer: Regularizer of the `kernel`. Default: `None`.
        recurrent_regularizer: Regularizer of the `recurrent_kernel`.
            Default: `None`.
        bias_regularizer: Regularizer of the `bias`. Default: `None`.
        kernel_constraint: Constraint on the `kernel`. Default: `None`.
        recurrent_constraint: Constraint on the `recurrent_kernel`.
            Default: `None`.
        bias_constraint: Constraint on the `bias`. Default: `None`.
        dropout: Float in [0, 1). Fraction of the input units to drop.
        recurrent_dropout: Float in [0, 1). Fraction of the previous state
            to drop before the recurrent matmul.
        seed: Random seed for dropout.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Dropout: `kerasseq.layers.Recurrent` draws one input mask and one recurrent
    mask per sequence and reuses them at every timestep (variational dropout,
    Gal & Ghahramani 2016), as Keras's own layers do. `keras.layers.RNN`
    prepares such per-sequence masks only for Keras's built-in cells, so when a
    kerasseq cell runs inside `keras.layers.RNN` it draws fresh masks at every
    timestep instead.
    """

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        units = validation.check_positive_int("units", units)
        dropout = validation.check_rate("dropout", dropout)
        recurrent_dropout = validation.check_rate(
            "recurrent_dropout", recurrent_dropout
        )
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(recurrent_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)

    @property
    def state_size(self):
        raise NotImplementedError

    @property
    def output_size(self):
        return self.units

    def add_gate_weights(
        self, input_dim, gate_units, bias_shape, bias_initializer=None
    ):
        """Creates `kernel`, `recurrent_kernel` and (if `use_bias`) `bias`.

        Names and shapes are those of Keras's cells, so weights can be copied
        between a kerasseq cell and its Keras twin with `set_weights`.
        """
        self.kernel = self.add_weight(
            shape=(input_dim, gate_units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, gate_units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=bias_shape,
                name="bias",
                initializer=bias_initializer or self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    @property
    def supports_fused_gradient(self):
        """Whether `gates` and `gates_gradient` cover this configuration."""
        return False

    @property
    def gradient_is_shared(self):
        """Whether `gates_gradient` always returns `d_projected is d_recurrent`."""
        return False

    def project_inputs(self, inputs):
        raise NotImplementedError

    def step(self, projected_inputs, states, recurrent_mask=None):
        # the default for cells built on `gates`; others override it
        new_states, _ = self.gated_step(
            projected_inputs,
            states,
            recurrent_mask,
            self.recurrent_kernel,
            self.recurrent_bias(),
        )
        return new_states[0], new_states

    def gated_step(self, projected_inputs, states, recurrent_mask, kernel, bias):
        """One step through `gates`: `(new_states, cache)`.

        Computes `recurrent = (h_{t-1} * recurrent_mask) @ kernel (+ bias)` and
        hands over to `gates`. `step` calls it with the cell's weights, the
        fused loop of `Recurrent` with the same weights as plain tensors.
        """
        h_in = states[0] if recurrent_mask is None else states[0] * recurrent_mask
        recurrent = ops.matmul(h_in, kernel)
        if bias is not None:
            recurrent = recurrent + bias
        return self.gates(projected_inputs, recurrent, states)

    def recurrent_bias(self):
        """The bias added after the recurrent matmul inside the loop, or `None`."""
        return None

    def gates(self, projected_inputs, recurrent, states):
        raise NotImplementedError

    def gates_gradient(self, cache, h_tm1, d_new_states):
        raise NotImplementedError

    def call(self, inputs, states, training=False):
        input_mask, recurrent_mask = self.dropout_masks(
            inputs, _first_state(states), training
        )
        if input_mask is not None:
            inputs = inputs * input_mask
        output, new_states = self.step(
            self.project_inputs(inputs), _as_list(states), recurrent_mask
        )
        if not isinstance(states, (list, tuple)):
            new_states = new_states[0]
        return output, new_states

    def dropout_masks(self, step_inputs, state, training):
        """Draws `(input_mask, recurrent_mask)`; `None` where there is none.

        Args:
            step_inputs: A `(batch, features)` tensor shaped like one timestep.
            state: A `(batch, units)` tensor shaped like the hidden state.
            training: Python or tensor boolean; no masks unless training.

        Returns:
            The two masks, each holding 0 or `1 / (1 - rate)` per unit.
        """
        if not training:
            return None, None
        input_mask = recurrent_mask = None
        if self.dropout > 0:
            input_mask = keras.random.dropout(
                ops.ones_like(step_inputs), self.dropout, seed=self.seed_generator
            )
        if self.recurrent_dropout > 0:
            recurrent_mask = keras.random.dropout(
                ops.ones_like(state), self.recurrent_dropout, seed=self.seed_generator
            )
        return input_mask, recurrent_mask

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size
        sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]
        return [
            ops.zeros((batch_size, size), dtype=self.compute_dtype) for size in sizes
        ]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": keras.initializers.serialize(
                self.recurrent_initializer
            ),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": keras.regularizers.serialize(
                self.recurrent_regularizer
            ),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": keras.constraints.serialize(
                self.recurrent_constraint
            ),
            "bias_constraint": keras.constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


def _as_list(states):
    return list(states) if isinstance(states, (list, tuple)) else [states]


def _first_state(states):
    return states[0] if isinstance(states, (list, tuple)) else states
