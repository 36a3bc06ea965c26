import keras
import numpy as np
from absl.testing import parameterized

from kerasseq.layers import GRUCell
from tests.layers import numpy_reference as ref
from tests.layers.cell_contract import CellContractTests
from tests.test_case import TestCase

UNITS = ref.UNITS
RESET_AFTER = [
    dict(testcase_name="reset_after", reset_after=True),
    dict(testcase_name="reset_before", reset_after=False),
]
RESET_AFTER_VARIANTS = ({"reset_after": True}, {"reset_after": False})


# `keras.layers.RNN(our cell)` against `keras.layers.GRU`.
class GRUCellTest(CellContractTests, TestCase, parameterized.TestCase):
    cell_class = GRUCell
    keras_cell_class = keras.layers.GRUCell
    keras_layer_class = keras.layers.GRU
    num_states = 1
    gate_units_multiplier = 3
    variants = RESET_AFTER_VARIANTS
    keras_variants = RESET_AFTER_VARIANTS
    stacked_variants = ({}, {"reset_after": False})
    dropout_variants = RESET_AFTER_VARIANTS
    numpy_rnn_go_backwards = True

    def expected_bias_shape(self, variant):
        # reset_after keeps an input and a recurrent bias
        reset_after = variant.get("reset_after", True)
        return (2, 3 * UNITS) if reset_after else (3 * UNITS,)

    def test_is_a_recurrent_cell(self):
        super().test_is_a_recurrent_cell()
        self.assertTrue(GRUCell(UNITS).reset_after)

    @parameterized.named_parameters(
        ref.named_product(
            RESET_AFTER,
            [
                dict(testcase_name="bias"),
                dict(testcase_name="no_bias", use_bias=False),
                dict(testcase_name="state_as_tensor", states_as_list=False),
                dict(
                    testcase_name="other_activations",
                    activation="sigmoid",
                    recurrent_activation="tanh",
                ),
            ],
        )
    )
    def test_call_matches_numpy(
        self,
        reset_after,
        use_bias=True,
        states_as_list=True,
        activation="tanh",
        recurrent_activation="sigmoid",
    ):
        cell = self.built_cell(
            reset_after=reset_after,
            use_bias=use_bias,
            activation=activation,
            recurrent_activation=recurrent_activation,
        )
        states = self.states if states_as_list else self.states[0]
        output, new_states = cell(self.step_inputs, states)
        np_activations = {"tanh": np.tanh, "sigmoid": ref.sigmoid}
        expected, _ = ref.gru_step(
            self.step_inputs.astype("float64"),
            [self.states[0].astype("float64")],
            cell.kernel.numpy(),
            cell.recurrent_kernel.numpy(),
            cell.bias.numpy() if use_bias else None,
            reset_after=reset_after,
            activation=np_activations[activation],
            recurrent_activation=np_activations[recurrent_activation],
        )
        self.assertAllClose(expected, output, atol=1e-5)
        if states_as_list:
            self.assertLen(new_states, 1)
            self.assertAllClose(expected, new_states[0], atol=1e-5)
        else:
            self.assertAllClose(expected, new_states, atol=1e-5)

    def test_recurrent_mask_applies_to_the_state_in_every_gate(self):
        # As in Keras: the recurrent dropout mask multiplies h_{t-1} wherever it
        # meets a recurrent kernel, not in the final mix `z * h_{t-1}`. With
        # a mask of zeros, z, r and h~ are those of a zero state.
        zeros = np.zeros((ref.BATCH, UNITS), "float32")
        for reset_after in (True, False):
            with self.subTest(reset_after=reset_after):
                cell = self.built_cell(reset_after=reset_after)
                projected = cell.project_inputs(self.step_inputs)
                output, _ = cell.step(projected, self.states, recurrent_mask=zeros)
                kernel, recurrent_kernel, bias = cell.get_weights()
                # from a zero state the step gives (1 - z) h~
                from_zero, _ = ref.gru_step(
                    self.step_inputs,
                    [zeros],
                    kernel,
                    recurrent_kernel,
                    bias,
                    reset_after=reset_after,
                )
                z_bias = bias[0] + bias[1] if reset_after else bias
                z = ref.sigmoid(self.step_inputs @ kernel[:, :UNITS] + z_bias[:UNITS])
                expected = z * self.states[0] + from_zero
                self.assertAllClose(expected, output, atol=1e-5)

    def test_numpy_integer_units_are_accepted(self):
        cell = GRUCell(np.int64(4))
        self.assertEqual(4, cell.units)
        self.assertIs(int, type(cell.get_config()["units"]))

    @parameterized.named_parameters(
        dict(testcase_name="defaults", kwargs={}),
        dict(
            testcase_name="non_defaults",
            kwargs={
                "activation": "relu",
                "recurrent_activation": "hard_sigmoid",
                "reset_after": False,
                "use_bias": False,
                "bias_regularizer": "l1",
                "kernel_constraint": "max_norm",
                "dropout": 0.1,
                "recurrent_dropout": 0.2,
                "seed": 7,
            },
        ),
    )
    def test_serialization(self, kwargs):
        cell = GRUCell(UNITS, **kwargs)
        revived = self.run_serialization_test(cell)
        config = revived.get_config()
        for key in ("reset_after", "dropout", "recurrent_dropout", "seed", "use_bias"):
            if key in kwargs:
                self.assertEqual(kwargs[key], config[key])
        self.assertEqual(cell.reset_after, revived.reset_after)
