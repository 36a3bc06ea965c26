"""Tests for `load_vectors`: every format against gensim, the cache, gensim-data."""

import gzip
import os
import pathlib
import pickle
from unittest import mock

import numpy as np
import pytest
from absl.testing import parameterized

from kerasseq.embeddings import cache
from kerasseq.embeddings import keyed_vectors
from kerasseq.embeddings import load_vectors
from kerasseq.embeddings import parsing
from tests.embeddings import fixtures
from tests.embeddings import glove
from tests.test_case import TestCase


def gensim_reference(path, name):
    from gensim.models import KeyedVectors

    return KeyedVectors.load_word2vec_format(
        str(path), binary=name == "word2vec-binary", no_header=name == "glove"
    )


class LoadVectorsTest(TestCase, parameterized.TestCase):
    def setUp(self):
        super().setUp()
        self.folder = pathlib.Path(self.get_temp_dir())
        self.cache_dir = self.folder / "cache"
        self.keyed = fixtures.random_keyed_vectors()
        self.paths = fixtures.write_gensim_formats(self.folder, self.keyed)

    def assertSameVectors(self, expected, actual):
        self.assertEqual(expected.index_to_key, actual.index_to_key)
        self.assertEqual(expected.key_to_index, actual.key_to_index)
        self.assertEqual(expected.vector_size, actual.vector_size)
        np.testing.assert_array_equal(expected.vectors, actual.vectors)

    @parameterized.parameters("glove", "word2vec", "fasttext-vec", "word2vec-binary")
    def test_each_format_as_gensim(self, name):
        from gensim.models import KeyedVectors

        reference = gensim_reference(self.paths[name], name)
        for format in (None, name):
            loaded = load_vectors(self.paths[name], format, cache=False)
            self.assertIsInstance(loaded, KeyedVectors)
            self.assertSameVectors(reference, loaded)
        # The result works as gensim's does.
        self.assertEqual(
            reference.most_similar("king", topn=3), loaded.most_similar("king", topn=3)
        )
        self.assertEqual(
            [reference.get_vecattr(w, "count") for w in reference.index_to_key],
            [loaded.get_vecattr(w, "count") for w in loaded.index_to_key],
        )

    @parameterized.parameters("gz", "zip")
    def test_compressed(self, kind):
        path = fixtures.compress(self.paths["glove"], kind)
        loaded = load_vectors(path, cache_dir=self.cache_dir)
        self.assertSameVectors(gensim_reference(self.paths["glove"], "glove"), loaded)

    def test_cached_reload(self):
        first = load_vectors(self.paths["glove"], cache_dir=self.cache_dir)
        self.assertTrue(first.vectors.flags.writeable)
        with mock.patch.object(parsing, "parse_text", side_effect=AssertionError):
            second = load_vectors(self.paths["glove"], cache_dir=self.cache_dir)
            in_memory = load_vectors(
                self.paths["glove"], cache_dir=self.cache_dir, mmap=False
            )
            limited = load_vectors(
                self.paths["glove"], cache_dir=self.cache_dir, limit=4
            )
        self.assertSameVectors(first, second)
        self.assertSameVectors(first, in_memory)
        self.assertFalse(second.vectors.flags.writeable)  # memory-mapped
        self.assertTrue(in_memory.vectors.flags.writeable)
        self.assertEqual(fixtures.WORDS[:4], limited.index_to_key)
        np.testing.assert_array_equal(first.vectors[:4], limited.vectors)
        self.assertEqual(
            first.most_similar("king", topn=3), second.most_similar("king", topn=3)
        )

    def test_changed_source_is_parsed_again(self):
        load_vectors(self.paths["glove"], cache_dir=self.cache_dir)
        self.paths["glove"].write_text("new 1 2\n")
        reloaded = load_vectors(self.paths["glove"], cache_dir=self.cache_dir)
        self.assertEqual(["new"], reloaded.index_to_key)
        with mock.patch.object(parsing, "parse_text", side_effect=AssertionError):
            self.assertEqual(
                ["new"],
                load_vectors(
                    self.paths["glove"], cache_dir=self.cache_dir
                ).index_to_key,
            )

    def test_no_cache_and_partial_loads_write_nothing(self):
        load_vectors(self.paths["glove"], cache=False, cache_dir=self.cache_dir)
        load_vectors(self.paths["glove"], limit=3, cache_dir=self.cache_dir)
        self.assertFalse(self.cache_dir.exists())

    def test_default_cache_beside_the_source(self):
        load_vectors(self.paths["word2vec"])
        folder = cache.entry_dir(
            self.folder / cache.CACHE_FOLDER_NAME, self.paths["word2vec"]
        )
        self.assertTrue((folder / cache.MANIFEST).is_file())

    def test_read_only_source_folder_falls_back_to_the_user_cache(self):
        # A file where the cache folder would go makes that folder unwritable
        # (permissions would not stop root, who runs the tests here).
        (self.folder / cache.CACHE_FOLDER_NAME).write_text("not a folder")
        user = self.folder / "user-cache"
        with mock.patch.dict(os.environ, {"KERASSEQ_CACHE_DIR": str(user)}):
            with self.assertWarnsRegex(
                UserWarning, r"Cannot write the word-vector cache beside .*cache_dir="
            ):
                load_vectors(self.paths["glove"])
            self.assertTrue((cache.entry_dir(user, self.paths["glove"])).is_dir())
            with mock.patch.object(parsing, "parse_text", side_effect=AssertionError):
                load_vectors(self.paths["glove"])  # found there, no warning
        # A folder marked read-only is respected even by root.
        source_folder = self.folder / "read-only"
        source_folder.mkdir()
        source = source_folder / "vectors.txt"
        source.write_text("the 1 2\n")
        source_folder.chmod(0o555)
        self.addCleanup(source_folder.chmod, 0o755)
        with mock.patch.dict(os.environ, {"KERASSEQ_CACHE_DIR": str(user)}):
            with self.assertWarnsRegex(UserWarning, "read-only.*written to"):
                load_vectors(source)
        self.assertEqual(["vectors.txt"], os.listdir(source_folder))
        self.assertTrue(cache.entry_dir(user, source).is_dir())
        blocked = self.folder / "blocked"
        blocked.write_text("a file")
        with self.assertWarnsRegex(UserWarning, "not cached: cannot write"):
            loaded = load_vectors(self.paths["glove"], cache_dir=blocked / "sub")
        self.assertEqual(fixtures.WORDS, loaded.index_to_key)

    def test_declared_format_contradicted(self):
        with self.assertRaisesRegex(ValueError, "header-less GloVe"):
            load_vectors(self.paths["glove"], "word2vec")
        with self.assertRaisesRegex(ValueError, "format='word2vec'"):
            load_vectors(self.paths["fasttext-vec"], "glove")

    def test_duplicates_keep_the_first_as_gensim(self):
        path = self.folder / "dups.txt"
        path.write_text("a 1 2\nb 3 4\na 5 6\nc 7 8\nb 9 9\n")
        with self.assertWarnsRegex(UserWarning, r"2 repeated words \(e.g. 'a', 'b'\)"):
            loaded = load_vectors(path, cache=False)
        reference = gensim_reference(path, "glove")
        self.assertEqual(["a", "b", "c"], loaded.index_to_key)
        # gensim leaves None placeholders (and their rows) after the kept keys.
        self.assertEqual(["a", "b", "c", None, None], reference.index_to_key)
        np.testing.assert_array_equal(reference.vectors[:3], loaded.vectors)
        np.testing.assert_array_equal([[1, 2], [3, 4], [7, 8]], loaded.vectors)

    def test_fasttext_bin_keeps_subwords(self):
        from gensim.models.fasttext import FastTextKeyedVectors
        from gensim.models.fasttext import load_facebook_vectors
        from gensim.models.fasttext import save_facebook_model

        model = fixtures.tiny_fasttext_model()
        path = self.folder / "model.bin"
        save_facebook_model(model, str(path))
        loaded = load_vectors(path)
        reference = load_facebook_vectors(str(path))
        self.assertIsInstance(loaded, FastTextKeyedVectors)
        self.assertEqual(reference.index_to_key, loaded.index_to_key)
        np.testing.assert_array_equal(reference.vectors, loaded.vectors)
        self.assertNotIn("kingdoms", loaded.key_to_index)
        np.testing.assert_allclose(
            model.wv["kingdoms"], loaded["kingdoms"], rtol=1e-6, atol=1e-7
        )
        # Its .vec (the word vectors only) reads as fastText text.
        vec = self.folder / "model.vec"
        model.wv.save_word2vec_format(str(vec))
        from_vec = load_vectors(vec, cache=False)
        self.assertEqual(model.wv.index_to_key, from_vec.index_to_key)
        np.testing.assert_allclose(model.wv.vectors, from_vec.vectors, rtol=1e-6)
        with self.assertRaisesRegex(ValueError, "limit"):
            load_vectors(path, limit=3)

    def test_gensim_native_needs_trust(self):
        path = self.folder / "vectors.kv"
        self.keyed.save(str(path))
        with self.assertRaisesRegex(
            ValueError, r"pickle.*arbitrary code.*trusted=True"
        ):
            load_vectors(path)
        with self.assertRaisesRegex(ValueError, "pickle"):
            load_vectors(path, "gensim")
        self.assertSameVectors(self.keyed, load_vectors(path, trusted=True))
        model = fixtures.tiny_fasttext_model()
        model.save(str(self.folder / "model.gensim"))
        from_model = load_vectors(self.folder / "model.gensim", trusted=True)
        self.assertEqual(model.wv.index_to_key, from_model.index_to_key)
        (self.folder / "list.pkl").write_bytes(pickle.dumps([1, 2]))
        with self.assertRaisesRegex(
            ValueError, "not a gensim object.*not word vectors"
        ):
            load_vectors(self.folder / "list.pkl", trusted=True)

    def test_missing_file_and_bad_arguments(self):
        with self.assertRaisesRegex(FileNotFoundError, "No word-vector file"):
            load_vectors(self.folder / "missing.txt")
        with self.assertRaisesRegex(FileNotFoundError, "gensim-data name"):
            load_vectors("Glove_Missing")
        with self.assertRaisesRegex(ValueError, "format='csv'"):
            load_vectors(self.paths["glove"], "csv")
        with self.assertRaisesRegex(ValueError, "limit=0"):
            load_vectors(self.paths["glove"], limit=0)
        with self.assertRaisesRegex(
            ValueError,
            "`unicode_errors` must be one of 'strict', 'replace', 'ignore', "
            "'surrogateescape', received: unicode_errors='loose'",
        ):
            load_vectors(self.paths["glove"], unicode_errors="loose")

    def test_keyed_vectors(self):
        vectors = np.ones((2, 3), "float32")
        keyed = keyed_vectors(["a", "b"], vectors)
        self.assertIs(vectors, keyed.vectors)
        self.assertEqual({"a": 0, "b": 1}, keyed.key_to_index)
        with self.assertRaisesRegex(ValueError, "unique"):
            keyed_vectors(["a", "a"], vectors)
        with self.assertRaisesRegex(ValueError, "shape"):
            keyed_vectors(["a"], vectors)


