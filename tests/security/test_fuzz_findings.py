"""Server errors found by the form fuzz (test_form_fuzz.py), each pinned by a worked example."""

from __future__ import annotations

import pytest

from openfse.errors import InvalidInput
from openfse.services import patient_forms


def test_a_birth_rank_of_thousands_of_digits_is_refused_in_french() -> None:
    # Rule (seed 000): the rang de naissance is 1 to 9. A 5,000-digit rank made int() raise
    # « Exceeds the limit (4300 digits) » → HTTP 500 on « Modifier le patient ».
    with pytest.raises(InvalidInput, match="Rang de naissance invalide"):
        patient_forms._rank("9" * 5000)
    assert patient_forms._rank("01") == 1  # a leading zero is still accepted
    with pytest.raises(InvalidInput):
        patient_forms._rank("10")
