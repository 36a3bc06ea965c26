import gzip
import json
import os
import pathlib
from unittest import mock

import pytest

from kerasseq import config
from kerasseq import runs
from kerasseq.data import LabelledTexts
from kerasseq.pipelines import TextClassifierConfig
from tests.test_case import REPO_ROOT
from tests.test_case import TestCase
from tests.test_case import data_dir

PIPELINES_DIR = REPO_ROOT / "pipelines"


def write(path, text, mode="w", encoding="utf-8"):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if "b" in mode:
        with open(path, mode) as file:
            file.write(text)
    else:
        with open(path, mode, encoding=encoding, newline="") as file:
            file.write(text)
    return path


class RunTestCase(TestCase):
    def setUp(self):
        super().setUp()
        self.folder = pathlib.Path(self.get_temp_dir())
        environment = mock.patch.dict(os.environ)
        environment.start()
        self.addCleanup(environment.stop)
        os.environ.pop(runs.DATA_ENV, None)

    def run_file(self, text, overrides=(), name="run.toml"):
        path = write(self.folder / name, text)
        return runs.load_run(path, overrides)


MINIMAL = 'pipeline = "text_classifier"\n[data]\ntrain = "train.csv"\n'


class PrebuiltRunFilesTest(RunTestCase):
    def test_prebuilt_files_validate_with_the_data_present(self):
        os.environ[runs.DATA_ENV] = str(data_dir())
        expected = {
            "sentiment_rt.toml": {
                "train": {
                    "pos": data_dir() / "rt-polarity" / "rt-polarity.pos",
                    "neg": data_dir() / "rt-polarity" / "rt-polarity.neg",
                },
                "validation": None,
                "test": None,
            },
            "sentiment_imdb.toml": {
                "train": data_dir() / "imdb" / "train.jsonl.gz",
                "validation": None,
                "test": data_dir() / "imdb" / "test.jsonl.gz",
            },
        }
        for name, files in expected.items():
            run = runs.load_run(PIPELINES_DIR / name)
            self.assertEqual("text_classifier", run.pipeline)
            # Every [model] key is a TextClassifier setting.
            settings = config.from_dict(TextClassifierConfig, run.model, "model")
            self.assertEqual("attention", settings.pooling)
            self.assertEqual("glove/glove.6B.50d.txt.gz", run.model["embeddings"])
            paths = runs.check_paths(run)
            self.assertEqual(
                {
                    **files,
                    "embeddings": str(data_dir() / "glove" / "glove.6B.50d.txt.gz"),
                },
                paths,
            )
            # What `dumps` writes reads back equal.
            self.assertEqual(run, config.loads(runs.RunConfig, config.dumps(run)))
        imdb = runs.load_run(PIPELINES_DIR / "sentiment_imdb.toml")
        self.assertEqual(400, imdb.model["sequence_length"])
        self.assertEqual(
            (True, "gru"), (imdb.model["bidirectional"], imdb.model["cell"])
        )

    def test_every_key_of_the_prebuilt_files_is_commented(self):
        for name in ("sentiment_rt.toml", "sentiment_imdb.toml"):
            for line in (PIPELINES_DIR / name).read_text().splitlines():
                if line and not line.startswith("#"):
                    self.assertIn("#", line, f"{name}: uncommented line {line!r}")

    @pytest.mark.slow
    def test_rt_splits_are_stratified_and_disjoint(self):
        os.environ[runs.DATA_ENV] = str(data_dir())
        run = runs.load_run(PIPELINES_DIR / "sentiment_rt.toml")
        splits = runs.read_splits(run)
        counts = {
            name: (data.labels.count("neg"), data.labels.count("pos"))
            for name, data in splits.items()
        }
        # 5,331 sentences per label: round(533.1) held out for each split.
        self.assertEqual(
            {"train": (4265, 4265), "validation": (533, 533), "test": (533, 533)},
            counts,
        )
        seen = [set(zip(d.texts, d.labels)) for d in splits.values()]
        self.assertFalse(seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2])
        # Latin-1: rt-polarity's 0xe9 byte reads as "é".
        self.assertTrue(any("é" in text for text in splits["train"].texts))
        again = runs.read_split(run, "test")
        self.assertEqual(splits["test"].texts, again.texts)


