"""Tests for format detection and the declared-format checks."""

import pathlib
import pickle
import re
import struct

from absl.testing import parameterized

from kerasseq.embeddings import formats
from tests.embeddings import fixtures
from tests.test_case import TestCase


class DetectFormatTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.folder = pathlib.Path(self.get_temp_dir())
        self.keyed = fixtures.random_keyed_vectors()
        self.paths = fixtures.write_gensim_formats(self.folder, self.keyed)

    @parameterized.parameters("glove", "word2vec", "fasttext-vec", "word2vec-binary")
    def test_word2vec_family_written_by_gensim(self, name):
        self.assertEqual(name, formats.detect_format(self.paths[name]))

    @parameterized.parameters("gz", "bz2", "xz", "zip")
    def test_compressed(self, kind):
        for name in ("glove", "word2vec-binary"):
            path = fixtures.compress(self.paths[name], kind)
            self.assertEqual(name, formats.detect_format(path))
            self.assertEqual(
                self.paths[name].read_bytes(),
                b"".join(formats.iter_blocks(path, block_size=7)),
            )

    def test_gensim_native_and_fasttext_bin(self):
        from gensim.models.fasttext import save_facebook_model

        native = self.folder / "vectors.kv"
        self.keyed.save(str(native))
        self.assertEqual("gensim", formats.detect_format(native))
        model = fixtures.tiny_fasttext_model()
        model.save(str(self.folder / "model.gensim"))
        self.assertEqual("gensim", formats.detect_format(self.folder / "model.gensim"))
        save_facebook_model(model, str(self.folder / "model.bin"))
        self.assertEqual(
            "fasttext-bin", formats.detect_format(self.folder / "model.bin")
        )
        # Any pickle is reported as gensim (and then needs trusted=True).
        (self.folder / "other.pkl").write_bytes(pickle.dumps([1, 2]))
        self.assertEqual("gensim", formats.detect_format(self.folder / "other.pkl"))

    def test_header_with_wrong_width_is_still_text(self):
        path = self.folder / "bad.vec"
        path.write_text("2 5\nthe 0.1 0.2 0.3\nof 0.4 0.5 0.6\n")
        self.assertEqual("fasttext-vec", formats.detect_format(path))

    def test_unknown_and_empty(self):
        path = self.folder / "notes.txt"
        path.write_text("hello world\nthis is prose\n")
        with self.assertRaisesRegex(ValueError, "Cannot tell the word-vector format"):
            formats.detect_format(path)
        (self.folder / "empty.txt").write_bytes(b"")
        with self.assertRaisesRegex(ValueError, "is empty"):
            formats.detect_format(self.folder / "empty.txt")
        with self.assertRaises(FileNotFoundError):
            formats.detect_format(self.folder / "missing.txt")

    def test_glove_read_as_word2vec(self):
        for name in ("word2vec", "fasttext-vec", "word2vec-binary"):
            with self.assertRaisesRegex(
                ValueError, r"no word2vec header.*header-less GloVe.*format='glove'"
            ):
                formats.check_declared_format(self.paths["glove"], name)

    def test_word2vec_read_as_glove(self):
        for name in ("word2vec", "fasttext-vec"):
            with self.assertRaisesRegex(
                ValueError, r"header line '16 7'.*format='word2vec'"
            ):
                formats.check_declared_format(self.paths[name], "glove")

    def test_text_and_binary_mixed_up(self):
        with self.assertRaisesRegex(ValueError, "format='word2vec-binary'"):
            formats.check_declared_format(self.paths["word2vec-binary"], "word2vec")
        with self.assertRaisesRegex(ValueError, "not binary"):
            formats.check_declared_format(self.paths["word2vec"], "word2vec-binary")
        for name, path in self.paths.items():
            formats.check_declared_format(path, name)  # consistent: no error
        for name in ("fasttext-bin", "gensim"):
            with self.assertRaisesRegex(
                ValueError, f"not a {name} file.*format='word2vec'"
            ):
                formats.check_declared_format(self.paths["word2vec"], name)

    def test_gzip_size_hint(self):
        path = fixtures.compress(self.paths["glove"], "gz")
        self.assertEqual(
            self.paths["glove"].stat().st_size, formats.uncompressed_size_hint(path)
        )

    def test_truncated_gzip(self):
        path = fixtures.compress(self.paths["glove"], "gz")
        truncated = self.folder / "truncated.gz"
        truncated.write_bytes(path.read_bytes()[:-20])
        with self.assertRaisesRegex(EOFError, "truncated"):
            b"".join(formats.iter_blocks(truncated))

    def test_fasttext_magic(self):
        path = self.folder / "fake.bin"
        path.write_bytes(struct.pack("<ii", 793712314, 12) + b"\0" * 8)
        self.assertEqual("fasttext-bin", formats.detect_format(path))

    def test_gensim_data_names(self):
        for name in ("glove-wiki-gigaword-50", "word2vec-google-news-300"):
            self.assertTrue(formats.looks_like_gensim_data_name(name))
        for name in ("vectors.txt", "glove.6B.50d.txt.gz", "dir/glove-x-50", "Glove"):
            self.assertFalse(formats.looks_like_gensim_data_name(name))
        self.assertFalse(formats.looks_like_gensim_data_name(pathlib.Path("a-b")))

    def test_check_format(self):
        self.assertIsNone(formats.check_format(None))
        self.assertEqual("glove", formats.check_format("glove"))
        with self.assertRaisesRegex(
            ValueError,
            re.escape(
                "`format` must be one of 'glove', 'word2vec', 'fasttext-vec', "
                "'word2vec-binary', 'fasttext-bin', 'gensim', 'gensim-data' or None "
                "(detect it from the file), received: format='txt'"
            ),
        ):
            formats.check_format("txt")
