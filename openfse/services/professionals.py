"""The cabinet's professionals: register them from their CPS, the remplaçants and their
calendar, deactivate and delete, and the staff accounts (manuel eS-KAP+, « Le professionnel de
santé »).

* **Titulaire** — registered at his first CPS log-in after reviewing what the card says (manuel
  eS-KAP+ « Si c'est la première fois que la CPS est insérée … Vérifiez les informations affichées,
  puis validez la fiche PS »): :func:`review_card`, :func:`register_titulaire`.
* **Remplaçant** — « Ajouter remplaçant »: his CPS and code porteur, the titulaire he replaces
  and the days on a calendar, then the **titulaire's CPS and code porteur** to confirm (manuel
  eS-KAP+ « Une fenêtre apparaît, demandant l'insertion de la carte CPS du titulaire … Entrez le
  code porteur du titulaire »): :func:`prepare_remplacant`, :func:`register_remplacant`. He bills
  only on his calendar days for that titulaire: :func:`can_bill`.
* **Désactiver / supprimer** — a remplaçant is deactivated first (his calendar is kept as
  history), then deleted: :func:`deactivate_remplacant`, :func:`delete_remplacant`. A titulaire
  is deleted only when the manual's three conditions hold: :func:`titulaire_deletion_blockers`.
* **Secrétariat** — staff accounts with a password, created by a titulaire:
  :func:`create_staff_user`.
* **Approbation** — a titulaire registered from a CPS unknown to the cabinet waits « en
  attente » until a titulaire of the cabinet approves him (issue 12, finding 3); the very first
  CPS of a new installation is exempt, there is nobody to approve it:
  :func:`pending_accounts`, :func:`approve_access`.

Every change is journaled in the unit of work that makes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from openfse.adapters.cards.codec import card_from_data, to_data
from openfse.adapters.cards.port import CardReader
from openfse.domain.cards import CardKind, CpsCard, CpsSituation
from openfse.domain.invoice import DisplayStatus
from openfse.errors import Conflict, FormErrors, InvalidInput, NotFound, OpenFSEError
from openfse.referentials.professions import professions, specialite_by_code
from openfse.services import web_sessions
from openfse.services.session_login import (
    LoginMethod,
    SessionUser,
    act_as,
    card_in_reader,
    check_new_password,
    ensure_user_for,
    hash_password,
    normalize_login,
    present_pin,
    professional_display_name,
    session_user_of,
)
from openfse.store.journal import JournalAction
from openfse.store.models import AppUser, PendingAccess, Professional, ProfessionalKind, UserRole
from openfse.store.repositories.invoices import InvoiceFilters
from openfse.store.uow import UnitOfWork

__all__ = [
    "ApprovalRefused",
    "CabinetPeople",
    "CalendarChange",
    "CardReview",
    "Convention",
    "InvalidForm",
    "ProfessionalFile",
    "RemplacantEnrolment",
    "RemplacantRegistered",
    "RemplacantRow",
    "TITULAIRE_DELETION_CONDITIONS",
    "TitulaireNotDeletable",
    "TitulaireRequired",
    "WrongTitulaireCard",
    "PendingAccount",
    "active_titulaires",
    "approve_access",
    "can_bill",
    "cabinet_people",
    "create_staff_user",
    "deactivate_remplacant",
    "deactivate_staff_user",
    "delete_remplacant",
    "delete_titulaire",
    "open_invoices",
    "parse_convention",
    "parse_days",
    "pending_accounts",
    "prepare_remplacant",
    "professional_file",
    "profession_label",
    "register_remplacant",
    "register_titulaire",
    "registered_professional",
    "review_card",
    "set_calendar",
    "specialty_label",
    "titulaire_deletion_blockers",
]

MEDECIN = "10"  # code profession of a médecin (ANS TRE_G15), whose spécialité is IR_SPE_V


# --------------------------------------------------------------------------- errors


# Several fields refused at once: the one form-error type (``errors``: field → French message).
InvalidForm = FormErrors


class _Errors:
    """Collects the ``InvalidInput`` of several checks, field by field."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, check: Callable[[], Any]) -> Any:
        try:
            return check()
        except InvalidForm as error:
            for name, message in error.errors.items():
                self.errors.setdefault(name, message)
        except InvalidInput as error:
            self.errors.setdefault(error.field or "form", error.message)
        return None

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidForm(self.errors)


# Manuel eS-KAP+ « Avant de supprimer un titulaire, vérifiez que : », word for word.
TITULAIRE_DELETION_CONDITIONS = (
    "La CPS du titulaire n'est pas insérée dans l'appareil.",
    "Toutes les factures associées ont été supprimées ou déchargées.",
    "Aucun remplaçant n'est encore rattaché à ce titulaire.",
)


class TitulaireNotDeletable(Conflict):
    code = "titulaire_not_deletable"

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = tuple(reasons)
        super().__init__(
            "Suppression du titulaire impossible. Avant de supprimer un titulaire, vérifiez "
            "que : " + " ".join(self.reasons),
            field="delete",
        )


# --------------------------------------------------------------------------- labels


