"""The journal names the person who did it (issue 11, « Who did it »).

Every screen or API route that writes (patients, family links, mutuelles, favourites,
prescribers, organisms, preferences; invoices validated, prepared, cancelled, deleted; payments;
shares decisions; télétransmission settings, the cabinet's time zone; the remplaçant's calendar,
secrétariat accounts) is performed here by each role the policy allows — the
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
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from openfse.composition.demo import load_demo
from openfse.config import Settings
from openfse.domain.clock import Clock
from openfse.domain.payment import Payment, PaymentKind
from openfse.domain.transmission import DEFAULT_INSURER_MAILBOX
from openfse.ids import rpps
from openfse.services import amc_coverage as amc
from openfse.services import favourites, invoicing, organisms, prescribers
from openfse.services import patients as patient_service
from openfse.services.context import AppContext
from openfse.services.invoice_authority import Acting
from openfse.services.invoice_input import parse_invoice_document
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

    def professional(self, kind: ProfessionalKind) -> int:
        with self.ctx.sessions() as session:
            return int(session.scalars(select(Professional.id).where(
                Professional.kind == kind)).first() or 0)

    def invoice(self, kind: ProfessionalKind, patient: int | None = None, **extra: Any) -> int:
        """A validated invoice of the titulaire or of the remplaçant (on his day)."""
        pro = self.professional(kind)
        draft = parse_invoice_document(_invoice_draft(pro, patient or self.patient(), **extra),
                                       self.uow)
        by = Acting(pro, remplacant=kind is ProfessionalKind.REMPLACANT)
        return invoicing.validate_invoice(
            self.uow(), draft, refs=invoicing.InvoiceReferentials.of(self.ctx), today=TODAY,
            by=by).invoice.id

    def payment(self, invoice_id: int) -> int:
        invoicing.record_payment(self.uow(), invoice_id, Payment(
            kind=PaymentKind.CHEQUE, amount=Decimal("5.00"), paid_on=TODAY))
        return invoicing.get_invoice(self.uow(), invoice_id).payments[-1].id


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


def _invoice_draft(professional: int, patient: int, **extra: Any) -> dict[str, Any]:
    return {"professional_id": professional, "patient_id": patient,
            "date_soins": TODAY.isoformat(), "parcours": "medecin_traitant",
            "secure_mode": "desynchronise", "acts": [{"code": "G"}], **extra}


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
    the roles allowed to send it; ``method`` other than POST, or ``json``, for the API."""

    name: str
    roles: tuple[UserRole, ...]
    prepare: Callable[[Seed], dict[str, Any]]
    path: str
    data: Callable[[dict[str, Any]], dict[str, Any]] = lambda made: {}
    method: str = "POST"
    json: bool = False


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


TIT, REMP = ProfessionalKind.TITULAIRE, ProfessionalKind.REMPLACANT
_PAYMENT = {"kind": "cheque", "amount": "3.00", "paid_on": TODAY.isoformat()}
_WAITS = itertools.count(2)  # another ARL delay each time: each post changes something
# Guadeloupe, then back to Paris: the cabinet's day is Paris's again for what follows.
_ZONES = itertools.cycle(("America/Guadeloupe", "Europe/Paris"))


def _to_bill(kind: ProfessionalKind) -> Callable[[Seed], dict[str, Any]]:
    return lambda seed: {"pro": seed.professional(kind), "patient": seed.patient()}


def _invoice_of(kind: ProfessionalKind, **extra: Any) -> Callable[[Seed], dict[str, Any]]:
    return lambda seed: {"invoice": seed.invoice(kind, **extra)}


def _tiers_payant(seed: Seed) -> dict[str, Any]:
    """An invoice whose mutuelle's share (tiers payant AMC) no lot claimed yet."""
    patient, coverage = seed.mutuelle()
    return {"invoice": seed.invoice(TIT, patient, amc_coverage_id=coverage,
                                    tiers_payant_amo=True, tiers_payant_amc=True)}


def _paid(seed: Seed) -> dict[str, Any]:
    invoice = seed.invoice(TIT)
    return {"invoice": invoice, "payment": seed.payment(invoice)}


def _calendar(seed: Seed) -> dict[str, Any]:
    return {"remplacant": seed.professional(REMP), "titulaire": seed.professional(TIT)}


def _calendar_form(made: dict[str, Any]) -> dict[str, Any]:
    # His days kept (the cabinet's and the server's today: the other cases need them), one
    # more each time so that each post changes the calendar.
    days = {TODAY, Clock().today(), TODAY + timedelta(days=30 + next(_names))}  # noqa: DTZ011
    titulaire = str(made["titulaire"])
    return {"titulaire": titulaire, "shown_titulaire": titulaire, "intent": "enregistrer",
            "month": f"{TODAY:%Y-%m}", "days": sorted(day.isoformat() for day in days)}


