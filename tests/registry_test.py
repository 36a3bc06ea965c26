import re

from kerasseq import layers
from kerasseq import registry
from tests.test_case import TestCase


class RegistryTest(TestCase):
    def test_names_resolve_to_classes(self):
        self.assertIs(registry.get_cell_class("gru"), layers.GRUCell)
        self.assertIs(registry.get_cell_class("LSTM"), layers.LSTMCell)
        self.assertIs(registry.get_recurrent_layer_class("rnn"), layers.SimpleRNN)
        self.assertEqual(registry.cell_names(), ["gru", "lstm", "simple_rnn"])

    def test_unknown_name_suggests_the_closest(self):
        with self.assertRaisesRegex(ValueError, r"cell='lstn'.*Did you mean 'lstm'"):
            registry.get_cell_class("lstn")

    def test_non_string_name_is_rejected(self):
        for bad in (3, None, ["gru"]):
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(
                    ValueError,
                    re.escape(
                        "`cell` must be one of 'gru', 'lstm', 'simple_rnn', "
                        f"received: cell={bad!r}"
                    ),
                ):
                    registry.get_recurrent_layer_class(bad)