def profession_label(profession_code: str | None) -> str:
    """« Médecin », « Infirmier »… for an ANS code profession; the code itself if unknown."""
    for profession in professions():
        if profession.profession_code == profession_code:
            return profession.label
    return f"code {profession_code}" if profession_code else ""


def specialty_label(profession_code: str | None, specialty_code: str | None) -> str:
    """The spécialité of a médecin (IR_SPE_V), or the activity of another profession
    (IR_ACT_V, the code its profession carries)."""
    if not specialty_code:
        return ""
    if profession_code == MEDECIN:
        try:
            return specialite_by_code(specialty_code).label
        except InvalidInput:
            return f"code {specialty_code}"
    for profession in professions():
        if profession.specialite_code == specialty_code:
            return profession.label
    return f"code {specialty_code}"


KIND_LABELS = {ProfessionalKind.TITULAIRE: "Titulaire", ProfessionalKind.REMPLACANT: "Remplaçant"}


# --------------------------------------------------------------------------- review


@dataclass(frozen=True, slots=True)
class CardReview:
    """One situation d'exercice of a CPS, as the review screen shows it (manuel eS-KAP+
    « Informations du PS »: Professionnelles, Complémentaire — caisse de rattachement)."""

    card: CpsCard
    situation: CpsSituation

    @property
    def kind(self) -> ProfessionalKind:
        # Titulaire or remplaçant is written on the card's situation (guide LOGOSw « Remplaçant »).
        if self.situation.remplacant:
            return ProfessionalKind.REMPLACANT
        return ProfessionalKind.TITULAIRE

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def profession_label(self) -> str:
        return profession_label(self.situation.profession)

    @property
    def specialty_label(self) -> str:
        return specialty_label(self.situation.profession, self.situation.specialite)

    @property
    def is_medecin(self) -> bool:
        return self.situation.profession == MEDECIN

    @property
    def default_sector(self) -> str:
        """The form's starting choice from the card's conventionnement code: 0 non
        conventionné, 1 conventionné (secteur 1), 2 honoraires différents (secteur 2);
        anything else is left for the user to choose."""
        return {"0": "nc", "1": "1", "2": "2"}.get(self.situation.conventionnement, "")

    def to_session(self) -> dict[str, Any]:
        return {"card": to_data(self.card), "situation": self.situation.numero}

    @classmethod
    def from_session(cls, data: Mapping[str, Any]) -> CardReview:
        card = card_from_data(CardKind.CPS, data["card"])
        assert isinstance(card, CpsCard)
        return review_card(card, int(data["situation"]))


def review_card(card: CpsCard, situation_numero: int | None = None) -> CardReview:
    """The review of one situation of the card (the first when none is chosen). Raises
    ``InvalidCardData`` (field ``situation``) for a number the card does not carry."""
    if situation_numero is None:
        return CardReview(card, card.situations[0])
    return CardReview(card, card.situation(situation_numero))


@dataclass(frozen=True, slots=True)
class Convention:
    """What the card does not say and the professional states at registration."""

    sector: int | None  # 1, 2, or None when not conventionné
    optam: bool


SECTOR_CHOICES = (
    ("1", "Secteur 1 (tarifs opposables)"),
    ("2", "Secteur 2 (honoraires différents)"),
    ("nc", "Non conventionné"),
)


def parse_convention(review: CardReview, sector_text: str, optam: bool) -> Convention:
    """The secteur conventionnel and OPTAM adherence typed on the review screen.

    OPTAM (option de pratique tarifaire maîtrisée, convention médicale 2016) is open to
    médecins only, of secteur 2 or of secteur 1 with titles — never to a non-conventionné
    (https://www.synmad.com/actualites/ejournal/ejournal-23-octobre-2017-optam-ou-en-sommes-nous.html).
    """
    errors = _Errors()
    sector: int | None = None
    if sector_text in ("1", "2"):
        sector = int(sector_text)
    elif sector_text != "nc":
        errors.add("sector", "Choisissez le secteur conventionnel.")
    if optam and not review.is_medecin:
        errors.add("optam", "L'OPTAM est une option de la convention médicale : réservée aux "
                            "médecins.")
    elif optam and sector_text == "nc":
        errors.add("optam", "L'OPTAM est réservée aux médecins conventionnés (secteur 2, ou "
                            "secteur 1 titré).")
    errors.raise_if_any()
    return Convention(sector, optam)


def _apply_card(professional: Professional, review: CardReview, convention: Convention) -> None:
    card, situation = review.card, review.situation
    professional.kind = review.kind
    professional.rpps = card.rpps
    professional.last_name = card.nom
    professional.first_name = card.prenom
    professional.billing_number = situation.numero_facturation
    professional.billing_key = situation.cle_facturation
    professional.profession_code = situation.profession
    professional.specialty_code = situation.specialite
    professional.practice_mode = situation.mode_exercice
    professional.convention_code = situation.conventionnement
    # The caisse de rattachement of a professional libéral is his CPAM: régime général (01).
    # The card gives the caisse only; the centre is not on it.
    professional.regime = "01"
    professional.caisse = situation.caisse_rattachement
    professional.sector = convention.sector
    professional.optam = convention.optam
    professional.active = True


