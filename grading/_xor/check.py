"""Helpers shared by the XOR checks (imported as `from ._xor import ...`)."""
from __future__ import annotations

from autograder.checking import CheckFailed, Observed, field_of, values_of

# How each framework's returned arrays are named in observations and in messages.
TENSOR = ("Tensor", "a torch.Tensor")
ARRAY = ("numpy.ndarray", "a numpy array")


def check_xor_table(observed: Observed, kind: tuple[str, str]) -> None:
    """make_xor_data() gives X and Y with the reference's dtype, shape and values, row by row."""
    student = observed.student("make_xor_data")
    reference = observed.reference("make_xor_data")
    for name in ("X", "Y"):
        expected = reference[name]
        values = values_of(field_of(student, name), f"make_xor_data()'s {name}", kind,
                           expected["dtype"], expected["shape"])
        if values != expected["values"]:
            raise CheckFailed(f"make_xor_data()'s {name} holds {values}, expected {expected['values']} (row by row)")
