"""Tests for the one-text-a-line readers, on rt-polarity and malformed files."""

import os

from kerasseq.data.labelled_lines import read_fasttext
from kerasseq.data.labelled_lines import read_texts_and_labels
from kerasseq.data.labelled_lines import read_texts_per_label
from kerasseq.data.text_file import DataFormatError
from kerasseq.data.text_file import TextDecodeError
from tests.test_case import TestCase
from tests.test_case import data_dir


def rt_polarity_paths():
    folder = data_dir() / "rt-polarity"
    return {label: folder / f"rt-polarity.{label}" for label in ("pos", "neg")}


class TextsAndLabelsTest(TestCase):
    def write(self, name, content):
        path = os.path.join(self.get_temp_dir(), name)
        with open(path, "wb") as file:
            file.write(content)
        return path

    def test_pairs_line_by_line_and_keeps_blank_texts(self):
        texts = self.write("texts.txt", b" a fine film \r\n\r\nnot for me\n")
        labels = self.write("labels.txt", b"pos\nneg\nneg\n")
        data = read_texts_and_labels(texts, labels)
        self.assertEqual(data.texts, ["a fine film", "", "not for me"])
        self.assertEqual(data.labels, ["pos", "neg", "neg"])

    def test_different_line_counts_name_both_counts(self):
        texts = self.write("texts.txt", b"a\nb\nc\n")
        labels = self.write("labels.txt", b"pos\nneg\n")
        with self.assertRaises(DataFormatError) as context:
            read_texts_and_labels(texts, labels)
        message = str(context.exception)
        self.assertIn("texts.txt has 3 lines", message)
        self.assertIn("labels.txt has 2", message)

    def test_blank_label_names_the_line(self):
        texts = self.write("texts.txt", b"a\nb\n")
        labels = self.write("labels.txt", b"pos\n \n")
        with self.assertRaisesRegex(DataFormatError, "labels.txt, line 2: blank"):
            read_texts_and_labels(texts, labels)


class FastTextTest(TestCase):
    def write(self, content):
        path = os.path.join(self.get_temp_dir(), "train.txt")
        with open(path, "w") as file:
            file.write(content)
        return path

    def test_prefix_labels(self):
        path = self.write(
            "__label__pos a fine film\n\n__label__neg\tnot for me \n__label__neu\n"
        )
        data = read_fasttext(path)
        self.assertEqual(data.texts, ["a fine film", "not for me", ""])
        self.assertEqual(data.labels, ["pos", "neg", "neu"])
        self.assertEqual(data.label_names, ["neg", "neu", "pos"])
        custom = read_fasttext(self.write("#1 one\n#2 two\n"), label_prefix="#")
        self.assertEqual((custom.texts, custom.labels), (["one", "two"], ["1", "2"]))

    def test_malformed_lines(self):
        with self.assertRaisesRegex(
            DataFormatError, "train.txt, line 2: no label.*'__label__<name> '"
        ):
            read_fasttext(self.write("__label__a ok\nno label here\n"))
        with self.assertRaisesRegex(DataFormatError, "line 1: several labels"):
            read_fasttext(self.write("__label__a __label__b text\n"))
        with self.assertRaisesRegex(ValueError, "label_prefix"):
            read_fasttext(self.write("x\n"), label_prefix="")


class TextsPerLabelTest(TestCase):
    def test_rt_polarity_as_published(self):
        # 5,331 + 5,331 sentences, Latin-1 (Pang & Lee 2005). Its 0x85 bytes
        # are U+0085 in Latin-1 and must not split lines.
        data = read_texts_per_label(rt_polarity_paths(), encoding="latin-1")
        self.assertLen(data, 10_662)
        self.assertEqual(data.labels.count("pos"), 5_331)
        self.assertEqual(data.label_names, ["neg", "pos"])
        self.assertTrue(
            data.texts[0].startswith("the rock is destined to be the 21st century's")
        )
        self.assertTrue(data.texts[0].endswith("steven segal ."))
        self.assertTrue(any("\x85" in text for text in data.texts))
        self.assertIn("é", "".join(data.texts))

    def test_rt_polarity_is_not_utf8(self):
        with self.assertRaises(TextDecodeError) as context:
            read_texts_per_label(rt_polarity_paths())
        message = str(context.exception)
        self.assertIn("rt-polarity.pos, line 44", message)
        self.assertIn("encoding=", message)
        replaced = read_texts_per_label(rt_polarity_paths(), errors="replace")
        self.assertLen(replaced, 10_662)
        self.assertIn("\ufffd", replaced.texts[43])

    def test_skips_blank_lines_and_checks_arguments(self):
        path = os.path.join(self.get_temp_dir(), "a.txt")
        with open(path, "w") as file:
            file.write("x\n\n  \ny\n")
        data = read_texts_per_label({"a": path}, label_names=["a", "b"])
        self.assertEqual((data.texts, data.label_names), (["x", "y"], ["a", "b"]))
        with self.assertRaisesRegex(ValueError, "non-empty mapping"):
            read_texts_per_label([path])
