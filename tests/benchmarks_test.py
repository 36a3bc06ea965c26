"""Smoke tests of the benchmark scripts, so they cannot rot unnoticed."""

import importlib.util
import pathlib
import tomllib

import pytest

from tests.test_case import REPO_ROOT
from tests.test_case import TestCase


def load_benchmark(name):
    path = REPO_ROOT / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RecurrentBenchmarkTest(TestCase):
    def test_runs_and_reports_the_min_ratio(self):
        benchmark = load_benchmark("recurrent")
        min_ratio = benchmark.main(
            "--repeats 1 --batches 2 --warmup 1 --batch-size 4 --features 3 "
            "--units 2 --lengths 5 --bidirectional-length 5 --rows gru".split()
        )
        self.assertGreater(min_ratio, 0.0)


class ProfileBenchmarkTest(TestCase):
    def test_profiles_both_implementations(self):
        benchmark = load_benchmark("profile_recurrent")
        tables = benchmark.main(
            "--cell gru --length 4 --batch-size 2 --features 3 --units 2 "
            "--steps 1 --top 3".split()
        )
        self.assertEqual({"ours", "keras"}, set(tables))
        for table in tables.values():
            self.assertIn("MatMul", table)


def check_rows(test, rows, count):
    """The rows a text benchmark part returns, as `benchmarks/text.py` reads them."""
    test.assertLen(rows, count)
    for row in rows:
        test.assertEqual({"name", "ours", "peer", "ratio", "unit", "goal"}, set(row))
        # a memory figure on a tiny input may round to 0 (ratio 0 or inf)
        test.assertGreaterEqual(row["ratio"], 0.0, row)


class TextBucketingBenchmarkTest(TestCase):
    def test_runs_and_returns_rows(self):
        rows = load_benchmark("text_bucketing").run(
            repeats=1,
            fraction=0.004,
            units=4,
            embedding_dim=4,
            max_length=50,
            batch_size=8,
            num_buckets=4,
        )
        check_rows(self, rows, 2)


class TextBenchmarkTest(TestCase):
    def test_formats_rows_as_a_table(self):
        benchmark = load_benchmark("text")
        table = benchmark.format_table(
            [
                {
                    "name": "a measure",
                    "ours": 2.0,
                    "peer": 1.0,
                    "ratio": 2.0,
                    "unit": "s",
                    "goal": ">= 1.0x",
                }
            ]
        )
        self.assertIn("a measure", table)
        self.assertIn("2.00", table)


class TextVectorsBenchmarkTest(TestCase):
    def test_runs_on_a_tiny_file(self):
        path = pathlib.Path(self.get_temp_dir()) / "tiny.txt"
        path.write_text("the 0.1 0.2\nof 0.3 0.4\n")
        rows = load_benchmark("text_vectors").run(repeats=1, path=path)
        check_rows(self, rows, 4)


class TextTokenizeBenchmarkTest(TestCase):
    def test_runs_on_a_few_reviews(self):
        rows = load_benchmark("text_tokenize").run(repeats=1, limit=200)
        check_rows(self, rows, 4)


class ClassifyBenchmarkTest(TestCase):
    @pytest.mark.slow
    def test_runs_both_parts_on_a_few_examples(self):
        results = load_benchmark("classify").main(
            "--limit 64 --epochs 1 --peer-epochs 1 --folds 1 --rt-epochs 1 "
            "--rt-limit 100 --quiet".split()
        )
        self.assertLen(results["rt"]["fold_accuracies"], 1)
        rows = results["rows"]
        self.assertLen(rows, 3)
        for row in rows:
            self.assertEqual(
                {"name", "ours", "peer", "ratio", "unit", "goal", "passed"}, set(row)
            )
            self.assertGreaterEqual(row["ratio"], 0.0, row)
        for side in ("ours", "peer"):
            self.assertBetween(results["imdb"][side]["accuracy"], 0.0, 1.0)
            self.assertLen(results["imdb"][side]["epoch_seconds"], 1)

    def test_rt_recipe_is_the_prebuilt_run_file(self):
        classify = load_benchmark("classify")
        with open(REPO_ROOT / "pipelines" / "sentiment_rt.toml", "rb") as file:
            run = tomllib.load(file)
        model = run["model"]
        self.assertEqual(
            classify.RT_RECIPE, {key: model[key] for key in classify.RT_RECIPE}
        )
        self.assertEqual(run["fit"]["batch_size"], classify.RT_BATCH_SIZE)
        self.assertEqual(run["fit"]["epochs"], classify.RT_MAX_EPOCHS)
        self.assertEqual(run["fit"]["early_stopping"], classify.RT_PATIENCE)
        self.assertEqual(model["embeddings"], classify.GLOVE.as_posix())
