"""Tests for the reload cache: round trip, invalidation, atomic files."""

import json
import os
import pathlib
from unittest import mock

import numpy as np

from kerasseq.embeddings import cache
from tests.test_case import TestCase

OPTIONS = {"format": "glove", "encoding": "utf-8", "unicode_errors": "strict"}


class CacheTest(TestCase):
    def setUp(self):
        super().setUp()
        self.folder = pathlib.Path(self.get_temp_dir())
        self.source = self.folder / "vectors.txt"
        self.source.write_text("the 1 2\nof 3 4\n")
        self.words = ["the", "of", "naïve", "a\rb", "🙂"]
        self.vectors = np.arange(10, dtype="float32").reshape(5, 2)
        self.cache_dir = self.folder / "cache"

    def write(self, **kwargs):
        arguments = {
            "source": self.source,
            "cache_dir": self.cache_dir,
            "words": self.words,
            "vectors": self.vectors,
            "options": OPTIONS,
            **kwargs,
        }
        return cache.write(**arguments)

    def test_round_trip_memory_mapped(self):
        folder = self.write()
        self.assertEqual(cache.entry_dir(self.cache_dir, self.source), folder)
        words, vectors, found = cache.read(self.source, [self.cache_dir], OPTIONS)
        self.assertEqual(folder, found)
        self.assertEqual(self.words, words)
        np.testing.assert_array_equal(self.vectors, vectors)
        self.assertIsInstance(vectors, np.memmap)
        self.assertFalse(vectors.flags.writeable)
        _, in_memory, _ = cache.read(self.source, [self.cache_dir], OPTIONS, mmap=False)
        self.assertNotIsInstance(in_memory, np.memmap)
        manifest = json.loads((folder / cache.MANIFEST).read_text())
        self.assertEqual(str(self.source.resolve()), manifest["source"])
        self.assertEqual([5, 2], manifest["shape"])
        # No temporary file is left behind.
        self.assertEqual(
            sorted([cache.MANIFEST, manifest["vectors"], manifest["vocabulary"]]),
            sorted(os.listdir(folder)),
        )

    def test_miss_without_cache(self):
        self.assertIsNone(cache.read(self.source, [self.cache_dir], OPTIONS))

    def test_changed_source_invalidates(self):
        self.write()
        self.source.write_text("the 1 2\nof 3 5\n")  # same size, new mtime
        stat = self.source.stat()
        os.utime(self.source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        self.assertIsNone(cache.read(self.source, [self.cache_dir], OPTIONS))
        self.source.write_text("the 1 2\nof 3 4 \n")  # another size
        self.assertIsNone(cache.read(self.source, [self.cache_dir], OPTIONS))

    def test_other_options_miss(self):
        self.write()
        other = {**OPTIONS, "encoding": "latin-1"}
        self.assertIsNone(cache.read(self.source, [self.cache_dir], other))

    def test_rewrite_replaces_and_removes_old_files(self):
        first = json.loads((self.write() / cache.MANIFEST).read_text())
        folder = self.write(words=self.words[:2], vectors=self.vectors[:2] + 1)
        second = json.loads((folder / cache.MANIFEST).read_text())
        self.assertNotEqual(first["vectors"], second["vectors"])
        self.assertFalse((folder / first["vectors"]).exists())
        self.assertFalse((folder / first["vocabulary"]).exists())
        words, vectors, _ = cache.read(self.source, [self.cache_dir], OPTIONS)
        self.assertEqual(self.words[:2], words)
        np.testing.assert_array_equal(self.vectors[:2] + 1, vectors)

    def test_damaged_cache_is_ignored(self):
        folder = self.write()
        manifest = json.loads((folder / cache.MANIFEST).read_text())
        vocabulary = folder / manifest["vocabulary"]
        vocabulary.write_text("the\nof")  # a partial file
        self.assertIsNone(cache.read(self.source, [self.cache_dir], OPTIONS))
        folder = self.write()
        (folder / cache.MANIFEST).write_text("{not json")
        self.assertIsNone(cache.read(self.source, [self.cache_dir], OPTIONS))

    def test_first_valid_folder_wins(self):
        other = self.folder / "other"
        cache.write(self.source, other, ["a", "b"], self.vectors[:2], OPTIONS)
        words, _, found = cache.read(self.source, [self.cache_dir, other], OPTIONS)
        self.assertEqual(["a", "b"], words)
        self.assertEqual(cache.entry_dir(other, self.source), found)

    def test_same_name_in_two_folders_does_not_clash(self):
        twin = self.folder / "twin" / "vectors.txt"
        twin.parent.mkdir()
        twin.write_text("the 1 2\nof 3 4\n")
        self.assertNotEqual(
            cache.entry_dir(self.cache_dir, self.source),
            cache.entry_dir(self.cache_dir, twin),
        )

    def test_newline_in_a_word_is_refused(self):
        with self.assertRaisesRegex(ValueError, "newline"):
            self.write(words=["a\nb", "c", "d", "e", "f"])
        self.assertIsNone(cache.read(self.source, [self.cache_dir], OPTIONS))

    def test_failed_write_leaves_nothing(self):
        def full_disk(file, array):
            file.write(b"\x93NUMPY half a file")
            raise OSError("No space left on device")

        with mock.patch.object(cache.np, "save", side_effect=full_disk):
            with self.assertRaisesRegex(OSError, "No space"):
                self.write()
        folder = cache.entry_dir(self.cache_dir, self.source)
        self.assertEqual([], os.listdir(folder))
        self.assertIsNone(cache.read(self.source, [self.cache_dir], OPTIONS))

    def test_default_folders(self):
        dirs = cache.default_cache_dirs(self.source)
        self.assertEqual(self.folder.resolve() / cache.CACHE_FOLDER_NAME, dirs[0])
        self.assertEqual(cache.user_cache_dir(), dirs[1])
        os.environ["KERASSEQ_CACHE_DIR"] = str(self.folder / "mine")
        try:
            self.assertEqual(self.folder / "mine", cache.user_cache_dir())
        finally:
            del os.environ["KERASSEQ_CACHE_DIR"]

    def test_is_read_only(self):
        self.assertFalse(cache.is_read_only(self.folder))
        self.assertFalse(cache.is_read_only(self.folder / "not" / "yet"))
        locked = self.folder / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        self.addCleanup(locked.chmod, 0o755)
        self.assertTrue(cache.is_read_only(locked))
        self.assertTrue(cache.is_read_only(locked / "kerasseq-cache"))
