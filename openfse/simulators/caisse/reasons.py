"""Reason codes of the simulated caisse, with their French labels.

The real ARL and NOEMIE reject codes are in restricted documents (docs/protocols.md §8 points 2–3):
these are **openfse's own codes**, documented in ``docs/formats/arl.md`` and
``docs/formats/returns.md``. ``A…`` refuse a whole lot (negative ARL), ``R…`` reject one
invoice, ``P…`` explain a partial payment. Labels say what to fix.
"""

from __future__ import annotations

from openfse.simulators.caisse.wire import MAX_LABEL_CHARS, Reason

__all__ = ["ARL_LABELS", "PARTIAL_LABELS", "RANDOM_REJECTS", "REJECT_LABELS", "reason"]

# Negative ARL: the lot is refused as a whole, nothing in it is processed.
ARL_LABELS: dict[str, str] = {
    "A01": "Fichier de lot illisible",
    "A02": "Fichier de lot altéré en route (somme de contrôle incorrecte) : renvoyer le lot",
    "A03": "Fichier de lot tronqué : renvoyer le lot",
    "A04": "Version du format de lot non prise en charge",
    "A05": "Aucun fichier de lot joint au message",
    "A10": "Numéro de facturation du professionnel invalide",
    "A11": "Organisme destinataire inconnu",
    "A12": "Facture adressée à un autre organisme que le destinataire du lot",
    # docs/protocols.md §1.7: a typical negative ARL is a lot sent in advance (dates in the future).
    "A13": "Lot transmis en avance : date de soins postérieure à la réception",
    "A14": "Facture non signée par la carte CPS",
    # docs/protocols.md §1.7: « lots invérifiables » (signature cannot be verified).
    "A15": "Signature invérifiable : lot invérifiable",
    "A16": "Signature de la carte Vitale absente ou incorrecte",
    "A17": "Numéro de lot déjà accepté avec un autre contenu : utiliser un nouveau numéro",
    "A20": "Pièce justificative dans un format non accepté (PDF, JPEG ou PNG)",
    "A21": "Pièce justificative de résolution insuffisante (150 dpi au minimum)",
    "A98": "Erreur interne du simulateur : lot non traité, le renvoyer",
    "A99": "Rejet simulé (panne injectée dans le simulateur)",
}

# Payment returns: one invoice rejected.
REJECT_LABELS: dict[str, str] = {
    "R01": "NIR invalide : clé incorrecte",
    "R02": "Bénéficiaire inconnu de la caisse (date de naissance ou rang)",
    "R03": "Droits AMO fermés à la date des soins",
    "R04": "Montants incohérents",
    "R05": "Tarification incorrecte",
    "R06": "Facture déjà reçue",
    "R10": "Prestation non remboursable pour ce bénéficiaire",
    "R11": "Acte incompatible avec un acte déjà remboursé à la même date",
    "R12": "Assuré rattaché à une autre caisse à la date des soins",
    "R13": "Prescription absente ou non conforme",
}

# The reasons drawn for the configured share of random rejects (valid invoices the caisse
# refuses anyway, as real ones do for reasons the desk cannot see).
RANDOM_REJECTS = ("R10", "R11", "R12", "R13")

PARTIAL_LABELS: dict[str, str] = {
    "P01": "Acte non pris en charge, montant déduit",
    "P02": "Base de remboursement plafonnée, part remboursée réduite",
}


def reason(code: str, detail: str = "", invoice_number: str = "") -> Reason:
    """The reason of ``code``, its label completed by ``detail`` (cut to the label limit)."""
    label = {**ARL_LABELS, **REJECT_LABELS, **PARTIAL_LABELS}[code]
    if detail:
        # The detail may quote a damaged file: keep it to one printable line.
        printable = "".join(char if char.isprintable() else "?" for char in detail)
        label = f"{label} : {' '.join(printable.split())}"
    if len(label) > MAX_LABEL_CHARS:
        label = label[: MAX_LABEL_CHARS - 1].rstrip() + "…"
    return Reason(code, label, invoice_number)
