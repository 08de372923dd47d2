"""The journal names the person who did it (issue 11, « Who did it »).

Every screen route that writes master data (patients, family links, mutuelles, favourites,
prescribers, organisms, preferences) is performed here by each role the policy allows — the
titulaire, the remplaçant on one of his calendar days, the secrétaire, the administrator for the
settings — and every journal line the request wrote must name that user: his login as
``actor`` and his account as ``actor_user_id``. Never ``web``, never nobody. The audit journal
is a legal record of a health-data system (issue 8).
"""

from __future__ import annotations

import itertools
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.ids import rpps
from openfse.services import amc_coverage as amc
from openfse.services import favourites, organisms, prescribers
from openfse.services import patients as patient_service
from openfse.services.context import AppContext
from openfse.services.patient_forms import PatientInput
from openfse.store.journal import JournalEntry
from openfse.store.models import (
    Professional,
    ProfessionalKind,
    ReplacementDay,
    UserRole,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

T, R, S, A = UserRole.TITULAIRE, UserRole.REMPLACANT, UserRole.SECRETAIRE, UserRole.ADMIN
CARE = (T, R, S)  # patients, prescribers, favourites, own preferences (services.access)
SETTINGS = (T, A)  # organisms, the cabinet's preferences
TODAY = Clock().today()  # the cabinet's day (Europe/Paris, the demo's zone)
_names = itertools.count(1)


# --------------------------------------------------------------------------- the cabinet


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home: Path = tmp_path_factory.mktemp("journal-actor")
    settings = Settings.from_env({"OPENFSE_HOME": str(home)})
    load_demo(settings, today=TODAY)
    return settings


@pytest.fixture(scope="module")
def ctx(settings: Settings) -> Iterator[AppContext]:
    context = AppContext.open(settings)
    yield context
    context.engine.dispose()


@pytest.fixture(scope="module", autouse=True)
def remplacant_on_duty_today(ctx: AppContext) -> None:
    """The remplaçant works today: his calendar holds the cabinet's day (and the server's, in
    case they differ tonight)."""
    with ctx.sessions() as session, session.begin():
        by_kind = {kind: session.scalars(select(Professional.id).where(
            Professional.kind == kind)).first()
            for kind in (ProfessionalKind.TITULAIRE, ProfessionalKind.REMPLACANT)}
        days = {TODAY, Clock().today()}  # noqa: DTZ011 - the session guard's own day
        remplacant = by_kind[ProfessionalKind.REMPLACANT]
        session.execute(delete(ReplacementDay).where(ReplacementDay.remplacant_id == remplacant,
                                                     ReplacementDay.day.in_(days)))
        for day in days:
            session.add(ReplacementDay(cabinet_id=ctx.cabinet_id,
                                       remplacant_id=by_kind[ProfessionalKind.REMPLACANT],
                                       titulaire_id=by_kind[ProfessionalKind.TITULAIRE],
                                       day=day))


@dataclass(frozen=True)
class Desk:
    """A role's logged-in client and who it is."""

    client: TestClient
    login: str
    user_id: int


@pytest.fixture(scope="module")
def desks(settings: Settings) -> Iterator[Callable[[UserRole], Desk]]:
    from security.sessions import logged_in, login_for

    from openfse.web.app import create_app

    app = create_app(settings)
    made: dict[UserRole, Desk] = {}

    def desk(role: UserRole) -> Desk:
        if role not in made:
            client = TestClient(app, follow_redirects=False)
            client.__enter__()
            logged_in(client, settings, role)
            user = login_for(settings, role).user
            made[role] = Desk(client, user.login, user.user_id)
        return made[role]

    yield desk
    for each in made.values():
        each.client.__exit__(None, None, None)


# --------------------------------------------------------------------------- what exists before


class Seed:
    """Rows a write needs, made beforehand by the test itself (their journal lines do not
    count: only the lines written by the request are checked)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def uow(self) -> Any:
        return self.ctx.unit_of_work(actor="tests", actor_user_id=None)

    def patient(self) -> int:
        n = next(_names)
        raw = PatientInput(last_name=f"JOURNAL{_letters(n)}", first_name="Test", sex="F",
                           birth_date="02/03/1981", nir=_nir("02/03/1981"),
                           amo_regime="01", amo_caisse="751",
                           amo_centre="9881")
        return patient_service.create_patient(self.uow(), raw, TODAY).id

    def family_link(self) -> tuple[int, int]:
        patient, relative = self.patient(), self.patient()
        link = patient_service.link_family(self.uow(), patient, relative, "frere_soeur")
        return patient, link.id

    def mutuelle(self, *, last_year: bool = False) -> tuple[int, int]:
        patient = self.patient()
        data = {**MUTUELLE, "rights_start": f"{TODAY.year - 1}-01-01",
                "rights_end": f"31/12/{TODAY.year - 1}"} if last_year else MUTUELLE
        return patient, amc.add(self.uow(), patient, data, on=TODAY).id

    def favourite(self) -> int:
        data = {"label": f"Favori {next(_names)}", "professional_id": None,
                "acts": [{"code": "G", "quantity": "1"}]}
        return favourites.create(self.uow(), data, on=TODAY, ccam=self.ctx.ccam_catalog()).id

    def prescriber(self) -> int:
        return prescribers.create(self.uow(), _prescriber_form()).id

    def amc_organism(self) -> int:
        return organisms.create_amc(self.uow(), _amc_form()).id


@pytest.fixture(scope="module")
def seed(ctx: AppContext) -> Seed:
    return Seed(ctx)


def _nir(born: str) -> str:
    """A valid NIR for a woman born on ``born`` (jj/mm/aaaa), unique in this module."""
    day, month, year = born.split("/")
    first13 = f"2{year[2:]}{month}75111{next(_names):03d}"
    return first13 + f"{97 - int(first13) % 97:02d}"


def _letters(n: int) -> str:
    """A name suffix from a number (names hold letters only)."""
    text = ""
    while True:
        n, rest = divmod(n, 26)
        text = chr(ord("A") + rest) + text
        if not n:
            return text


MUTUELLE = {
    "amc_number": "98532001", "amc_name": "ALMERYS", "piece_justificative": "attestation",
    "gestion": "separee", "rights_start": f"{TODAY.year}-01-01",
    "rights_end": f"31/12/{TODAY.year}", "tiers_payant": "oui", "adherent_number": "75822319",
    "reference_date_code": "execution", "formula_code": "02a", "formula_parameter": "150,5",
}


def _prescriber_form() -> dict[str, str]:
    first10 = f"1{next(_names):09d}"
    return {"last_name": f"PRESCRIPTEUR{_letters(next(_names))}", "first_name": "Paul",
            "specialty_code": "01", "rpps": first10 + rpps.calc_check_digits(first10)}


def _amc_form() -> dict[str, str]:
    return {"number": f"{900000000 + next(_names)}", "name": "MUTUELLE DU JOURNAL",
            "contract_type": "0", "gestion": "separee"}


def _patient_form(**extra: str) -> dict[str, str]:
    return {"last_name": f"NOUVEAU{_letters(next(_names))}", "first_name": "Anne", "sex": "F",
            "birth_date": "05/06/1990", "nir": _nir("05/06/1990"), "amo_regime": "01",
            "amo_caisse": "751",
            "amo_centre": "9881", **extra}


# --------------------------------------------------------------------------- the writes


@dataclass(frozen=True)
class Write:
    """A screen request that writes (``path`` and ``data`` from what ``prepare`` made), and
    the roles allowed to send it."""

    name: str
    roles: tuple[UserRole, ...]
    prepare: Callable[[Seed], dict[str, Any]]
    path: str
    data: Callable[[dict[str, Any]], dict[str, str]] = lambda made: {}


def _nothing(seed: Seed) -> dict[str, Any]:
    return {}


def _one_patient(seed: Seed) -> dict[str, Any]:
    return {"patient": seed.patient()}


def _two_patients(seed: Seed) -> dict[str, Any]:
    return {"patient": seed.patient(), "other": seed.patient()}


def _linked(seed: Seed) -> dict[str, Any]:
    patient, link = seed.family_link()
    return {"patient": patient, "link": link}


def _mutuelle(seed: Seed) -> dict[str, Any]:
    patient, coverage = seed.mutuelle()
    return {"patient": patient, "coverage": coverage}


def _expired_mutuelle(seed: Seed) -> dict[str, Any]:
    patient, coverage = seed.mutuelle(last_year=True)
    return {"patient": patient, "coverage": coverage}


def _favourite_form(made: dict[str, Any]) -> dict[str, str]:
    return {"label": f"Favori écrit {next(_names)}", "professional_id": "", "op": "save",
            "acts-count": "1", "acts-0-code": "G", "acts-0-quantity": "1"}


def _preferences_form(made: dict[str, Any]) -> dict[str, str]:
    # Every preference is on the page (an unticked box is absent): a payment type chosen,
    # another one each time so that each post changes something.
    return {"adri_mode": "manuel", "tiers_payant_amc": "coordonne",
            "default_payment_type": next(_PAYMENTS)}


_PAYMENTS = itertools.cycle(("cheque", "cb", "especes", "virement", "autre"))


def _own_preferences(seed: Seed) -> dict[str, Any]:
    return {"own": True}  # the reset below removes what the user saved first (see the test)


MUTUELLES = "/patients/{patient}/mutuelles"
WRITES = (
    Write("patient: création", CARE, _nothing, "/patients/nouveau/manuel",
          lambda made: _patient_form()),
    Write("patient: modification", CARE, _one_patient, "/patients/{patient}/modifier",
          lambda made: _patient_form(city="Lyon")),
    Write("patient: suppression", CARE, _one_patient, "/patients/{patient}/supprimer"),
    Write("patient: fusion", CARE, _two_patients, "/patients/{patient}/fusionner",
          lambda made: {"other_id": str(made["other"]), "keep_id": str(made["patient"])}),
    Write("lien familial: ajout", CARE, _two_patients, "/patients/{patient}/famille",
          lambda made: {"relation": "conjoint", "relative_id": str(made["other"])}),
    Write("lien familial: retrait", CARE, _linked,
          "/patients/{patient}/famille/{link}/supprimer"),
    Write("mutuelle: ajout", CARE, _one_patient, MUTUELLES + "/nouvelle",
          lambda made: {**MUTUELLE, "_action": "enregistrer"}),
    Write("mutuelle: modification", CARE, _mutuelle, MUTUELLES + "/{coverage}",
          lambda made: {**MUTUELLE, "adherent_number": "99474863", "_action": "enregistrer"}),
    Write("mutuelle: organisme créé depuis la fiche", CARE, _one_patient,
          MUTUELLES + "/nouvelle",
          lambda made: {**MUTUELLE, "amc_number": f"{800000000 + next(_names)}",
                        "amc_name": "MUTUELLE NOUVELLE", "_action": "creer_organisme"}),
    Write("mutuelle: duplication", CARE, _mutuelle, MUTUELLES + "/{coverage}/dupliquer"),
    Write("mutuelle: renouvellement", CARE, _expired_mutuelle,
          MUTUELLES + "/{coverage}/renouveler",
          lambda made: {"rights_start": f"{TODAY.year}-01-01",
                        "rights_end": f"{TODAY.year}-12-31"}),
    Write("mutuelle: suppression", CARE, _mutuelle, MUTUELLES + "/{coverage}/supprimer"),
    Write("favori: création", CARE, _nothing, "/favoris/nouveau", _favourite_form),
    Write("favori: modification", CARE, lambda seed: {"id": seed.favourite()}, "/favoris/{id}",
          _favourite_form),
    Write("favori: suppression", CARE, lambda seed: {"id": seed.favourite()},
          "/favoris/{id}/supprimer"),
    Write("prescripteur: création", CARE, _nothing, "/prescripteurs/nouveau",
          lambda made: _prescriber_form()),
    Write("prescripteur: modification", CARE, lambda seed: {"id": seed.prescriber()},
          "/prescripteurs/{id}", lambda made: _prescriber_form()),
    Write("prescripteur: suppression", CARE, lambda seed: {"id": seed.prescriber()},
          "/prescripteurs/{id}/supprimer"),
    Write("organisme AMC: création", SETTINGS, _nothing, "/parametres/amc/nouveau",
          lambda made: _amc_form()),
    Write("organisme AMC: modification", SETTINGS, lambda seed: {"id": seed.amc_organism()},
          "/parametres/amc/{id}", lambda made: {**_amc_form(), "name": "MUTUELLE RENOMMÉE"}),
    Write("organisme AMC: suppression", SETTINGS, lambda seed: {"id": seed.amc_organism()},
          "/parametres/amc/{id}/supprimer"),
    Write("mes préférences", CARE, _nothing, "/profils", _preferences_form),
    Write("mes préférences: reprendre celles du cabinet", CARE, _own_preferences,
          "/profils/reprendre-cabinet"),
    Write("préférences du cabinet", SETTINGS, _nothing, "/parametres/preferences",
          _preferences_form),
)

CASES = [pytest.param(write, role, id=f"{write.name} — {role.value}")
         for write in WRITES for role in write.roles]


def _last_line(ctx: AppContext) -> int:
    with ctx.sessions() as session:
        return int(session.scalar(select(func.max(JournalEntry.id))) or 0)


def _lines_after(ctx: AppContext, line_id: int) -> list[JournalEntry]:
    with ctx.sessions() as session:
        return list(session.scalars(select(JournalEntry).where(JournalEntry.id > line_id)
                                    .order_by(JournalEntry.id)))


@pytest.mark.parametrize(("write", "role"), CASES)
def test_the_journal_names_the_logged_in_user(
    write: Write, role: UserRole, desks: Callable[[UserRole], Desk], seed: Seed, ctx: AppContext,
) -> None:
    desk = desks(role)
    made = write.prepare(seed)
    if "own" in made:  # something of his own for « reprendre les préférences du cabinet »
        desk.client.post("/profils", data=_preferences_form(made))
    before = _last_line(ctx)

    answer = desk.client.post(write.path.format(**made), data=write.data(made))

    assert answer.status_code in (200, 303), re.findall(r'class="field-error"[^>]*>([^<]*)',
                                                        answer.text) or answer.text[:2000]
    lines = _lines_after(ctx, before)
    assert lines, f"{write.name}: nothing journaled (answer {answer.status_code})"
    named = {(line.entity, line.action, line.actor, line.actor_user_id) for line in lines}
    assert all(line.actor == desk.login and line.actor_user_id == desk.user_id
               for line in lines), (desk.login, desk.user_id, named)
