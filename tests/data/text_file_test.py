"""Tests for `kerasseq.data.text_file`: gzip, line endings, decode errors."""

import codecs
import gzip
import os

from absl.testing import parameterized

from kerasseq.data.text_file import TextDecodeError
from kerasseq.data.text_file import check_encoding
from kerasseq.data.text_file import location
from kerasseq.data.text_file import read_lines
from kerasseq.data.text_file import read_text
from tests.test_case import TestCase


class ReadLinesTest(TestCase, parameterized.TestCase):
    def write(self, name, content):
        path = os.path.join(self.get_temp_dir(), name)
        with open(path, "wb") as file:
            file.write(content)
        return path

    def test_numbers_lines_and_drops_lf_and_crlf(self):
        path = self.write("mixed.txt", b"one\r\ntwo\n\nthree")
        self.assertEqual(
            list(read_lines(path)), [(1, "one"), (2, "two"), (3, ""), (4, "three")]
        )

    def test_keep_ends(self):
        path = self.write("ends.txt", b"one\r\ntwo\nthree")
        self.assertEqual(
            [line for _, line in read_lines(path, keep_ends=True)],
            ["one\r\n", "two\n", "three"],
        )

    def test_other_unicode_line_breaks_stay_inside_the_line(self):
        # Latin-1 0x85 is U+0085 (NEL), which str.splitlines would split on.
        path = self.write("nel.txt", b"wait\x85 what\x0cnext\n")
        self.assertEqual(
            list(read_lines(path, encoding="latin-1")), [(1, "wait\x85 what\x0cnext")]
        )

    def test_reads_gzip_by_content_whatever_the_name(self):
        for name in ("data.txt.gz", "no_suffix"):
            path = os.path.join(self.get_temp_dir(), name)
            with gzip.open(path, "wb") as file:
                file.write("héllo\nwörld\n".encode())
            self.assertEqual(list(read_lines(path)), [(1, "héllo"), (2, "wörld")])

    def test_strips_a_utf8_byte_order_mark_from_the_first_line_only(self):
        path = self.write(
            "bom.txt", codecs.BOM_UTF8 + b"a\n" + codecs.BOM_UTF8 + b"b\n"
        )
        self.assertEqual(list(read_lines(path)), [(1, "a"), (2, "\ufeffb")])

    def test_undecodable_bytes_name_file_line_and_the_way_out(self):
        path = self.write("latin.txt", b"fine\nstill fine\ncaf\xe9 au lait\n")
        with self.assertRaises(TextDecodeError) as context:
            list(read_lines(path))
        message = str(context.exception)
        self.assertIn(f"{path}, line 3", message)
        self.assertIn("e9", message)
        self.assertIn("encoding=", message)
        self.assertIn("errors='replace'", message)
        self.assertIsInstance(context.exception, UnicodeError)

    def test_errors_replace_and_the_right_encoding(self):
        path = self.write("latin.txt", b"caf\xe9\n")
        self.assertEqual(list(read_lines(path, errors="replace")), [(1, "caf\ufffd")])
        self.assertEqual(list(read_lines(path, encoding="latin-1")), [(1, "café")])
        self.assertEqual(list(read_lines(path, encoding="cp1252")), [(1, "café")])

    def test_utf16_is_decoded_whole_and_errors_still_name_the_line(self):
        path = self.write("utf16.txt", "α\r\nβ\nγ".encode("utf-16"))
        self.assertEqual(
            list(read_lines(path, encoding="utf-16")), [(1, "α"), (2, "β"), (3, "γ")]
        )
        broken = self.write("broken16.txt", "α\nβ\n".encode("utf-16-le") + b"\x00\xdc")
        with self.assertRaisesRegex(TextDecodeError, r"broken16.txt, line 3"):
            list(read_lines(broken, encoding="utf-16-le"))

    def test_read_text_normalises_line_endings(self):
        path = self.write("text.txt", b"a\r\nb\nc")
        self.assertEqual(read_text(path), "a\nb\nc")

    @parameterized.named_parameters(
        ("unknown_encoding", {"encoding": "klingon"}, "encoding='klingon'"),
        ("unknown_errors", {"errors": "shrug"}, "errors='shrug'"),
    )
    def test_bad_arguments(self, kwargs, expected):
        arguments = {"encoding": "utf-8", "errors": "strict", **kwargs}
        with self.assertRaisesRegex(ValueError, expected):
            check_encoding(**arguments)
        path = self.write("a.txt", b"a\n")
        with self.assertRaisesRegex(ValueError, expected):
            read_lines(path, **kwargs)

    def test_location(self):
        self.assertEqual(location("a/b.txt", 7), "a/b.txt, line 7")
        self.assertEqual(location("a/b.txt"), "a/b.txt")
