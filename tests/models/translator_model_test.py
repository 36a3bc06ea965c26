import os

import keras
import numpy as np
import pytest

from kerasseq.models.translator_model import TranslatorModel
from kerasseq.samplers import BeamSampler
from kerasseq.samplers import GreedySampler
from tests.test_case import TestCase

SOURCE_IDS = np.array([[4, 5, 6, 7], [8, 9, 0, 0], [5, 0, 0, 0]], "int32")
SOURCE_MASK = SOURCE_IDS != 0


def small_model(**kwargs):
    settings = dict(
        source_vocabulary_size=10,
        target_vocabulary_size=9,
        embedding_dim=6,
        units=8,
    )
    settings.update(kwargs)
    return TranslatorModel(**settings)


def inputs(target_ids):
    return {
        "source_ids": SOURCE_IDS,
        "source_padding_mask": SOURCE_MASK,
        "target_ids": np.asarray(target_ids, "int32"),
    }


class TranslatorModelTest(TestCase):
    def test_teacher_forced_output_shape(self):
        for cell, bidirectional, attention in [
            ("lstm", True, "bahdanau"),
            ("gru", False, "luong"),
            ("simple_rnn", True, "luong"),
        ]:
            model = small_model(
                cell=cell, bidirectional_encoder=bidirectional, attention=attention
            )
            logits = model(inputs(np.full((3, 5), 2)))
            self.assertEqual(tuple(logits.shape), (3, 5, 9))
            self.assertEqual(logits.dtype, "float32")

    def test_decoder_layers_bridge(self):
        for encoder_layers, decoder_layers in [(2, 1), (1, 2), (2, None)]:
            model = small_model(
                encoder_layers=encoder_layers, decoder_layers=decoder_layers
            )
            self.assertEqual(model.decoder.num_layers, decoder_layers or encoder_layers)
            logits = model(inputs(np.full((3, 2), 2)))
            self.assertEqual(tuple(logits.shape), (3, 2, 9))

    def test_source_padding_does_not_change_outputs(self):
        model = small_model()
        target = np.array([[2, 4, 5]], "int32")
        short = model(
            {
                "source_ids": SOURCE_IDS[1:2, :2],
                "source_padding_mask": SOURCE_MASK[1:2, :2],
                "target_ids": target,
            }
        )
        padded = model(
            {
                "source_ids": SOURCE_IDS[1:2],
                "source_padding_mask": SOURCE_MASK[1:2],
                "target_ids": target,
            }
        )
        self.assertAllClose(short, padded, atol=1e-5)

    def test_greedy_generation_equals_teacher_forced_argmax(self):
        model = small_model(encoder_layers=2)
        token_ids, scores = model.generate(SOURCE_IDS, SOURCE_MASK, GreedySampler(), 6)
        token_ids = keras.ops.convert_to_numpy(token_ids)
        self.assertEqual(token_ids.shape, (3, 6))
        # Feeding the generated tokens back, teacher forced, gives the same
        # argmax at every position up to [END] and the same log-probability.
        decoder_inputs = np.concatenate(
            [np.full((3, 1), model.start_id), token_ids[:, :-1]], axis=1
        )
        logits = keras.ops.convert_to_numpy(model(inputs(decoder_inputs)))
        logits[..., 0] = -np.inf  # The samplers never generate padding.
        log_probs = logits - np.log(np.sum(np.exp(logits), -1, keepdims=True))
        for row in range(3):
            length = 6
            ends = np.flatnonzero(token_ids[row] == model.end_id)
            if ends.size:
                length = ends[0] + 1
            expected = np.argmax(logits[row, :length], axis=-1)
            self.assertAllEqual(token_ids[row, :length], expected)
            picked = log_probs[row, np.arange(length), token_ids[row, :length]]
            self.assertAllClose(scores[row], np.sum(picked), atol=1e-4)

    def test_attention_weights_equal_those_of_the_step_loop(self):
        model = small_model(encoder_layers=2, attention="luong")
        token_ids, _ = model.generate(SOURCE_IDS, SOURCE_MASK, GreedySampler(), 4)
        decoder_inputs = np.concatenate(
            [np.full((3, 1), model.start_id), keras.ops.convert_to_numpy(token_ids)],
            axis=1,
        )[:, :4]
        weights = model.attention_weights(SOURCE_IDS, SOURCE_MASK, decoder_inputs)
        self.assertEqual(tuple(weights.shape), (3, 4, 4))
        # Reference: the decoder's own step, one position at a time.
        cache = model.initial_cache(SOURCE_IDS, SOURCE_MASK)
        for t in range(4):
            embedded = model.target_embedding(decoder_inputs[:, t])
            _, cache, step_weights = model.decoder.step(
                embedded, cache, return_attention_scores=True
            )
            self.assertAllClose(weights[:, t], step_weights, atol=1e-5)
        self.assertAllClose(np.sum(weights, -1), np.ones((3, 4)), atol=1e-5)
        self.assertAllEqual(weights[1, :, 2:], np.zeros((4, 2)))

    def test_beam_width_one_equals_greedy(self):
        model = small_model(attention="luong")
        greedy = model.generate(SOURCE_IDS, SOURCE_MASK, GreedySampler(), 7)
        beam = model.generate(SOURCE_IDS, SOURCE_MASK, BeamSampler(beam_width=1), 7)
        self.assertAllEqual(greedy[0], beam[0])
        self.assertAllClose(greedy[1], beam[1], atol=1e-5)

    def test_n_best_sorted_and_distinct(self):
        model = small_model()
        token_ids, scores = model.generate(
            SOURCE_IDS, SOURCE_MASK, BeamSampler(beam_width=4, num_results=3), 5
        )
        token_ids = keras.ops.convert_to_numpy(token_ids)
        scores = keras.ops.convert_to_numpy(scores)
        self.assertEqual(token_ids.shape, (3, 3, 5))
        for row in range(3):
            self.assertTrue(np.all(np.diff(scores[row]) <= 1e-6), scores[row])
            self.assertEqual(len({tuple(h) for h in token_ids[row]}), 3)
        # The best of 4 beams scores at least as well as greedy search.
        _, greedy = model.generate(SOURCE_IDS, SOURCE_MASK, GreedySampler(), 5)
        self.assertTrue(
            np.all(scores[:, 0] >= keras.ops.convert_to_numpy(greedy) - 1e-5)
        )

    def test_save_and_load(self):
        model = small_model(cell="gru", encoder_layers=2, decoder_layers=1)
        path = os.path.join(self.get_temp_dir(), "model.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertIsInstance(restored, TranslatorModel)
        self.assertEqual(restored.get_config(), model.get_config())
        x = inputs(np.full((3, 3), 2))
        self.assertAllClose(restored(x), model(x))
        self.assertAllEqual(
            restored.generate(SOURCE_IDS, SOURCE_MASK, GreedySampler(), 4)[0],
            model.generate(SOURCE_IDS, SOURCE_MASK, GreedySampler(), 4)[0],
        )

    @pytest.mark.slow
    def test_learns_to_copy(self):
        # Targets are the sources: a few steps of teacher forcing fit them.
        rng = np.random.default_rng(0)
        source = rng.integers(4, 9, size=(64, 4)).astype("int32")
        model = small_model(units=16, embedding_dim=8)
        model.compile(
            optimizer=keras.optimizers.Adam(0.03),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        x = {
            "source_ids": source,
            "source_padding_mask": np.ones_like(source, bool),
            "target_ids": np.concatenate([np.full((64, 1), 2), source], 1),
        }
        labels = np.concatenate([source, np.full((64, 1), 3)], 1)
        model.fit(x, labels, epochs=40, batch_size=64, verbose=0)
        token_ids, _ = model.generate(
            source, x["source_padding_mask"], GreedySampler(), 5
        )
        self.assertGreaterEqual(
            np.mean(keras.ops.convert_to_numpy(token_ids) == labels), 0.9
        )

    def test_bad_arguments(self):
        with self.assertRaisesRegex(
            ValueError,
            "`attention` must be one of 'bahdanau', 'luong', received: attention='dot'",
        ):
            small_model(attention="dot")
        with self.assertRaisesRegex(ValueError, "units=0"):
            small_model(units=0)
        with self.assertRaisesRegex(ValueError, "decoder_layers=0"):
            small_model(decoder_layers=0)
        with self.assertRaisesRegex(ValueError, "dropout"):
            small_model(dropout=1.5)