class GensimDataTest(TestCase):
    """gensim-data names; `gensim.downloader` is never really called here."""

    def setUp(self):
        super().setUp()
        import gensim.downloader

        self.downloader = gensim.downloader
        self.base = pathlib.Path(self.get_temp_dir()) / "gensim-data"
        patcher = mock.patch.object(gensim.downloader, "BASE_DIR", str(self.base))
        patcher.start()
        self.addCleanup(patcher.stop)

    def write_model(self, folder, name="glove-tiny-7"):
        # gensim-data stores GloVe as gzip'd word2vec text (with a header).
        folder.mkdir(parents=True)
        path = folder / f"{name}.gz"
        with gzip.open(path, "wt", encoding="utf-8") as file:
            file.write("2 3\nthe 1 2 3\nof 4 5 6\n")
        return path

    def test_offline_says_where_to_put_the_file(self):
        offline = OSError("[Errno -3] Temporary failure in name resolution")
        with mock.patch.object(self.downloader, "load", side_effect=offline) as load:
            with self.assertRaises(ConnectionError) as raised:
                load_vectors("glove-wiki-gigaword-50")
        load.assert_called_once_with("glove-wiki-gigaword-50", return_path=True)
        message = str(raised.exception)
        expected = self.base / "glove-wiki-gigaword-50" / "glove-wiki-gigaword-50.gz"
        self.assertIn(str(expected), message)
        self.assertIn(
            "python -m gensim.downloader --download glove-wiki-gigaword-50", message
        )
        self.assertIn("offline", message)
        self.assertIn("GENSIM_DATA_DIR", message)

    def test_local_copy_is_used_without_the_network(self):
        self.write_model(self.base / "glove-tiny-7")
        with mock.patch.object(self.downloader, "load", side_effect=AssertionError):
            loaded = load_vectors("glove-tiny-7", cache_dir=self.base / "cache")
            self.assertEqual(["the", "of"], loaded.index_to_key)
            np.testing.assert_array_equal([[1, 2, 3], [4, 5, 6]], loaded.vectors)
            explicit = load_vectors("glove-tiny-7", "gensim-data", cache=False)
            self.assertEqual(["the", "of"], explicit.index_to_key)

    def test_downloaded_file_is_read_without_running_its_script(self):
        path = self.write_model(pathlib.Path(self.get_temp_dir()) / "elsewhere")
        with mock.patch.object(self.downloader, "load", return_value=str(path)) as load:
            loaded = load_vectors("glove-tiny-7", cache=False)
        load.assert_called_once_with("glove-tiny-7", return_path=True)
        self.assertEqual(["the", "of"], loaded.index_to_key)

    def test_unknown_name(self):
        unknown = ValueError("Incorrect model/corpus name")
        with mock.patch.object(self.downloader, "load", side_effect=unknown):
            with self.assertRaisesRegex(ValueError, "not a gensim-data name"):
                load_vectors("glove-nonexistent-1")


