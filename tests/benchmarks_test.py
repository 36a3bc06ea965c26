"""Smoke tests of the benchmark scripts, so they cannot rot unnoticed."""

import importlib.util

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
