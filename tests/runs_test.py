import dataclasses
import gzip
import json
import os
import pathlib
from unittest import mock

import pytest

from kerasseq import config
from kerasseq import runs
from kerasseq.data import LabelledTexts
from kerasseq.data import SentencePairs
from kerasseq.data import generate_dates
from kerasseq.data import split_dates
from kerasseq.pipelines import TextClassifierConfig
from kerasseq.pipelines import TranslatorConfig
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
DATES = 'pipeline = "translator"\n[data]\nformat = "dates"\nsize = 300\n'
PAIRS = (
    'pipeline = "translator"\n[data]\nformat = "sentence_pairs"\ntrain = "pairs.tsv"\n'
)


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

    def test_prebuilt_dates_file(self):
        # No data root is set: the dates are generated, nothing is read.
        run = runs.load_run(PIPELINES_DIR / "dates.toml")
        self.assertEqual("translator", run.pipeline)
        settings = config.from_dict(TranslatorConfig, run.model, "model")
        self.assertEqual(
            ("lstm", 64, "char", "bahdanau", True, 0.003, 1.0, 1),
            (
                settings.cell,
                settings.units,
                settings.tokenizer,
                settings.attention,
                settings.bidirectional_encoder,
                settings.learning_rate,
                settings.clipnorm,
                settings.seed,
            ),
        )
        self.assertEqual(
            ("dates", 20000, 0.1, 0.0, 0, 0.25),
            (
                run.data.format,
                run.data.size,
                run.data.test_split,
                run.data.validation_split,
                run.data.seed,
                run.data.lowercase,
            ),
        )
        self.assertEqual((3, 64), (run.fit.epochs, run.fit.batch_size))
        self.assertEqual(
            (
                "runs/dates/pipeline",
                "saved_models/dates/1",
                "runs/dates/metrics.json",
            ),
            (run.output.save_dir, run.output.export_dir, run.output.metrics_file),
        )
        self.assertEqual(
            {
                "train": None,
                "validation": None,
                "test": None,
                "source_embeddings": None,
                "target_embeddings": None,
            },
            runs.check_paths(run),
        )
        self.assertEqual(run, config.loads(runs.RunConfig, config.dumps(run)))

    def test_every_key_of_the_prebuilt_files_is_commented(self):
        for name in ("sentiment_rt.toml", "sentiment_imdb.toml", "dates.toml"):
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


class ReadmeTest(TestCase):
    def test_every_model_setting_is_documented(self):
        readme = (PIPELINES_DIR / "README.md").read_text(encoding="utf-8")
        sections = {
            TextClassifierConfig: ("#### `text_classifier`", "#### `translator`"),
            TranslatorConfig: ("#### `translator`", "### `[data]`"),
        }
        for config_class, (start, end) in sections.items():
            section = readme[readme.index(start) : readme.index(end)]
            for field in dataclasses.fields(config_class):
                with self.subTest(config=config_class.__name__, key=field.name):
                    self.assertEqual(section.count(f"| `{field.name}` |"), 1)


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
        with self.assertRaisesRegex(
            ValueError,
            "`split` must be one of 'train', 'validation', 'test', received: "
            "split='dev'",
        ):
            runs.read_splits(self.run_file(MINIMAL), ["train", "dev"])

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