class RunConfigTest(RunTestCase):
    def test_defaults(self):
        run = self.run_file(MINIMAL)
        self.assertEqual({}, run.model)
        self.assertEqual(
            runs.DataConfig(train="train.csv"),
            run.data,
        )
        self.assertEqual(runs.FitConfig(), run.fit)
        self.assertEqual(
            (1, 32, "auto"), (run.fit.epochs, run.fit.batch_size, run.fit.verbose)
        )
        self.assertEqual(runs.OutputConfig(), run.output)
        self.assertEqual(str(self.folder / "run.toml"), run.source)

    def test_overrides(self):
        run = self.run_file(
            MINIMAL,
            [
                "model.units=8",
                "fit.epochs=2",
                "fit.verbose=0",
                "data.root=/data",
                "fit.class_weight={ pos = 2, neg = 1 }",
                "output.save_dir=runs/x",
            ],
        )
        self.assertEqual({"units": 8}, run.model)
        self.assertEqual((2, 0), (run.fit.epochs, run.fit.verbose))
        self.assertEqual({"pos": 2.0, "neg": 1.0}, run.fit.class_weight)
        self.assertEqual(("/data", "runs/x"), (run.data.root, run.output.save_dir))

    def test_unknown_keys_name_the_dotted_key(self):
        path = self.folder / "run.toml"
        head = 'pipeline = "text_classifier"\n[data]\ntrain = "t.csv"\n'
        cases = [
            (head + "[model]\nunit = 3\n", "`model.unit`; did you mean `model.units`?"),
            (head + "formt = 'table'\n", "`data.formt`; did you mean `data.format`?"),
            (head + "[fit]\nepoch = 3\n", "`fit.epoch`; did you mean `fit.epochs`?"),
            (
                head + "[output]\nsave = 'x'\n",
                "`output.save`; did you mean `output.save_dir`?",
            ),
            ("pipline = 'x'\n" + head, "`pipline`; did you mean `pipeline`?"),
        ]
        for text, message in cases:
            with self.assertRaises(config.ConfigError) as context:
                self.run_file(text)
            self.assertIn(
                f"{path}: Unknown config key {message}", str(context.exception)
            )

    def test_bad_values_and_overrides(self):
        cases = [
            (
                ["model.units=0"],
                "In `model`: `units` must be a positive integer, received: units=0",
            ),
            (
                ["model.cell=3"],
                "`model.cell` must be of type str, received: model.cell=3 (int)",
            ),
            (
                ["fit.epochs=0"],
                "`epochs` must be a positive integer, received: epochs=0",
            ),
            (
                ["fit.verbose=3"],
                "`verbose` must be 'auto', 0, 1 or 2, received: verbose=3",
            ),
            (
                ["data.test_split=1.5"],
                "`test_split` must be a fraction in [0, 1), received: test_split=1.5",
            ),
            (
                ["data.format=csv"],
                "`data.format` must be one of 'table', 'fasttext', 'texts_per_label'",
            ),
            (
                ["data.format=texts_per_label"],
                '`train` must be a table {label = "file", ...} with '
                "format='texts_per_label'",
            ),
            (
                ["data.test=t.csv", "data.test_split=0.1"],
                "Give either a `test` file or `test_split`",
            ),
            (
                ["data.encoding=latin-2000"],
                "`encoding` must be the name of a Python codec",
            ),
            (["fit.epochs"], "An override must be `key=value`"),
            (
                ["fit.epoch=3"],
                "--set fit.epoch=3: Unknown config key `fit.epoch`; did you mean "
                "`fit.epochs`?",
            ),
            (
                ['fit.monitor="val'],
                '--set fit.monitor="val: the value is not valid TOML',
            ),
            (
                ["pipeline=text_clasifier"],
                "Unknown pipeline 'text_clasifier'; did you mean 'text_classifier'?",
            ),
        ]
        for overrides, message in cases:
            with self.assertRaises(ValueError) as context:
                self.run_file(MINIMAL, overrides)
            self.assertIn(message, str(context.exception))

    def test_missing_file_and_missing_keys(self):
        with self.assertRaisesRegex(FileNotFoundError, "No config file at"):
            runs.load_run(self.folder / "absent.toml")
        with self.assertRaisesRegex(ValueError, "Missing required config key: `data`"):
            self.run_file('pipeline = "text_classifier"\n')
        with self.assertRaisesRegex(
            ValueError, "Missing required config key: `pipeline`"
        ):
            self.run_file('[data]\ntrain = "x.csv"\n')