def registered_professional(uow: UnitOfWork, rpps: str) -> Professional | None:
    """The professional of this RPPS in the cabinet (active or not), or None."""
    with uow:
        return uow.professionals.by_rpps(rpps)


def _already_registered(professional: Professional) -> Conflict:
    return Conflict(
        f"{professional_display_name(professional)} est déjà enregistré(e) dans ce cabinet "
        f"({KIND_LABELS[professional.kind].lower()}).",
        code="already_registered",
    )


def register_titulaire(
    uow: UnitOfWork, review: CardReview, convention: Convention
) -> tuple[Professional, AppUser]:
    """Record the titulaire read from his CPS (manuel eS-KAP+ « validez la fiche PS pour enregistrer
    le professionnel »), with his log-in account — « en attente » (no access) unless he is the
    first professional of the installation (:func:`approve_access`)."""
    if review.kind is not ProfessionalKind.TITULAIRE:
        raise InvalidInput(
            "Cette situation de la CPS est celle d'un remplaçant : il s'enregistre avec la "
            "confirmation d'un titulaire.",
            code="remplacant_situation",
            field="situation",
        )
    with uow:
        if (existing := uow.professionals.by_rpps(review.card.rpps)) is not None:
            raise _already_registered(existing)
        first_of_installation = uow.professionals.count() == 0
        professional = Professional(last_name="", first_name="", kind=review.kind,
                                    cabinet_id=uow.require_cabinet())
        _apply_card(professional, review, convention)
        uow.session.add(professional)
        uow.flush()  # his id, for his account: the journal names that account (act_as)
        user = ensure_user_for(uow, professional)
        uow.journal_change(
            professional, JournalAction.CREATE, summary="titulaire enregistré depuis sa CPS"
        )
        if not first_of_installation:
            uow.journal_change(PendingAccess(user_id=user.id), JournalAction.CREATE,
                               summary="accès en attente de l'approbation d'un titulaire")
        uow.commit()
        return professional, user


# --------------------------------------------------------------------------- calendar


def parse_days(texts: Iterable[str]) -> frozenset[date]:
    """Calendar days as the form sends them (``AAAA-MM-JJ``)."""
    days = set()
    for text in texts:
        try:
            days.add(date.fromisoformat(text.strip()))
        except ValueError:
            raise InvalidInput(
                f"Jour de remplacement invalide : « {text} ».", code="day_format", field="days"
            ) from None
    return frozenset(days)


@dataclass(frozen=True, slots=True)
class CalendarChange:
    added: tuple[date, ...]
    removed: tuple[date, ...]


def _days_text(days: Iterable[date]) -> str:
    return ", ".join(f"{d:%d/%m/%Y}" for d in sorted(days))


def _apply_calendar(
    uow: UnitOfWork,
    remplacant: Professional,
    titulaire: Professional,
    wanted: frozenset[date],
    today: date,
) -> CalendarChange:
    """Make the remplaçant's calendar for this titulaire exactly ``wanted`` (one journal
    entry for the change). Days before ``today`` are history: they may be added (a day
    replaced and billed afterwards) but never removed. A day already worked for another
    titulaire is refused: on a given day a remplaçant replaces one titulaire."""
    repo = uow.professionals
    mine = {row.day: row for row in repo.calendar(remplacant.id, titulaire.id)}
    removed = sorted(day for day in mine if day not in wanted)
    past = [day for day in removed if day < today]
    if past:
        raise InvalidInput(
            f"Les jours passés restent dans le calendrier (ils ont pu être facturés) : "
            f"{_days_text(past)}.",
            code="past_replacement_day",
            field="days",
        )
    added = sorted(day for day in wanted if day not in mine)
    others = {row.day: row.titulaire_id for row in repo.calendar(remplacant.id)
              if row.titulaire_id != titulaire.id}
    clashes = [day for day in added if day in others]
    if clashes:
        other = repo.get(others[clashes[0]])
        raise InvalidInput(
            f"Déjà un jour de remplacement de {professional_display_name(other)} : "
            f"{_days_text(clashes)} (un seul titulaire remplacé par jour).",
            code="replacement_day_taken",
            field="days",
        )
    if not added and not removed:
        return CalendarChange((), ())
    repo.remove_replacement_days([mine[day] for day in removed])
    for day in added:
        repo.add_replacement_day(remplacant.id, titulaire.id, day)
    changes: dict[str, dict[str, Any]] = {}
    if added:
        changes["days_added"] = {"after": [d.isoformat() for d in added]}
    if removed:
        changes["days_removed"] = {"before": [d.isoformat() for d in removed]}
    uow.journal(
        "update",
        "replacement_day",
        remplacant.id,
        changes=changes,
        summary=f"calendrier de remplacement de {professional_display_name(titulaire)}",
    )
    return CalendarChange(tuple(added), tuple(removed))


