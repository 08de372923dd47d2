"""NGAP majorations and travel indemnities: what they are and when they may be billed.

A majoration (night, Sunday/holiday, child, coordination…) or a travel indemnity (MD, ID, IFD…)
is an act line of its own, valued by the tariffs like any key letter (docs/rules.md §A.3, A.5,
A.6); it is not an act by itself. This module classifies such lines (``ActKind``: the
participation forfaitaire and the franchise count acts, not majorations — docs/rules.md §D.4/D.5)
and checks the billing conditions the desk gets wrong most often, as warnings (the caisse
rejects, the engine does not refuse):

- a majoration needs a base act on the same day;
- one majoration per time slot: night / deep night / Sunday majorations exclude each other
  (NGAP art. 14: « ces majorations ne sont pas cumulables »), one travel majoration per visit;
- age conditions: MEG under 6 (docs/rules.md §A.1), MIE under 7 (A.5), MP under 25 (A.1);
- MD/MDN/MDI/MDD go with a visit (justified visit, docs/rules.md §A.3), MCG/MEG with a G/VG.
"""

from __future__ import annotations

from dataclasses import dataclass

from openfse.domain.pricing.codes import Nomenclature
from openfse.domain.pricing.work import ActKind, Context, Line

_VISITS = frozenset({"V", "VG", "VGS", "VS", "VL", "VU"})
_GENERALISTE = frozenset({"G", "GS", "VG", "VGS"})


@dataclass(frozen=True, slots=True)
class MajorationRule:
    kind: ActKind
    group: str | None = None  # lines of one group exclude each other on the same day
    max_age: int | None = None  # the patient must be younger (strictly)
    with_acts: frozenset[str] | None = None  # base acts it may accompany (None: any act)


_HORAIRE = "horaire"
_DEPLACEMENT = "deplacement"

RULES: dict[str, MajorationRule] = {
    # Médecins — night, Sunday, urgent (docs/rules.md §A.3; CPAM Landes memo).
    "MN": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "MM": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "F": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "CRN": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "CRM": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "CRD": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "CRS": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "VRN": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "VRM": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "VRD": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "VRS": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "MU": MajorationRule(ActKind.MAJORATION),
    # Infirmiers, kinés — nuit (N), nuit profonde (NP), dimanche/férié (F) (A.5, A.6).
    "N": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    "NP": MajorationRule(ActKind.MAJORATION, _HORAIRE),
    # Coordination, age, others.
    "MCG": MajorationRule(ActKind.MAJORATION, "coordination", with_acts=_GENERALISTE),
    "MCS": MajorationRule(ActKind.MAJORATION, "coordination"),
    "MEG": MajorationRule(ActKind.MAJORATION, "enfant", max_age=6, with_acts=_GENERALISTE),
    "MIE": MajorationRule(ActKind.MAJORATION, "enfant", max_age=7),
    "MP": MajorationRule(ActKind.MAJORATION, "enfant", max_age=25),
    "MAU": MajorationRule(ActKind.MAJORATION),
    "MCI": MajorationRule(ActKind.MAJORATION),
    "MSF": MajorationRule(ActKind.MAJORATION),
    # Travel: justified-visit majorations replace each other (A.3); forfaits de déplacement.
    "MD": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT, with_acts=_VISITS),
    "MDN": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT, with_acts=_VISITS),
    "MDI": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT, with_acts=_VISITS),
    "MDD": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT, with_acts=_VISITS),
    "ID": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT),
    "IFD": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT),
    "IFA": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT),
    "IFI": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT),
    "IFO": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT),
    "IFR": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT),
    "IFN": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT),
    "IFP": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT),
    "IFS": MajorationRule(ActKind.DEPLACEMENT, _DEPLACEMENT),
    "IK": MajorationRule(ActKind.IK),
    "IKM": MajorationRule(ActKind.IK),
    "IKS": MajorationRule(ActKind.IK),
}


def classify(ctx: Context, lines: list[Line]) -> None:
    """Set each NGAP line's kind (acts are the default)."""
    for line in lines:
        if line.draft.nomenclature is Nomenclature.NGAP:
            rule = RULES.get(line.draft.code)
            if rule is not None:
                line.kind = rule.kind


def check(ctx: Context, lines: list[Line]) -> None:
    """Warn about majorations billed outside their conditions (see the module docstring)."""
    if all(line.kind is ActKind.ACTE for line in lines):
        return
    acts_by_day: dict[object, set[str]] = {}
    for line in lines:
        if line.kind is ActKind.ACTE:
            acts_by_day.setdefault(line.on, set()).add(line.draft.code)
    groups_seen: dict[tuple[object, str], str] = {}
    age = ctx.draft.patient.age
    for line in lines:
        if line.kind is ActKind.ACTE:
            continue
        code = line.draft.code
        rule = RULES[code]
        day_acts = acts_by_day.get(line.on)
        if not day_acts:
            ctx.warn(
                "majoration_sans_acte",
                f"{code} est une majoration ou une indemnité : elle accompagne un acte du même "
                "jour, qui manque dans la facture.",
                line.index,
            )
        elif rule.with_acts is not None and rule.with_acts.isdisjoint(day_acts):
            expected = ", ".join(sorted(rule.with_acts))
            ctx.warn(
                "majoration_acte_incompatible",
                f"{code} ne se facture qu'avec l'un des actes {expected}.",
                line.index,
            )
        if rule.group is not None:
            key = (line.on, rule.group)
            other = groups_seen.get(key)
            if other is not None:
                ctx.warn(
                    "majorations_non_cumulables",
                    f"{code} et {other} ne sont pas cumulables le même jour.",
                    line.index,
                )
            else:
                groups_seen[key] = code
        if rule.max_age is not None:
            if age is None:
                ctx.warn(
                    "age_inconnu",
                    f"{code} suppose un patient de moins de {rule.max_age} ans : "
                    "âge non renseigné.",
                    line.index,
                )
            elif age >= rule.max_age:
                ctx.warn(
                    "majoration_age",
                    f"{code} est réservée aux patients de moins de {rule.max_age} ans "
                    f"(patient de {age} ans).",
                    line.index,
                )
