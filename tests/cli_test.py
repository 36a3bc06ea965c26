import os
import pathlib

import numpy as np
import pytest

from kerasseq import cli
from kerasseq.embeddings import cache
from tests.test_case import TestCase
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
