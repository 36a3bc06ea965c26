"""Tests for the `Sampler` base and every sampler inside graphs and SavedModels."""

import json
import os
import tempfile

import numpy as np
import pytest
import tensorflow as tf

from kerasseq.samplers.beam_sampler import BeamSampler
from kerasseq.samplers.greedy_sampler import GreedySampler
from kerasseq.samplers.random_sampler import RandomSampler
from kerasseq.samplers.sampler import Sampler
from tests.samplers import numpy_reference as ref
from tests.test_case import TestCase
from tests.test_case import run_python

SAMPLERS = {
    "greedy": GreedySampler(),
    "beam": BeamSampler(beam_width=3, length_penalty=0.6, num_results=2),
    "sample": RandomSampler(temperature=0.8, top_k=4, seed=11),
}


class ToyDecoder(tf.Module):
    """A first-order model in a variable, with a cache like an RNN decoder's.

    The cache carries a state `(batch, 4)` updated every step and a memory
    `(batch, 3, 4)` (encoder-output-like) read every step; the logits add a
    term from both that is the same for every row, so the decode is the
    table's.
    """

    def __init__(self, table):
        super().__init__()
        self.table = tf.Variable(table)

    def step(self, ids, cache, index):
        state = cache["state"] + tf.reduce_mean(cache["memory"], axis=1)
        logits = tf.gather(self.table, ids) + 0.0 * tf.reduce_sum(state)
        return logits, {"state": state, "memory": cache["memory"]}

    def decode(self, name, start_ids, max_length):
        batch_size = tf.shape(start_ids)[0]
        cache = {
            "state": tf.zeros((batch_size, 4)),
            "memory": tf.ones((batch_size, 3, 4)),
        }
        token_ids, scores = SAMPLERS[name](
            self.step, start_ids, cache, end_id=ref.END_ID, max_length=max_length
        )
        return {"token_ids": token_ids, "scores": scores}

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.int32, name="start_ids"),
            tf.TensorSpec([], tf.int32, name="max_length"),
        ]
    )
    def greedy(self, start_ids, max_length):
        return self.decode("greedy", start_ids, max_length)

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], tf.int32, name="start_ids"),
            tf.TensorSpec([], tf.int32, name="max_length"),
        ]
    )
    def beam(self, start_ids, max_length):
        return self.decode("beam", start_ids, max_length)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name="start_ids")])
    def sample(self, start_ids):
        return self.decode("sample", start_ids, 6)


class SamplerTest(TestCase):
    def setUp(self):
        super().setUp()
        self.table = ref.random_logits(np.random.default_rng(2), 6, 6)
        self.start_ids = np.array([1, 3, 4, 5], "int32")

    def eager(self, decoder, name, max_length):
        return decoder.decode(name, tf.constant(self.start_ids), max_length)

    def test_base_needs_get_next_token(self):
        with self.assertRaisesRegex(NotImplementedError, "get_next_token"):
            Sampler()(
                ref.first_order_step(self.table),
                self.start_ids,
                cache=(),
                end_id=2,
                max_length=3,
            )

    @pytest.mark.slow
    def test_traced_and_saved_decodes_equal_eager(self):
        decoder = ToyDecoder(self.table)
        expected = {
            "greedy": self.eager(decoder, "greedy", 5),
            "beam": self.eager(decoder, "beam", 5),
            "sample": self.eager(decoder, "sample", 6),
        }
        # The greedy decode is the NumPy one.
        self.assertAllEqual(
            expected["greedy"]["token_ids"],
            [ref.greedy(self.table, int(s), ref.END_ID, 5)[0] for s in self.start_ids],
        )
        self.assertEqual(tuple(expected["beam"]["token_ids"].shape), (4, 2, 5))
        start_ids = tf.constant(self.start_ids)
        traced = {
            "greedy": decoder.greedy(start_ids, tf.constant(5)),
            "beam": decoder.beam(start_ids, tf.constant(5)),
            "sample": decoder.sample(start_ids),
        }
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "decoder")
            tf.saved_model.save(
                decoder,
                path,
                signatures={
                    "greedy": decoder.greedy,
                    "beam": decoder.beam,
                    "sample": decoder.sample,
                },
            )
            restored = tf.saved_model.load(path)
            reloaded = {
                "greedy": restored.greedy(start_ids, tf.constant(5)),
                "beam": restored.beam(start_ids, tf.constant(5)),
                "sample": restored.sample(start_ids),
            }
            # A fresh process that imports TensorFlow only serves the same.
            code = (
                "import json, sys\n"
                "import tensorflow as tf\n"
                f"model = tf.saved_model.load({path!r})\n"
                f"ids = tf.constant({self.start_ids.tolist()}, tf.int32)\n"
                "out = {\n"
                "  'greedy': model.signatures['greedy'](start_ids=ids,\n"
                "      max_length=tf.constant(5)),\n"
                "  'beam': model.signatures['beam'](start_ids=ids,\n"
                "      max_length=tf.constant(5)),\n"
                "  'sample': model.signatures['sample'](start_ids=ids)}\n"
                "out = {k: {n: t.numpy().tolist() for n, t in v.items()}\n"
                "       for k, v in out.items()}\n"
                "out['kerasseq_imported'] = 'kerasseq' in sys.modules\n"
                "print(json.dumps(out))\n"
            )
            process = run_python(code, cwd=tmp)
        self.assertEqual(process.returncode, 0, process.stderr[-2000:])
        served = json.loads(process.stdout.strip().splitlines()[-1])
        self.assertFalse(served.pop("kerasseq_imported"))
        for name, outputs in expected.items():
            for other in (traced[name], reloaded[name], served[name]):
                self.assertAllEqual(other["token_ids"], outputs["token_ids"])
                self.assertAllClose(other["scores"], outputs["scores"], atol=1e-6)

    def test_dynamic_max_length(self):
        decoder = ToyDecoder(self.table)
        start_ids = tf.constant(self.start_ids)
        for max_length in (1, 3, 7):
            for name in ("greedy", "beam"):
                traced = getattr(decoder, name)(start_ids, tf.constant(max_length))
                eager = self.eager(decoder, name, max_length)
                self.assertEqual(traced["token_ids"].shape[-1], max_length)
                self.assertAllEqual(traced["token_ids"], eager["token_ids"])
                self.assertAllClose(traced["scores"], eager["scores"])
