"""RNNEncoder: the stacked, optionally bidirectional encoder of a seq2seq model."""

import keras
from keras import ops

from kerasseq import validation
from kerasseq.layers.recurrent import Recurrent

MERGE_MODES = ("concat", "sum", "ave", "mul")
MERGE_STATES = ("concat_project", "sum", "concat")


@keras.saving.register_keras_serializable(package="kerasseq")
class RNNEncoder(keras.layers.Layer):
    """Encodes an embedded source sequence for an attentional decoder.

    A stack of `num_layers` recurrent layers (any kerasseq cell, run by
    `kerasseq.layers.Recurrent`), each optionally bidirectional; layer `l + 1`
    reads the outputs of layer `l`. It returns the top layer's outputs at every
    source position (the memory the decoder attends over) and, for every
    layer, a final state shaped for the decoder's layer of the same depth:

    - unidirectional: the layer's final states (`[h]`, or `[h, c]` for an
      LSTM) as they are;
    - bidirectional: the final states of the forward pass (after the last
      token) and of the backward pass (after the first token) are merged per
      state (`h` with `h`, `c` with `c`) by `merge_states`:
      `"concat_project"` is `W [h_fw; h_bw] + b` with a learned projection to
      `decoder_units` (as OpenNMT's dense bridge; Bahdanau et al. initialise
      the decoder from the backward state alone in the same way),
      `"sum"` is `h_fw + h_bw`, `"concat"` is `[h_fw; h_bw]`.

    The embeddings stay outside the layer, so either side of a translator may
    use `keras.layers.Embedding(mask_zero=True)` or
    `kerasseq.layers.PretrainedEmbedding`; their mask reaches the encoder
    automatically.

    Args:
        units: Positive integer, the units of every recurrent layer (per
            direction).
        cell: Name of a registered cell: `"lstm"` (default), `"gru"`,
            `"simple_rnn"` (see `kerasseq.registry`).
        num_layers: Positive integer, the number of stacked layers. Defaults
            to `1`.
        bidirectional: Boolean, whether each layer reads the sequence in both
            directions. Defaults to `False`.
        merge_mode: How the two directions' outputs are combined, as in
            `keras.layers.Bidirectional`: `"concat"` (default), `"sum"`,
            `"ave"` or `"mul"`. Only used when `bidirectional`.
        merge_states: How the two directions' final states are merged into
            the decoder's initial state: `"concat_project"` (default), `"sum"`
            or `"concat"`. Only used when `bidirectional`, except that
            `"concat_project"` also projects a unidirectional encoder's states
            when `decoder_units` differs from `units`.
        decoder_units: Positive integer or `None`, the size of the returned
            states (the decoder's `units`). `None` (default) means their
            natural size: `units`, or `2 * units` for `merge_states="concat"`.
            Any other value needs `merge_states="concat_project"`.
        dropout: Float in `[0, 1)`, the cells' input dropout (one mask per
            sequence). Defaults to `0.0`.
        recurrent_dropout: Float in `[0, 1)`, the cells' recurrent dropout.
            Defaults to `0.0`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: Float tensor `(batch, src_len, embedding_dim)`, the embedded
            source.
        mask: Optional boolean tensor `(batch, src_len)`, `False` at padding.
        training: Python boolean, whether dropout is applied.

    Returns:
        A tuple `(outputs, states)`: `outputs` of shape
        `(batch, src_len, output_dim)` (`output_dim` is `2 * units` for a
        bidirectional encoder with `merge_mode="concat"`, else `units`), and
        `states`, a list with one entry per layer (bottom first), each a list
        of the cell's states (`[h]` or `[h, c]`) of shape
        `(batch, state_units)`. Pass `states` as the `initial_state` of an
        `AttentionDecoder` with as many layers.

    Masking: padded positions (mask `False`, right padding) are skipped: the
    states are those after the last real token in the forward direction and
    after the first token in the backward one, so a padded batch with its
    mask gives the results of the unpadded sequences; the outputs at padded
    positions are zeros. The mask is propagated to `outputs`; pass it to the
    decoder as `encoder_mask`.

    Example:

    >>> encoder = RNNEncoder(8, cell="lstm", num_layers=2, bidirectional=True)
    >>> outputs, states = encoder(np.ones((2, 5, 4), "float32"))
    >>> tuple(outputs.shape), len(states), [tuple(s.shape) for s in states[0]]
    ((2, 5, 16), 2, [(2, 8), (2, 8)])

    Reference:
        - [Bahdanau et al., 2015. Neural Machine Translation by Jointly Learning
          to Align and Translate](https://arxiv.org/abs/1409.0473)
        - [Luong et al., 2015. Effective Approaches to Attention-based Neural
          Machine Translation](https://arxiv.org/abs/1508.04025)
    """

    def __init__(
        self,
        units,
        cell="lstm",
        num_layers=1,
        bidirectional=False,
        merge_mode="concat",
        merge_states="concat_project",
        decoder_units=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        **kwargs,
    ):
        from kerasseq import registry  # registry imports this package

        units = validation.check_positive_int("units", units)
        cell_class = registry.get_cell_class(cell)
        num_layers = validation.check_positive_int("num_layers", num_layers)
        bidirectional = validation.check_bool("bidirectional", bidirectional)
        merge_mode = validation.check_one_of("merge_mode", merge_mode, MERGE_MODES)
        merge_states = validation.check_one_of(
            "merge_states", merge_states, MERGE_STATES
        )
        decoder_units = validation.check_positive_int(
            "decoder_units", decoder_units, allow_none=True
        )
        dropout = validation.check_rate("dropout", dropout)
        recurrent_dropout = validation.check_rate(
            "recurrent_dropout", recurrent_dropout
        )
        natural = units
        if bidirectional and merge_states == "concat":
            natural = 2 * units
        if (
            decoder_units is not None
            and decoder_units != natural
            and merge_states != "concat_project"
        ):
            raise ValueError(
                f"`decoder_units` must be None or {natural} (the state size) "
                f"unless merge_states='concat_project', received: "
                f"decoder_units={decoder_units!r}"
            )
        super().__init__(**kwargs)
        self.units = units
        self.cell = cell
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.merge_mode = merge_mode
        self.merge_states = merge_states
        self.decoder_units = decoder_units
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.supports_masking = True

        self.recurrent_layers = []
        for index in range(num_layers):
            layer = Recurrent(
                cell_class(
                    units,
                    dropout=dropout,
                    recurrent_dropout=recurrent_dropout,
                    dtype=self.dtype_policy,
                    name=f"cell_{index}",
                ),
                return_sequences=True,
                return_state=True,
                zero_output_for_mask=True,
                dtype=self.dtype_policy,
                name=f"recurrent_{index}",
            )
            if bidirectional:
                layer = keras.layers.Bidirectional(
                    layer,
                    merge_mode=merge_mode,
                    dtype=self.dtype_policy,
                    name=f"bidirectional_{index}",
                )
            self.recurrent_layers.append(layer)

        sizes = cell_class(units).state_size
        self._num_states = len(sizes) if isinstance(sizes, (list, tuple)) else 1
        # One projection per layer and per state ([h] or [h, c]).
        self.project = merge_states == "concat_project" and (
            bidirectional or (decoder_units or units) != units
        )
        self.state_projections = []
        if self.project:
            for index in range(num_layers * self._num_states):
                self.state_projections.append(
                    keras.layers.Dense(
                        self.state_units,
                        dtype=self.dtype_policy,
                        name=f"state_projection_{index}",
                    )
                )

    @property
    def output_dim(self):
        """The depth of `outputs`: the decoder's memory depth."""
        if self.bidirectional and self.merge_mode == "concat":
            return 2 * self.units
        return self.units

    @property
    def state_units(self):
        """The size of every returned state: the decoder's `units`."""
        if self.decoder_units is not None:
            return self.decoder_units
        if self.bidirectional and self.merge_states == "concat":
            return 2 * self.units
        return self.units

    @property
    def num_states(self):
        """States per layer: 1 (GRU, SimpleRNN) or 2 (LSTM)."""
        return self._num_states

    def build(self, inputs_shape):
        shape = tuple(inputs_shape)
        for layer in self.recurrent_layers:
            layer.build(shape)
            shape = (*shape[:-1], self.output_dim)
        directions = 2 if self.bidirectional else 1
        for projection in self.state_projections:
            projection.build((shape[0], directions * self.units))

    def call(self, inputs, mask=None, training=None):
        outputs = inputs
        states = []
        for index, layer in enumerate(self.recurrent_layers):
            outputs, *final = layer(outputs, mask=mask, training=training)
            if self.bidirectional:
                forward = final[: self._num_states]
                backward = final[self._num_states :]
                final = [
                    self._merge(f, b, index * self._num_states + j)
                    for j, (f, b) in enumerate(zip(forward, backward))
                ]
            elif self.project:
                final = [
                    self.state_projections[index * self._num_states + j](s)
                    for j, s in enumerate(final)
                ]
            states.append(list(final))
        return outputs, states

    def _merge(self, forward, backward, projection_index):
        if self.merge_states == "sum":
            return forward + backward
        merged = ops.concatenate([forward, backward], axis=-1)
        if self.merge_states == "concat":
            return merged
        return self.state_projections[projection_index](merged)

    def compute_mask(self, inputs, mask=None):
        # the mask goes to `outputs` (the first flat output); states have none
        return mask

    def get_config(self):
        config = {
            "units": self.units,
            "cell": self.cell,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "merge_mode": self.merge_mode,
            "merge_states": self.merge_states,
            "decoder_units": self.decoder_units,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }
        return {**super().get_config(), **config}
