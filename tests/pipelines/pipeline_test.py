import contextlib
import dataclasses
import os
import pathlib
from typing import Literal

import tensorflow as tf

from kerasseq.pipelines import Pipeline
from kerasseq.pipelines.pipeline import _is_table_path
from tests.test_case import TestCase


@dataclasses.dataclass
class ToySettings:
    units: int = 4
    name: str | None = None


class ToyPipeline(Pipeline):
    config_class = ToySettings
    name = "toy"


@dataclasses.dataclass
class StrategySettings:
    strategy: Literal["mirrored", "auto"] | None = None


class StrategyPipeline(Pipeline):
    config_class = StrategySettings


class PipelineTest(TestCase):
    def test_settings_round_trip_and_unknown_keys(self):
        pipeline = ToyPipeline(units=8)
        self.assertEqual(pipeline.get_config(), {"units": 8, "name": None})
        revived = ToyPipeline.from_config(pipeline.get_config())
        self.assertEqual(revived.settings, ToySettings(units=8))
        with self.assertRaisesRegex(ValueError, "Unknown config key `unit`"):
            ToyPipeline.from_config({"unit": 8})
        with self.assertRaisesRegex(ValueError, "`units` must be of type int"):
            ToyPipeline(units="8")
        with self.assertRaisesRegex(TypeError, "config_class"):
            Pipeline()

    def test_unfitted_pipeline_refuses_to_predict(self):
        pipeline = ToyPipeline()
        with self.assertRaisesRegex(ValueError, "ToyPipeline is not fitted yet"):
            pipeline.predict(["text"])
        with self.assertRaisesRegex(ValueError, "not fitted yet"):
            pipeline.export(os.path.join(self.get_temp_dir(), "export"))

    def test_text_checks(self):
        pipeline = ToyPipeline()
        self.assertEqual(pipeline._check_texts(("a", "")), ["a", ""])
        with self.assertRaisesRegex(ValueError, r"x\[2\]=None of type NoneType"):
            pipeline._check_texts(["a", "b", None])
        with self.assertRaisesRegex(ValueError, "2 texts and 1 labels"):
            pipeline._check_labels(["a", "b"], [1])

    def test_from_config_takes_a_whole_run_file(self):
        run = {
            "pipeline": "toy",
            "model": {"units": 16},
            "data": {"train": "train.csv"},
            "fit": {"epochs": 2},
            "output": {"save_dir": "runs/toy"},
        }
        self.assertEqual(ToyPipeline.from_config(run).settings, ToySettings(units=16))
        self.assertEqual(ToyPipeline.from_config({"model": {}}).settings, ToySettings())
        with self.assertRaisesRegex(ValueError, "Unknown config key `model.unit`"):
            ToyPipeline.from_config({"pipeline": "toy", "model": {"unit": 1}})
        with self.assertRaisesRegex(
            ValueError, "for the pipeline 'tagger', not 'toy'.*pipeline='tagger'"
        ):
            ToyPipeline.from_config({"pipeline": "tagger", "model": {}})
        with self.assertRaisesRegex(ValueError, "Unknown run file key `train`"):
            ToyPipeline.from_config({"pipeline": "toy", "train": {}})
        with self.assertRaisesRegex(ValueError, "`model` must be a table"):
            ToyPipeline.from_config({"pipeline": "toy", "model": 3})

    def test_strategy_object_is_kept_not_serialized(self):
        strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
        pipeline = StrategyPipeline(strategy=strategy)
        self.assertIs(pipeline.strategy, strategy)
        self.assertIsNone(pipeline.get_config()["strategy"])
        self.assertIs(pipeline._distribution_strategy(), strategy)
        with pipeline._scope():
            self.assertIs(tf.distribute.get_strategy(), strategy)
        # The default strategy needs no scope.
        self.assertIsInstance(StrategyPipeline()._scope(), contextlib.nullcontext)
        plain = StrategyPipeline()
        self.assertIs(plain._distribution_strategy(), tf.distribute.get_strategy())
        self.assertIsNone(plain.strategy)
        # Built inside a strategy's scope: that strategy is kept.
        pipeline = StrategyPipeline()
        with strategy.scope():
            self.assertIsInstance(pipeline._scope(), contextlib.nullcontext)
        self.assertIs(pipeline.strategy, strategy)
        with self.assertRaisesRegex(ValueError, "`strategy` must be"):
            StrategyPipeline(strategy="tpu")

    def test_table_paths(self):
        for path in ("a.csv", "a.TSV", "a.jsonl.gz", "dir/a.ndjson", pathlib.Path("x")):
            self.assertTrue(_is_table_path(path), path)
        for text in ("a good film", "film.txt", "", b"a.csv"):
            self.assertFalse(_is_table_path(text), text)
