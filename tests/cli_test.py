import dataclasses
import io
import json
import os
import pathlib
from unittest import mock

import numpy as np
import pytest

from kerasseq import cli
from kerasseq import runs
from kerasseq.embeddings import cache
from kerasseq.pipelines import TextClassifierConfig
from tests.test_case import REPO_ROOT
from tests.test_case import TestCase
from tests.test_case import data_dir
from tests.test_case import run_python

# king - man + woman points at queen; the reversed convention (man - king +
# woman) would point at "down", so the analogy test pins the convention.
WORDS = ["man", "woman", "king", "queen", "car", "down"]
VECTORS = np.array(
    [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0, -1, 0], [0, 0, -1]], "float32"
)


def unit(rows):
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


@pytest.fixture(autouse=True)
def _capsys(request, capsys):
    request.instance.capsys = capsys


class EmbeddingsCommandTest(TestCase):
    def setUp(self):
        super().setUp()
        folder = self.get_temp_dir()
        self.path = os.path.join(folder, "vectors.txt")
        with open(self.path, "w", encoding="utf-8") as file:
            for word, row in zip(WORDS, VECTORS):
                file.write(word + " " + " ".join(str(float(x)) for x in row) + "\n")
        self.cache_dir = os.path.join(folder, "cache")

    def run_cli(self, *args):
        self.capsys.readouterr()
        code = cli.main(["embeddings", *args, "--cache-dir", self.cache_dir])
        out, err = self.capsys.readouterr()
        return code, out, err

    def test_info(self):
        code, out, err = self.run_cli("info", self.path)
        self.assertEqual(0, code, err)
        entry = cache.entry_dir(self.cache_dir, pathlib.Path(self.path))
        self.assertEqual(
            f"file:       {self.path}\n"
            "format:     glove\n"
            "words:      6\n"
            "dimension:  3\n"
            "examples:   man, woman, king, queen, car, down\n"
            f"cache:      {entry}\n",
            out,
        )
        self.assertTrue(os.path.isfile(os.path.join(entry, cache.MANIFEST)))

    def test_nearest_prints_cosine_similarities(self):
        code, out, err = self.run_cli(
            "nearest", self.path, "king", "woman", "--top", "2"
        )
        self.assertEqual(0, code, err)
        scores = unit(VECTORS) @ unit(VECTORS).T
        expected = []
        for word in ("king", "woman"):  # no ties in their top 2
            row = scores[WORDS.index(word)].copy()
            row[WORDS.index(word)] = -np.inf
            best = np.argsort(-row, kind="stable")[:2]
            width = max(len(WORDS[i]) for i in best)
            lines = [f"nearest to {word!r}:"]
            lines += [
                f"{rank:>3}. {WORDS[i]:<{width}}  {row[i]:.4f}"
                for rank, i in enumerate(best, start=1)
            ]
            expected.append("\n".join(lines))
        self.assertEqual("\n\n".join(expected) + "\n", out)
        self.assertIn("  1. queen  0.8165\n", out)  # cos((1,0,1), (1,1,1))

    def test_analogy_is_a_minus_b_plus_c(self):
        code, out, err = self.run_cli("analogy", self.path, "king", "man", "woman")
        self.assertEqual(0, code, err)
        table = unit(VECTORS)
        king, man, woman = (table[WORDS.index(w)] for w in ("king", "man", "woman"))
        scores = table @ unit(king - man + woman)
        candidates = ["queen", "car", "down"]
        ranked = sorted(candidates, key=lambda w: -scores[WORDS.index(w)])
        self.assertEqual("queen", ranked[0])
        expected = ["king - man + woman = ?"] + [
            f"{rank:>3}. {word:<5}  {scores[WORDS.index(word)]:.4f}"
            for rank, word in enumerate(ranked, start=1)
        ]
        self.assertEqual("\n".join(expected) + "\n", out)

    def test_unknown_word_is_a_clear_error(self):
        code, out, err = self.run_cli("nearest", self.path, "King", "zebra")
        self.assertEqual(2, code)
        self.assertEqual("", out)
        self.assertEqual(
            f"kerasseq embeddings nearest: error: 'King' is not in the vocabulary of "
            f"{self.path} (6 words); did you mean 'king'?\n"
            f"kerasseq embeddings nearest: error: 'zebra' is not in the vocabulary "
            f"of {self.path} (6 words)\n",
            err,
        )
        code, out, err = self.run_cli("analogy", self.path, "king", "man", "girl")
        self.assertEqual(2, code)
        self.assertIn("'girl' is not in the vocabulary", err)
        self.assertNotIn("Traceback", err)

    def test_missing_file_and_bad_format(self):
        missing = os.path.join(self.get_temp_dir(), "absent.txt")
        code, out, err = self.run_cli("info", missing)
        self.assertEqual(2, code)
        self.assertEqual(
            f"kerasseq embeddings info: error: No word-vector file at {missing}\n", err
        )
        code, _, err = self.run_cli("info", self.path, "--format", "word2vec")
        self.assertEqual(2, code)
        self.assertIn("it looks like a header-less GloVe file", err)
        code, _, err = self.run_cli("info", self.path, "--format", "csv")
        self.assertEqual(2, code)
        self.assertIn("`format` must be one of 'glove'", err)

    def test_bad_top_is_rejected_by_the_parser(self):
        with self.assertRaises(SystemExit) as context:
            self.run_cli("nearest", self.path, "king", "--top", "0")
        self.assertEqual(2, context.exception.code)
        self.assertIn(
            "must be a positive integer, received: 0", self.capsys.readouterr().err
        )

    def test_analogy_help_documents_the_convention(self):
        with self.assertRaises(SystemExit):
            cli.main(["embeddings", "analogy", "--help"])
        out = " ".join(self.capsys.readouterr().out.split())
        self.assertIn('analogy FILE king man woman` asks "king - man + woman = ?"', out)

    def test_fasttext_bin_builds_vectors_of_unseen_words(self):
        from gensim.models import FastText
        from gensim.models.fasttext import save_facebook_model

        sentences = [["the", "king", "rules"], ["the", "queen", "rules"]] * 5
        model = FastText(sentences, vector_size=4, min_count=1, epochs=1, seed=0)
        path = os.path.join(self.get_temp_dir(), "model.bin")
        save_facebook_model(model, path)
        code, out, err = self.run_cli("info", path)
        self.assertEqual(0, code, err)
        self.assertIn("format:     fasttext-bin\n", out)
        self.assertIn("cache:      none (fasttext-bin files are read directly", out)
        code, out, err = self.run_cli("nearest", path, "kings", "--top", "1")
        self.assertEqual(0, code, err)
        self.assertTrue(
            out.startswith(
                "nearest to 'kings' (not in the vocabulary: its vector is built "
                "from subwords):\n  1. "
            ),
            out,
        )

    def test_console_entry_point_in_a_subprocess(self):
        result = run_python(
            ["-m", "kerasseq.cli", "embeddings", "info", self.path]
            + ["--cache-dir", self.cache_dir],
            timeout=120,
        )
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn("words:      6\ndimension:  3\n", result.stdout)
        # Parsing the command line imports neither gensim nor the commands.
        probe = (
            "import sys, kerasseq.cli as c\n"
            "try:\n    c.main(['embeddings', 'nearest', '--help'])\n"
            "except SystemExit:\n    pass\n"
            "print('gensim' in sys.modules, 'kerasseq.demo' in sys.modules)\n"
        )
        result = run_python(probe, timeout=120)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertTrue(result.stdout.endswith("False False\n"), result.stdout)


