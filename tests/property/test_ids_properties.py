"""Properties of the identifier modules (hypothesis).

A number built from random valid parts plus ``calc_check_digits`` validates; ``validate``
accepts what ``format`` prints; and, for the numbers with a key, changing any single digit is
always detected — guaranteed by the algorithms: mod 97 because 97 is a prime that divides no
d x 10^k (|d| < 10), Luhn because doubling-and-summing maps the ten digits to ten distinct
values.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from openfse.ids import adeli, amc, facturation_ps, nir, organisme, rpps
from openfse.ids.exceptions import ValidationError


def digits(count: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=count, max_size=count)


def _nir_departement_and_commune() -> st.SearchStrategy[str]:
    metropole = st.tuples(
        st.integers(1, 95).map(lambda d: f"{d:02d}") | st.sampled_from(["2A", "2B"]),
        digits(3),
    )
    overseas = st.tuples(st.sampled_from(["97", "98"]), st.integers(0, 999))
    overseas = overseas.filter(
        lambda t: ("1" <= f"{t[1]:03d}"[0] <= "8") if t[0] == "97" else f"{t[1]:03d}"[0] >= "4"
    ).map(lambda t: (t[0], f"{t[1]:03d}"))
    return (metropole | overseas).map("".join)


NIR_BODIES = st.builds(
    lambda sexe, annee, mois, lieu, ordre: sexe + annee + mois + lieu + ordre,
    st.sampled_from("1278"),
    digits(2),
    st.sampled_from([f"{m:02d}" for m in [*range(1, 13), *range(20, 43), *range(50, 100)]]),
    _nir_departement_and_commune(),
    digits(3),
)
CORSICAN_NIR_BODIES = NIR_BODIES.filter(lambda body: body[5:7] in ("2A", "2B"))
NIRS = NIR_BODIES.map(lambda body: body + nir.calc_check_digits(body))
RPPS_NUMBERS = digits(10).map(lambda body: body + rpps.calc_check_digits(body))
ADELI_NUMBERS = st.builds(
    lambda dept, rest: dept + rest,
    st.integers(1, 95).map(lambda d: f"{d:02d}"),
    digits(6),
).map(lambda body: body + adeli.calc_check_digits(body))
FACTURATION_NUMBERS = digits(8).map(lambda body: body + facturation_ps.calc_check_digits(body))
ORGANISMES = st.builds(
    lambda regime, rest: regime + rest, st.sampled_from(sorted(organisme.REGIMES)), digits(7)
)
AMC_NUMBERS = st.integers(7, 10).flatmap(digits)

VALID_NUMBERS = {
    nir: NIRS,
    rpps: RPPS_NUMBERS,
    adeli: ADELI_NUMBERS,
    facturation_ps: FACTURATION_NUMBERS,
    organisme: ORGANISMES,
    amc: AMC_NUMBERS,
}


def _mutations(number: str) -> list[str]:
    """Every number that differs from ``number`` by exactly one digit."""
    return [
        number[:i] + other + number[i + 1 :]
        for i, char in enumerate(number)
        if char in "0123456789"
        for other in "0123456789"
        if other != char
    ]


@settings(max_examples=200)
@given(st.data())
def test_generated_numbers_validate_and_survive_formatting(data):
    for module, strategy in VALID_NUMBERS.items():
        number = data.draw(strategy, label=module.__name__)
        assert module.validate(number) == number
        assert module.validate(module.format(number)) == module.compact(number)


@settings(max_examples=100)
@given(NIRS)
def test_any_single_digit_change_of_a_nir_is_detected(number):
    _assert_every_mutation_is_refused(nir.is_valid, number)


@settings(max_examples=100)
@given(RPPS_NUMBERS)
def test_any_single_digit_change_of_an_rpps_number_is_detected(number):
    _assert_every_mutation_is_refused(rpps.is_valid, number)


@settings(max_examples=100)
@given(FACTURATION_NUMBERS)
def test_any_single_digit_change_of_a_facturation_number_is_detected(number):
    _assert_every_mutation_is_refused(facturation_ps.is_valid, number)


@settings(max_examples=100)
@given(ADELI_NUMBERS)
def test_any_single_digit_change_of_an_adeli_number_is_detected(number):
    _assert_every_mutation_is_refused(adeli.is_valid, number)


@given(CORSICAN_NIR_BODIES)
def test_corsican_nirs_round_trip(body):
    number = body + nir.calc_check_digits(body)
    assert nir.validate(nir.format(number.lower())) == number
    assert nir.split(number).departement == body[5:7]
    # The key is the one of the same NIR with 2A read as 19 and 2B as 18.
    numeric = body[:5] + ("19" if body[5:7] == "2A" else "18") + body[7:]
    assert number[13:] == f"{97 - int(numeric) % 97:02d}"


@given(st.text(max_size=20))
def test_any_text_is_either_valid_or_refused_with_a_validation_error(text):
    for module in VALID_NUMBERS:
        try:
            module.validate(text)
        except ValidationError:
            assert module.is_valid(text) is False
        else:
            assert module.is_valid(text) is True


def _assert_every_mutation_is_refused(is_valid: Callable[[object], bool], number: str) -> None:
    accepted = [mutated for mutated in _mutations(number) if is_valid(mutated)]
    assert accepted == [], f"{number}: single-digit changes accepted: {accepted}"