def _active(uow: UnitOfWork, professional_id: int, kind: ProfessionalKind) -> Professional:
    professional = uow.professionals.get(professional_id)
    if professional.kind is not kind:
        raise InvalidInput(
            f"{professional_display_name(professional)} n'est pas "
            f"{'un titulaire' if kind is ProfessionalKind.TITULAIRE else 'un remplaçant'}.",
            code=f"not_{kind.value}",
            field="titulaire" if kind is ProfessionalKind.TITULAIRE else "remplacant",
        )
    if not professional.active:
        raise Conflict(
            f"{professional_display_name(professional)} est désactivé(e).",
            code="professional_inactive",
        )
    return professional


def set_calendar(
    uow: UnitOfWork, remplacant_id: int, titulaire_id: int, days: Iterable[date], *, today: date
) -> CalendarChange:
    """Replace the remplaçant's days for this titulaire (manuel eS-KAP+ « Sélectionnez les jours de
    remplacement souhaités, puis cliquez sur Valider »)."""
    with uow:
        remplacant = _active(uow, remplacant_id, ProfessionalKind.REMPLACANT)
        titulaire = _active(uow, titulaire_id, ProfessionalKind.TITULAIRE)
        change = _apply_calendar(uow, remplacant, titulaire, frozenset(days), today)
        uow.commit()
        return change


def can_bill(uow: UnitOfWork, remplacant_id: int, titulaire_id: int, day: date) -> bool:
    """May the remplaçant bill for the titulaire on ``day``? Only on a day of his calendar for
    that titulaire, both being active (issue 5: « A remplaçant can bill only on their calendar
    days for that titulaire »). Call inside an open unit of work (the invoice's)."""
    remplacant = uow.professionals.find(remplacant_id)
    titulaire = uow.professionals.find(titulaire_id)
    if remplacant is None or titulaire is None:
        return False
    if not (remplacant.active and remplacant.kind is ProfessionalKind.REMPLACANT):
        return False
    if not (titulaire.active and titulaire.kind is ProfessionalKind.TITULAIRE):
        return False
    return uow.professionals.is_replacing(remplacant_id, titulaire_id, day)


# --------------------------------------------------------------------------- remplaçant


@dataclass(frozen=True, slots=True)
class RemplacantEnrolment:
    """A remplaçant ready to register, waiting for the titulaire's CPS and code porteur."""

    review: CardReview
    convention: Convention
    titulaire_id: int
    days: frozenset[date]

    def to_session(self) -> dict[str, Any]:
        return {
            **self.review.to_session(),
            "sector": self.convention.sector,
            "optam": self.convention.optam,
            "titulaire_id": self.titulaire_id,
            "days": sorted(d.isoformat() for d in self.days),
        }

    @classmethod
    def from_session(cls, data: Mapping[str, Any]) -> RemplacantEnrolment:
        sector = data["sector"]
        return cls(
            review=CardReview.from_session(data),
            convention=Convention(None if sector is None else int(sector), bool(data["optam"])),
            titulaire_id=int(data["titulaire_id"]),
            days=parse_days(data["days"]),
        )


def _titulaire_choice(uow: UnitOfWork, text: str) -> Professional:
    if not text.strip():
        raise InvalidInput("Choisissez le titulaire remplacé.", code="titulaire_required",
                           field="titulaire")
    try:
        titulaire_id = int(text)
    except ValueError:
        raise InvalidInput("Titulaire inconnu.", code="titulaire_unknown",
                           field="titulaire") from None
    try:
        return _active(uow, titulaire_id, ProfessionalKind.TITULAIRE)
    except NotFound:
        raise InvalidInput("Titulaire inconnu.", code="titulaire_unknown",
                           field="titulaire") from None
    except Conflict as error:
        raise InvalidInput(error.message, code=error.code, field="titulaire") from None


def _check_not_active(uow: UnitOfWork, rpps: str) -> Professional | None:
    existing = uow.professionals.by_rpps(rpps)
    if existing is not None and existing.active:
        raise _already_registered(existing)
    return existing


def prepare_remplacant(
    uow: UnitOfWork,
    review: CardReview,
    *,
    sector: str,
    optam: bool,
    titulaire: str,
    days: Iterable[str],
    today: date,
) -> RemplacantEnrolment:
    """Check the remplaçant's review screen (manuel eS-KAP+ « Cochez la case correspondant au
    titulaire concerné … Sélectionnez les jours de remplacement ») before asking for the
    titulaire's card. Raises :class:`InvalidForm` listing every refused field."""
    if review.kind is not ProfessionalKind.REMPLACANT:
        raise InvalidInput(
            "Cette situation de la CPS n'est pas une situation de remplaçant.",
            code="not_remplacant_situation",
            field="situation",
        )
    errors = _Errors()
    convention = errors.check(lambda: parse_convention(review, sector, optam))
    chosen_days: frozenset[date] | None = errors.check(lambda: parse_days(days))
    if chosen_days is not None and not chosen_days:
        errors.add("days", "Choisissez au moins un jour de remplacement dans le calendrier.")
    with uow:
        existing = _check_not_active(uow, review.card.rpps)
        chosen = errors.check(lambda: _titulaire_choice(uow, titulaire))
        if existing is not None and chosen is not None and chosen_days:
            # A returning remplaçant: his past days for other titulaires still count.
            errors.check(lambda: _check_days_free(uow, existing, chosen, chosen_days))
    errors.raise_if_any()
    assert convention is not None and chosen is not None and chosen_days is not None
    return RemplacantEnrolment(review, convention, chosen.id, chosen_days)


