from tests.test_case import TestCase
from tests.test_case import run_python


class ImportTest(TestCase):
    def test_other_backend_fails_with_a_clear_message(self):
        # Other backends need JAX or torch, absent here: Keras is made to
        # report one instead.
        code = "import keras; keras.backend.backend = lambda: 'jax'; import kerasseq"
        result = run_python(code)
        self.assertNotEqual(0, result.returncode)
        self.assertIn("needs the TensorFlow backend", result.stderr)
        self.assertIn("backend='jax'", result.stderr)
        self.assertIn("KERAS_BACKEND=tensorflow", result.stderr)

    def test_import_changes_no_global_setting(self):
        code = (
            "import keras; before = (keras.config.floatx(), "
            "keras.config.dtype_policy().name, keras.config.image_data_format()); "
            "import kerasseq; after = (keras.config.floatx(), "
            "keras.config.dtype_policy().name, keras.config.image_data_format()); "
            "assert before == after, (before, after); print(kerasseq.__version__)"
        )
        result = run_python(code)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertRegex(result.stdout, r"\d+\.\d+\.\d+")

    def test_import_loads_neither_gensim_nor_tensorflow_text(self):
        # Both are imported only where used: gensim costs ~0.7 s at import, and
        # a serving process must not need tensorflow-text.
        code = (
            "import sys, kerasseq; "
            "print(sorted({'gensim', 'tensorflow_text'} & set(sys.modules)))"
        )
        result = run_python(code)
        self.assertEqual(0, result.returncode, result.stderr[-2000:])
        self.assertEqual("[]", result.stdout.strip())
