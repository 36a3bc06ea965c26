import re

import numpy as np

from kerasseq import validation
from tests.test_case import TestCase

POOLINGS = ("last", "mean", "max")


class ValidationTest(TestCase):
    def test_positive_int_accepts_python_and_numpy_integers(self):
        self.assertEqual(3, validation.check_positive_int("units", 3))
        value = validation.check_positive_int("units", np.int32(3))
        self.assertIs(int, type(value))
        self.assertIsNone(validation.check_positive_int("units", None, allow_none=True))

    def test_positive_int_rejects_with_name_and_value(self):
        for bad in (0, -2, 2.5, True, "4", None):
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(
                    ValueError, r"`units` must be a positive integer, received: units="
                ):
                    validation.check_positive_int("units", bad)
        with self.assertRaisesRegex(ValueError, "a positive integer or None"):
            validation.check_positive_int("units", 0, allow_none=True)

    def test_non_negative_int(self):
        self.assertEqual(0, validation.check_non_negative_int("count", 0))
        value = validation.check_non_negative_int("count", np.int64(7))
        self.assertEqual(7, value)
        self.assertIs(type(value), int)
        for bad in (-1, 2.5, False, "4", None):
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(
                    ValueError,
                    re.escape(
                        "`count` must be a non-negative integer, received: "
                        f"count={bad!r}"
                    ),
                ):
                    validation.check_non_negative_int("count", bad)

    def test_positive(self):
        self.assertEqual(0.5, validation.check_positive("learning_rate", 0.5))
        self.assertEqual(2.0, validation.check_positive("clipnorm", np.int64(2)))
        self.assertIsNone(validation.check_positive("clipnorm", None, allow_none=True))
        for bad in (0, -1e-3, float("nan"), True, "0.1", None):
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(
                    ValueError,
                    re.escape(
                        f"`clipnorm` must be positive, received: clipnorm={bad!r}"
                    ),
                ):
                    validation.check_positive("clipnorm", bad)

    def test_rate(self):
        self.assertEqual(0.0, validation.check_rate("dropout", 0))
        self.assertEqual(0.25, validation.check_rate("dropout", np.float32(0.25)))
        for bad in (1.0, -0.1, False, "0.1", None):
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(
                    ValueError, r"`dropout` must be a float in \[0, 1\), received"
                ):
                    validation.check_rate("dropout", bad)

    def test_bool(self):
        self.assertIs(True, validation.check_bool("lowercase", np.bool_(True)))
        self.assertIs(False, validation.check_bool("lowercase", False))
        for bad in (0, 1, "yes", None):
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(
                    ValueError, r"`lowercase` must be a boolean, received: lowercase="
                ):
                    validation.check_bool("lowercase", bad)

    def test_one_of_accepts_a_choice(self):
        self.assertEqual("max", validation.check_one_of("pooling", "max", POOLINGS))
        # Any iterable of choices, a generator included.
        choices = (name for name in POOLINGS)
        self.assertEqual("last", validation.check_one_of("pooling", "last", choices))
        self.assertIsNone(
            validation.check_one_of("pooling", None, POOLINGS, allow_none=True)
        )

    def test_one_of_rejects_with_name_choices_and_value(self):
        # Unhashable values (a list, a dict, an array) get the same ValueError,
        # also against a set of choices, where `in` would raise a TypeError.
        for bad in ("sum", "MAX", None, 3, ["max"], {"max": 1}, np.array(["max"])):
            for choices in (POOLINGS, set(POOLINGS)):
                with self.subTest(bad=bad, choices=type(choices)):
                    with self.assertRaises(ValueError) as context:
                        validation.check_one_of("pooling", bad, choices)
                    message = str(context.exception)
                    self.assertTrue(
                        message.startswith("`pooling` must be one of "), message
                    )
                    self.assertTrue(
                        message.endswith(f", received: pooling={bad!r}"), message
                    )
        with self.assertRaisesRegex(
            ValueError,
            re.escape(
                "`pooling` must be one of 'last', 'mean', 'max', received: "
                "pooling=['max']"
            ),
        ):
            validation.check_one_of("pooling", ["max"], POOLINGS)

    def test_one_of_none_and_context(self):
        with self.assertRaisesRegex(
            ValueError,
            re.escape(
                "`pooling` must be one of 'last', 'mean', 'max', received: pooling=None"
            ),
        ):
            validation.check_one_of("pooling", None, POOLINGS)
        with self.assertRaisesRegex(
            ValueError,
            re.escape(
                "`pooling` must be one of 'last', 'mean', 'max' or None for "
                "this model, received: pooling='sum'"
            ),
        ):
            validation.check_one_of(
                "pooling", "sum", POOLINGS, allow_none=True, context="for this model"
            )
