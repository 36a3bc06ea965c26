"""`import kerasseq.embeddings` stays cheap: gensim is imported only when used."""

from tests.test_case import TestCase
from tests.test_case import run_python


class ImportTest(TestCase):
    def test_gensim_is_imported_lazily(self):
        code = (
            "import sys; import kerasseq.embeddings as e; "
            "assert 'gensim' not in sys.modules, 'imported at import'; "
            "e.keyed_vectors(['a'], __import__('numpy').ones((1, 2), 'float32')); "
            "assert 'gensim' in sys.modules; print('ok')"
        )
        result = run_python(code)
        self.assertEqual(0, result.returncode, result.stderr[-2000:])
        self.assertEqual("ok", result.stdout.strip())

    def test_public_names(self):
        import kerasseq.embeddings as embeddings

        for name in embeddings.__all__:
            self.assertTrue(hasattr(embeddings, name), name)
