"""Smoke test of `benchmarks/translate.py`, so it cannot rot unnoticed."""

import pytest

from kerasseq.data import SentencePairs
from tests.benchmarks_test import load_benchmark
from tests.test_case import TestCase


class SplitPairsTest(TestCase):
    def test_holds_out_exactly_count_pairs_of_unseen_sources(self):
        split_pairs = load_benchmark("translate").split_pairs
        # sources with 5, 3 and 2 pairs, and 10 with one pair each
        sources = ["a"] * 5 + ["b"] * 3 + ["c"] * 2 + [f"d{i}" for i in range(10)]
        pairs = SentencePairs(sources, [f"t{i}" for i in range(20)])
        for count in (1, 4, 9, 12, 19):
            rest, held = split_pairs(pairs, count, seed=3)
            self.assertLen(held, count)
            self.assertLen(rest, 20 - count)
            self.assertEmpty(set(rest.sources) & set(held.sources))
            self.assertEqual(set(pairs.targets), set(rest.targets + held.targets))
        # the same seed gives the same split
        self.assertEqual(split_pairs(pairs, 11, 3)[1], split_pairs(pairs, 11, 3)[1])

    def test_rejects_a_count_that_whole_sources_cannot_make(self):
        split_pairs = load_benchmark("translate").split_pairs
        pairs = SentencePairs(["a", "a", "b", "b"], ["1", "2", "3", "4"])
        with self.assertRaisesRegex(ValueError, "exactly 1 pairs"):
            split_pairs(pairs, 1)
        with self.assertRaisesRegex(ValueError, "`count` must be in"):
            split_pairs(pairs, 4)


class TranslateBenchmarkTest(TestCase):
    @pytest.mark.slow
    def test_runs_on_a_few_hundred_pairs(self):
        results = load_benchmark("translate").main(
            "--limit 300 --held-out 32 --epochs 1 --repeats 1 --batch-size 16 "
            "--length-penalties 1.0 --quiet --set model.units=8 "
            "--set model.embedding_dim=8 --set fit.batch_size=64".split()
        )
        self.assertEqual(32, results["size"]["test"])
        self.assertEqual(300, sum(results["size"].values()))
        self.assertLen(results["train"]["epoch_seconds"], 1)
        for key in ("greedy", "beam"):
            self.assertBetween(results["bleu"][key], 0.0, 100.0)
        self.assertIn("1.0", results["bleu"]["other_length_penalties"])
        # the eager loop decodes as the SavedModel's in-graph greedy search
        self.assertGreaterEqual(results["speed"]["agreement"], 0.95)
        rows = results["rows"]
        self.assertLen(rows, 4)
        for row in rows:
            self.assertEqual(
                {"name", "ours", "peer", "ratio", "unit", "goal", "passed"}, set(row)
            )
            self.assertGreaterEqual(row["ours"], 0.0, row)
        self.assertGreater(results["speed"]["savedmodel"], 0.0)
        self.assertGreater(results["speed"]["loop"], 0.0)
