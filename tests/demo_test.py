from kerasseq import cli
from kerasseq import demo
from tests.test_case import TestCase


class DemoTest(TestCase):
    def test_generated_labels_are_the_digit_after_the_marker(self):
        token_ids, labels = demo.make_key_data(50, seed=3)
        for row, label in zip(token_ids, labels):
            position = list(row).index(demo.MARKER)
            self.assertEqual(row[position + 1], label)
            self.assertTrue(1 <= label <= 9)

    def test_bad_lengths_are_rejected(self):
        with self.assertRaisesRegex(ValueError, "min_length=1"):
            demo.make_key_data(5, min_length=1)

    def test_demo_learns_the_task(self):
        result = demo.run(seconds=60, verbose=False)
        self.assertGreater(result["accuracy"], 0.9)

    def test_cli_rejects_non_positive_seconds(self):
        with self.assertRaises(SystemExit):
            cli.main(["demo", "--seconds", "0"])
