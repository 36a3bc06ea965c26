import os

from kerasseq.files import atomic_write
from tests.test_case import TestCase


class AtomicWriteTest(TestCase):
    def test_writes_text_and_bytes(self):
        folder = self.get_temp_dir()
        text_path = os.path.join(folder, "sub", "a.txt")
        with atomic_write(text_path, "w", encoding="utf-8") as file:
            file.write("héllo\n")
        with open(text_path, "rb") as file:
            self.assertEqual("héllo\n".encode(), file.read())
        bytes_path = os.path.join(folder, "b.bin")
        with atomic_write(bytes_path) as file:
            file.write(b"\x00\x01")
        with open(bytes_path, "rb") as file:
            self.assertEqual(b"\x00\x01", file.read())

    def test_a_failed_write_leaves_the_old_file_and_no_temporary(self):
        folder = self.get_temp_dir()
        path = os.path.join(folder, "vocab.txt")
        with open(path, "w") as file:
            file.write("old\n")
        with self.assertRaisesRegex(RuntimeError, "disk full"):
            with atomic_write(path, "w", encoding="utf-8") as file:
                file.write("new, half written")
                raise RuntimeError("disk full")
        with open(path) as file:
            self.assertEqual("old\n", file.read())
        self.assertEqual(["vocab.txt"], sorted(os.listdir(folder)))

    def test_nothing_appears_before_the_file_is_complete(self):
        path = os.path.join(self.get_temp_dir(), "late.txt")
        with atomic_write(path, "w", encoding="utf-8") as file:
            file.write("x")
            self.assertFalse(os.path.exists(path))
        self.assertTrue(os.path.exists(path))

    def test_bad_mode(self):
        with self.assertRaisesRegex(ValueError, "mode='a'"):
            with atomic_write(os.path.join(self.get_temp_dir(), "x"), "a"):
                pass