RT_CONFIG = str(REPO_ROOT / "pipelines" / "sentiment_rt.toml")
DATES_CONFIG = str(REPO_ROOT / "pipelines" / "dates.toml")


class RunCommandsTest(TestCase):
    def setUp(self):
        super().setUp()
        self.folder = pathlib.Path(self.get_temp_dir())
        environment = mock.patch.dict(os.environ)
        environment.start()
        self.addCleanup(environment.stop)
        os.environ[runs.DATA_ENV] = str(data_dir())

    def run_cli(self, *args):
        self.capsys.readouterr()
        code = cli.main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def assert_error(self, args, message):
        code, out, err = self.run_cli(*args)
        self.assertEqual(2, code, out + err)
        self.assertEqual("", out)
        self.assertEqual(f"kerasseq {args[0]}: error: {message}\n", err)

    def test_bad_input_is_one_line_and_exit_status_2(self):
        missing = self.folder / "absent.toml"
        self.assert_error(["train", str(missing)], f"No config file at {missing}")
        self.assert_error(
            ["train", RT_CONFIG, "--set", "model.unit=8"],
            f"{RT_CONFIG}: Unknown config key `model.unit`; did you mean "
            "`model.units`? Known keys in `model`: "
            + ", ".join(f.name for f in dataclasses.fields(TextClassifierConfig)),
        )
        self.assert_error(
            ["train", RT_CONFIG, "--set", "fit.epochs"],
            f"{RT_CONFIG}: An override must be `key=value` (e.g. model.units=256), "
            "received: 'fit.epochs'",
        )
        del os.environ[runs.DATA_ENV]
        self.assert_error(
            ["evaluate", RT_CONFIG, "--set", f"output.save_dir={self.folder}"],
            f"{self.folder} is not a saved pipeline: {self.folder}/config.toml is "
            "missing",
        )
        code, _, err = self.run_cli(
            "train", RT_CONFIG, "--set", f"output.save_dir={self.folder}/new"
        )
        self.assertEqual(2, code)
        self.assertIn(
            "`data.train.pos` = 'rt-polarity/rt-polarity.pos' is relative to the "
            "data root, but no data root is set: set the KERASSEQ_DATA environment "
            "variable",
            err,
        )
        self.assertEqual(1, err.count("\n"))
        self.assert_error(
            ["predict", str(self.folder), "text"],
            f"{self.folder} is neither an exported SavedModel (no saved_model.pb) "
            "nor a saved pipeline (no config.toml)",
        )
        self.assert_error(
            ["predict", str(self.folder)], "give texts to classify, or --input FILE"
        )
        self.assert_error(
            ["predict", str(self.folder), "--input", str(missing)],
            f"No input file at {missing}",
        )
        self.assert_error(
            ["export", str(self.folder), str(self.folder / "export")],
            f"{self.folder} is not a saved pipeline: {self.folder}/config.toml is "
            "missing",
        )

    def test_demo_rejects_bad_arguments_before_training(self):
        self.assert_error(
            ["demo", "--cell", "gruu"],
            "Unknown `cell`: received cell='gruu'. Known cells: ['gru', 'lstm', "
            "'simple_rnn'] (aliases: ['rnn', 'vanilla']). Did you mean 'gru'?",
        )
        with self.assertRaises(SystemExit):
            cli.main(["demo", "--epochs", "0"])

    def test_errors_in_a_subprocess(self):
        result = run_python(
            ["-m", "kerasseq.cli", "train", RT_CONFIG, "--set", "fit.epoch=1"],
            timeout=120,
        )
        self.assertEqual(2, result.returncode, result.stderr)
        self.assertEqual("", result.stdout)
        self.assertTrue(
            result.stderr.endswith(
                f"kerasseq train: error: {RT_CONFIG}: --set fit.epoch=1: Unknown "
                "config key "
                "`fit.epoch`; did you mean `fit.epochs`? Known keys in `fit`: "
                + ", ".join(f.name for f in dataclasses.fields(runs.FitConfig))
                + "\n"
            ),
            result.stderr,
        )
        self.assertNotIn("Traceback", result.stderr)

    @pytest.mark.slow
    def test_train_predict_evaluate_export_end_to_end(self):
        cwd = os.getcwd()
        self.addCleanup(os.chdir, cwd)
        os.chdir(self.folder)  # relative output paths land here
        tiny = [
            "--set", "data.limit=200",
            "--set", "model.units=4",
            "--set", "fit.epochs=1",
            "--set", "fit.verbose=0",
            "--set", "output.save_dir=run/pipeline",
            "--set", "output.export_dir=export/1",
            "--set", "output.history_plot=run/history.png",
            "--set", "output.metrics_file=run/metrics.json",
        ]  # fmt: skip
        code, out, err = self.run_cli("train", RT_CONFIG, *tiny)
        self.assertEqual(0, code, err)
        lines = out.splitlines()
        self.assertEqual(
            "data: train 200, validation 200, test 200 texts; labels: neg, pos",
            lines[0],
        )
        record = json.loads((self.folder / "run" / "metrics.json").read_text())
        metrics = record["metrics"]
        self.assertEqual(runs.format_metrics(metrics).splitlines(), lines[-4:])
        self.assertEqual(
            str(data_dir() / "glove" / "glove.6B.50d.txt.gz"),
            runs.load_pipeline("run/pipeline").settings.embeddings,
        )
        self.assertTrue((self.folder / "run" / "history.png").is_file())

        # predict: SavedModel and saved pipeline agree, TSV and JSON.
        texts = ["a moving, beautifully shot film", "dull\tand far too long", ""]
        code, out, err = self.run_cli("predict", "export/1", *texts)
        self.assertEqual(0, code, err)
        rows = [line.split("\t") for line in out.splitlines()]
        self.assertEqual(
            ["a moving, beautifully shot film", "dull and far too long", ""],
            [row[2] for row in rows],
        )
        for label, probability, _ in rows:
            self.assertIn(label, ("neg", "pos"))
            self.assertBetween(float(probability), 0.5, 1.0)
        code, out, err = self.run_cli("predict", "run/pipeline", "--json", *texts)
        self.assertEqual(0, code, err)
        records = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(texts, [r["text"] for r in records])
        self.assertEqual([row[0] for row in rows], [r["label"] for r in records])
        for row, r in zip(rows, records):
            self.assertEqual(row[1], f"{r['probability']:.4f}")
            self.assertEqual(["neg", "pos"], sorted(r["probabilities"]))
            self.assertAllClose(1.0, sum(r["probabilities"].values()), atol=1e-5)
        input_file = self.folder / "texts.txt"
        input_file.write_text("\n".join(texts) + "\n", encoding="utf-8")
        code, out, err = self.run_cli("predict", "export/1", "--input", "texts.txt")
        self.assertEqual(0, code, err)
        self.assertEqual(
            [row[:2] for row in rows], [r.split("\t")[:2] for r in out.splitlines()]
        )
        with mock.patch("sys.stdin", io.StringIO("dull and far too long\n")):
            code, out, err = self.run_cli("predict", "export/1", "--input", "-")
        self.assertEqual(0, code, err)
        self.assertEqual("\t".join(rows[1]) + "\n", out)

        # evaluate reloads the saved pipeline and gives the metrics of train.
        code, out, err = self.run_cli("evaluate", RT_CONFIG, *tiny, "--split", "test")
        self.assertEqual(0, code, err)
        self.assertEqual(
            "test: 200 texts\n" + runs.format_metrics({"test": metrics["test"]}) + "\n",
            out,
        )

        table = self.folder / "labelled.csv"
        table.write_text("text,label\ngood,pos\nbad,neg\n", encoding="utf-8")
        code, out, err = self.run_cli("evaluate", "run/pipeline", "--input", str(table))
        self.assertEqual(0, code, err)
        self.assertTrue(out.startswith("input: 2 texts\nmetric     input\n"), out)
        self.assert_error(
            ["evaluate", "run/pipeline"],
            "run/pipeline is a saved pipeline folder: give --input FILE (a labelled "
            ".csv/.tsv/.jsonl file), or evaluate with the run file",
        )

        # export: a second export answers as the first.
        self.assert_error(
            ["export", "run/pipeline", "export/1"],
            f"{self.folder}/export/1 already exists; pass --overwrite to replace it",
        )
        code, out, err = self.run_cli("export", "run/pipeline", "export/2")
        self.assertEqual(0, code, err)
        self.assertEqual(
            f"exported run/pipeline to {self.folder}/export/2 (checked in a fresh "
            "process)\n",
            out,
        )
        code, out, err = self.run_cli("predict", "export/2", *texts)
        self.assertEqual(["\t".join(row) for row in rows], out.splitlines())

        # A second train refuses to overwrite the outputs, before training.
        code, out, err = self.run_cli("train", RT_CONFIG, *tiny)
        self.assertEqual(2, code)
        self.assertIn("output.save_dir", err)
        self.assertIn("already exists; set output.overwrite = true", err)

    @pytest.mark.slow
    def test_train_predict_evaluate_export_a_translator(self):
        from kerasseq.pipelines import Translator

        cwd = os.getcwd()
        self.addCleanup(os.chdir, cwd)
        os.chdir(self.folder)  # relative output paths land here
        del os.environ[runs.DATA_ENV]  # generated data: no data root needed
        tiny = [
            "--set", "data.size=240",
            "--set", "data.validation_split=0.1",
            "--set", "model.units=8",
            "--set", "model.embedding_dim=8",
            "--set", "fit.verbose=0",
            "--set", "output.save_dir=run/pipeline",
            "--set", "output.export_dir=export/1",
            "--set", "output.metrics_file=run/metrics.json",
        ]  # fmt: skip
        code, out, err = self.run_cli("train", DATES_CONFIG, *tiny)
        self.assertEqual(0, code, err)
        run = runs.load_run(DATES_CONFIG, [item for item in tiny if item != "--set"])
        splits = runs.read_splits(run)
        sizes = [len(splits[name]) for name in runs.SPLITS]
        self.assertEqual(240, sum(sizes))
        lines = out.splitlines()
        self.assertEqual(
            "data: train {}, validation {}, test {} pairs".format(*sizes), lines[0]
        )
        record = json.loads((self.folder / "run" / "metrics.json").read_text())
        metrics = record["metrics"]
        self.assertEqual(runs.format_metrics(metrics).splitlines(), lines[-5:])
        self.assertEqual(["test", "validation"], sorted(metrics))
        self.assertEqual(
            ["bleu", "exact_match", "loss", "token_accuracy"], sorted(metrics["test"])
        )
        self.assertEqual(
            ["loss", "token_accuracy", "val_loss", "val_token_accuracy"],
            sorted(record["history"]),
        )
        self.assertEqual(
            {"format": "dates", "size": 240, "test_split": 0.1, "lowercase": 0.25},
            {
                key: record["run"]["data"][key]
                for key in ("format", "size", "test_split", "lowercase")
            },
        )
        self.assertTrue((self.folder / "export" / "1" / "saved_model.pb").is_file())

        # load_pipeline finds the Translator from its config.toml.
        pipeline = runs.load_pipeline("run/pipeline")
        self.assertIsInstance(pipeline, Translator)
        self.assertEqual(
            (8, "char"), (pipeline.settings.units, pipeline.settings.tokenizer)
        )

        # predict: the SavedModel answers as the saved pipeline's translate.
        texts = ["25th of June, 2009", "3 mars\t1987", ""]
        code, out, err = self.run_cli("predict", "run/pipeline", "--json", *texts)
        self.assertEqual(0, code, err)
        records = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(texts, [r["text"] for r in records])
        self.assertEqual(
            [{"text", "translation", "score"}] * 3, [set(r) for r in records]
        )
        translations = [r["translation"] for r in records]
        scores = [r["score"] for r in records]
        for score in scores:
            self.assertLessEqual(score, 0.0)  # a log-probability
        code, out, err = self.run_cli("predict", "export/1", *texts)
        self.assertEqual(0, code, err)
        rows = [line.split("\t") for line in out.splitlines()]
        self.assertEqual(
            [
                (" ".join(t.split()), " ".join(x.split()))
                for t, x in zip(translations, texts)
            ],
            [(row[0], row[2]) for row in rows],
        )
        self.assertEqual("3 mars 1987", rows[1][2])
        self.assertAllClose(scores, [float(row[1]) for row in rows], atol=2e-4)

        # evaluate: the run file's test split gives the metrics of train.
        code, out, err = self.run_cli("evaluate", DATES_CONFIG, *tiny)
        self.assertEqual(0, code, err)
        lines = out.splitlines()
        self.assertEqual(f"test: {sizes[2]} pairs", lines[0])
        self.assertEqual(["metric            test"], lines[1:2])
        printed = {line.split()[0]: float(line.split()[1]) for line in lines[2:]}
        self.assertAllClose(metrics["test"], printed, atol=1e-4)
        pairs = self.folder / "pairs.tsv"
        pairs.write_text("25th of June, 2009\t2009-06-25\n", encoding="utf-8")
        code, out, err = self.run_cli(
            "evaluate", "run/pipeline", "--input", "pairs.tsv"
        )
        self.assertEqual(0, code, err)
        self.assertTrue(out.startswith("input: 1 pairs\nmetric           input\n"), out)
        self.assertIn(
            f"exact_match     {float(translations[0] == '2009-06-25'):.4f}", out
        )

        # export: the saved Translator is exported with the CLI's arguments
        # (its real export, checked in a fresh process, ran in train above).
        with mock.patch.object(Translator, "export", autospec=True) as export:
            code, out, err = self.run_cli(
                "export", "run/pipeline", "export/2", "--overwrite"
            )
        self.assertEqual(0, code, err)
        (instance, target), options = export.call_args
        self.assertIsInstance(instance, Translator)
        self.assertEqual(
            (self.folder / "export" / "2", {"overwrite": True}), (target, options)
        )
