"""Closed vocabularies of the pricing engine (docs/formats/price.md values), as ``StrEnum``.

The string value of each member is exactly the value of the JSON contract, so that a member
prints as the contract spells it. Synonyms accepted on input live in ``contract.py``.
"""

from __future__ import annotations

from enum import StrEnum


class Profession(StrEnum):
    MEDECIN = "medecin"
    INFIRMIER = "infirmier"
    MASSEUR_KINESITHERAPEUTE = "masseur_kinesitherapeute"
    SAGE_FEMME = "sage_femme"
    CHIRURGIEN_DENTISTE = "chirurgien_dentiste"
    ORTHOPHONISTE = "orthophoniste"
    ORTHOPTISTE = "orthoptiste"
    PEDICURE_PODOLOGUE = "pedicure_podologue"

    @property
    def is_auxiliaire(self) -> bool:
        """Auxiliaires médicaux: franchise instead of participation forfaitaire (CSS L160-13)."""
        return self in _AUXILIAIRES


_AUXILIAIRES = frozenset(
    {
        Profession.INFIRMIER,
        Profession.MASSEUR_KINESITHERAPEUTE,
        Profession.ORTHOPHONISTE,
        Profession.ORTHOPTISTE,
        Profession.PEDICURE_PODOLOGUE,
    }
)


class Nomenclature(StrEnum):
    NGAP = "NGAP"  # lettre clé × coefficient
    CCAM = "CCAM"  # tarif par grille, activité, phase
    COX = "COX"  # consultations obligatoires de l'enfant (valued like NGAP keys)


class NatureAssurance(StrEnum):
    MALADIE = "maladie"
    MATERNITE = "maternite"
    AT = "at"  # accident du travail / maladie professionnelle
    SMG = "smg"  # soins médicaux gratuits (art. L212-1 CPMIVG)


class Parcours(StrEnum):
    MEDECIN_TRAITANT = "medecin_traitant"
    ADRESSE_PAR_MT = "adresse_par_mt"
    URGENCE = "urgence"
    HORS_RESIDENCE = "hors_residence"
    GENERALISTE_RECEMMENT_INSTALLE = "generaliste_recemment_installe"
    ZONE_SOUS_MEDICALISEE = "zone_sous_medicalisee"
    ACCES_DIRECT = "acces_direct"
    MOINS_16_ANS = "moins_16_ans"
    NON_CONCERNE = "non_concerne"
    HORS_PARCOURS = "hors_parcours"  # non-respect du parcours de soins


class Qualificatif(StrEnum):
    """Qualificatif de la dépense (manuel eS-KAP+ « Qualificatif de dépense »)."""

    A = "A"  # dépassement autorisé (DA, hors parcours, secteur 1)
    E = "E"  # exigence particulière du patient (DE)
    N = "N"  # non remboursable
    G = "G"  # gratuit
    D = "D"  # dépassement d'honoraires (secteur 2)


class Exo(StrEnum):
    """Justificatif d'exonération du ticket modérateur (docs/rules.md §D.2)."""

    NONE = "0"  # pas d'exonération
    SOINS_PARTICULIERS = "3"  # soins particuliers exonérés
    ALD = "4"  # soins en rapport avec l'ALD (protocole)
    ASSURE_EXONERE = "5"  # assuré ou bénéficiaire exonéré (invalidité, rente AT ≥ 66.66 %…)
    PREVENTION = "7"  # soins exonérés, dispositif de prévention
    FSV = "9"  # FSV / FSI / autres (confidence L)


class Gestion(StrEnum):
    UNIQUE = "unique"  # the caisse pays the AMC share too (one payer)
    SEPAREE = "separee"  # the AMC organism pays its share itself


class Grid(StrEnum):
    """CCAM price columns (docs/rules.md §B.5)."""

    SECTEUR1_OPTAM = "secteur1_optam"
    HORS_SECTEUR1_HORS_OPTAM = "hors_secteur1_hors_optam"


class IkZone(StrEnum):
    """Zone of an indemnité kilométrique (NGAP art. 13 C): IK plaine, IKM montagne, IKS pied/ski."""

    PLAINE = "plaine"
    MONTAGNE = "montagne"
    PIED_SKI = "pied_ski"


class SortantC2S(StrEnum):
    """Sortants de la Complémentaire santé solidaire (dossier LOGOSw « Les sortants de CSS »)."""

    NON = "non"
    # SESAM-Vitale sense, AMC 55555551: no complementary cover, tiers payant on the AMO part only.
    TIERS_PAYANT_AMO = "55555551"
    # Legislative sense: one-year « contrat de sortie » with the organism that managed the C2S;
    # « fonctionnement identique à la CSS » (covers the TM up to 100 % of the tarif).
    CONTRAT_SORTIE = "contrat_sortie"
