"""Tests for `AttentionDecoder`."""

import time

import keras
import numpy as np
import pytest
import tensorflow as tf
from absl.testing import parameterized
from keras import ops

from kerasseq.layers.attention_decoder import AttentionDecoder
from kerasseq.layers.rnn_encoder import RNNEncoder
from kerasseq.samplers import BeamSampler
from kerasseq.samplers import GreedySampler
from tests.test_case import TestCase

# name: decoder arguments; together they cover both attentions, every Luong
# score, input feeding on and off, LSTM and GRU, one and two layers.
CONFIGS = {
    "lstm_bahdanau": {"cell": "lstm", "attention": "bahdanau"},
    "gru_bahdanau_2_layers": {"cell": "gru", "attention": "bahdanau", "num_layers": 2},
    "lstm_luong_general": {"cell": "lstm", "attention": "luong"},
    "gru_luong_dot": {"cell": "gru", "attention": "luong", "score_mode": "dot"},
    "lstm_luong_concat_2_layers": {
        "cell": "lstm",
        "attention": "luong",
        "score_mode": "concat",
        "attention_units": 5,
        "num_layers": 2,
    },
    "gru_bahdanau_no_input_feeding": {
        "cell": "gru",
        "attention": "bahdanau",
        "input_feeding": False,
    },
    "simple_rnn_luong_general": {"cell": "simple_rnn", "attention": "luong"},
}
UNITS = 6
VOCABULARY_SIZE = 9


def random_state(decoder, batch_size, rng):
    return [
        [
            rng.normal(size=(batch_size, UNITS)).astype("float32")
            for _ in range(decoder.num_states)
        ]
        for _ in range(decoder.num_layers)
    ]


def reference_decode(decoder, targets, memory, memory_mask, initial_state):
    """The equations, one Python step at a time, from the public sublayers.

    Each cell runs through its own `__call__`, the attention through the
    attention layer's own `__call__` (which projects the keys itself), so this
    checks the decoder's loop and its precomputed-key scoring.
    """
    states = [list(s) for s in initial_state]
    attentional = np.zeros((targets.shape[0], UNITS), "float32")
    outputs, weights = [], []
    for t in range(targets.shape[1]):
        x = targets[:, t]
        if decoder.input_feeding:
            x = ops.concatenate([x, attentional], axis=-1)
        for index, cell in enumerate(decoder.cells):
            x, states[index] = cell(x, states[index])
        context, step_weights = decoder.attention_layer(
            [x[:, None], memory],
            mask=[None, memory_mask],
            return_attention_scores=True,
        )
        attentional = decoder.attention_projection(
            ops.concatenate([context[:, 0], x], axis=-1)
        )
        outputs.append(decoder.output_projection(attentional))
        weights.append(step_weights[:, 0])
    return ops.stack(outputs, axis=1), ops.stack(weights, axis=1)


def step_decode(decoder, targets, memory, memory_mask, initial_state):
    """`step` run over the targets, as a sampler would."""
    state = decoder.get_initial_state(memory, memory_mask, initial_state)
    outputs, weights = [], []
    for t in range(targets.shape[1]):
        logits, state, step_weights = decoder.step(
            targets[:, t], state, return_attention_scores=True
        )
        outputs.append(logits)
        weights.append(step_weights)
    return ops.stack(outputs, axis=1), ops.stack(weights, axis=1)


class AttentionDecoderTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.rng = np.random.default_rng(0)
        self.targets = self.rng.normal(size=(3, 5, 4)).astype("float32")
        self.memory = self.rng.normal(size=(3, 7, UNITS)).astype("float32")
        # right-padded sources of lengths 7, 4 and 2; padding is garbage
        self.lengths = [7, 4, 2]
        self.memory_mask = np.arange(7)[None, :] < np.array(self.lengths)[:, None]

    def make_decoder(self, name):
        return AttentionDecoder(UNITS, vocabulary_size=VOCABULARY_SIZE, **CONFIGS[name])

    @parameterized.named_parameters(*[(name, name) for name in CONFIGS])
    def test_step_loop_equals_call_and_reference(self, name):
        decoder = self.make_decoder(name)
        initial_state = random_state(decoder, 3, self.rng)
        logits, weights = decoder(
            self.targets,
            self.memory,
            encoder_mask=self.memory_mask,
            initial_state=initial_state,
            return_attention_scores=True,
        )
        self.assertEqual(tuple(logits.shape), (3, 5, VOCABULARY_SIZE))
        self.assertEqual(tuple(weights.shape), (3, 5, 7))
        args = (decoder, self.targets, self.memory, self.memory_mask, initial_state)
        step_logits, step_weights = step_decode(*args)
        self.assertAllClose(step_logits, logits, atol=1e-5)
        self.assertAllClose(step_weights, weights, atol=1e-5)
        reference_logits, reference_weights = reference_decode(*args)
        self.assertAllClose(reference_logits, logits, atol=1e-5)
        self.assertAllClose(reference_weights, weights, atol=1e-5)

    @parameterized.named_parameters(
        ("lstm_bahdanau", "lstm_bahdanau"),
        ("gru_luong_dot", "gru_luong_dot"),
        ("lstm_luong_concat_2_layers", "lstm_luong_concat_2_layers"),
    )
    def test_padded_source_with_mask_equals_unpadded(self, name):
        decoder = self.make_decoder(name)
        initial_state = random_state(decoder, 3, self.rng)
        logits, weights = decoder(
            self.targets,
            self.memory,
            encoder_mask=self.memory_mask,
            initial_state=initial_state,
            return_attention_scores=True,
        )
        for row, length in enumerate(self.lengths):
            # padded source positions get exactly zero weight
            self.assertAllEqual(weights[row, :, length:], np.zeros((5, 7 - length)))
            self.assertAllClose(ops.sum(weights[row], axis=-1), np.ones(5), atol=1e-6)
            alone_logits, alone_weights = decoder(
                self.targets[row : row + 1],
                self.memory[row : row + 1, :length],
                initial_state=[[s[row : row + 1] for s in x] for x in initial_state],
                return_attention_scores=True,
            )
            self.assertAllClose(logits[row : row + 1], alone_logits, atol=1e-5)
            self.assertAllClose(
                weights[row : row + 1, :, :length], alone_weights, atol=1e-6
            )

    def test_right_padded_target_does_not_change_real_positions(self):
        decoder = self.make_decoder("lstm_luong_general")
        logits = decoder(self.targets, self.memory)
        shorter = decoder(self.targets[:, :3], self.memory)
        self.assertAllClose(logits[:, :3], shorter, atol=1e-6)

    def test_target_mask_is_propagated(self):
        token_ids = np.array([[1, 4, 5, 0], [1, 6, 0, 0]])
        embedded = keras.layers.Embedding(10, 4, mask_zero=True)(token_ids)
        decoder = self.make_decoder("gru_bahdanau_2_layers")
        self.assertAllEqual(
            decoder.compute_mask(embedded, token_ids != 0), token_ids != 0
        )
        self.assertEqual(tuple(decoder(embedded, self.memory[:2]).shape), (2, 4, 9))

    def test_without_vocabulary_returns_attentional_vectors(self):
        decoder = AttentionDecoder(UNITS, cell="gru", attention="luong")
        outputs = decoder(self.targets, self.memory)
        self.assertEqual(tuple(outputs.shape), (3, 5, UNITS))
        # h~ = tanh(...) lies in (-1, 1)
        self.assertAllLessEqual(np.abs(outputs), 1.0)
        state = decoder.get_initial_state(self.memory)
        vector, state = decoder.step(self.targets[:, 0], state)
        self.assertAllClose(vector, outputs[:, 0], atol=1e-6)
        self.assertAllClose(state["attentional"], outputs[:, 0], atol=1e-6)

    def test_state_structure(self):
        decoder = self.make_decoder("lstm_luong_concat_2_layers")
        decoder.build(self.targets.shape, self.memory.shape)
        state = decoder.get_initial_state(self.memory, self.memory_mask)
        self.assertEqual(
            sorted(state),
            ["attentional", "memory", "memory_keys", "memory_mask", "states"],
        )
        self.assertEqual([len(s) for s in state["states"]], [2, 2])
        _, new_state = decoder.step(self.targets[:, 0], state)
        self.assertEqual(
            keras.tree.map_structure(lambda x: tuple(x.shape), state),
            keras.tree.map_structure(lambda x: tuple(x.shape), new_state),
        )
        # the memory passes through unchanged
        self.assertIs(new_state["memory"], state["memory"])
        dot = self.make_decoder("gru_luong_dot")
        dot.build(self.targets.shape, self.memory.shape)
        self.assertNotIn("memory_keys", dot.get_initial_state(self.memory))

    def test_samplers_drive_step(self):
        decoder = self.make_decoder("lstm_luong_concat_2_layers")
        embedding = keras.layers.Embedding(VOCABULARY_SIZE, 4)
        start_ids = np.array([1, 1, 1], "int32")

        def next(ids, cache, index):
            return decoder.step(embedding(ids), cache)

        with self.assertRaisesRegex(ValueError, "must be built"):
            decoder.get_initial_state(self.memory)
        decoder.build((None, None, 4), self.memory.shape)
        cache = decoder.get_initial_state(self.memory, self.memory_mask)
        token_ids, _ = GreedySampler()(
            next, start_ids, cache, end_id=2, max_length=4, pad_id=0
        )
        # teacher forcing on the chosen tokens picks them again (before [END])
        inputs = np.concatenate([start_ids[:, None], token_ids[:, :-1]], axis=1)
        logits = decoder(embedding(inputs), self.memory, encoder_mask=self.memory_mask)
        logits = ops.convert_to_numpy(logits)
        logits[..., 0] = -np.inf  # the sampler never emits padding
        token_ids = ops.convert_to_numpy(token_ids)
        for row in range(3):
            for t in range(4):
                if t > 0 and token_ids[row, t - 1] in (0, 2):
                    break
                self.assertEqual(token_ids[row, t], np.argmax(logits[row, t]))

        # beam search tiles and reorders the whole state dict, in a graph
        # with unknown batch and source length, as an exported signature
        @tf.function(
            input_signature=[
                tf.TensorSpec((None, None, UNITS), "float32"),
                tf.TensorSpec((None, None), "bool"),
            ]
        )
        def beam_search(memory, memory_mask):
            cache = decoder.get_initial_state(memory, memory_mask)
            start = tf.ones(tf.shape(memory)[:1], "int32")
            return BeamSampler(beam_width=3)(next, start, cache, end_id=2, max_length=4)

        beam_ids, _ = beam_search(self.memory, self.memory_mask)
        self.assertEqual(tuple(beam_ids.shape), (3, 4))
        # beam width 1 is greedy search
        width_one = BeamSampler(beam_width=1)(
            next, start_ids, cache, end_id=2, max_length=4
        )[0]
        self.assertAllEqual(width_one, token_ids)

    def test_mixed_precision_step_equals_call(self):
        encoder = RNNEncoder(UNITS, bidirectional=True, dtype="mixed_float16")
        memory, states = encoder(self.memory, mask=self.memory_mask)
        decoder = AttentionDecoder(
            UNITS, vocabulary_size=VOCABULARY_SIZE, dtype="mixed_float16"
        )
        args = (self.targets, memory, self.memory_mask, states)
        logits, weights = decoder(
            *args[:2],
            encoder_mask=self.memory_mask,
            initial_state=states,
            return_attention_scores=True,
        )
        self.assertEqual(logits.dtype, "float16")
        step_logits, step_weights = step_decode(decoder, *args)
        self.assertEqual(step_logits.dtype, "float16")
        self.assertAllClose(step_logits, logits, atol=1e-3)
        self.assertAllClose(step_weights, weights, atol=1e-3)

    def test_training_with_dropout(self):
        decoder = AttentionDecoder(
            UNITS, vocabulary_size=VOCABULARY_SIZE, dropout=0.3, recurrent_dropout=0.3
        )
        inference = decoder(self.targets, self.memory)
        self.assertAllClose(inference, decoder(self.targets, self.memory))
        training = decoder(self.targets, self.memory, training=True)
        self.assertNotAllClose(inference, training)

    def test_serialization(self):
        decoder = AttentionDecoder(
            UNITS,
            cell="gru",
            num_layers=2,
            attention="luong",
            score_mode="concat",
            attention_units=3,
            input_feeding=False,
            vocabulary_size=VOCABULARY_SIZE,
            dropout=0.1,
            recurrent_dropout=0.2,
        )
        revived = self.run_serialization_test(decoder)
        self.assertEqual(revived.score_mode, "concat")
        self.assertFalse(revived.input_feeding)

    @parameterized.named_parameters(
        ("bahdanau", "bahdanau", "lstm"), ("luong", "luong", "gru")
    )
    def test_model_saving_with_encoder(self, attention, cell):
        model = tiny_seq2seq(cell=cell, attention=attention, units=8, vocabulary=12)
        source = np.array([[3, 4, 5, 0], [6, 7, 8, 9]])
        target = np.array([[1, 5, 4, 3], [1, 9, 8, 7]])
        restored = self.run_model_saving_test(model, [source, target], atol=1e-6)
        self.assertIsInstance(restored.get_layer("decoder"), AttentionDecoder)
        self.assertIsInstance(restored.get_layer("encoder"), RNNEncoder)

    @pytest.mark.slow
    def test_tiny_seq2seq_learns_to_reverse(self):
        # digits 3..8 -> reversed; ids 0 [PAD], 1 [START], 2 [END]
        rng = np.random.default_rng(1)
        size, length = 1024, 4
        source = rng.integers(3, 9, size=(size, length))
        reversed_ = source[:, ::-1]
        decoder_inputs = np.concatenate([np.ones((size, 1), int), reversed_], axis=1)
        labels = np.concatenate([reversed_, np.full((size, 1), 2)], axis=1)
        model = tiny_seq2seq(cell="gru", attention="luong", units=32, vocabulary=9)
        model.compile(
            optimizer=keras.optimizers.Adam(0.01),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        start = time.perf_counter()
        history = model.fit(
            [source, decoder_inputs], labels, batch_size=64, epochs=6, verbose=0
        )
        print(f"tiny seq2seq: {time.perf_counter() - start:.1f} s")
        self.assertLess(history.history["loss"][-1], 0.1)
        self.assertGreater(history.history["accuracy"][-1], 0.97)

    @parameterized.named_parameters(
        ("units", {"units": -1}, "units=-1"),
        ("cell", {"cell": "lstmm"}, "cell='lstmm'"),
        ("num_layers", {"num_layers": 0}, "num_layers=0"),
        (
            "attention",
            {"attention": "dot"},
            "`attention` must be one of 'bahdanau', 'luong', received: attention='dot'",
        ),
        (
            "score_mode",
            {"score_mode": "additive"},
            "`score_mode` must be one of 'dot', 'general', 'concat', received: "
            "score_mode='additive'",
        ),
        ("attention_units", {"attention_units": 0}, "attention_units=0"),
        ("input_feeding", {"input_feeding": 1}, "input_feeding=1"),
        ("vocabulary_size", {"vocabulary_size": 2.0}, "vocabulary_size=2.0"),
        ("dropout", {"dropout": 1.5}, "dropout=1.5"),
        ("recurrent_dropout", {"recurrent_dropout": "0.1"}, "recurrent_dropout='0.1'"),
    )
    def test_invalid_arguments(self, kwargs, message):
        kwargs = {"units": UNITS, **kwargs}
        with self.assertRaisesRegex(ValueError, message):
            AttentionDecoder(**kwargs)

    def test_invalid_initial_state(self):
        decoder = self.make_decoder("gru_bahdanau_2_layers")
        state = random_state(decoder, 3, self.rng)
        with self.assertRaisesRegex(ValueError, "one entry per decoder layer"):
            decoder(self.targets, self.memory, initial_state=state[:1])
        lstm = self.make_decoder("lstm_bahdanau")
        with self.assertRaisesRegex(ValueError, "must hold 2 state"):
            lstm(self.targets, self.memory, initial_state=[state[0]])


def tiny_seq2seq(cell, attention, units, vocabulary):
    """A functional encoder-decoder on token ids: `[source, target] -> logits`."""
    source = keras.Input((None,), dtype="int32", name="source")
    target = keras.Input((None,), dtype="int32", name="target")
    source_mask = ops.not_equal(source, 0)
    embedded_source = keras.layers.Embedding(vocabulary, 16, mask_zero=True)(source)
    embedded_target = keras.layers.Embedding(vocabulary, 16, mask_zero=True)(target)
    memory, states = RNNEncoder(units, cell=cell, bidirectional=True, name="encoder")(
        embedded_source
    )
    logits = AttentionDecoder(
        units,
        cell=cell,
        attention=attention,
        vocabulary_size=vocabulary,
        name="decoder",
    )(embedded_target, memory, encoder_mask=source_mask, initial_state=states)
    return keras.Model([source, target], logits)