class PathsTest(RunTestCase):
    def test_relative_data_paths_need_a_root(self):
        run = self.run_file(MINIMAL)
        with self.assertRaises(ValueError) as context:
            runs.check_paths(run)
        message = str(context.exception)
        self.assertIn(
            "`data.train` = 'train.csv' is relative to the data root", message
        )
        self.assertIn("set the KERASSEQ_DATA environment variable", message)
        self.assertIn("--set data.root=", message)

    def test_root_from_the_environment_and_from_the_run_file(self):
        write(self.folder / "data" / "train.csv", "text,label\na,x\n")
        os.environ[runs.DATA_ENV] = str(self.folder / "data")
        run = self.run_file(MINIMAL)
        self.assertEqual(
            self.folder / "data" / "train.csv", runs.check_paths(run)["train"]
        )
        os.environ[runs.DATA_ENV] = str(self.folder / "elsewhere")
        with self.assertRaises(FileNotFoundError) as context:
            runs.check_paths(run)
        self.assertEqual(
            f"No data file for `data.train` at {self.folder}/elsewhere/train.csv "
            f"(data root {self.folder}/elsewhere from $KERASSEQ_DATA)",
            str(context.exception),
        )
        run = self.run_file(MINIMAL, [f"data.root={self.folder / 'data'}"])
        self.assertEqual(
            self.folder / "data" / "train.csv", runs.check_paths(run)["train"]
        )
        absolute = self.run_file(
            MINIMAL, [f"data.train={self.folder / 'data' / 'train.csv'}"]
        )
        del os.environ[runs.DATA_ENV]
        self.assertEqual(
            self.folder / "data" / "train.csv", runs.check_paths(absolute)["train"]
        )

    def test_embeddings_resolve_against_the_current_folder_then_the_root(self):
        write(self.folder / "data" / "vectors" / "v.txt", "a 1 2\n")
        write(self.folder / "cwd" / "vectors" / "v.txt", "a 1 2\n")
        run = self.run_file(MINIMAL, ["model.embeddings=vectors/v.txt"])
        cwd = os.getcwd()
        self.addCleanup(os.chdir, cwd)
        os.chdir(self.folder)
        with self.assertRaises(FileNotFoundError) as context:
            runs.resolve_embeddings(run)
        self.assertIn(
            "No embeddings file `model.embeddings` = 'vectors/v.txt'",
            str(context.exception),
        )
        self.assertIn("no data root is set", str(context.exception))
        os.environ[runs.DATA_ENV] = str(self.folder / "data")
        self.assertEqual(
            str(self.folder / "data" / "vectors" / "v.txt"),
            runs.resolve_embeddings(run),
        )
        os.chdir(self.folder / "cwd")
        self.assertEqual("vectors/v.txt", runs.resolve_embeddings(run))
        named = self.run_file(MINIMAL, ["model.embeddings=glove-wiki-gigaword-50"])
        self.assertEqual("glove-wiki-gigaword-50", runs.resolve_embeddings(named))
        self.assertIsNone(runs.resolve_embeddings(self.run_file(MINIMAL)))


