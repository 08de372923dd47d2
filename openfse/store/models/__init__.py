"""SQLAlchemy models of the cabinet's data (SQLAlchemy 2 typed mappings on ``Base``).

Every table except ``cabinet`` carries ``cabinet_id`` (``CabinetScoped``). Importing this
package registers all the tables in ``Base.metadata``.
"""

from openfse.store.models.access import LoginFailure, PendingAccess, WebSession
from openfse.store.models.cabinet import AppUser, Cabinet, Preference
from openfse.store.models.common import (
    AmcGestion,
    DataSource,
    ProfessionalKind,
    Sex,
    UserRole,
)
from openfse.store.models.coverage import Ald, AmcCoverage, AmoCoverage
from openfse.store.models.family import FamilyLink, FamilyRelation
from openfse.store.models.favourite import Favourite, FavouriteAct
from openfse.store.models.invoice import (
    Invoice,
    InvoiceAct,
    InvoiceAttachment,
    InvoiceNumberCounter,
    InvoicePayment,
    ShareDecision,
    ShareTransfer,
)
from openfse.store.models.invoice_desk import InvoiceIdempotencyKey, PreparedInvoice
from openfse.store.models.organism import AmcOrganism, AmoOrganism
from openfse.store.models.patient import InvalidBirthDate, Patient, birth_date_from_text
from openfse.store.models.pending import PendingResult
from openfse.store.models.professional import Prescriber, Professional, ReplacementDay
from openfse.store.models.transmission import (
    Lot,
    LotInvoice,
    LotStatus,
    PaymentReturnLine,
    ReceivedDocument,
    ReturnLineStatus,
    SentMessage,
    TransmissionRun,
)

__all__ = [
    "Ald",
    "AmcCoverage",
    "AmcGestion",
    "AmcOrganism",
    "AmoCoverage",
    "AmoOrganism",
    "AppUser",
    "Cabinet",
    "DataSource",
    "FamilyLink",
    "FamilyRelation",
    "Favourite",
    "FavouriteAct",
    "InvalidBirthDate",
    "Invoice",
    "InvoiceAct",
    "InvoiceAttachment",
    "InvoiceIdempotencyKey",
    "InvoiceNumberCounter",
    "InvoicePayment",
    "Lot",
    "LotInvoice",
    "LoginFailure",
    "LotStatus",
    "Patient",
    "PaymentReturnLine",
    "PendingAccess",
    "PendingResult",
    "Preference",
    "PreparedInvoice",
    "Prescriber",
    "Professional",
    "ProfessionalKind",
    "ReceivedDocument",
    "ReplacementDay",
    "ReturnLineStatus",
    "SentMessage",
    "TransmissionRun",
    "Sex",
    "ShareDecision",
    "ShareTransfer",
    "UserRole",
    "WebSession",
    "birth_date_from_text",
]
