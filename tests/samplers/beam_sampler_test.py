"""Tests for `BeamSampler`."""

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from kerasseq.samplers.beam_sampler import BeamSampler
from kerasseq.samplers.greedy_sampler import GreedySampler
from tests.samplers import numpy_reference as ref
from tests.test_case import TestCase

# Ids 1, 3, 4 are ordinary tokens (and start ids), 2 is END, 0 padding.
START_IDS = np.array([1, 3, 4], "int32")


def second_order_step(table, max_length):
    """A step reading the token two back from a cache of every rank.

    The cache holds `previous` (rank 1: the last input id), `history` (rank
    2: every input id at its step) and `one_hot` (rank 3: the same, one-hot).
    The logits depend on `previous`, so a cache left in the wrong beam
    changes the decode, and the histories can be checked against the output.
    """
    table = tf.constant(table)
    vocabulary_size = table.shape[-1]

    def step(ids, cache, index):
        logits = tf.gather_nd(table, tf.stack([cache["previous"], ids], axis=1))
        at_index = tf.equal(tf.range(max_length), index)
        history = tf.where(at_index, ids[:, None], cache["history"])
        one_hot = tf.where(
            at_index[:, None],
            tf.one_hot(ids, vocabulary_size)[:, None, :],
            cache["one_hot"],
        )
        return logits, {"previous": ids, "history": history, "one_hot": one_hot}

    def initial_cache(batch_size):
        return {
            "previous": tf.fill((batch_size,), ref.PAD_ID),
            "history": tf.zeros((batch_size, max_length), "int32"),
            "one_hot": tf.zeros((batch_size, max_length, vocabulary_size)),
        }

    return step, initial_cache


class BeamSamplerTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(7)
        self.table = ref.random_logits(rng, 5, 5)
        self.table2 = ref.random_logits(rng, 5, 5, 5)

    def decode(self, sampler, table, max_length, **kwargs):
        return sampler(
            ref.first_order_step(table),
            START_IDS,
            cache=(),
            end_id=ref.END_ID,
            max_length=max_length,
            **kwargs,
        )

    @parameterized.named_parameters(
        ("no_penalty_3", 3, 0.0),
        ("penalty_3", 3, 0.6),
        ("strong_penalty_3", 3, 2.0),
        ("no_penalty_4", 4, 0.0),
        ("penalty_4", 4, 1.0),
    )
    def test_n_best_equals_brute_force(self, max_length, alpha):
        # 4 generatable ids: a width of every hypothesis prunes nothing.
        width = sum(3 ** (n - 1) for n in range(1, max_length + 1)) + 3**max_length
        count = 12
        token_ids, scores = self.decode(
            BeamSampler(width, length_penalty=alpha, num_results=count),
            self.table,
            max_length,
        )
        self.assertEqual(tuple(token_ids.shape), (3, count, max_length))
        for row, start_id in enumerate(START_IDS):
            expected_ids, expected_scores = ref.brute_force_n_best(
                self.table, int(start_id), ref.END_ID, max_length, alpha, count
            )
            self.assertAllEqual(token_ids[row], expected_ids)
            self.assertAllClose(scores[row], expected_scores, atol=1e-5)

    @parameterized.named_parameters(
        ("no_penalty", 0.0), ("penalty", 0.6), ("strong_penalty", 3.0)
    )
    def test_second_order_cache_reordered_by_beam(self, alpha):
        max_length, width, count = 3, 40, 8
        step, initial_cache = second_order_step(self.table2, max_length)
        token_ids, scores, cache = BeamSampler(
            width, length_penalty=alpha, num_results=count
        )(
            step,
            START_IDS,
            initial_cache(len(START_IDS)),
            end_id=ref.END_ID,
            max_length=max_length,
            return_cache=True,
        )
        for row, start_id in enumerate(START_IDS):
            expected_ids, expected_scores = ref.brute_force_n_best(
                self.table2, int(start_id), ref.END_ID, max_length, alpha, count
            )
            self.assertAllEqual(token_ids[row], expected_ids)
            self.assertAllClose(scores[row], expected_scores, atol=1e-5)
        # Every cache tensor followed its hypothesis: the inputs were the
        # start id and then the output shifted by one.
        self.assertEqual(tuple(cache["one_hot"].shape), (3, count, max_length, 5))
        inputs = np.concatenate(
            [np.repeat(START_IDS[:, None], count, 1)[..., None], token_ids], -1
        )[..., :max_length]
        self.assertAllEqual(cache["history"], inputs)
        self.assertAllEqual(tf.argmax(cache["one_hot"], -1), inputs)
        self.assertAllEqual(
            cache["previous"], [[ids[-1] for ids in row] for row in inputs]
        )

    def test_narrow_beams_are_real_sorted_distinct_hypotheses(self):
        max_length, count = 4, 3
        for alpha in (0.0, 0.8):
            step, initial_cache = second_order_step(self.table2, max_length)
            token_ids, scores = BeamSampler(3, alpha, num_results=count)(
                step,
                START_IDS,
                initial_cache(3),
                end_id=ref.END_ID,
                max_length=max_length,
            )
            token_ids, scores = token_ids.numpy(), scores.numpy()
            for row, start_id in enumerate(START_IDS):
                hypotheses = {
                    tuple(tokens): ref.gnmt_score(score, len(tokens), alpha)
                    for tokens, score in ref.all_hypotheses(
                        self.table2, int(start_id), ref.END_ID, max_length
                    )
                }
                found = [tuple(t[t != ref.PAD_ID]) for t in token_ids[row]]
                self.assertLen(set(found), count)
                self.assertTrue(np.all(np.diff(scores[row]) <= 0))
                for tokens, score in zip(found, scores[row]):
                    self.assertIn(tokens, hypotheses)
                    self.assertAllClose(score, hypotheses[tokens], atol=1e-5)
                # The best found is the best hypothesis reachable, or close.
                self.assertLessEqual(scores[row, 0], max(hypotheses.values()) + 1e-5)

    @parameterized.named_parameters(
        ("no_penalty", 0.0), ("penalty", 0.6), ("strong_penalty", 3.0)
    )
    def test_width_one_equals_greedy(self, alpha):
        table = ref.random_logits(np.random.default_rng(11), 7, 7)
        start_ids = np.array([1, 3, 4, 5, 6], "int32")
        for max_length in (1, 5, 9):
            kwargs = dict(
                start_ids=start_ids, cache=(), end_id=2, max_length=max_length
            )
            step = ref.first_order_step(table)
            beam_ids, beam_scores = BeamSampler(1, alpha)(step, **kwargs)
            greedy_ids, greedy_scores = GreedySampler()(step, **kwargs)
            self.assertAllEqual(beam_ids, greedy_ids)
            lengths = np.sum(greedy_ids.numpy() != 0, axis=1)
            self.assertAllClose(
                beam_scores,
                ref.gnmt_score(greedy_scores.numpy(), lengths, alpha),
                atol=1e-5,
            )

    def test_constants_closed_over_equal_constants_in_cache(self):
        rng = np.random.default_rng(8)
        memory = tf.constant(rng.normal(size=(3, 4, 5)).astype("float32"))
        table = tf.constant(self.table)
        sampler = BeamSampler(3, length_penalty=0.6, num_results=3)

        def logits_from(ids, rows):
            # Each row reads its own memory, so mixing rows changes logits.
            return tf.gather(table, ids) + tf.reduce_mean(rows, axis=1)

        def cached_step(ids, cache, index):
            return logits_from(ids, cache), cache

        tiled = tf.repeat(memory, 3, axis=0)

        def closed_step(ids, cache, index):
            return logits_from(ids, tiled), cache

        kwargs = dict(start_ids=START_IDS, end_id=2, max_length=4)
        cached = sampler(cached_step, cache=memory, **kwargs)
        closed = sampler(closed_step, cache=(), **kwargs)
        self.assertAllEqual(cached[0], closed[0])
        self.assertAllClose(cached[1], closed[1])
        # And the memory changed the decode (it is not ignored).
        plain = self.decode(sampler, self.table, max_length=4)
        self.assertNotAllClose(plain[1], cached[1])

    def test_more_results_than_hypotheses_are_empty(self):
        # One token, 4 generatable ids: 4 hypotheses, 6 asked for.
        token_ids, scores = self.decode(
            BeamSampler(6, num_results=6), self.table, max_length=1
        )
        expected_ids, expected_scores = ref.brute_force_n_best(
            self.table, 1, ref.END_ID, 1, 0.0, 4
        )
        self.assertAllEqual(token_ids[0, :4], expected_ids)
        self.assertAllClose(scores[0, :4], expected_scores, atol=1e-5)
        self.assertAllEqual(token_ids[:, 4:], np.zeros((3, 2, 1)))
        self.assertAllEqual(scores[:, 4:], np.full((3, 2), -np.inf))

    def test_stops_early_when_every_beam_ended(self):
        # END is the likeliest token everywhere; other ids stay possible.
        table = np.zeros((5, 5), "float32")
        table[:, ref.END_ID] = 3.0

        def step(ids, cache, index):
            logits, _ = ref.first_order_step(table)(ids, (), index)
            return logits, cache + 1

        sampler = BeamSampler(2)
        token_ids, _, steps = sampler(
            step,
            [1, 3],
            cache=tf.zeros((2,), "int32"),
            end_id=ref.END_ID,
            max_length=20,
            return_cache=True,
        )
        self.assertAllEqual(token_ids[:, :3], [[2, 0, 0], [2, 0, 0]])
        # Both beams hold an END after two steps (END, then x END), so
        # the loop stops there instead of running 20 steps.
        self.assertAllEqual(steps, [2, 2])

    def test_output_shapes_for_one_result(self):
        token_ids, scores, cache = BeamSampler(3)(
            ref.first_order_step(self.table),
            START_IDS,
            cache={"x": tf.zeros((3, 2, 4))},
            end_id=2,
            max_length=5,
            return_cache=True,
        )
        self.assertEqual(tuple(token_ids.shape), (3, 5))
        self.assertEqual(tuple(scores.shape), (3,))
        self.assertEqual(tuple(cache["x"].shape), (3, 2, 4))

    def test_config_round_trip(self):
        sampler = BeamSampler(beam_width=5, length_penalty=0.6, num_results=3)
        self.assertEqual(
            sampler.get_config(),
            {"beam_width": 5, "length_penalty": 0.6, "num_results": 3},
        )
        revived = keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(sampler)
        )
        self.assertIsInstance(revived, BeamSampler)
        self.assertEqual(revived.get_config(), sampler.get_config())

    @parameterized.named_parameters(
        ("zero_width", {"beam_width": 0}, "beam_width=0"),
        ("float_width", {"beam_width": 2.0}, "beam_width=2.0"),
        ("zero_results", {"num_results": 0}, "num_results=0"),
        ("too_many_results", {"beam_width": 2, "num_results": 3}, "num_results=3"),
        ("negative_penalty", {"length_penalty": -0.5}, "length_penalty=-0.5"),
        ("nan_penalty", {"length_penalty": float("nan")}, "length_penalty=nan"),
    )
    def test_bad_arguments(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            BeamSampler(**kwargs)

    def test_bad_max_length(self):
        with self.assertRaisesRegex(ValueError, "max_length=0"):
            self.decode(BeamSampler(2), self.table, max_length=0)
