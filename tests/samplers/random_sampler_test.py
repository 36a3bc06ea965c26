"""Tests for `RandomSampler`."""

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.samplers.greedy_sampler import GreedySampler
from kerasseq.samplers.random_sampler import RandomSampler
from tests.samplers import numpy_reference as ref
from tests.test_case import TestCase


def softmax(logits):
    exp = np.exp(logits - np.max(logits))
    return exp / exp.sum()


class RandomSamplerTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.table = ref.random_logits(np.random.default_rng(5), 7, 7)
        self.step = ref.first_order_step(self.table)
        self.start_ids = np.array([1, 3, 4, 5, 6, 1, 3, 4], "int32")

    def decode(self, sampler, start_ids=None, max_length=8):
        return sampler(
            self.step,
            self.start_ids if start_ids is None else start_ids,
            cache=(),
            end_id=ref.END_ID,
            max_length=max_length,
        )

    @parameterized.named_parameters(
        ("seeded", 0.5, 3), ("cold", 0.1, None), ("hot", 4.0, 9)
    )
    def test_top_k_one_is_greedy(self, temperature, seed):
        token_ids, scores = self.decode(
            RandomSampler(temperature=temperature, top_k=1, seed=seed)
        )
        greedy_ids, greedy_scores = self.decode(GreedySampler())
        self.assertAllEqual(token_ids, greedy_ids)
        self.assertAllClose(scores, greedy_scores, atol=1e-6)

    def test_seed_reproduces_and_differs(self):
        first = self.decode(RandomSampler(seed=1))
        again = self.decode(RandomSampler(seed=1))
        other = self.decode(RandomSampler(seed=2))
        self.assertAllEqual(first[0], again[0])
        self.assertAllEqual(first[1], again[1])
        self.assertNotAllEqual(first[0], other[0])
        # Unseeded calls draw a fresh seed every time.
        unseeded = RandomSampler()
        self.assertNotAllEqual(self.decode(unseeded)[0], self.decode(unseeded)[0])

    def test_scores_are_model_log_probabilities(self):
        token_ids, scores = self.decode(RandomSampler(temperature=2.0, seed=4))
        for start_id, tokens, score in zip(
            self.start_ids, token_ids.numpy(), scores.numpy()
        ):
            prefix, expected = [int(start_id)], 0.0
            for token in tokens[tokens != ref.PAD_ID]:
                expected += ref.next_log_probs(self.table, prefix)[token]
                prefix.append(int(token))
            self.assertAllClose(score, expected, atol=1e-5)
            # Right-padded after END, never padding before it.
            ended = np.flatnonzero(tokens == ref.END_ID)
            if ended.size:
                self.assertTrue(np.all(tokens[ended[0] + 1 :] == ref.PAD_ID))
                self.assertNotIn(ref.PAD_ID, tokens[: ended[0]])
            else:
                self.assertNotIn(ref.PAD_ID, tokens)

    @parameterized.named_parameters(
        ("plain", 1.0, None), ("cold_top_3", 0.5, 3), ("hot_top_2", 3.0, 2)
    )
    def test_first_token_frequencies(self, temperature, top_k):
        count = 20000
        token_ids, _ = self.decode(
            RandomSampler(temperature=temperature, top_k=top_k, seed=0),
            start_ids=np.full((count,), 1, "int32"),
            max_length=1,
        )
        logits = ref.masked_log_softmax(self.table[1]) / temperature
        if top_k is not None:
            logits[logits < np.sort(logits)[-top_k]] = -np.inf
        expected = softmax(logits)
        observed = np.bincount(token_ids.numpy()[:, 0], minlength=7) / count
        # Binomial standard error is at most 0.0036 here: allow 4 of them.
        self.assertAllClose(observed, expected, atol=0.015)
        self.assertAllEqual(observed == 0, expected == 0)

    def test_config_round_trip(self):
        sampler = RandomSampler(temperature=0.7, top_k=5, seed=3)
        self.assertEqual(
            sampler.get_config(), {"temperature": 0.7, "top_k": 5, "seed": 3}
        )
        revived = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(sampler)
        )
        self.assertIsInstance(revived, RandomSampler)
        self.assertEqual(revived.get_config(), sampler.get_config())

    def test_top_k_larger_than_vocabulary(self):
        token_ids, _ = self.decode(RandomSampler(top_k=50, seed=1))
        reference, _ = self.decode(RandomSampler(seed=1))
        self.assertAllEqual(token_ids, reference)

    @parameterized.named_parameters(
        ("zero_temperature", {"temperature": 0.0}, "temperature=0.0"),
        ("negative_temperature", {"temperature": -1}, "temperature=-1"),
        ("zero_top_k", {"top_k": 0}, "top_k=0"),
        ("float_seed", {"seed": 1.5}, "seed=1.5"),
    )
    def test_bad_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            RandomSampler(**kwargs)

    def test_bad_max_length(self):
        with self.assertRaisesRegex(ValueError, "max_length=0"):
            self.decode(RandomSampler(seed=1), max_length=0)

    def test_runs_in_tf_function(self):
        sampler = RandomSampler(temperature=0.8, top_k=4, seed=6)
        decode = tf.function(lambda ids: self.decode(sampler, start_ids=ids))
        traced = decode(tf.constant(self.start_ids))
        eager = self.decode(sampler)
        self.assertAllEqual(traced[0], eager[0])
        self.assertAllClose(traced[1], eager[1])
