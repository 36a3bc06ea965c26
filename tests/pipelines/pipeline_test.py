import dataclasses
import os

from kerasseq.pipelines import Pipeline
from kerasseq.pipelines.pipeline import _write_directory
from tests.test_case import TestCase


@dataclasses.dataclass
class ToySettings:
    units: int = 4
    name: str | None = None


class ToyPipeline(Pipeline):
    config_class = ToySettings


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

    def test_write_directory_is_atomic(self):
        parent = self.get_temp_dir()
        target = os.path.join(parent, "out")

        def write(tmp):
            with open(os.path.join(tmp, "file.txt"), "w") as file:
                file.write("one")

        _write_directory(target, write, overwrite=False)
        self.assertEqual(os.listdir(target), ["file.txt"])
        with self.assertRaises(FileExistsError):
            _write_directory(target, write, overwrite=False)

        def fail(tmp):
            write(tmp)
            raise OSError("disk full")

        with self.assertRaisesRegex(OSError, "disk full"):
            _write_directory(target, fail, overwrite=True)
        with open(os.path.join(target, "file.txt")) as file:
            self.assertEqual(file.read(), "one")  # The old one is untouched.
        self.assertEqual(os.listdir(parent), ["out"])  # No temporary left.

        def write_two(tmp):
            with open(os.path.join(tmp, "two.txt"), "w") as file:
                file.write("two")

        _write_directory(target, write_two, overwrite=True)
        self.assertEqual(os.listdir(target), ["two.txt"])
        self.assertEqual(os.listdir(parent), ["out"])
