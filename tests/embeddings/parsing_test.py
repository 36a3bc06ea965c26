"""Tests for the text and binary word2vec-family parsers, against gensim."""

import pathlib
import warnings

import numpy as np
from absl.testing import parameterized

from kerasseq.embeddings import parsing
from tests.embeddings import fixtures
from tests.test_case import TestCase


def gensim_load(path, name, **kwargs):
    from gensim.models import KeyedVectors

    return KeyedVectors.load_word2vec_format(
        str(path),
        binary=name == "word2vec-binary",
        no_header=name == "glove",
        **kwargs,
    )


class ParseTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.folder = pathlib.Path(self.get_temp_dir())
        self.keyed = fixtures.random_keyed_vectors()
        self.paths = fixtures.write_gensim_formats(self.folder, self.keyed)

    def write(self, name, text):
        path = self.folder / name
        path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
        return path

    def parse(self, name, path=None, **kwargs):
        path = self.paths[name] if path is None else path
        if name == "word2vec-binary":
            return parsing.parse_binary(path, **kwargs)
        return parsing.parse_text(path, header=name != "glove", **kwargs)

    @parameterized.parameters("glove", "word2vec", "fasttext-vec", "word2vec-binary")
    def test_row_for_row_as_gensim(self, name):
        words, vectors = self.parse(name)
        reference = gensim_load(self.paths[name], name)
        self.assertEqual(reference.index_to_key, words)
        self.assertEqual(fixtures.WORDS, words)
        self.assertEqual(np.float32, vectors.dtype)
        np.testing.assert_array_equal(reference.vectors, vectors)
        if name == "word2vec-binary":  # binary keeps every bit
            np.testing.assert_array_equal(self.keyed.vectors, vectors)

    @parameterized.parameters("gz", "bz2", "xz", "zip")
    def test_compressed_as_gensim(self, kind):
        for name in ("glove", "word2vec-binary"):
            words, vectors = self.parse(name, fixtures.compress(self.paths[name], kind))
            reference = gensim_load(self.paths[name], name)
            self.assertEqual(reference.index_to_key, words)
            np.testing.assert_array_equal(reference.vectors, vectors)

    def test_many_chunks_and_growth(self):
        # 3,000 rows through 2 KB chunks: many chunk borders, and an output
        # array that must grow (the size hint of a .bz2 file is a guess).
        rng = np.random.default_rng(1)
        words = [f"w{i}" for i in range(3000)]
        keyed = fixtures.random_keyed_vectors(words, dimension=5)
        keyed.vectors[:] = rng.normal(size=keyed.vectors.shape)
        path = self.folder / "many.txt"
        keyed.save_word2vec_format(str(path), write_header=False)
        original = parsing._CHUNK_BYTES
        parsing._CHUNK_BYTES = 2048
        try:
            for source in (path, fixtures.compress(path, "bz2")):
                parsed_words, vectors = parsing.parse_text(source, header=False)
                self.assertEqual(words, parsed_words)
                np.testing.assert_array_equal(
                    gensim_load(path, "glove").vectors, vectors
                )
        finally:
            parsing._CHUNK_BYTES = original

    def test_binary_with_newlines_after_vectors(self):
        # The original C tool writes a newline after each vector.
        vectors = self.keyed.vectors
        data = f"{len(vectors)} {vectors.shape[1]}\n".encode()
        for word, vector in zip(self.keyed.index_to_key, vectors):
            data += word.encode() + b" " + vector.tobytes() + b"\n"
        words, parsed = self.parse("word2vec-binary", self.write("c.bin", data))
        self.assertEqual(fixtures.WORDS, words)
        np.testing.assert_array_equal(vectors, parsed)

    def test_limit(self):
        for name in ("glove", "word2vec", "word2vec-binary"):
            words, vectors = self.parse(name, limit=3)
            self.assertEqual(fixtures.WORDS[:3], words)
            np.testing.assert_array_equal(
                gensim_load(self.paths[name], name, limit=3).vectors, vectors
            )

    def test_windows_line_endings_and_blank_lines(self):
        path = self.write("crlf.txt", "the 1 2\r\n\r\nof 3 4\r\n\n")
        words, vectors = parsing.parse_text(path, header=False)
        self.assertEqual(["the", "of"], words)
        np.testing.assert_array_equal([[1, 2], [3, 4]], vectors)

    def test_last_line_without_newline(self):
        path = self.write("last.txt", "the 1 2\nof 3 4")
        words, vectors = parsing.parse_text(path, header=False)
        self.assertEqual(["the", "of"], words)
        np.testing.assert_array_equal([[1, 2], [3, 4]], vectors)

    def test_tokens_with_spaces_are_kept_whole(self):
        # As in glove.840B: the last values of a line are the vector.
        path = self.write("spaces.txt", "the 1 2\n. . . 3 4\nat a@b.com 5 6\nof 7 8\n")
        with self.assertWarnsRegex(UserWarning, r"2 tokens .* contain spaces"):
            words, vectors = parsing.parse_text(path, header=False)
        self.assertEqual(["the", ". . .", "at a@b.com", "of"], words)
        np.testing.assert_array_equal([[1, 2], [3, 4], [5, 6], [7, 8]], vectors)

    def test_first_token_with_spaces_does_not_fool_the_dimension(self):
        path = self.write("first.txt", ". . 1 2\nthe 3 4\nof 5 6\n")
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            words, vectors = parsing.parse_text(path, header=False)
        self.assertEqual([". .", "the", "of"], words)
        np.testing.assert_array_equal([[1, 2], [3, 4], [5, 6]], vectors)

    def test_mixed_dimensions(self):
        for text, values in (
            ("the 1 2 3\nof 4 5\nand 6 7 8\n", "2 values"),
            ("the 1 2 3\nof 4 5 6 7\nand 6 7 8\n", "4 values"),
        ):
            path = self.write("mixed.txt", text)
            with self.assertRaisesRegex(
                ValueError, rf"mixed\.txt, line 2: the row of 'of' has {values}.*3"
            ):
                parsing.parse_text(path, header=False)

    def test_not_a_number(self):
        path = self.write("nan.txt", "the 1 2\nof 3 x4\n")
        with self.assertRaisesRegex(
            ValueError, r"line 2: the row of 'of' holds 'x4', not a number"
        ):
            parsing.parse_text(path, header=False)

    def test_empty_field(self):
        path = self.write("double.txt", "the 1 2\nof  3 4\n")
        with self.assertRaisesRegex(ValueError, "line 2: the row of 'of' has an empty"):
            parsing.parse_text(path, header=False)

    def test_vec_header_disagrees_with_rows(self):
        path = self.write("width.vec", "2 3\nthe 1 2\nof 3 4\n")
        with self.assertRaisesRegex(
            ValueError,
            r"line 2: the header says 2 vectors of dimension 3, but the first row "
            r"\('the'\) has 2 values",
        ):
            parsing.parse_text(path, header=True)
        path = self.write("count.vec", "3 2\nthe 1 2\nof 3 4\n")
        with self.assertRaisesRegex(
            ValueError, r"header of .* says 3 vectors, but the file holds 2 rows"
        ):
            parsing.parse_text(path, header=True)
        path = self.write("more.vec", "1 2\nthe 1 2\nof 3 4\n")
        with self.assertRaisesRegex(ValueError, "says 1 vectors, but .* holds 2"):
            parsing.parse_text(path, header=True)

    def test_binary_header_disagrees(self):
        data = self.paths["word2vec-binary"].read_bytes()
        truncated = self.write("short.bin", data[: len(data) - 10])
        with self.assertRaisesRegex(ValueError, "says 16 vectors, but the file ends"):
            parsing.parse_binary(truncated)
        longer = self.write("long.bin", data + b"extra " + bytes(28))
        with self.assertRaisesRegex(ValueError, "holds more data"):
            parsing.parse_binary(longer)
        with self.assertRaisesRegex(ValueError, "expected a word2vec header"):
            parsing.parse_binary(self.paths["glove"])

    def test_encoding_errors(self):
        path = self.write("latin.txt", "the 1 2\ncaf\xe9 3 4\n".encode("latin-1"))
        with self.assertRaisesRegex(
            ValueError, r"line 2: not valid utf-8 text.*unicode_errors='replace'"
        ):
            parsing.parse_text(path, header=False)
        words, _ = parsing.parse_text(path, header=False, unicode_errors="replace")
        self.assertEqual(["the", "caf\ufffd"], words)
        words, _ = parsing.parse_text(path, header=False, encoding="latin-1")
        self.assertEqual(["the", "café"], words)

    def test_no_rows(self):
        path = self.write("blank.txt", "\n\n")
        with self.assertRaisesRegex(ValueError, "no vector rows"):
            parsing.parse_text(path, header=False)