def _check_days_free(
    uow: UnitOfWork, remplacant: Professional, titulaire: Professional, days: frozenset[date]
) -> None:
    taken = sorted(row.day for row in uow.professionals.calendar(remplacant.id)
                   if row.titulaire_id != titulaire.id and row.day in days)
    if taken:
        raise InvalidInput(
            f"Déjà des jours de remplacement d'un autre titulaire : {_days_text(taken)}.",
            code="replacement_day_taken",
            field="days",
        )


@dataclass(frozen=True, slots=True)
class RemplacantRegistered:
    remplacant: Professional
    # The titulaire who confirmed with his CPS and code porteur: authenticated by his card.
    titulaire: SessionUser


class WrongTitulaireCard(InvalidInput):
    code = "wrong_titulaire_card"

    def __init__(self, found: CpsCard, titulaire: Professional) -> None:
        super().__init__(
            f"La carte insérée est celle de {found.prenom.title()} {found.nom} : insérez la "
            f"CPS du titulaire remplacé, {professional_display_name(titulaire)}.",
            field="pin",
        )


def register_remplacant(
    uow: UnitOfWork,
    reader: CardReader,
    enrolment: RemplacantEnrolment,
    titulaire_pin: str,
    *,
    today: date,
    client: str,
    now: datetime,
) -> RemplacantRegistered:
    """Confirm the remplaçant with the **titulaire's CPS and code porteur** and record him,
    his calendar and his account (manuel eS-KAP+ « Retirez la carte du remplaçant, puis insérez
    celle du titulaire. Entrez le code porteur du titulaire »).

    The card in the reader is read first: it must be the chosen titulaire's, so that no try
    of another card's code is spent (:class:`WrongTitulaireCard`). Then its code porteur is
    checked by the card (``PinIncorrect`` with the tries left, ``CardBlocked``…), under the
    limits per card and per ``client`` of every code porteur (issue 12). A remplaçant
    deactivated earlier is reactivated, his old calendar kept.
    """
    with uow:
        titulaire = _active(uow, enrolment.titulaire_id, ProfessionalKind.TITULAIRE)
    card = reader.read_cps()
    if card.rpps != titulaire.rpps:
        raise WrongTitulaireCard(card, titulaire)
    present_pin(uow, reader, titulaire_pin, today=today, client=client, now=now)
    with uow:
        titulaire = _active(uow, enrolment.titulaire_id, ProfessionalKind.TITULAIRE)
        existing = _check_not_active(uow, enrolment.review.card.rpps)
        # The titulaire's card confirms: what follows is journaled under his account.
        titulaire_user = ensure_user_for(uow, titulaire)
        act_as(uow, titulaire_user)
        confirmed = (
            f"confirmé par la CPS du titulaire {professional_display_name(titulaire)} "
            f"(RPPS {titulaire.rpps})"
        )
        if existing is None:
            remplacant = Professional(last_name="", first_name="", kind=ProfessionalKind.REMPLACANT)
            _apply_card(remplacant, enrolment.review, enrolment.convention)
            uow.journal_change(remplacant, JournalAction.CREATE, summary=f"remplaçant {confirmed}")
        else:
            remplacant = existing
            _apply_card(remplacant, enrolment.review, enrolment.convention)
            uow.journal_change(
                remplacant, JournalAction.UPDATE, summary=f"remplaçant réactivé, {confirmed}"
            )
        current = {row.day for row in uow.professionals.calendar(remplacant.id, titulaire.id)}
        _apply_calendar(uow, remplacant, titulaire, frozenset(current | enrolment.days), today)
        ensure_user_for(uow, remplacant)
        uow.commit()
        return RemplacantRegistered(remplacant, session_user_of(titulaire_user, LoginMethod.CPS))


def deactivate_remplacant(uow: UnitOfWork, remplacant_id: int) -> Professional:
    """Manuel eS-KAP+ « Désactiver un remplaçant avant suppression »: he can no longer log in nor
    bill; his calendar stays as history."""
    with uow:
        remplacant = _active(uow, remplacant_id, ProfessionalKind.REMPLACANT)
        remplacant.active = False
        uow.journal_change(remplacant, JournalAction.UPDATE, summary="remplaçant désactivé")
        if (account := uow.users.by_professional(remplacant.id)) is not None:
            web_sessions.end_all_of(uow, account.id)  # out at once, every workstation
        uow.commit()
        return remplacant


OpenInvoices = Callable[[UnitOfWork, int], int]


# Manuel eS-KAP+ « Toutes les factures associées ont été supprimées ou déchargées »: an invoice
# still waiting on the workstation — a draft, to sign (or sign with the carte Vitale), signed or in
# a lot not yet transmitted. Transmitted ones have left it; deleted and cancelled ones are done;
# a validated « hors télétransmission » invoice is final and never waits to be sent.
_WAITING_INVOICES = (
    DisplayStatus.BROUILLON,
    DisplayStatus.A_SIGNER,
    DisplayStatus.SECURISEE,
    DisplayStatus.DESYNCHRONISEE,
    DisplayStatus.DEGRADEE,
    DisplayStatus.SESAM_SANS_VITALE,
    DisplayStatus.EN_LOT,
)


