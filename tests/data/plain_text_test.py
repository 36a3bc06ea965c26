"""Tests for `read_plain_text` and `read_text_lines`."""

import gzip
import os

from kerasseq.data.plain_text import read_plain_text
from kerasseq.data.plain_text import read_text_lines
from kerasseq.data.text_file import TextDecodeError
from tests.test_case import TestCase
from tests.test_case import data_dir


class PlainTextTest(TestCase):
    def test_tiny_shakespeare_and_dinosaur_names_as_published(self):
        text = read_plain_text(data_dir() / "char-lm" / "tinyshakespeare.txt")
        self.assertLen(text, 1_115_394)  # ASCII: one character a byte
        self.assertTrue(text.startswith("First Citizen:\nBefore we proceed"))
        names = read_text_lines(data_dir() / "char-lm" / "dinos.txt")
        self.assertLen(names, 1_536)
        self.assertEqual(names[:2], ["Aachenosaurus", "Aardonyx"])

    def test_lines_options_and_gzip(self):
        path = os.path.join(self.get_temp_dir(), "lines.txt.gz")
        with gzip.open(path, "wb") as file:
            file.write(b" a \r\n\r\nb\n")
        self.assertEqual(read_text_lines(path), ["a", "b"])
        self.assertEqual(read_text_lines(path, skip_blank=False), ["a", "", "b"])
        self.assertEqual(read_text_lines(path, strip=False), [" a ", "b"])
        self.assertEqual(read_plain_text(path), " a \n\nb\n")

    def test_decode_errors(self):
        path = os.path.join(self.get_temp_dir(), "latin.txt")
        with open(path, "wb") as file:
            file.write(b"ok\nna\xefve\n")
        with self.assertRaisesRegex(TextDecodeError, "latin.txt, line 2"):
            read_plain_text(path)
        with self.assertRaisesRegex(TextDecodeError, "latin.txt, line 2"):
            read_text_lines(path)
        self.assertEqual(read_text_lines(path, encoding="latin-1")[1], "naïve")
