"""Thin repositories over the models, always filtered by ``cabinet_id``.

They return ORM objects (see ``base``); a unit of work (``openfse.store.uow``) builds them
for its session and cabinet.
"""

from openfse.store.repositories.base import (
    CabinetMismatch,
    Repository,
    SortOrder,
    conflict_from,
)
from openfse.store.repositories.favourites import FavouriteRepository
from openfse.store.repositories.journal import JournalRepository
from openfse.store.repositories.organisms import AmcOrganismRepository, AmoOrganismRepository
from openfse.store.repositories.patients import (
    AldRepository,
    AmcCoverageRepository,
    AmoCoverageRepository,
    PatientRepository,
)
from openfse.store.repositories.people import (
    CabinetRepository,
    PrescriberRepository,
    ProfessionalRepository,
    UserRepository,
)
from openfse.store.repositories.preferences import PreferenceRepository

__all__ = [
    "AldRepository",
    "AmcCoverageRepository",
    "AmcOrganismRepository",
    "AmoCoverageRepository",
    "AmoOrganismRepository",
    "CabinetMismatch",
    "CabinetRepository",
    "FavouriteRepository",
    "JournalRepository",
    "PatientRepository",
    "PreferenceRepository",
    "PrescriberRepository",
    "ProfessionalRepository",
    "Repository",
    "SortOrder",
    "UserRepository",
    "conflict_from",
]