def open_invoices(uow: UnitOfWork, professional_id: int) -> int:
    """Invoices of the professional (exécutant or billing professional, so those a remplaçant
    made under a titulaire's number count for the titulaire) neither deleted nor discharged:
    still waiting to be signed or transmitted. The deletion functions take the check as
    ``open_invoices=`` so that it can be given explicitly."""
    filters = InvoiceFilters(display_statuses=_WAITING_INVOICES, professional_id=professional_id)
    return uow.invoices.count_matching(filters)


def _delete_professional(uow: UnitOfWork, professional: Professional, summary: str) -> None:
    user = uow.users.by_professional(professional.id)
    if user is not None:
        uow.journal_change(user, JournalAction.DELETE, summary=summary)
    days = list(uow.professionals.calendar(professional.id))
    if days:
        uow.professionals.remove_replacement_days(days)
        uow.journal(
            "delete",
            "replacement_day",
            professional.id,
            changes={"days_removed": {"before": [row.day.isoformat() for row in days]}},
            summary=summary,
        )
    uow.journal_change(professional, JournalAction.DELETE, summary=summary)


def _invoice_blocker(uow: UnitOfWork, professional: Professional,
                     count_open: OpenInvoices) -> str | None:
    count = count_open(uow, professional.id)
    if not count:
        return None
    if count == 1:
        return (f"1 facture de {professional_display_name(professional)} n'a été ni supprimée "
                "ni déchargée")
    return (f"{count} factures de {professional_display_name(professional)} n'ont été ni "
            "supprimées ni déchargées")


def _archive_blocker(uow: UnitOfWork, professional: Professional) -> str | None:
    """Invoices are kept for good (validated invoices are immutable; a deleted one stays as a
    trace): a professional who has any cannot lose his file, which they name. The manual's
    « déchargées » (purged from the workstation) has no equivalent here."""
    kept = uow.invoices.count_matching(InvoiceFilters(
        professional_id=professional.id, include_deleted=True, include_cancellations=True))
    if not kept:
        return None
    return (f"{professional_display_name(professional)} a {kept} facture"
            f"{'s' if kept > 1 else ''} archivée{'s' if kept > 1 else ''}, conservée"
            f"{'s' if kept > 1 else ''} avec son dossier : laissez-le désactivé")


def delete_remplacant(
    uow: UnitOfWork, remplacant_id: int, *, open_invoices: OpenInvoices = open_invoices
) -> None:
    """Manuel eS-KAP+ « Supprimer remplaçant »: only once deactivated, and with no open invoice."""
    with uow:
        remplacant = uow.professionals.get(remplacant_id)
        if remplacant.kind is not ProfessionalKind.REMPLACANT:
            raise InvalidInput(
                "Ce professionnel n'est pas un remplaçant.", code="not_remplacant",
                field="remplacant",
            )
        if remplacant.active:
            raise Conflict(
                "Désactivez d'abord le remplaçant (« Désactiver »), puis supprimez-le.",
                code="remplacant_active",
                field="delete",
            )
        if (blocker := _invoice_blocker(uow, remplacant, open_invoices)) is not None:
            raise Conflict(f"Suppression impossible : {blocker}.", code="open_invoices",
                           field="delete")
        if (archived := _archive_blocker(uow, remplacant)) is not None:
            raise Conflict(f"Suppression impossible : {archived}.", code="archived_invoices",
                           field="delete")
        _delete_professional(uow, remplacant, "remplaçant supprimé")
        uow.commit()


def titulaire_deletion_blockers(
    uow: UnitOfWork,
    reader: CardReader,
    titulaire_id: int,
    *,
    open_invoices: OpenInvoices = open_invoices,
) -> tuple[str, ...]:
    """Which of the manual's three conditions do not hold (manuel eS-KAP+ « Avant de supprimer un
    titulaire, vérifiez que : 1- La CPS du titulaire n'est pas insérée dans l'appareil. 2-
    Toutes les factures associées ont été supprimées ou déchargées. 3- Aucun remplaçant n'est
    encore rattaché à ce titulaire. »). Empty: the titulaire may be deleted."""
    with uow:
        titulaire = uow.professionals.get(titulaire_id)
        if titulaire.kind is not ProfessionalKind.TITULAIRE:
            raise InvalidInput("Ce professionnel n'est pas un titulaire.", code="not_titulaire",
                               field="titulaire")
        # Each reason quotes the manual's condition, then says what is wrong.
        reasons: list[str] = []
        card = card_in_reader(reader)
        if card is not None and card.rpps == titulaire.rpps:
            reasons.append(f"« {TITULAIRE_DELETION_CONDITIONS[0]} » : elle est dans le "
                           "lecteur, retirez-la.")
        if (blocker := _invoice_blocker(uow, titulaire, open_invoices)) is not None:
            reasons.append(f"« {TITULAIRE_DELETION_CONDITIONS[1]} » : {blocker}.")
        elif (archived := _archive_blocker(uow, titulaire)) is not None:
            reasons.append(f"« {TITULAIRE_DELETION_CONDITIONS[1]} » : {archived}.")
        # « Rattaché »: an active remplaçant whose calendar holds days for this titulaire;
        # deactivating him (seed « Décocher le titulaire associé ») detaches him.
        attached = uow.professionals.remplacants_of(titulaire.id)
        if attached:
            names = ", ".join(professional_display_name(p) for p in attached)
            reasons.append(f"« {TITULAIRE_DELETION_CONDITIONS[2]} » : {names} l'est encore, "
                           "désactivez-le puis supprimez-le.")
        return tuple(reasons)