class ReadSplitsTest(RunTestCase):
    def setUp(self):
        super().setUp()
        os.environ[runs.DATA_ENV] = str(self.folder)

    def test_table_formats(self):
        write(self.folder / "train.csv", 'text,label\n"good, fine",pos\nbad,neg\n')
        write(self.folder / "train.tsv", "label\ttext\npos\tgood\n")
        write(
            self.folder / "train.jsonl.gz",
            gzip.compress(b'{"review": "good", "stars": 5}\n'),
            mode="wb",
        )
        write(self.folder / "train.txt", "good,pos\n")
        data = runs.read_split(self.run_file(MINIMAL), "train")
        self.assertEqual(
            [("good, fine", "pos"), ("bad", "neg")],
            sorted(zip(data.texts, data.labels), reverse=True),
        )
        data = runs.read_split(
            self.run_file(MINIMAL, ["data.train=train.tsv"]), "train"
        )
        self.assertEqual((["good"], ["pos"]), (data.texts, data.labels))
        run = self.run_file(
            MINIMAL,
            [
                "data.train=train.jsonl.gz",
                "data.text_column=review",
                "data.label_column=stars",
            ],
        )
        data = runs.read_split(run, "train")
        self.assertEqual((["good"], ["5"]), (data.texts, data.labels))
        run = self.run_file(
            MINIMAL,
            ["data.train=train.txt", "data.header=false"],
        )
        with self.assertRaisesRegex(ValueError, "`data.train` must end in one of .csv"):
            runs.read_split(run, "train")
        write(self.folder / "plain.csv", "good,pos\n")
        run = self.run_file(
            MINIMAL,
            [
                "data.train=plain.csv",
                "data.header=false",
                "data.text_column=0",
                "data.label_column=1",
            ],
        )
        data = runs.read_split(run, "train")
        self.assertEqual((["good"], ["pos"]), (data.texts, data.labels))
        with self.assertRaisesRegex(
            ValueError, "column index only with header = false"
        ):
            self.run_file(MINIMAL, ["data.text_column=0"])

    def test_fasttext_and_texts_per_label(self):
        write(self.folder / "ft.txt", "__label__pos good\n__label__neg bad\n")
        run = self.run_file(MINIMAL, ["data.format=fasttext", "data.train=ft.txt"])
        data = runs.read_split(run, "train")
        self.assertEqual(
            {("good", "pos"), ("bad", "neg")}, set(zip(data.texts, data.labels))
        )
        write(self.folder / "p.txt", b"caf\xe9\nfine\n", mode="wb")
        write(self.folder / "n.txt", b"dull\n", mode="wb")
        text = (
            'pipeline = "text_classifier"\n[data]\nformat = "texts_per_label"\n'
            'train = { pos = "p.txt", neg = "n.txt" }\nencoding = "latin-1"\n'
        )
        data = runs.read_split(self.run_file(text), "train")
        self.assertEqual(
            {("café", "pos"), ("fine", "pos"), ("dull", "neg")},
            set(zip(data.texts, data.labels)),
        )
        self.assertEqual(["neg", "pos"], data.label_names)
        with self.assertRaisesRegex(
            FileNotFoundError, "No data file for `data.train.neg`"
        ):
            runs.read_split(self.run_file(text, ["data.train.neg=absent.txt"]), "train")

    def test_files_for_each_split(self):
        write(self.folder / "train.csv", "text,label\na,x\nb,y\n")
        write(self.folder / "dev.csv", "text,label\nc,x\n")
        write(self.folder / "test.csv", "text,label\nd,y\ne,x\n")
        run = self.run_file(MINIMAL, ["data.validation=dev.csv", "data.test=test.csv"])
        splits = runs.read_splits(run)
        self.assertEqual(["c"], splits["validation"].texts)
        self.assertEqual(["d", "e"], splits["test"].texts)
        self.assertEqual({"a", "b"}, set(splits["train"].texts))
        # Reading only the test split does not need the training file.
        os.remove(self.folder / "train.csv")
        self.assertEqual(["d", "e"], runs.read_split(run, "test").texts)
        self.assertIsNone(runs.read_split(self.run_file(MINIMAL), "validation"))

    def test_held_out_splits_are_stratified_seeded_and_limited(self):
        rows = [f"pos text {i},pos" for i in range(30)]
        rows += [f"neg text {i},neg" for i in range(10)]
        write(self.folder / "train.csv", "text,label\n" + "\n".join(rows) + "\n")
        run = self.run_file(
            MINIMAL, ["data.validation_split=0.2", "data.test_split=0.1"]
        )
        splits = runs.read_splits(run)
        counts = {
            name: (data.labels.count("pos"), data.labels.count("neg"))
            for name, data in splits.items()
        }
        self.assertEqual(
            {"train": (21, 7), "validation": (6, 2), "test": (3, 1)}, counts
        )
        texts = [set(data.texts) for data in splits.values()]
        self.assertEqual(40, len(texts[0] | texts[1] | texts[2]))
        self.assertEqual(splits["test"].texts, runs.read_split(run, "test").texts)
        other = runs.read_splits(
            self.run_file(
                MINIMAL,
                ["data.test_split=0.1", "data.validation_split=0.2", "data.seed=5"],
            )
        )
        self.assertNotEqual(splits["validation"].texts, other["validation"].texts)
        limited = runs.read_splits(
            self.run_file(
                MINIMAL,
                ["data.validation_split=0.2", "data.test_split=0.1", "data.limit=5"],
            )
        )
        self.assertEqual(
            {"train": 5, "validation": 5, "test": 4},
            {k: len(v.texts) for k, v in limited.items()},
        )
        self.assertTrue(set(limited["train"].texts) <= texts[0])
        with self.assertRaisesRegex(ValueError, "The test split is empty"):
            runs.read_splits(self.run_file(MINIMAL, ["data.test_split=0.01"]))

    def test_split_holdout_reference(self):
        data = LabelledTexts([str(i) for i in range(8)], ["a", "b"] * 4)
        splits = runs.split_holdout(
            data, validation_split=0.25, test_split=0.25, seed=3
        )
        expected = {"train": 2, "validation": 1, "test": 1}  # per label
        for name, count in expected.items():
            self.assertEqual(["a"] * count + ["b"] * count, sorted(splits[name].labels))
            self.assertEqual(["a", "b"], splits[name].label_names)
        self.assertEqual(
            list(range(8)), sorted(int(t) for s in splits.values() for t in s.texts)
        )
        for split in splits.values():
            for text, label in zip(split.texts, split.labels):
                self.assertEqual("ab"[int(text) % 2], label)


