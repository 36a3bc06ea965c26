"""Tests for `RNNEncoder`."""

import keras
import numpy as np
from absl.testing import parameterized

from kerasseq.layers.rnn_encoder import RNNEncoder
from tests.test_case import TestCase

KERAS_LAYERS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def keras_twin(encoder, inputs, layer_index=0):
    """Keras's own (Bidirectional) LSTM/GRU with the encoder layer's weights."""
    layer = encoder.recurrent_layers[layer_index]
    twin = KERAS_LAYERS[encoder.cell](
        encoder.units, return_sequences=True, return_state=True
    )
    if encoder.bidirectional:
        twin = keras.layers.Bidirectional(twin, merge_mode=encoder.merge_mode)
    twin(inputs)
    twin.set_weights(layer.get_weights())
    return twin


class RNNEncoderTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.inputs = rng.normal(size=(3, 6, 5)).astype("float32")
        # right padding: lengths 6, 4 and 1
        self.lengths = [6, 4, 1]
        self.mask = np.arange(6)[None, :] < np.array(self.lengths)[:, None]

    @parameterized.named_parameters(
        ("lstm_uni", "lstm", False, 2, 1),
        ("gru_uni", "gru", False, 1, 1),
        ("lstm_bi", "lstm", True, 2, 2),
        ("gru_bi_3_layers", "gru", True, 1, 3),
    )
    def test_shapes(self, cell, bidirectional, num_states, num_layers):
        encoder = RNNEncoder(
            4, cell=cell, num_layers=num_layers, bidirectional=bidirectional
        )
        outputs, states = encoder(self.inputs)
        self.assertEqual(tuple(outputs.shape), (3, 6, 8 if bidirectional else 4))
        self.assertEqual(encoder.output_dim, 8 if bidirectional else 4)
        self.assertLen(states, num_layers)
        for layer_states in states:
            self.assertLen(layer_states, num_states)
            for state in layer_states:
                self.assertEqual(tuple(state.shape), (3, 4))

    @parameterized.named_parameters(
        ("concat_project", "concat_project", None, 4),
        ("concat_project_to_7", "concat_project", 7, 7),
        ("sum", "sum", None, 4),
        ("concat", "concat", None, 8),
        ("concat_explicit", "concat", 8, 8),
    )
    def test_bidirectional_state_merge_shapes(self, merge_states, decoder_units, size):
        encoder = RNNEncoder(
            4,
            cell="lstm",
            num_layers=2,
            bidirectional=True,
            merge_states=merge_states,
            decoder_units=decoder_units,
        )
        _, states = encoder(self.inputs)
        self.assertEqual(encoder.state_units, size)
        for layer_states in states:
            self.assertEqual([tuple(s.shape) for s in layer_states], [(3, size)] * 2)
        # one projection per layer and state, only for concat_project
        expected = 4 if merge_states == "concat_project" else 0
        self.assertLen(encoder.state_projections, expected)

    def test_unidirectional_projection_to_decoder_units(self):
        encoder = RNNEncoder(4, cell="gru", decoder_units=6)
        outputs, states = encoder(self.inputs)
        self.assertEqual(tuple(outputs.shape), (3, 6, 4))
        self.assertEqual(tuple(states[0][0].shape), (3, 6))
        # without a projection the states are the layer's own
        plain = RNNEncoder(4, cell="gru")
        _, states = plain(self.inputs)
        self.assertAllClose(states[0][0], plain(self.inputs)[0][:, -1])

    @parameterized.named_parameters(("lstm", "lstm"), ("gru", "gru"))
    def test_matches_keras_bidirectional(self, cell):
        encoder = RNNEncoder(4, cell=cell, bidirectional=True, merge_states="sum")
        outputs, states = encoder(self.inputs)
        twin = keras_twin(encoder, self.inputs)
        expected, *final = twin(self.inputs)
        self.assertAllClose(outputs, expected, atol=1e-5)
        half = len(final) // 2
        for state, forward, backward in zip(states[0], final[:half], final[half:]):
            self.assertAllClose(state, forward + backward, atol=1e-5)

    def test_concat_project_is_a_dense_on_both_directions(self):
        encoder = RNNEncoder(4, cell="lstm", bidirectional=True, decoder_units=3)
        _, states = encoder(self.inputs)
        _, h_fw, c_fw, h_bw, c_bw = keras_twin(encoder, self.inputs)(self.inputs)
        for state, fw, bw, projection in zip(
            states[0], [h_fw, c_fw], [h_bw, c_bw], encoder.state_projections
        ):
            kernel, bias = projection.get_weights()
            expected = np.concatenate([fw, bw], axis=-1) @ kernel + bias
            self.assertAllClose(state, expected, atol=1e-5)

    @parameterized.named_parameters(
        ("lstm_bi", "lstm", True), ("gru_bi", "gru", True), ("lstm_uni", "lstm", False)
    )
    def test_padded_with_mask_equals_unpadded(self, cell, bidirectional):
        encoder = RNNEncoder(
            4, cell=cell, num_layers=2, bidirectional=bidirectional, decoder_units=5
        )
        outputs, states = encoder(self.inputs, mask=self.mask)
        for row, length in enumerate(self.lengths):
            alone, alone_states = encoder(self.inputs[row : row + 1, :length])
            self.assertAllClose(outputs[row : row + 1, :length], alone, atol=1e-5)
            # padded positions output zeros
            self.assertAllEqual(
                outputs[row, length:], np.zeros_like(outputs[row, length:])
            )
            for layer_states, layer_alone in zip(states, alone_states):
                for state, state_alone in zip(layer_states, layer_alone):
                    self.assertAllClose(state[row : row + 1], state_alone, atol=1e-5)

    def test_mask_from_embedding_is_used_and_propagated(self):
        token_ids = np.array([[3, 4, 5, 0, 0], [6, 7, 8, 9, 2]])
        embedding = keras.layers.Embedding(10, 5, mask_zero=True)
        encoder = RNNEncoder(4, cell="gru", bidirectional=True)
        outputs, states = encoder(embedding(token_ids))
        alone, alone_states = encoder(embedding(token_ids[:1, :3]))
        self.assertAllClose(states[0][0][:1], alone_states[0][0], atol=1e-5)
        self.assertAllEqual(encoder.compute_mask(None, token_ids != 0), token_ids != 0)

    def test_dropout_changes_training_outputs_only(self):
        encoder = RNNEncoder(4, cell="lstm", dropout=0.5, recurrent_dropout=0.5)
        inference, _ = encoder(self.inputs)
        self.assertAllClose(inference, encoder(self.inputs)[0])
        training, _ = encoder(self.inputs, training=True)
        self.assertNotAllClose(inference, training)

    def test_serialization(self):
        encoder = RNNEncoder(
            4,
            cell="gru",
            num_layers=2,
            bidirectional=True,
            merge_mode="sum",
            merge_states="concat_project",
            decoder_units=6,
            dropout=0.1,
            recurrent_dropout=0.2,
        )
        revived = self.run_serialization_test(encoder)
        self.assertEqual(revived.decoder_units, 6)
        self.assertEqual(revived.merge_mode, "sum")

    @parameterized.named_parameters(
        ("units", {"units": 0}, "units=0"),
        ("cell", {"cell": "transformer"}, "cell='transformer'"),
        ("num_layers", {"num_layers": 1.5}, "num_layers=1.5"),
        ("bidirectional", {"bidirectional": "yes"}, "bidirectional='yes'"),
        (
            "merge_mode",
            {"merge_mode": "max"},
            "`merge_mode` must be one of 'concat', 'sum', 'ave', 'mul', received: "
            "merge_mode='max'",
        ),
        (
            "merge_states",
            {"merge_states": "mean"},
            "`merge_states` must be one of 'concat_project', 'sum', 'concat', "
            "received: merge_states='mean'",
        ),
        ("dropout", {"dropout": 1.0}, "dropout=1.0"),
        ("recurrent_dropout", {"recurrent_dropout": -0.1}, "recurrent_dropout=-0.1"),
        (
            "decoder_units_without_projection",
            {"bidirectional": True, "merge_states": "sum", "decoder_units": 6},
            "decoder_units=6",
        ),
    )
    def test_invalid_arguments(self, kwargs, message):
        kwargs = {"units": 4, **kwargs}
        with self.assertRaisesRegex(ValueError, message):
            RNNEncoder(**kwargs)