def delete_titulaire(
    uow: UnitOfWork,
    reader: CardReader,
    titulaire_id: int,
    *,
    open_invoices: OpenInvoices = open_invoices,
) -> None:
    """Delete the titulaire's record (manuel eS-KAP+ « Supprimer : permet de supprimer le dossier du
    titulaire ») when :func:`titulaire_deletion_blockers` finds nothing; raises
    :class:`TitulaireNotDeletable` listing the conditions not met."""
    reasons = titulaire_deletion_blockers(uow, reader, titulaire_id, open_invoices=open_invoices)
    if reasons:
        raise TitulaireNotDeletable(reasons)
    with uow:
        titulaire = uow.professionals.get(titulaire_id)
        # The deactivated remplaçants' past days with him go too (no invoice is left).
        for remplacant in uow.professionals.remplacants_of(titulaire.id, active_only=False):
            days = list(uow.professionals.calendar(remplacant.id, titulaire.id))
            uow.professionals.remove_replacement_days(days)
            uow.journal(
                "delete",
                "replacement_day",
                remplacant.id,
                changes={"days_removed": {"before": [row.day.isoformat() for row in days]}},
                summary=f"titulaire {professional_display_name(titulaire)} supprimé",
            )
        _delete_professional(uow, titulaire, "titulaire supprimé")
        uow.commit()


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class RemplacantRow:
    professional: Professional
    titulaires: tuple[Professional, ...]
    next_day: date | None  # next calendar day from today on, if any


@dataclass(frozen=True, slots=True)
class CabinetPeople:
    """The « Professionnels de santé » screen: titulaires, remplaçants and staff accounts."""

    titulaires: tuple[Professional, ...]
    remplacants: tuple[RemplacantRow, ...]
    staff: tuple[AppUser, ...]


def _by_name(rows: Iterable[Professional]) -> list[Professional]:
    return sorted(rows, key=lambda p: (p.last_name, p.first_name, p.id))


def active_titulaires(uow: UnitOfWork) -> tuple[Professional, ...]:
    """The titulaires a remplaçant may be given days for, by name."""
    with uow:
        return tuple(uow.professionals.active(ProfessionalKind.TITULAIRE))


def cabinet_people(uow: UnitOfWork, *, today: date) -> CabinetPeople:
    with uow:
        everyone = list(uow.professionals.list(limit=1000))
        titulaires = tuple(p for p in _by_name(everyone) if p.kind is ProfessionalKind.TITULAIRE)
        rows = []
        for remplacant in _by_name(everyone):
            if remplacant.kind is not ProfessionalKind.REMPLACANT:
                continue
            upcoming = [row.day for row in uow.professionals.calendar(remplacant.id)
                        if row.day >= today]
            rows.append(RemplacantRow(
                remplacant,
                tuple(uow.professionals.titulaires_of(remplacant.id)),
                min(upcoming) if upcoming else None,
            ))
        return CabinetPeople(titulaires, tuple(rows), tuple(uow.users.staff()))


@dataclass(frozen=True, slots=True)
class ProfessionalFile:
    """One professional's screen (manuel eS-KAP+ « Information »)."""

    professional: Professional
    user: AppUser | None
    # Remplaçant: his days per titulaire id; the titulaires he may be given days for.
    calendar: Mapping[int, tuple[date, ...]] = field(default_factory=dict)
    titulaires: tuple[Professional, ...] = ()
    # Titulaire: the remplaçants whose calendar holds days for him (active or not).
    remplacants: tuple[Professional, ...] = ()

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.professional.kind]

    def days_for(self, titulaire_id: int) -> tuple[date, ...]:
        return self.calendar.get(titulaire_id, ())

    def days_elsewhere(self, titulaire_id: int) -> tuple[date, ...]:
        """Days worked for other titulaires (not selectable in this titulaire's calendar)."""
        return tuple(sorted(d for t, days in self.calendar.items() if t != titulaire_id
                            for d in days))