class PairsConfigTest(RunTestCase):
    def test_keys_of_other_formats_are_errors_naming_key_and_format(self):
        cases = [
            (
                MINIMAL,
                ["data.size=100"],
                "`size` has no meaning with format='table' (it is a key of "
                "format='dates'), received: size=100",
            ),
            (
                DATES,
                ["data.source_column=0"],  # even given as its default
                "`source_column` has no meaning with format='dates' (it is a key "
                "of format='sentence_pairs'), received: source_column=0",
            ),
            (
                DATES,
                ["data.train=dates.tsv"],
                "`train` has no meaning with format='dates' (the pairs are "
                "generated, not read from files), received: train='dates.tsv'",
            ),
            (
                DATES,
                ["data.encoding=utf-8"],
                "`encoding` has no meaning with format='dates'",
            ),
            (
                PAIRS,
                ["data.text_column=text"],
                "`text_column` has no meaning with format='sentence_pairs' (it is "
                "a key of format='table'), received: text_column='text'",
            ),
            (
                PAIRS,
                ["data.lowercase=0.5"],
                "`lowercase` has no meaning with format='sentence_pairs' (it is "
                "a key of format='dates')",
            ),
            (
                MINIMAL,
                ["data.format=fasttext", "data.header=false"],
                "`header` has no meaning with format='fasttext'",
            ),
        ]
        for text, overrides, message in cases:
            with self.assertRaises(ValueError) as context:
                self.run_file(text, overrides)
            self.assertIn(f"In `data`: {message}", str(context.exception))

    def test_bad_values(self):
        cases = [
            (DATES, ["data.size=0"], "`size` must be a positive integer, received: "),
            (
                'pipeline = "translator"\n[data]\nformat = "dates"\n',
                [],
                "`size` (the number of pairs to generate) is required with "
                "format='dates'",
            ),
            (
                DATES,
                ["data.lowercase=1.5"],
                "`lowercase` must be a fraction in [0, 1], received: lowercase=1.5",
            ),
            (
                DATES,
                ["data.start=2001-13-01"],
                "`start` must be a datetime.date or an ISO 'YYYY-MM-DD' string, "
                "received: start='2001-13-01'",
            ),
            (
                DATES,
                ["data.start=2010-01-01", "data.end=2000-01-01"],
                "`start` must not be after `end`",
            ),
            (
                DATES,
                ['data.locales=["en", "xx"]'],
                "`locales` contains an unknown locale, received: 'xx'",
            ),
            (
                DATES,
                ['data.formats=["nope"]'],
                "`formats` contains an unknown format name",
            ),
            (
                PAIRS,
                ["data.source_column=1"],
                "`source_column` and `target_column` must differ, received: "
                "source_column=1, target_column=1",
            ),
            (
                PAIRS,
                ["data.target_column=-1"],
                "`target_column` must be a 0-based column index, received: "
                "target_column=-1",
            ),
            (
                PAIRS,
                ["data.max_words=0"],
                "`max_words` must be a positive integer or None, received: max_words=0",
            ),
            (
                PAIRS,
                ['data.separator=""'],
                "`separator` must be a non-empty string",
            ),
            (
                'pipeline = "translator"\n[data]\nformat = "sentence_pairs"\n',
                [],
                "Missing required config key: `data.train`",
            ),
            (
                MINIMAL,
                ["pipeline=translator"],
                "`data.format` must be one of 'sentence_pairs', 'dates' for "
                "pipeline = 'translator', received: data.format='table'",
            ),
            (
                DATES,
                ["pipeline=text_classifier"],
                "`data.format` must be one of 'table', 'fasttext', "
                "'texts_per_label' for pipeline = 'text_classifier', received: "
                "data.format='dates'",
            ),
            (
                DATES,
                ["fit.class_weight=balanced"],
                "`fit.class_weight` weighs labels, and sentence pairs have none",
            ),
            (
                DATES,
                ["model.pooling=max"],
                "Unknown config key `model.pooling`",
            ),
            (DATES, ["data.sise=3"], "`data.sise`; did you mean `data.size`?"),
            (
                PAIRS,
                ["data.max_word=3"],
                "`data.max_word`; did you mean `data.max_words`?",
            ),
            (
                DATES,
                ["model.unit=3"],
                "`model.unit`; did you mean `model.units`?",
            ),
        ]
        for text, overrides, message in cases:
            with self.assertRaises(ValueError, msg=message) as context:
                self.run_file(text, overrides)
            self.assertIn(message, str(context.exception))

    def test_defaults_of_the_format_are_filled_in(self):
        run = self.run_file(DATES)
        self.assertEqual(
            (0.25, None, None, None),
            (
                run.data.lowercase,
                run.data.locales,
                run.data.text_column,
                run.data.encoding,
            ),
        )
        self.assertEqual({"lowercase": 0.25}, run.data.dates_arguments())
        pairs = self.run_file(PAIRS)
        self.assertEqual(
            (0, 1, "\t", None, "utf-8", None),
            (
                pairs.data.source_column,
                pairs.data.target_column,
                pairs.data.separator,
                pairs.data.max_words,
                pairs.data.encoding,
                pairs.data.header,
            ),
        )
        # A TOML date and an ISO string both give the ISO string.
        dated = self.run_file(DATES + "start = 2001-02-03\n", ['data.end="2002-01-01"'])
        self.assertEqual(
            ("2001-02-03", "2002-01-01"), (dated.data.start, dated.data.end)
        )
        for run in (self.run_file(DATES), pairs, dated):
            self.assertEqual(run, config.loads(runs.RunConfig, config.dumps(run)))


