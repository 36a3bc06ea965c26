"""Tests for `read_sentence_pairs` and `SentencePairs`."""

import os

from kerasseq.data.sentence_pairs import SentencePairs
from kerasseq.data.sentence_pairs import read_sentence_pairs
from kerasseq.data.text_file import DataFormatError
from tests.test_case import TestCase
from tests.test_case import data_dir


class ReadSentencePairsTest(TestCase):
    def write(self, content):
        path = os.path.join(self.get_temp_dir(), "pairs.txt")
        with open(path, "w") as file:
            file.write(content)
        return path

    def test_spa_eng_as_published(self):
        pairs = read_sentence_pairs(data_dir() / "spa-eng" / "spa.txt")
        self.assertLen(pairs, 118_964)
        self.assertEqual((pairs.sources[0], pairs.targets[0]), ("Go.", "Ve."))
        self.assertTrue(pairs.targets[-1].startswith("Si quieres sonar como un"))
        self.assertIn("¿", "".join(pairs.targets[:2000]))

    def test_columns_attribution_and_blank_lines(self):
        path = self.write("Go.\tVe.\tCC-BY 2.0 (France)\n\n Run! \t¡Corre!\n")
        pairs = read_sentence_pairs(path)
        self.assertEqual(
            (pairs.sources, pairs.targets), (["Go.", "Run!"], ["Ve.", "¡Corre!"])
        )
        swapped = read_sentence_pairs(path, source_column=1, target_column=0)
        self.assertEqual(swapped.sources, ["Ve.", "¡Corre!"])
        self.assertEqual(
            [(s.numpy().decode(), t.numpy().decode()) for s, t in pairs.to_dataset()],
            [("Go.", "Ve."), ("Run!", "¡Corre!")],
        )

    def test_malformed_lines_name_file_and_line(self):
        path = self.write("Go.\tVe.\nRun!  ¡Corre!\n")
        with self.assertRaisesRegex(
            DataFormatError, r"pairs.txt, line 2: found 1 column.*'\\t'"
        ):
            read_sentence_pairs(path)
        with self.assertRaisesRegex(DataFormatError, "line 1: empty target"):
            read_sentence_pairs(self.write("Go.\t \n"))

    def test_bad_arguments(self):
        path = self.write("a\tb\n")
        with self.assertRaisesRegex(ValueError, "must differ"):
            read_sentence_pairs(path, source_column=1, target_column=1)
        with self.assertRaisesRegex(ValueError, "source_column=-1"):
            read_sentence_pairs(path, source_column=-1)
        with self.assertRaisesRegex(ValueError, "separator"):
            read_sentence_pairs(path, separator="")
        with self.assertRaisesRegex(ValueError, "received 1 targets for 2 sources"):
            SentencePairs(["a", "b"], ["c"])
