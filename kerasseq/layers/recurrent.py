"""Recurrent: the sequence layer that runs a kerasseq cell over time, fast."""

import inspect

import keras
import tensorflow as tf
from keras import ops

from kerasseq.layers.fused_loop import apply_mask
from kerasseq.layers.fused_loop import fused_loop
from kerasseq.layers.recurrent_cell import RecurrentCell


@keras.saving.register_keras_serializable(package="kerasseq")
class Recurrent(keras.layers.RNN):
    """Runs a recurrent cell over the time axis of a sequence.

    A drop-in `keras.layers.RNN` (same arguments, same outputs, works inside
    `keras.layers.Bidirectional`) with faster loops for kerasseq cells
    (subclasses of `kerasseq.layers.RecurrentCell`):

    - in training (`training=True`, as `fit` passes it) a cell that offers a
      hand-written gradient (`supports_fused_gradient`: LSTM without peepholes
      or layer norm, GRU with `reset_after=True`, SimpleRNN with tanh) has its
      input projections computed for all timesteps with one matmul, and runs a
      loop whose backward pass does one matmul per step, the recurrent-kernel
      gradient being one matmul over all timesteps (see `fused_loop.py`);
    - otherwise (inference, other cells) a `tf.while_loop` reads each input from
      a `TensorArray` and runs `cell.step(cell.project_inputs(x_t))`, which lets
      the input matmul of later steps overlap the recurrent chain;
    - dropout masks are drawn once per sequence (variational dropout).

    Both paths compute the same function; the benchmark in
    `benchmarks/recurrent.py` is what chose them. Other Keras cells run through
    the generic `keras.layers.RNN` loop.

    Args:
        cell: A kerasseq cell (`GRUCell`, `LSTMCell`, `SimpleRNNCell`) or any
            Keras RNN cell.
        return_sequences: Boolean (default `False`). Return the full sequence of
            outputs, or only the last one.
        return_state: Boolean (default `False`). Also return the final states.
        go_backwards: Boolean (default `False`). Process the sequence backwards
            and return the outputs in reversed order, as `keras.layers.RNN`.
        stateful: Boolean (default `False`). Keep the last states of a batch as
            the initial states of the next one.
        unroll: Boolean (default `False`). Unroll the loop in Python: faster
            for short sequences, more memory; needs a static time dimension.
        zero_output_for_mask: Boolean (default `False`). Output zeros at masked
            timesteps instead of repeating the last unmasked output.
            `keras.layers.Bidirectional` sets it to `return_sequences`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        sequences: A 3D tensor `(batch, timesteps, features)`.
        initial_state: Optional list of initial state tensors, one per state of
            the cell (`[h]` for GRU and SimpleRNN, `[h, c]` for LSTM), each
            `(batch, units)`. Zeros when absent.
        mask: Optional boolean tensor `(batch, timesteps)`; `False` marks a
            padded timestep.
        training: Python boolean, whether dropout is applied.

    Returns:
        The outputs `(batch, timesteps, units)` with `return_sequences`, else
        the last output `(batch, units)`; with `return_state`, a list of the
        output followed by the final states.

    Masking: exactly as `keras.layers.RNN`. At a masked timestep the states are
    not updated (they keep their previous values), and the output repeats the
    previous timestep's output (zeros before the first unmasked step), or is
    zero when `zero_output_for_mask=True`. So with right padding, the last
    output and the final states are those of the last real token, and
    `padded + mask` gives the same results as the unpadded sequence. The mask
    from `keras.layers.Embedding(mask_zero=True)` is picked up automatically.

    Example:

    >>> layer = Recurrent(kerasseq.layers.LSTMCell(8), return_sequences=True)
    >>> layer(np.ones((4, 10, 16), "float32")).shape
    TensorShape([4, 10, 8])
    """

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not isinstance(self.cell, RecurrentCell):
            return super().inner_loop(sequences, initial_state, mask, training)
        cell = self.cell
        states = [
            ops.cast(s, cell.compute_dtype) for s in tf.nest.flatten(initial_state)
        ]
        input_mask, recurrent_mask = cell.dropout_masks(
            sequences[:, 0, :], states[0], training
        )
        if input_mask is not None:
            sequences = sequences * ops.expand_dims(input_mask, 1)

        inputs = ops.transpose(sequences, [1, 0, 2])  # time-major
        if mask is not None:
            mask = ops.expand_dims(ops.transpose(ops.cast(mask, "bool")), -1)
        if self.go_backwards:
            inputs = ops.flip(inputs, axis=0)
            mask = None if mask is None else ops.flip(mask, axis=0)

        if cell.supports_fused_gradient and training is True and not self.unroll:
            # Training (`fit` passes training=True): the input projections of
            # all timesteps in one matmul, then the loop with the hand-written
            # gradient. Only here: a SavedModel cannot hold that gradient, and
            # serving graphs are traced with training False or None.
            last_output, outputs, states = fused_loop(
                cell,
                cell.project_inputs(inputs),
                mask,
                states,
                recurrent_mask,
                return_sequences=self.return_sequences,
                zero_output_for_mask=self.zero_output_for_mask,
            )
        else:
            # Inference (and cells without a fused gradient): each step projects
            # its own input, which overlaps with the recurrent chain of the
            # previous steps on a multi-core CPU; plain autodiff.
            run = self._unrolled_loop if self.unroll else self._while_loop
            last_output, outputs, states = run(inputs, mask, states, recurrent_mask)
        if outputs is not None:
            # TensorArray.stack() forgets the static time dimension
            outputs.set_shape([inputs.shape[0]] + outputs.shape[1:])
            outputs = ops.transpose(outputs, [1, 0, 2])
        else:
            outputs = ops.expand_dims(last_output, 1)
        return last_output, outputs, states

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)  # keras.layers.RNN.from_config pops the cell
        cell = keras.saving.deserialize_keras_object(
            config.pop("cell"), custom_objects=custom_objects
        )
        return cls(cell, **config)

    def _masked_step(self, inputs_t, mask_t, prev_output, states, recurrent_mask):
        cell = self.cell
        output, new_states = cell.step(
            cell.project_inputs(inputs_t), states, recurrent_mask
        )
        if mask_t is not None:
            output, new_states = apply_mask(
                mask_t,
                output,
                new_states,
                prev_output,
                states,
                self.zero_output_for_mask,
            )
        return output, new_states

    def _initial_output(self, inputs, states):
        return ops.zeros(
            (ops.shape(inputs)[1], self.cell.output_size), dtype=states[0].dtype
        )

    def _unrolled_loop(self, inputs, mask, states, recurrent_mask):
        output = self._initial_output(inputs, states)
        outputs = []
        for t in range(inputs.shape[0]):
            mask_t = None if mask is None else mask[t]
            output, states = self._masked_step(
                inputs[t], mask_t, output, states, recurrent_mask
            )
            outputs.append(output)
        stacked = ops.stack(outputs) if self.return_sequences else None
        return output, stacked, states

    def _while_loop(self, inputs, mask, states, recurrent_mask):
        time_steps = tf.shape(inputs)[0]
        # Per-step reads go through TensorArrays: slicing `inputs[t]` inside a
        # while loop makes its gradient an order of magnitude slower.
        inputs_ta = tf.TensorArray(inputs.dtype, size=time_steps).unstack(inputs)
        mask_ta = None
        if mask is not None:
            mask_ta = tf.TensorArray(tf.bool, size=time_steps).unstack(mask)
        # Every loop variable costs control-flow ops at every step, so the loop
        # carries only what it needs: the output separately only under a mask
        # (elsewhere it is the first state), the outputs only if returned.
        carried = {"states": states}
        if mask is not None:
            carried["output"] = self._initial_output(inputs, states)
        if self.return_sequences:
            carried["outputs"] = tf.TensorArray(states[0].dtype, size=time_steps)

        def body(t, carried):
            mask_t = None if mask_ta is None else mask_ta.read(t)
            output, states = self._masked_step(
                inputs_ta.read(t),
                mask_t,
                carried.get("output"),
                carried["states"],
                recurrent_mask,
            )
            carried = {**carried, "states": states}
            if mask is not None:
                carried["output"] = output
            if self.return_sequences:
                carried["outputs"] = carried["outputs"].write(t, output)
            return t + 1, carried

        _, carried = tf.while_loop(
            lambda t, _: t < time_steps,
            body,
            (tf.constant(0), carried),
            maximum_iterations=time_steps,
        )
        states = carried["states"]
        last_output = carried["output"] if mask is not None else states[0]
        outputs = carried["outputs"].stack() if self.return_sequences else None
        return last_output, outputs, states


class _CellOwningRecurrent(Recurrent):
    """A `Recurrent` that builds its own cell from flat arguments.

    The base of `GRU`, `LSTM` and `SimpleRNN`: their configs hold the cell's
    arguments flat beside the layer's (as `keras.layers.GRU` does), not a
    nested cell. Every cell argument stays readable as `layer.cell.<name>`.
    """

    def __init__(self, cell_class, cell_kwargs, **kwargs):
        # Keyword arguments the cell understands go to the cell, the rest to
        # the layer; dtype and trainability are shared.
        cell_keys = set(inspect.signature(RecurrentCell.__init__).parameters)
        cell_keys |= set(inspect.signature(cell_class.__init__).parameters)
        cell_keys -= {"self", "kwargs"}
        for key in list(kwargs):
            if key in cell_keys:
                cell_kwargs[key] = kwargs.pop(key)
        cell = cell_class(
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name=f"{cell_class.__name__.lower()}",
            **cell_kwargs,
        )
        super().__init__(cell, **kwargs)

    @property
    def units(self):
        return self.cell.units

    @property
    def dropout(self):
        return self.cell.dropout

    @property
    def recurrent_dropout(self):
        return self.cell.recurrent_dropout

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        return {**cell_config, **config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