class PairsSplitsTest(RunTestCase):
    def setUp(self):
        super().setUp()
        os.environ[runs.DATA_ENV] = str(self.folder)

    def write_pairs(self):
        # 50 sources written twice each (two translations), and two pairs
        # longer than 4 words.
        lines = [f"go {i}.\tve {i}.\n" for i in range(50)]
        lines += [f"go {i}.\tvete {i}.\n" for i in range(50)]
        lines += ["we go there right now.\tnos vamos ahora.\n"]
        lines += ["go.\tvamos ya a la casa.\n"]
        write(self.folder / "pairs.tsv", "".join(lines))

    def test_pairs_splits_share_no_source(self):
        self.write_pairs()
        run = self.run_file(
            PAIRS,
            ["data.validation_split=0.2", "data.test_split=0.2", "data.max_words=4"],
        )
        splits = runs.read_splits(run)
        for data in splits.values():
            self.assertIsInstance(data, SentencePairs)
        # 50 distinct sources: 10 held out for test, then 0.2 / 0.8 of the
        # other 40 for validation; each source comes with its 2 targets.
        self.assertEqual(
            {"train": 60, "validation": 20, "test": 20},
            {name: len(data) for name, data in splits.items()},
        )
        sources = [set(data.sources) for data in splits.values()]
        self.assertFalse(
            sources[0] & sources[1]
            or sources[0] & sources[2]
            or sources[1] & sources[2]
        )
        self.assertEqual({f"go {i}." for i in range(50)}, set.union(*sources))
        for data in splits.values():
            for source, target in zip(data.sources, data.targets):
                number = source.split()[1]
                self.assertIn(target, (f"ve {number}", f"vete {number}"))
        # The same seed gives the same splits, another seed others.
        self.assertEqual(splits["test"], runs.read_split(run, "test"))
        other = runs.read_split(
            self.run_file(PAIRS, ["data.test_split=0.2", "data.seed=3"]), "test"
        )
        self.assertNotEqual(set(splits["test"].sources), set(other.sources))
        # Without max_words the two long pairs are kept.
        self.assertEqual(102, len(runs.read_split(self.run_file(PAIRS), "train")))
        # limit: a seeded sample of each split.
        limited = runs.read_splits(
            self.run_file(
                PAIRS, ["data.test_split=0.2", "data.max_words=4", "data.limit=7"]
            )
        )
        self.assertEqual((7, 7), (len(limited["train"]), len(limited["test"])))
        self.assertLessEqual(set(limited["test"].sources), sources[2])

    def test_columns_and_separator(self):
        write(self.folder / "pairs.csv", "1;Ve.;Go.\n2;Corre.;Run!\n")
        run = self.run_file(
            PAIRS,
            [
                "data.train=pairs.csv",
                "data.separator=;",
                "data.source_column=2",
                "data.target_column=1",
            ],
        )
        self.assertEqual(
            SentencePairs(["Go.", "Run!"], ["Ve.", "Corre."]),
            runs.read_split(run, "train"),
        )
        write(self.folder / "test.tsv", "Hi.\tHola.\n")
        run = self.run_file(PAIRS, ["data.test=test.tsv"])
        self.assertEqual(
            SentencePairs(["Hi."], ["Hola."]), runs.read_split(run, "test")
        )

    def test_dates_splits_share_no_day(self):
        del os.environ[runs.DATA_ENV]  # nothing is read
        run = self.run_file(DATES, ["data.validation_split=0.1", "data.test_split=0.1"])
        splits = runs.read_splits(run)
        days = [set(data.targets) for data in splits.values()]
        self.assertFalse(days[0] & days[1] or days[0] & days[2] or days[1] & days[2])
        self.assertEqual(300, sum(len(data) for data in splits.values()))
        # Reference: generate_dates and split_dates by day, with data.seed.
        rest, test = split_dates(
            generate_dates(300, seed=0), held_out=0.1, seed=0, by="target"
        )
        _, validation = split_dates(rest, held_out=0.1 / 0.9, seed=0, by="target")
        self.assertEqual(test, splits["test"])
        self.assertEqual(validation, splits["validation"])
        self.assertEqual(test, runs.read_split(run, "test"))
        # The generation options reach generate_dates.
        run = self.run_file(
            DATES,
            [
                "data.size=5",
                'data.locales=["en"]',
                'data.formats=["MMMM do, y"]',
                "data.lowercase=1.0",
                "data.start=2001-01-01",
                "data.end=2001-12-31",
                "data.seed=4",
            ],
        )
        expected = generate_dates(
            5,
            locales=["en"],
            formats=["MMMM do, y"],
            lowercase=1.0,
            start="2001-01-01",
            end="2001-12-31",
            seed=4,
        )
        self.assertEqual(expected, runs.read_split(run, "train"))
        self.assertTrue(expected.sources[0].islower())
        self.assertTrue(all(t.startswith("2001-") for t in expected.targets))
        limited = runs.read_split(self.run_file(DATES, ["data.limit=50"]), "train")
        self.assertEqual(50, len(limited))
        self.assertLessEqual(
            set(zip(limited.sources, limited.targets)),
            set(zip(*runs.as_xy(generate_dates(300, seed=0)))),
        )

    def test_split_pairs_reference(self):
        pairs = SentencePairs(
            [f"s{i % 10}" for i in range(40)], [str(i) for i in range(40)]
        )
        splits = runs.split_pairs(pairs, validation_split=0.25, test_split=0.2, seed=1)
        rest, test = split_dates(pairs, held_out=0.2, seed=1)
        train, validation = split_dates(rest, held_out=0.25 / 0.8, seed=1)
        self.assertEqual(
            {"train": train, "validation": validation, "test": test}, splits
        )
        self.assertEqual(
            {"train": 20, "validation": 12, "test": 8},
            {name: len(data) for name, data in splits.items()},
        )
        self.assertEqual(
            {"train": pairs, "validation": None, "test": None},
            runs.split_pairs(pairs),
        )

    def test_describe_splits(self):
        pairs = SentencePairs(["a"] * 1200, ["b"] * 1200)
        self.assertEqual(
            "train 1,200, test 1,200 pairs",
            runs.describe_splits({"train": pairs, "validation": None, "test": pairs}),
        )
        texts = LabelledTexts(["a", "b"], ["x", "y"])
        self.assertEqual(
            "train 2 texts; labels: x, y", runs.describe_splits({"train": texts})
        )


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