@pytest.mark.slow
class GloVeTest(TestCase):
    """The real GloVe 6B 50d (400,000 words), parsed and cached in a temp folder."""

    def test_full_file_as_gensim(self):
        from gensim.models import KeyedVectors

        vectors = glove.vectors()
        self.assertEqual((400_000, 50), vectors.vectors.shape)
        self.assertEqual(["the", ",", "."], vectors.index_to_key[:3])
        np.testing.assert_array_equal(
            np.float32([0.418, 0.24968, -0.41242, 0.1217]), vectors["the"][:4]
        )
        # Row for row as gensim on the first 50,000 rows (gensim's full parse
        # takes ~25 s here) and on the last rows, read by a plain reference.
        reference = KeyedVectors.load_word2vec_format(
            str(glove.path()), no_header=True, limit=50_000
        )
        self.assertEqual(reference.index_to_key, vectors.index_to_key[:50_000])
        np.testing.assert_array_equal(reference.vectors, vectors.vectors[:50_000])
        with gzip.open(glove.path(), "rt", encoding="utf-8") as file:
            tail = list(file)[-1000:]
        words = [line.split(" ", 1)[0] for line in tail]
        values = np.array(
            [[np.float32(v) for v in line.rstrip().split(" ")[1:]] for line in tail]
        )
        self.assertEqual(words, vectors.index_to_key[-1000:])
        np.testing.assert_array_equal(values, vectors.vectors[-1000:])

    def test_cached_reload(self):
        vectors = glove.vectors()
        with mock.patch.object(parsing, "parse_text", side_effect=AssertionError):
            reloaded = load_vectors(glove.path(), cache_dir=glove.cache_dir())
        self.assertEqual(vectors.index_to_key, reloaded.index_to_key)
        np.testing.assert_array_equal(vectors.vectors, reloaded.vectors)
        self.assertFalse(reloaded.vectors.flags.writeable)
