"""AttentionDecoder: the attentional RNN decoder (Luong style, input feeding)."""

import keras
import tensorflow as tf
from keras import ops

from kerasseq import validation
from kerasseq.layers.bahdanau_attention import BahdanauAttention
from kerasseq.layers.base_attention import masked_softmax
from kerasseq.layers.luong_attention import SCORE_MODES
from kerasseq.layers.luong_attention import LuongAttention

ATTENTIONS = ("bahdanau", "luong")
# Entries of the decoding state that no step changes.
MEMORY_KEYS = ("memory", "memory_keys", "memory_mask")


@keras.saving.register_keras_serializable(package="kerasseq")
class AttentionDecoder(keras.layers.Layer):
    """Attentional RNN decoder with input feeding, run by teacher forcing or step.

    At target position `t`, with `y_{t-1}` the embedded previous target token
    and `h~_{t-1}` the previous attentional vector (zeros at `t = 0`):

    - input feeding: the bottom cell reads `x_t = [y_{t-1}; h~_{t-1}]` (with
      `input_feeding=False`, just `y_{t-1}`);
    - a stack of `num_layers` cells turns `x_t` into the top output `h_t`;
    - attention: `h_t` scores every encoder output `s_j`, the scores go through
      a softmax over the real source positions into weights `a_tj`, and the
      context is `c_t = sum_j a_tj s_j`. The score is Bahdanau's additive
      `v^T tanh(W1 h_t + W2 s_j + b)` (`attention="bahdanau"`) or one of
      Luong's `h_t . s_j`, `h_t^T W s_j`, `v^T tanh(W [h_t; s_j])`
      (`attention="luong"`, `score_mode="dot" | "general" | "concat"`);
    - the attentional vector `h~_t = tanh(W_c [c_t; h_t])`;
    - the output: logits `W_s h~_t + b_s` when `vocabulary_size` is set,
      else `h~_t` itself (project it with your own layer).

    This is the architecture of Luong et al. (2015), the query being the
    current top state; `attention="bahdanau"` uses Bahdanau et al.'s score in
    it, as tensorflow-addons' `AttentionWrapper` and OpenNMT do. The encoder
    outputs are projected for the score once per sequence, not per step.

    `call` runs teacher forcing over a whole target sequence in one in-graph
    loop (`tf.while_loop`); `step` runs one position from an explicit state,
    for the samplers in `kerasseq.samplers`. Both run the same code, so a
    step-by-step loop reproduces `call`.

    Args:
        units: Positive integer, the units of every cell and the size of the
            attentional vector.
        cell: Name of a registered cell: `"lstm"` (default), `"gru"`,
            `"simple_rnn"`.
        num_layers: Positive integer, the number of stacked cells. Defaults
            to `1`.
        attention: `"bahdanau"` (default) or `"luong"`.
        score_mode: Luong's score, `"general"` (default), `"dot"` (needs
            encoder outputs of depth `units`) or `"concat"`. Ignored with
            `attention="bahdanau"`.
        attention_units: Positive integer or `None`, the hidden size of the
            additive scores (Bahdanau, Luong `"concat"`). `None` (default)
            means `units`.
        input_feeding: Boolean, whether the previous attentional vector is
            fed to the bottom cell with the next input. Defaults to `True`.
        vocabulary_size: Positive integer or `None`. When set, the decoder
            ends with a dense projection to logits over the target
            vocabulary (`output_projection`). Defaults to `None`.
        dropout: Float in `[0, 1)`, the cells' input dropout (one mask per
            sequence in `call`). Defaults to `0.0`.
        recurrent_dropout: Float in `[0, 1)`, the cells' recurrent dropout.
            Defaults to `0.0`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        target_embeddings: Float tensor `(batch, tgt_len, embedding_dim)`, the
            embedded decoder inputs (`[START]` followed by the target
            shifted right).
        encoder_outputs: Float tensor `(batch, src_len, memory_dim)`.
        encoder_mask: Optional boolean tensor `(batch, src_len)`, `False` at
            source padding. Pass it by keyword.
        initial_state: Optional list with one entry per layer (bottom first),
            each the list of the cell's states (`[h]` or `[h, c]`, each
            `(batch, units)`), as `RNNEncoder` returns them. Zeros when
            absent. Pass it by keyword.
        mask: Optional boolean tensor `(batch, tgt_len)`, the target padding
            (picked up from the embedding); propagated to the outputs.
        training: Python boolean, whether dropout is applied.
        return_attention_scores: Boolean, whether to also return the
            attention weights. Defaults to `False`.

    Returns:
        The logits `(batch, tgt_len, vocabulary_size)`, or the attentional
        vectors `(batch, tgt_len, units)` without `vocabulary_size`; with
        `return_attention_scores=True`, the tuple `(outputs, weights)` with
        weights `(batch, tgt_len, src_len)`.

    Decoding one step at a time:
        `state = decoder.get_initial_state(encoder_outputs, encoder_mask,
        initial_state)` builds the decoding state, a dict of tensors whose
        first axis is the batch: `"states"` (per layer, the cell's states),
        `"attentional"` (`h~_{t-1}`, with input feeding), and the entries no
        step changes, `"memory"`, `"memory_mask"` and, for additive scores,
        `"memory_keys"` (the projected encoder outputs). Then
        `outputs, state = decoder.step(embedded_ids, state)` gives the
        outputs of one position (`(batch, vocabulary_size)` or
        `(batch, units)`), and `step(..., return_attention_scores=True)` also
        the weights `(batch, src_len)`. The state is a sampler's cache as it
        is: `next(ids, cache, index)` can be
        `decoder.step(embedding(ids), cache)`.

    Masking: source positions where `encoder_mask` is `False` get exactly
    zero attention weight, so padded sources with their mask give the
    results of the unpadded ones. The decoder is causal, so with right-padded
    targets the outputs at real positions do not depend on the padding; the
    outputs at padded positions are computed and carry the target mask.

    Example:

    >>> decoder = AttentionDecoder(8, cell="gru", vocabulary_size=11)
    >>> memory = np.ones((2, 5, 6), "float32")
    >>> logits, weights = decoder(
    ...     np.ones((2, 3, 4), "float32"), memory, return_attention_scores=True)
    >>> tuple(logits.shape), tuple(weights.shape)
    ((2, 3, 11), (2, 3, 5))
    >>> state = decoder.get_initial_state(memory)
    >>> logits, state = decoder.step(np.ones((2, 4), "float32"), state)
    >>> tuple(logits.shape)
    (2, 11)

    Reference:
        - [Luong et al., 2015. Effective Approaches to Attention-based Neural
          Machine Translation](https://arxiv.org/abs/1508.04025)
        - [Bahdanau et al., 2015. Neural Machine Translation by Jointly Learning
          to Align and Translate](https://arxiv.org/abs/1409.0473)
    """

    def __init__(
        self,
        units,
        cell="lstm",
        num_layers=1,
        attention="bahdanau",
        score_mode="general",
        attention_units=None,
        input_feeding=True,
        vocabulary_size=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        **kwargs,
    ):
        from kerasseq import registry  # registry imports this package

        units = validation.check_positive_int("units", units)
        cell_class = registry.get_cell_class(cell)
        num_layers = validation.check_positive_int("num_layers", num_layers)
        attention = validation.check_one_of("attention", attention, ATTENTIONS)
        score_mode = validation.check_one_of("score_mode", score_mode, SCORE_MODES)
        attention_units = validation.check_positive_int(
            "attention_units", attention_units, allow_none=True
        )
        input_feeding = validation.check_bool("input_feeding", input_feeding)
        vocabulary_size = validation.check_positive_int(
            "vocabulary_size", vocabulary_size, allow_none=True
        )
        dropout = validation.check_rate("dropout", dropout)
        recurrent_dropout = validation.check_rate(
            "recurrent_dropout", recurrent_dropout
        )
        super().__init__(**kwargs)
        self.units = units
        self.cell = cell
        self.num_layers = num_layers
        self.attention = attention
        self.score_mode = score_mode
        self.attention_units = attention_units
        self.input_feeding = input_feeding
        self.vocabulary_size = vocabulary_size
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.supports_masking = True

        self.cells = [
            cell_class(
                units,
                dropout=dropout,
                recurrent_dropout=recurrent_dropout,
                dtype=self.dtype_policy,
                name=f"cell_{index}",
            )
            for index in range(num_layers)
        ]
        sizes = self.cells[0].state_size
        self._num_states = len(sizes) if isinstance(sizes, (list, tuple)) else 1
        if attention == "bahdanau":
            self.attention_layer = BahdanauAttention(
                attention_units or units, dtype=self.dtype_policy, name="attention"
            )
        else:
            self.attention_layer = LuongAttention(
                score_mode=score_mode,
                units=(attention_units or units) if score_mode == "concat" else None,
                dtype=self.dtype_policy,
                name="attention",
            )
        # Luong's W_c, without bias as in the paper.
        self.attention_projection = keras.layers.Dense(
            units,
            activation="tanh",
            use_bias=False,
            dtype=self.dtype_policy,
            name="attention_projection",
        )
        self.output_projection = None
        if vocabulary_size is not None:
            self.output_projection = keras.layers.Dense(
                vocabulary_size, dtype=self.dtype_policy, name="output_projection"
            )

    @property
    def num_states(self):
        """States per layer: 1 (GRU, SimpleRNN) or 2 (LSTM)."""
        return self._num_states

    def build(self, target_embeddings_shape, encoder_outputs_shape):
        input_dim = target_embeddings_shape[-1]
        if self.input_feeding:
            input_dim += self.units
        for cell in self.cells:
            cell.build((None, input_dim))
            input_dim = self.units
        memory_dim = encoder_outputs_shape[-1]
        self.attention_layer.build(
            [(None, 1, self.units), (None, encoder_outputs_shape[1], memory_dim)]
        )
        self.attention_projection.build((None, memory_dim + self.units))
        if self.output_projection is not None:
            self.output_projection.build((None, self.units))

    def call(
        self,
        target_embeddings,
        encoder_outputs,
        encoder_mask=None,
        initial_state=None,
        mask=None,
        training=None,
        return_attention_scores=False,
    ):
        state = self.get_initial_state(encoder_outputs, encoder_mask, initial_state)
        memory = {key: state.pop(key) for key in MEMORY_KEYS if key in state}
        dropout_masks = self._dropout_masks(target_embeddings, state, training)

        inputs = ops.transpose(target_embeddings, [1, 0, 2])  # time-major
        time_steps = tf.shape(inputs)[0]
        # Per-step reads from a TensorArray (PERF-NOTES: `x[t]` is slow).
        inputs_ta = tf.TensorArray(inputs.dtype, size=time_steps).unstack(inputs)
        # Every loop variable costs control-flow ops per step: carry the
        # weights only when they are returned.
        carried = {
            "state": state,
            "outputs": tf.TensorArray(self.compute_dtype, size=time_steps),
        }
        if return_attention_scores:
            carried["weights"] = tf.TensorArray(self.compute_dtype, size=time_steps)

        def body(t, carried):
            attentional, new_state, weights = self._advance(
                inputs_ta.read(t), {**carried["state"], **memory}, dropout_masks
            )
            carried = {
                **carried,
                "state": {key: new_state[key] for key in carried["state"]},
                "outputs": carried["outputs"].write(t, attentional),
            }
            if return_attention_scores:
                carried["weights"] = carried["weights"].write(t, weights)
            return t + 1, carried

        _, carried = tf.while_loop(
            lambda t, _: t < time_steps,
            body,
            (tf.constant(0), carried),
            maximum_iterations=time_steps,
        )
        outputs_ta = carried["outputs"]
        outputs = self._time_major_to_batch(outputs_ta.stack(), inputs)
        # The output projection of all positions in one matmul.
        if self.output_projection is not None:
            outputs = self.output_projection(outputs)
        if return_attention_scores:
            weights = self._time_major_to_batch(carried["weights"].stack(), inputs)
            return outputs, weights
        return outputs

    def get_initial_state(self, encoder_outputs, encoder_mask=None, initial_state=None):
        """The decoding state before the first target position.

        Args:
            encoder_outputs: Float tensor `(batch, src_len, memory_dim)`.
            encoder_mask: Optional boolean tensor `(batch, src_len)`.
            initial_state: Optional list of per-layer cell states (see
                `call`); zeros when absent.

        Returns:
            A dict of tensors with the batch as first axis: `"states"`,
            `"attentional"` (with input feeding), `"memory"`,
            `"memory_mask"` and, for additive scores, `"memory_keys"`.

        Raises:
            ValueError: if the decoder is not built yet (the memory keys need
                its weights), or on an `initial_state` of the wrong structure.
        """
        if not self.built:
            raise ValueError(
                f"{self.__class__.__name__} {self.name!r} must be built before "
                "`get_initial_state`: call it on a batch, or call "
                "`build(target_embeddings_shape, encoder_outputs_shape)`."
            )
        encoder_outputs = ops.convert_to_tensor(encoder_outputs, self.compute_dtype)
        batch_size = ops.shape(encoder_outputs)[0]
        if encoder_mask is None:
            encoder_mask = ops.ones(ops.shape(encoder_outputs)[:2], dtype="bool")
        state = {
            "states": self._check_initial_state(initial_state, batch_size),
            "memory": encoder_outputs,
            "memory_mask": ops.cast(encoder_mask, "bool"),
        }
        if self.input_feeding:
            state["attentional"] = ops.zeros(
                (batch_size, self.units), dtype=self.compute_dtype
            )
        keys = self._memory_keys(encoder_outputs)
        if keys is not None:
            state["memory_keys"] = keys
        return state

    def step(self, inputs, state, return_attention_scores=False):
        """Decodes one target position.

        Args:
            inputs: Float tensor `(batch, embedding_dim)`, the embedded
                previous token.
            state: The dict from `get_initial_state` or a previous `step`.
            return_attention_scores: Boolean, whether to also return the
                attention weights `(batch, src_len)`.

        Returns:
            `(outputs, new_state)`, or `(outputs, new_state, weights)`:
            outputs are logits `(batch, vocabulary_size)`, or the attentional
            vector `(batch, units)` without `vocabulary_size`; `new_state`
            has the structure of `state`.
        """
        inputs = ops.convert_to_tensor(inputs, self.compute_dtype)
        attentional, new_state, weights = self._advance(inputs, state)
        outputs = attentional
        if self.output_projection is not None:
            outputs = self.output_projection(attentional)
        if return_attention_scores:
            return outputs, new_state, weights
        return outputs, new_state

    def _advance(self, inputs, state, dropout_masks=None):
        # One position: (attentional vector, new state, attention weights).
        x = inputs
        if self.input_feeding:
            x = ops.concatenate([x, state["attentional"]], axis=-1)
        new_states = []
        for index, cell in enumerate(self.cells):
            states = list(state["states"][index])
            if dropout_masks is None:
                # the cell's own call is `step(project_inputs(x))`; going
                # through `__call__` also casts its weights under mixed
                # precision when `step` runs outside the decoder's call
                x, states = cell(x, states, training=False)
            else:
                # training: the masks drawn once per sequence
                input_mask, recurrent_mask = dropout_masks[index]
                if input_mask is not None:
                    x = x * input_mask
                x, states = cell.step(cell.project_inputs(x), states, recurrent_mask)
            new_states.append(list(states))
        context, weights = self._attend(x, state)
        # Luong's attentional vector h~ = tanh(W_c [c; h]).
        attentional = self.attention_projection(ops.concatenate([context, x], axis=-1))
        new_state = {**state, "states": new_states}
        if self.input_feeding:
            new_state["attentional"] = attentional
        return attentional, new_state, weights

    def _memory_keys(self, memory):
        # Encoder outputs projected for an additive score, once per sequence.
        layer = self.attention_layer
        if self.attention == "bahdanau":
            return ops.matmul(memory, self._weight(layer.key_kernel))
        if self.score_mode == "concat":
            key_kernel = self._weight(layer.concat_kernel)[self.units :]
            return ops.matmul(memory, key_kernel)
        return None

    def _weight(self, variable):
        # `step` may run outside `__call__`, where no autocast applies
        return ops.cast(variable, self.compute_dtype)

    def _attend(self, query, state):
        # The attention layer's score for one query per row (batch, units),
        # with the memory keys precomputed; then its masked softmax.
        layer = self.attention_layer
        memory = state["memory"]
        if self.attention == "bahdanau" or self.score_mode == "concat":
            if self.attention == "bahdanau":
                projected = ops.matmul(query, self._weight(layer.query_kernel))
                if layer.bias is not None:
                    projected = projected + self._weight(layer.bias)
            else:
                query_kernel = self._weight(layer.concat_kernel)[: self.units]
                projected = ops.matmul(query, query_kernel)
            score_kernel = self._weight(layer.score_kernel)
            hidden = ops.tanh(ops.expand_dims(projected, 1) + state["memory_keys"])
            scores = ops.squeeze(
                ops.matmul(hidden, ops.expand_dims(score_kernel, -1)), -1
            )
        else:
            if self.score_mode == "general":
                query = ops.matmul(query, self._weight(layer.kernel))
            scores = ops.squeeze(ops.matmul(memory, ops.expand_dims(query, -1)), -1)
        if self.attention == "luong":
            if layer.scale_weight is not None:
                scores = scores * self._weight(layer.scale_weight)
            elif layer.scale == "sqrt":
                depth = ops.cast(ops.shape(memory)[-1], scores.dtype)
                scores = scores / ops.sqrt(depth)
        weights = masked_softmax(scores, state["memory_mask"])
        context = ops.squeeze(ops.matmul(ops.expand_dims(weights, 1), memory), 1)
        return context, weights

    def _dropout_masks(self, target_embeddings, state, training):
        # One (input, recurrent) mask pair per layer and sequence.
        if not training or (self.dropout == 0 and self.recurrent_dropout == 0):
            return None
        batch_size = ops.shape(target_embeddings)[0]
        input_dim = target_embeddings.shape[-1]
        if self.input_feeding:
            input_dim += self.units
        masks = []
        for index, cell in enumerate(self.cells):
            like = ops.zeros((batch_size, input_dim), dtype=self.compute_dtype)
            masks.append(cell.dropout_masks(like, state["states"][index][0], training))
            input_dim = self.units
        return masks

    def _check_initial_state(self, initial_state, batch_size):
        if initial_state is None:
            return [
                [
                    ops.zeros((batch_size, self.units), dtype=self.compute_dtype)
                    for _ in range(self._num_states)
                ]
                for _ in range(self.num_layers)
            ]
        layers = list(initial_state) if isinstance(initial_state, (list, tuple)) else []
        if len(layers) != self.num_layers:
            raise ValueError(
                f"`initial_state` must hold one entry per decoder layer "
                f"({self.num_layers}), received {len(layers)} entries: "
                f"initial_state={initial_state!r}"
            )
        checked = []
        for layer_state in layers:
            if not isinstance(layer_state, (list, tuple)):
                layer_state = [layer_state]
            if len(layer_state) != self._num_states:
                raise ValueError(
                    f"Each entry of `initial_state` must hold {self._num_states} "
                    f"state(s) for cell={self.cell!r}, received "
                    f"{len(layer_state)}: initial_state={initial_state!r}"
                )
            checked.append(
                [ops.convert_to_tensor(s, self.compute_dtype) for s in layer_state]
            )
        return checked

    def _time_major_to_batch(self, stacked, inputs):
        # TensorArray.stack() forgets the static time dimension.
        stacked.set_shape([inputs.shape[0]] + stacked.shape[1:])
        return ops.transpose(stacked, [1, 0, 2])

    def compute_mask(self, inputs, mask=None):
        # the target mask goes to the outputs (the first flat output)
        return mask

    def get_config(self):
        config = {
            "units": self.units,
            "cell": self.cell,
            "num_layers": self.num_layers,
            "attention": self.attention,
            "score_mode": self.score_mode,
            "attention_units": self.attention_units,
            "input_feeding": self.input_feeding,
            "vocabulary_size": self.vocabulary_size,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }
        return {**super().get_config(), **config}
