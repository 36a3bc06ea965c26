"""`import kerasseq.embeddings` stays cheap: gensim is imported only when used."""

import os
import subprocess
import sys

from tests.test_case import REPO_ROOT
from tests.test_case import TestCase


class ImportTest(TestCase):
    def test_gensim_is_imported_lazily(self):
        code = (
            "import sys; import kerasseq.embeddings as e; "
            "assert 'gensim' not in sys.modules, 'imported at import'; "
            "e.keyed_vectors(['a'], __import__('numpy').ones((1, 2), 'float32')); "
            "assert 'gensim' in sys.modules; print('ok')"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        self.assertEqual(0, result.returncode, result.stderr[-2000:])
        self.assertEqual("ok", result.stdout.strip())

    def test_public_names(self):
        import kerasseq.embeddings as embeddings

        for name in embeddings.__all__:
            self.assertTrue(hasattr(embeddings, name), name)