def _prepared_form(made: dict[str, Any]) -> dict[str, str]:
    return {"professional_id": str(made["pro"]), "patient_id": str(made["patient"]),
            "date_soins": TODAY.isoformat(), "acts-count": "1", "acts-0-code": "G"}


def _staff_form(made: dict[str, Any]) -> dict[str, str]:
    return {"login": f"secretaire{next(_names)}", "display_name": "Secrétaire du journal",
            "password": "Journal-Actor-2026!", "confirm": "Journal-Actor-2026!"}


MUTUELLES = "/patients/{patient}/mutuelles"
PAYMENTS = "/api/invoices/{invoice}/payments"
SHARES = "/factures/{invoice}/parts"
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
    # Not here: signing and securing (/api/invoices/sign|secure, /factures/signer|securiser,
    # /facture/{id}/securiser) need a CPS and a carte Vitale in the reader's state.
    # A professional validates, cancels and deletes only his own invoices (issue 12).
    Write("facture: validation", (T,), _to_bill(TIT), "/api/invoices",
          lambda made: _invoice_draft(made["pro"], made["patient"]), json=True),
    Write("facture: validation un jour de remplacement", (R,), _to_bill(REMP), "/api/invoices",
          lambda made: _invoice_draft(made["pro"], made["patient"]), json=True),
    Write("facture: préparée pour validation", CARE, _to_bill(TIT), "/facture/preparer",
          _prepared_form),
    Write("paiement: enregistrement", CARE, _invoice_of(TIT), PAYMENTS,
          lambda made: _PAYMENT, json=True),
    Write("paiement: modification", CARE, _paid, PAYMENTS + "/{payment}",
          lambda made: {**_PAYMENT, "amount": "4.00"}, method="PUT", json=True),
    Write("paiement: suppression", CARE, _paid, PAYMENTS + "/{payment}", method="DELETE",
          json=True),
    Write("facture: annulation", (T,), _invoice_of(TIT), "/api/invoices/{invoice}/cancel",
          lambda made: {"reason": "Erreur de saisie"}, json=True),
    Write("facture du remplaçant: annulation", (R,), _invoice_of(REMP),
          "/api/invoices/{invoice}/cancel", lambda made: {"reason": "Erreur de saisie"},
          json=True),
    Write("facture non envoyée: suppression", (T,), _invoice_of(TIT), "/api/invoices/delete",
          lambda made: {"ids": [made["invoice"]]}, json=True),
    Write("facture du remplaçant non envoyée: suppression", (R,), _invoice_of(REMP),
          "/api/invoices/delete", lambda made: {"ids": [made["invoice"]]}, json=True),
    Write("part du patient: abandon", (T, R), _invoice_of(TIT),
          SHARES + "/patient/abandonner", lambda made: {"motif": "Patient parti sans payer"}),
    Write("part de la mutuelle: réclamée sur papier", (T, R), _tiers_payant,
          SHARES + "/amc/reclamer"),
    Write("part de la mutuelle: facturée au patient", (T, R), _tiers_payant,
          SHARES + "/amc/facturer-patient"),
    Write("réglages de télétransmission", SETTINGS, _nothing, "/teletransmission/reglages",
          lambda made: {"arl_wait_days": str(next(_WAITS)), "payment_wait_days": "30",
                        "insurer_mailbox": DEFAULT_INSURER_MAILBOX, "transmission_time": ""}),
    Write("calendrier du remplaçant", SETTINGS, _calendar,
          "/professionnels/{remplacant}/calendrier", _calendar_form),
    Write("accès secrétariat: création", (T,), _nothing, "/professionnels/secretariat",
          _staff_form),
    # Last: it moves the cabinet's day, which the cases above rely on.
    Write("fuseau horaire du cabinet", SETTINGS, _nothing, "/parametres/cabinet",
          lambda made: {"time_zone": next(_ZONES)}),
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

    path, body = write.path.format(**made), write.data(made)
    answer = (desk.client.request(write.method, path, json=body) if write.json
              else desk.client.post(path, data=body))

    assert answer.status_code in (200, 201, 303), re.findall(r'class="field-error"[^>]*>([^<]*)',
                                                        answer.text) or answer.text[:2000]
    lines = _lines_after(ctx, before)
    assert lines, f"{write.name}: nothing journaled (answer {answer.status_code})"
    named = {(line.entity, line.action, line.actor, line.actor_user_id) for line in lines}
    assert all(line.actor == desk.login and line.actor_user_id == desk.user_id
               for line in lines), (desk.login, desk.user_id, named)
