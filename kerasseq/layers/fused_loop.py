"""The time loop of `Recurrent` with a hand-written gradient (TensorFlow only).

Autodiff of a `tf.while_loop` saves every intermediate of every step on stacks
and runs four matmuls per step backwards. Here the forward loop saves only what
the cell's `gates_gradient` needs, and the backward loop runs one matmul per
step (`d_recurrent @ U^T`); the gradient of the recurrent kernel is one large
matmul over all timesteps after the loop, as cuDNN does. Cells opt in through
`RecurrentCell.supports_fused_gradient`. TensorFlow ops are used directly here
(`tf.custom_gradient`, `TensorArray`, the fused `SigmoidGrad`/`TanhGrad` in the
cells' `gates_gradient`): there is no backend-neutral way to write this loop.

Shapes: `projected` is time-major `(time, batch, gate_units)`, `mask` is
`(time, batch, 1)` bool or `None`, each state is `(batch, units)`.
"""

import tensorflow as tf


def fused_loop(
    cell,
    projected,
    mask,
    states,
    recurrent_mask,
    return_sequences,
    zero_output_for_mask,
):
    """Runs `cell` over `projected`; differentiable, with the fused gradient.

    Args:
        cell: A `RecurrentCell` whose `supports_fused_gradient` is true.
        projected: `(time, batch, gate_units)`, the cell's projected inputs.
        mask: `(time, batch, 1)` bool, or `None`.
        states: List of initial states, each `(batch, units)`.
        recurrent_mask: `(batch, units)` recurrent dropout mask, or `None`.
        return_sequences: Whether to return the output of every timestep.
        zero_output_for_mask: Masked timesteps output zeros instead of
            repeating the previous output.

    Returns:
        `(last_output, outputs, final_states)`; `outputs` is time-major
        `(time, batch, units)`, or `None` without `return_sequences`.
    """
    kernel = tf.convert_to_tensor(cell.recurrent_kernel)
    bias = cell.recurrent_bias()
    bias = None if bias is None else tf.convert_to_tensor(bias)
    num_states = len(states)

    def forward(projected, states, kernel, bias):
        time_steps = tf.shape(projected)[0]

        def array():
            # read-many: the gradient reads the saved `h` twice (eager
            # TensorArrays would otherwise clear an element once read)
            return tf.TensorArray(
                projected.dtype, size=time_steps, clear_after_read=False
            )

        # Every loop variable costs control-flow ops at every step, so the loop
        # carries only what it needs: the previous states go into `cache` via
        # the cell, `h` (for the kernel gradient) into "h", the output
        # separately only under a mask (elsewhere it is the first state).
        carried = {"states": list(states), "cache": array(), "h": array()}
        if mask is not None:
            carried["output"] = tf.zeros_like(states[0])
        if return_sequences:
            carried["outputs"] = array()

        def body(t, carried):
            states = carried["states"]
            # tf.gather is one op; `x[t]` would also pack begin/end every step
            new_states, cache = cell.gated_step(
                tf.gather(projected, t), states, recurrent_mask, kernel, bias
            )
            new_output = new_states[0]
            if mask is not None:
                new_output, new_states = apply_mask(
                    tf.gather(mask, t),
                    new_output,
                    new_states,
                    carried["output"],
                    states,
                    zero_output_for_mask,
                )
            carried = {
                **carried,
                "states": new_states,
                "cache": carried["cache"].write(t, _pack(cache)),
                "h": carried["h"].write(t, states[0]),
            }
            if mask is not None:
                carried["output"] = new_output
            if return_sequences:
                carried["outputs"] = carried["outputs"].write(t, new_output)
            return t + 1, carried

        _, carried = tf.while_loop(
            lambda t, _: t < time_steps,
            body,
            (0, carried),
            maximum_iterations=time_steps,
        )
        final_states = carried["states"]
        if return_sequences:
            outputs = carried["outputs"].stack()
        else:
            outputs = carried["output"] if mask is not None else final_states[0]
        return outputs, final_states, carried["cache"], carried["h"]

    def backward(upstream, projected, states, kernel, bias, cache_ta, h_ta):
        d_outputs, d_final_states = upstream[0], list(upstream[1:])
        time_steps = tf.shape(projected)[0]
        kernel_t = tf.transpose(kernel)

        d_states = [_or_zeros(d, s) for d, s in zip(d_final_states, states)]
        d_last_output = None if return_sequences else _or_zeros(d_outputs, states[0])
        carried = {
            "d_states": d_states,
            "d_projected": tf.TensorArray(projected.dtype, size=time_steps),
        }
        if not cell.gradient_is_shared:
            carried["d_recurrent"] = tf.TensorArray(projected.dtype, size=time_steps)
        if mask is None:
            # every output is the new first state: its gradient joins d_states
            if d_last_output is not None:
                d_states[0] = d_states[0] + d_last_output
        else:
            # gradient reaching the output of the step being differentiated
            # from later steps (a masked step repeats its predecessor's output)
            carried["d_output"] = (
                tf.zeros_like(states[0]) if d_last_output is None else d_last_output
            )

        def body(t, carried):
            d_states = carried["d_states"]
            d_output = tf.gather(d_outputs, t) if return_sequences else None
            carried = dict(carried)
            if mask is None:
                d_new_states = [_add(d_states[0], d_output)] + d_states[1:]
                passed = [None] * num_states
            else:
                m = tf.gather(mask, t)
                d_output = _add(carried["d_output"], d_output)
                zeros = tf.zeros_like(d_output)
                d_new_states = [tf.where(m, d, zeros) for d in d_states]
                d_new_states[0] += tf.where(m, d_output, zeros)
                # masked: the states and the output pass through unchanged
                passed = [tf.where(m, zeros, d) for d in d_states]
                carried["d_output"] = (
                    zeros if zero_output_for_mask else tf.where(m, zeros, d_output)
                )
            d_projected, d_recurrent, direct = cell.gates_gradient(
                _unpack(cache_ta.read(t), cell.units),
                h_ta.read(t),
                d_new_states,
            )
            d_h_in = tf.matmul(d_recurrent, kernel_t)
            if recurrent_mask is not None:
                d_h_in = d_h_in * recurrent_mask
            d_previous = [d_h_in] + [None] * (num_states - 1)
            carried["d_states"] = [
                _or_zeros(_add(_add(a, b), c), like)
                for a, b, c, like in zip(d_previous, direct, passed, d_states)
            ]
            carried["d_projected"] = carried["d_projected"].write(t, d_projected)
            if not cell.gradient_is_shared:
                carried["d_recurrent"] = carried["d_recurrent"].write(t, d_recurrent)
            return t - 1, carried

        _, carried = tf.while_loop(
            lambda t, _: t >= 0,
            body,
            (time_steps - 1, carried),
            maximum_iterations=time_steps,
        )
        d_initial_states = carried["d_states"]
        d_projected = carried["d_projected"].stack()
        d_recurrent = d_projected
        if not cell.gradient_is_shared:
            d_recurrent = carried["d_recurrent"].stack()
        h_in = h_ta.stack()
        if recurrent_mask is not None:
            h_in = h_in * recurrent_mask
        # one matmul over all timesteps: sum_t h_in(t)^T d_recurrent(t)
        d_kernel = tf.matmul(
            tf.reshape(h_in, [-1, tf.shape(h_in)[-1]]),
            tf.reshape(d_recurrent, [-1, tf.shape(d_recurrent)[-1]]),
            transpose_a=True,
        )
        d_bias = None if bias is None else tf.reduce_sum(d_recurrent, axis=[0, 1])
        return d_projected, d_initial_states, d_kernel, d_bias

    @tf.custom_gradient
    def run(projected, kernel, *states_and_bias):
        states = list(states_and_bias[:num_states])
        bias = (
            states_and_bias[num_states] if len(states_and_bias) > num_states else None
        )
        outputs, final_states, cache_ta, h_ta = forward(projected, states, kernel, bias)

        def grad(*upstream):
            d_projected, d_states, d_kernel, d_bias = backward(
                upstream, projected, states, kernel, bias, cache_ta, h_ta
            )
            extra = [] if bias is None else [d_bias]
            return [d_projected, d_kernel, *d_states, *extra]

        return [outputs, *final_states], grad

    extra = [] if bias is None else [bias]
    outputs, *final_states = run(projected, kernel, *states, *extra)
    if return_sequences:
        return outputs[-1], outputs, final_states
    return outputs, None, final_states


def apply_mask(mask_t, output, new_states, prev_output, states, zero_output_for_mask):
    """A masked step keeps the states and repeats (or zeroes) the output.

    This is `keras.layers.RNN`'s rule; both loops of `Recurrent` use it.
    Returns `(output, new_states)` with the mask `(batch, 1)` applied.
    """
    new_states = [tf.where(mask_t, new, old) for new, old in zip(new_states, states)]
    fill = tf.zeros_like(output) if zero_output_for_mask else prev_output
    return tf.where(mask_t, output, fill), new_states


def _pack(cache):
    return cache[0] if len(cache) == 1 else tf.concat(cache, axis=-1)


def _unpack(packed, units):
    # every cache entry is (batch, units)
    size = packed.shape[-1] // units
    return [packed] if size == 1 else tf.split(packed, size, axis=-1)


def _add(a, b):
    if a is None:
        return b
    return a if b is None else a + b


def _or_zeros(tensor, like):
    return tf.zeros_like(like) if tensor is None else tensor