class FitArgumentsTest(RunTestCase):
    def test_only_set_arguments_are_passed(self):
        run = self.run_file(MINIMAL)
        self.assertEqual(
            {"epochs": 1, "batch_size": 32, "verbose": "auto"}, runs.fit_arguments(run)
        )
        run = self.run_file(
            MINIMAL,
            [
                "fit.early_stopping=2",
                "fit.monitor=val_accuracy",
                "fit.checkpoint_dir=best",
                "fit.bucketing=false",
                "fit.class_weight=balanced",
            ],
        )
        train = LabelledTexts(["a"] * 4, ["x", "x", "x", "y"])
        self.assertEqual(
            {
                "epochs": 1,
                "batch_size": 32,
                "verbose": "auto",
                "early_stopping": 2,
                "monitor": "val_accuracy",
                "checkpoint_dir": os.path.abspath("best"),
                "bucketing": False,
                "class_weight": {"x": 4 / (2 * 3), "y": 4 / (2 * 1)},
            },
            runs.fit_arguments(run, train),
        )

    def test_existing_outputs_are_refused_before_training(self):
        (self.folder / "saved").mkdir()
        run = self.run_file(MINIMAL, [f"output.save_dir={self.folder / 'saved'}"])
        with self.assertRaisesRegex(FileExistsError, "set output.overwrite = true"):
            runs.train(run)
        runs.check_outputs(
            self.run_file(
                MINIMAL,
                [f"output.save_dir={self.folder / 'saved'}", "output.overwrite=true"],
            )
        )

    def test_format_metrics(self):
        self.assertEqual(
            "metric      test\naccuracy  0.5000\nmacro_f1  0.2500",
            runs.format_metrics({"test": {"accuracy": 0.5, "macro_f1": 0.25}}),
        )


@pytest.mark.slow
class TrainTest(RunTestCase):
    def test_train_writes_every_output(self):
        lines = ["text,label"]
        for i in range(24):
            lines += [f"a good fine film {i},pos", f"a bad dull film {i},neg"]
        write(self.folder / "train.csv", "\n".join(lines) + "\n")
        os.environ[runs.DATA_ENV] = str(self.folder)
        out = self.folder / "out"
        run = self.run_file(
            MINIMAL,
            [
                "model.units=4",
                "model.embedding_dim=8",
                "model.seed=1",
                "data.validation_split=0.25",
                "data.test_split=0.25",
                "fit.epochs=2",
                "fit.verbose=0",
                "fit.class_weight=balanced",
                f"output.save_dir={out / 'pipeline'}",
                f"output.history_plot={out / 'history.png'}",
                f"output.metrics_file={out / 'metrics.json'}",
            ],
        )
        printed = []
        metrics = runs.train(run, echo=printed.append)
        self.assertEqual(["test", "validation"], sorted(metrics))
        self.assertEqual(["accuracy", "loss", "macro_f1"], sorted(metrics["test"]))
        self.assertEqual(
            "data: train 24, validation 12, test 12 texts; labels: neg, pos", printed[0]
        )
        self.assertEqual(runs.format_metrics(metrics), printed[-1])
        pipeline = runs.load_pipeline(out / "pipeline")
        test = runs.read_split(run, "test")
        self.assertAllClose(
            metrics["test"]["accuracy"],
            pipeline.evaluate(test.texts, test.labels)["accuracy"],
        )
        self.assertGreater((out / "history.png").stat().st_size, 0)
        record = json.loads((out / "metrics.json").read_text())
        self.assertEqual(metrics, record["metrics"])
        self.assertEqual(2, len(record["history"]["loss"]))
        self.assertEqual(config.to_dict(run), record["run"])
