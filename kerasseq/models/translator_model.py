"""TranslatorModel: an attentional RNN encoder-decoder, trained by teacher forcing."""

import keras
from keras import ops

from kerasseq import validation
from kerasseq.layers.attention_decoder import ATTENTIONS
from kerasseq.layers.attention_decoder import AttentionDecoder
from kerasseq.layers.pretrained_embedding import TRAINABILITY
from kerasseq.layers.pretrained_embedding import PretrainedEmbedding
from kerasseq.layers.rnn_encoder import RNNEncoder


@keras.saving.register_keras_serializable(package="kerasseq")
class TranslatorModel(keras.Model):
    """Sequence-to-sequence model: embeddings, `RNNEncoder`, `AttentionDecoder`.

    The source ids are embedded and read by an `RNNEncoder` (`encoder_layers`
    stacked layers, optionally bidirectional, final states merged and
    projected to `units`); the decoder (`AttentionDecoder`, Bahdanau or Luong
    attention with input feeding) starts from those states: its layer `l`
    takes the state of encoder layer `encoder_layers - decoder_layers + l`
    (the top layers), and layers below the encoder's bottom start from zeros.
    The model itself is the teacher-forced graph used for training: it maps
    `{"source_ids", "source_padding_mask", "target_ids"}` (the decoder inputs
    `[START] w1 ... wn`) to float32 logits `(batch, tgt_len,
    target_vocabulary_size)`. `generate` decodes new sequences with a
    `kerasseq.samplers` sampler, in one in-graph loop over the batch.

    Args:
        source_vocabulary_size: Positive integer.
        target_vocabulary_size: Positive integer; the target ids 2 and 3
            must be `[START]` and `[END]` (see `start_id`, `end_id`).
        embedding_dim: Positive integer, the token vector size on both
            sides. Defaults to `128`.
        cell: Registered cell name, `"lstm"` (default), `"gru"`,
            `"simple_rnn"`.
        units: Positive integer, units of every encoder layer (per
            direction) and decoder layer. Defaults to `128`.
        encoder_layers: Positive integer. Defaults to `1`.
        decoder_layers: Positive integer or `None` (as many as
            `encoder_layers`). Defaults to `None`.
        bidirectional_encoder: Boolean. Defaults to `True`.
        attention: `"bahdanau"` (default) or `"luong"`.
        score_mode: Luong's score, `"general"` (default), `"dot"` or
            `"concat"`.
        dropout: Float in `[0, 1)`, the cells' input dropout. Defaults to
            `0.0`.
        source_embedding_dim: Positive integer or `None` (`embedding_dim`),
            the source token vector size. Defaults to `None`.
        target_embedding_dim: Likewise for the target side. Defaults to
            `None`.
        source_embedding_weights: Optional initial source embedding matrix
            `(source_vocabulary_size, source_embedding_dim)`, e.g.
            pretrained vectors from `kerasseq.embeddings.
            build_embedding_matrix` (not part of the config; saved with the
            weights). Defaults to `None` (random).
        target_embedding_weights: Likewise for the target side.
        source_trainability: `"all"` (default), `"partial"` (only
            `source_trainable_rows` train) or `"none"`, as for
            `kerasseq.layers.PretrainedEmbedding`.
        target_trainability: Likewise for the target side.
        source_trainable_rows: Row ids that train under `"partial"`.
        target_trainable_rows: Likewise for the target side.
        start_id: Integer, the `[START]` id. Defaults to `2`.
        end_id: Integer, the `[END]` id. Defaults to `3`.
        **kwargs: `keras.Model` keyword arguments (`name`, `dtype`).

    Example:

    >>> from kerasseq.models.translator_model import TranslatorModel
    >>> model = TranslatorModel(10, 12, embedding_dim=4, units=8)
    >>> logits = model({"source_ids": np.ones((2, 5), "int32"),
    ...                 "source_padding_mask": np.ones((2, 5), "bool"),
    ...                 "target_ids": np.full((2, 3), 2, "int32")})
    >>> tuple(logits.shape)
    (2, 3, 12)
    """

    def __init__(
        self,
        source_vocabulary_size,
        target_vocabulary_size,
        embedding_dim=128,
        cell="lstm",
        units=128,
        encoder_layers=1,
        decoder_layers=None,
        bidirectional_encoder=True,
        attention="bahdanau",
        score_mode="general",
        dropout=0.0,
        source_embedding_dim=None,
        target_embedding_dim=None,
        source_embedding_weights=None,
        target_embedding_weights=None,
        source_trainability="all",
        target_trainability="all",
        source_trainable_rows=None,
        target_trainable_rows=None,
        start_id=2,
        end_id=3,
        dtype=None,
        **kwargs,
    ):
        source_vocabulary_size = validation.check_positive_int(
            "source_vocabulary_size", source_vocabulary_size
        )
        target_vocabulary_size = validation.check_positive_int(
            "target_vocabulary_size", target_vocabulary_size
        )
        embedding_dim = validation.check_positive_int("embedding_dim", embedding_dim)
        units = validation.check_positive_int("units", units)
        encoder_layers = validation.check_positive_int("encoder_layers", encoder_layers)
        decoder_layers = validation.check_positive_int(
            "decoder_layers", decoder_layers, allow_none=True
        )
        bidirectional_encoder = validation.check_bool(
            "bidirectional_encoder", bidirectional_encoder
        )
        attention = validation.check_one_of("attention", attention, ATTENTIONS)
        dropout = validation.check_rate("dropout", dropout)
        source_embedding_dim = validation.check_positive_int(
            "source_embedding_dim", source_embedding_dim or embedding_dim
        )
        target_embedding_dim = validation.check_positive_int(
            "target_embedding_dim", target_embedding_dim or embedding_dim
        )
        for name, value in (
            ("source_trainability", source_trainability),
            ("target_trainability", target_trainability),
        ):
            validation.check_one_of(name, value, TRAINABILITY)
        if isinstance(dtype, dict):
            dtype = keras.dtype_policies.deserialize(dtype)

        # === Layers ===
        source_embedding = PretrainedEmbedding(
            source_vocabulary_size,
            source_embedding_dim,
            weights=source_embedding_weights,
            trainable_rows=source_trainable_rows,
            trainability=source_trainability,
            dtype=dtype,
            name="source_embedding",
        )
        target_embedding = PretrainedEmbedding(
            target_vocabulary_size,
            target_embedding_dim,
            weights=target_embedding_weights,
            trainable_rows=target_trainable_rows,
            trainability=target_trainability,
            dtype=dtype,
            name="target_embedding",
        )
        encoder = RNNEncoder(
            units,
            cell=cell,
            num_layers=encoder_layers,
            bidirectional=bidirectional_encoder,
            decoder_units=units,
            dropout=dropout,
            dtype=dtype,
            name="encoder",
        )
        decoder = AttentionDecoder(
            units,
            cell=cell,
            num_layers=decoder_layers or encoder_layers,
            attention=attention,
            score_mode=score_mode,
            vocabulary_size=target_vocabulary_size,
            dropout=dropout,
            dtype=dtype,
            name="decoder",
        )
        logits_layer = keras.layers.Activation("linear", dtype="float32", name="logits")

        # === Functional Model ===
        source_ids = keras.Input(shape=(None,), dtype="int32", name="source_ids")
        source_mask = keras.Input(
            shape=(None,), dtype="bool", name="source_padding_mask"
        )
        target_ids = keras.Input(shape=(None,), dtype="int32", name="target_ids")
        inputs = {
            "source_ids": source_ids,
            "source_padding_mask": source_mask,
            "target_ids": target_ids,
        }
        memory, states = encoder(source_embedding(source_ids), mask=source_mask)
        states = _bridge(states, decoder_layers or encoder_layers)
        logits = decoder(
            target_embedding(target_ids),
            memory,
            encoder_mask=source_mask,
            initial_state=states,
        )
        super().__init__(
            inputs=inputs, outputs=logits_layer(logits), dtype=dtype, **kwargs
        )

        # === Config ===
        self.source_vocabulary_size = source_vocabulary_size
        self.target_vocabulary_size = target_vocabulary_size
        self.embedding_dim = embedding_dim
        self.cell = cell
        self.units = units
        self.encoder_layers = encoder_layers
        self.decoder_layers = decoder_layers
        self.bidirectional_encoder = bidirectional_encoder
        self.attention = attention
        self.score_mode = score_mode
        self.dropout = dropout
        self.source_embedding_dim = source_embedding_dim
        self.target_embedding_dim = target_embedding_dim
        self.source_trainability = source_trainability
        self.target_trainability = target_trainability
        self.source_trainable_rows = list(source_embedding.trainable_rows)
        self.target_trainable_rows = list(target_embedding.trainable_rows)
        self.start_id = int(start_id)
        self.end_id = int(end_id)
        self.source_embedding = source_embedding
        self.target_embedding = target_embedding
        self.encoder = encoder
        self.decoder = decoder

    def initial_cache(self, source_ids, source_padding_mask):
        """Encodes a source batch into the decoder's initial state (a dict)."""
        source_mask = ops.cast(source_padding_mask, "bool")
        memory, states = self.encoder(
            self.source_embedding(source_ids), mask=source_mask, training=False
        )
        states = _bridge(states, self.decoder.num_layers)
        return self.decoder.get_initial_state(memory, source_mask, states)

    def next_logits(self, ids, cache, index=None):
        """The step function of the samplers: `(logits, cache)` after `ids`."""
        logits, cache = self.decoder.step(self.target_embedding(ids), cache)
        return ops.cast(logits, "float32"), cache

    def generate(self, source_ids, source_padding_mask, sampler, max_length):
        """Decodes a batch with `sampler`, in one in-graph loop.

        Args:
            source_ids: Int tensor `(batch, src_len)`, right-padded with 0.
            source_padding_mask: Bool tensor `(batch, src_len)`.
            sampler: A `kerasseq.samplers` sampler (greedy, beam, random).
            max_length: Positive integer, the most tokens to generate
                (`[END]` included).

        Returns:
            The sampler's `(token_ids, scores)`: int32 `(batch, max_length)`
            (or `(batch, num_results, max_length)` for an n-best beam
            search), ending with `end_id` then padding, and float32 scores.
        """
        source_ids = ops.convert_to_tensor(source_ids, "int32")
        cache = self.initial_cache(source_ids, source_padding_mask)
        start_ids = ops.full((ops.shape(source_ids)[0],), self.start_id, "int32")
        return sampler(
            self.next_logits,
            start_ids=start_ids,
            cache=cache,
            end_id=self.end_id,
            max_length=max_length,
            pad_id=0,
        )

    def attention_weights(self, source_ids, source_padding_mask, target_ids):
        """The decoder's attention weights along given target sequences.

        Teacher forcing on `target_ids` (the decoder inputs, `[START]`
        first): row `t` holds the weights the decoder gives the source
        positions when it predicts the token after `target_ids[:, t]`, so
        with a generated sequence shifted right these are the weights of
        its generation (the decoder's `step` loop equals its `call`).

        Returns:
            Float tensor `(batch, tgt_len, src_len)`, zero on source padding,
            each row summing to one over the real source positions.
        """
        source_mask = ops.cast(source_padding_mask, "bool")
        memory, states = self.encoder(
            self.source_embedding(source_ids), mask=source_mask, training=False
        )
        states = _bridge(states, self.decoder.num_layers)
        _, weights = self.decoder(
            self.target_embedding(target_ids),
            memory,
            encoder_mask=source_mask,
            initial_state=states,
            training=False,
            return_attention_scores=True,
        )
        return weights

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.dtype_policies.serialize(self.encoder.dtype_policy),
            "source_vocabulary_size": self.source_vocabulary_size,
            "target_vocabulary_size": self.target_vocabulary_size,
            "embedding_dim": self.embedding_dim,
            "cell": self.cell,
            "units": self.units,
            "encoder_layers": self.encoder_layers,
            "decoder_layers": self.decoder_layers,
            "bidirectional_encoder": self.bidirectional_encoder,
            "attention": self.attention,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "source_embedding_dim": self.source_embedding_dim,
            "target_embedding_dim": self.target_embedding_dim,
            "source_trainability": self.source_trainability,
            "target_trainability": self.target_trainability,
            "source_trainable_rows": list(self.source_trainable_rows),
            "target_trainable_rows": list(self.target_trainable_rows),
            "start_id": self.start_id,
            "end_id": self.end_id,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _bridge(states, decoder_layers):
    """Encoder states (per layer, bottom first) for `decoder_layers` layers.

    The top encoder layers initialise the top decoder layers; decoder layers
    below the encoder's bottom start from zeros.
    """
    states = [list(layer) for layer in states]
    if decoder_layers <= len(states):
        return states[len(states) - decoder_layers :]
    zeros = [ops.zeros_like(s) for s in states[0]]
    return [zeros] * (decoder_layers - len(states)) + states
