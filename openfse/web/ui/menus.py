"""The product's menus, in the order a professional meets them during the day (manuel eS-KAP+)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Menu:
    key: str
    label: str
    path: str
    description: str
    shortcut: str


MENUS: tuple[Menu, ...] = (
    Menu(
        "patients", "Patients", "/patients", "Rechercher, créer et mettre à jour les dossiers", "1"
    ),
    Menu(
        "facture",
        "Réaliser une facture",
        "/facture",
        "FSE et DRE : actes, parcours, tiers payant",
        "2",
    ),
    Menu("factures", "Factures", "/factures", "Factures réalisées, à signer, à sécuriser", "3"),
    Menu(
        "teletransmission",
        "Télétransmission",
        "/teletransmission",
        "Lots, envois, accusés de réception, retours de paiement",
        "4",
    ),
    Menu("prescripteurs", "Prescripteurs", "/prescripteurs", "Médecins prescripteurs", "5"),
    Menu("favoris", "Mes favoris", "/favoris", "Actes favoris insérés en une fois", "6"),
    Menu("profils", "Profils", "/profils", "Préférences de travail et de facturation", "7"),
    Menu("parametres", "Paramètres SV", "/parametres", "Organismes AMO et AMC", "8"),
    Menu(
        "professionnels",
        "Professionnels de santé",
        "/professionnels",
        "Titulaires, remplaçants et calendrier de remplacement",
        "9",
    ),
)