def professional_file(uow: UnitOfWork, professional_id: int) -> ProfessionalFile:
    with uow:
        professional = uow.professionals.get(professional_id)
        user = uow.users.by_professional(professional.id)
        if professional.kind is ProfessionalKind.REMPLACANT:
            calendar: dict[int, list[date]] = {}
            for row in uow.professionals.calendar(professional.id):
                calendar.setdefault(row.titulaire_id, []).append(row.day)
            known = {p.id for p in uow.professionals.titulaires_of(professional.id)}
            titulaires = tuple(
                p for p in _by_name(uow.professionals.list(limit=1000))
                if p.kind is ProfessionalKind.TITULAIRE and (p.active or p.id in known)
            )
            return ProfessionalFile(
                professional, user, {t: tuple(days) for t, days in calendar.items()}, titulaires
            )
        remplacants = tuple(uow.professionals.remplacants_of(professional.id, active_only=False))
        return ProfessionalFile(professional, user, remplacants=remplacants)


# --------------------------------------------------------------------------- staff


class TitulaireRequired(OpenFSEError):
    code = "titulaire_required"

    def __init__(self) -> None:
        super().__init__(
            "Seul un titulaire connecté avec sa CPS crée un accès secrétariat : commencez la "
            "journée avec votre carte CPS.",
        )


def create_staff_user(
    uow: UnitOfWork,
    *,
    created_by: SessionUser | None,
    login: str,
    display_name: str,
    password: str,
    confirm: str,
) -> AppUser:
    """A secrétariat account (patients and payments, no signing) with a password typed twice,
    at least 10 characters, created by a titulaire (issue 5: « created by a titulaire from the
    professionals screen »). Raises :class:`TitulaireRequired`, :class:`InvalidForm` listing
    every refused field (a taken login too)."""
    if created_by is None or created_by.role is not UserRole.TITULAIRE \
            or created_by.method is not LoginMethod.CPS:
        raise TitulaireRequired()
    errors = _Errors()
    clean_login = errors.check(lambda: normalize_login(login))
    name = " ".join(display_name.split())
    if not name:
        errors.add("display_name", "Saisissez le nom affiché (ex. « Marie, secrétariat »).")
    elif len(name) > 200:
        errors.add("display_name", "Le nom affiché ne peut pas dépasser 200 caractères.")
    errors.check(lambda: check_new_password(password, confirm))
    errors.raise_if_any()
    with uow:
        if uow.users.by_login(clean_login) is not None:
            raise InvalidForm({"login": f"L'identifiant « {clean_login} » est déjà utilisé."})
        user = AppUser(
            login=clean_login,
            display_name=name,
            role=UserRole.SECRETAIRE,
            password_hash=hash_password(password),
        )
        uow.journal_change(user, JournalAction.CREATE, summary="accès secrétariat créé")
        uow.commit()
        return user


def deactivate_staff_user(uow: UnitOfWork, user_id: int) -> AppUser:
    """Close a staff account (kept for the journal's history)."""
    with uow:
        user = uow.users.get(user_id)
        if user.professional_id is not None:
            raise InvalidInput(
                "Le compte d'un professionnel suit son dossier : désactivez le professionnel.",
                code="professional_account",
                field="user",
            )
        if user.active:
            user.active = False
            uow.journal_change(user, JournalAction.UPDATE, summary="accès secrétariat désactivé")
            web_sessions.end_all_of(uow, user.id)  # out at once, every workstation
            uow.commit()
        return user


# --------------------------------------------------------------------------- approval


@dataclass(frozen=True, slots=True)
class PendingAccount:
    """A professional registered from his CPS, waiting for a titulaire's approval."""

    user_id: int
    professional: Professional
    requested_at: datetime


def pending_accounts(uow: UnitOfWork) -> tuple[PendingAccount, ...]:
    """The accounts awaiting approval, oldest request first."""
    with uow:
        rows = uow.session.scalars(
            select(PendingAccess).where(PendingAccess.cabinet_id == uow.require_cabinet())
            .order_by(PendingAccess.requested_at, PendingAccess.id)).all()
        pending = []
        for row in rows:
            account = uow.users.get(row.user_id)
            if account.professional_id is None:
                continue
            professional = uow.professionals.get(account.professional_id)
            pending.append(PendingAccount(account.id, professional, row.requested_at))
        return tuple(pending)


class ApprovalRefused(OpenFSEError):
    code = "approval_refused"


def approve_access(uow: UnitOfWork, *, approved_by: SessionUser | None,
                   user_id: int) -> Professional:
    """A titulaire of the cabinet, logged in with his CPS, opens the account (journaled)."""
    if approved_by is None or approved_by.role is not UserRole.TITULAIRE \
            or approved_by.method is not LoginMethod.CPS:
        raise ApprovalRefused("Seul un titulaire du cabinet connecté avec sa CPS approuve un "
                              "nouvel accès.")
    with uow:
        row = uow.session.scalar(select(PendingAccess).where(
            PendingAccess.cabinet_id == uow.require_cabinet(), PendingAccess.user_id == user_id))
        if row is None:
            raise NotFound("Aucun accès en attente pour ce compte (déjà approuvé ?).")
        account = uow.users.get(user_id)
        if account.professional_id is None:
            raise NotFound("Aucun accès en attente pour ce compte.")
        professional = uow.professionals.get(account.professional_id)
        uow.journal_change(row, JournalAction.DELETE,
                           summary=f"accès de {professional_display_name(professional)} "
                                   f"approuvé par {approved_by.display_name}")
        uow.commit()
        return professional

