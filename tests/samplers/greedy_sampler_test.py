"""Tests for `GreedySampler`."""

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.samplers.greedy_sampler import GreedySampler
from tests.samplers import numpy_reference as ref
from tests.test_case import TestCase


class GreedySamplerTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.table = ref.random_logits(np.random.default_rng(3), 7, 7)
        self.start_ids = np.array([1, 3, 4, 5, 6, 2], "int32")

    @parameterized.named_parameters(("short", 1), ("medium", 4), ("long", 12))
    def test_matches_numpy_greedy(self, max_length):
        token_ids, scores = GreedySampler()(
            ref.first_order_step(self.table),
            self.start_ids,
            cache=(),
            end_id=ref.END_ID,
            max_length=max_length,
        )
        expected = [
            ref.greedy(self.table, int(s), ref.END_ID, max_length)
            for s in self.start_ids
        ]
        self.assertEqual(token_ids.dtype, tf.int32)
        self.assertAllEqual(token_ids, [tokens for tokens, _ in expected])
        self.assertAllClose(scores, [score for _, score in expected], atol=1e-5)

    def test_some_rows_end_and_others_run_to_max_length(self):
        # 1 -> 4 -> 3 -> END, and 5 -> 5 -> ... never ends.
        table = np.full((6, 6), -30.0, "float32")
        table[:, 4] = 0.0
        table[4, 3] = 1.0
        table[3, :] = -30.0
        table[3, ref.END_ID] = 0.0
        table[5, 5] = 5.0
        token_ids, scores = GreedySampler()(
            ref.first_order_step(table),
            [1, 3, 4, 5],
            cache=(),
            end_id=ref.END_ID,
            max_length=4,
        )
        self.assertAllEqual(
            token_ids, [[4, 3, 2, 0], [2, 0, 0, 0], [3, 2, 0, 0], [5, 5, 5, 5]]
        )
        expected = [ref.greedy(table, s, ref.END_ID, 4)[1] for s in (1, 3, 4, 5)]
        self.assertAllClose(scores, expected, atol=1e-5)

    def test_never_generates_padding(self):
        # Padding is by far the likeliest id; it must still never come out.
        table = np.zeros((5, 5), "float32")
        table[:, ref.PAD_ID] = 10.0
        table[:, 3] = 1.0
        token_ids, scores = GreedySampler()(
            ref.first_order_step(table),
            [1, 1],
            cache=(),
            end_id=ref.END_ID,
            max_length=3,
        )
        self.assertAllEqual(token_ids, [[3, 3, 3], [3, 3, 3]])
        step = ref.masked_log_softmax(table[1])[3]
        self.assertAllClose(scores, [3 * step, 3 * step], atol=1e-5)

    def test_stops_early_when_every_row_ended(self):
        table = np.full((5, 5), -30.0, "float32")
        table[:, ref.END_ID] = 0.0

        def step(ids, cache, index):
            logits, _ = ref.first_order_step(table)(ids, cache, index)
            return logits, cache + 1

        token_ids, _, steps = GreedySampler()(
            step,
            [1, 3],
            cache=tf.zeros((2,), "int32"),
            end_id=ref.END_ID,
            max_length=10,
            return_cache=True,
        )
        self.assertAllEqual(token_ids[:, :2], [[2, 0], [2, 0]])
        self.assertAllEqual(steps, [1, 1])

    def test_config_round_trip(self):
        sampler = GreedySampler()
        self.assertEqual(sampler.get_config(), {})
        revived = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(sampler)
        )
        self.assertIsInstance(revived, GreedySampler)

    def test_bad_max_length(self):
        for value in (0, -2, 2.5):
            with self.assertRaisesRegex(ValueError, f"max_length={value}"):
                GreedySampler()(
                    ref.first_order_step(self.table),
                    [1],
                    cache=(),
                    end_id=2,
                    max_length=value,
                )
