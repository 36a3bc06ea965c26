"""Tests for `kerasseq.samplers.get`."""

import keras
from absl.testing import parameterized

from kerasseq.samplers.beam_sampler import BeamSampler
from kerasseq.samplers.greedy_sampler import GreedySampler
from kerasseq.samplers.random_sampler import RandomSampler
from kerasseq.samplers.serialization import get
from tests.test_case import TestCase


class GetTest(TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("greedy", "greedy", {}, GreedySampler),
        ("beam", "Beam", {"beam_width": 3, "num_results": 2}, BeamSampler),
        ("random", "random", {"top_k": 5, "seed": 1}, RandomSampler),
    )
    def test_by_name(self, name, kwargs, cls):
        sampler = get(name, **kwargs)
        self.assertIsInstance(sampler, cls)
        for key, value in kwargs.items():
            self.assertEqual(sampler.get_config()[key], value)

    def test_instance_and_serialized(self):
        sampler = BeamSampler(beam_width=5, length_penalty=0.6)
        self.assertIs(get(sampler), sampler)
        revived = get(keras.saving.serialize_keras_object(sampler))
        self.assertIsInstance(revived, BeamSampler)
        self.assertEqual(revived.get_config(), sampler.get_config())

    def test_bad_identifiers(self):
        with self.assertRaisesRegex(ValueError, "sampler='bean'.*Did you mean 'beam'"):
            get("bean")
        with self.assertRaisesRegex(ValueError, "sampler=3"):
            get(3)
        with self.assertRaisesRegex(ValueError, "constructor arguments"):
            get(GreedySampler(), beam_width=2)
        # Constructor checks still apply through names.
        with self.assertRaisesRegex(ValueError, "beam_width=0"):
            get("beam", beam_width=0)
