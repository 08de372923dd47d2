"""The JSON API (under ``/api``): one router module per resource; ``ROUTERS`` lists them."""

from openfse.web.api import (
    favourites,
    invoices,
    organisms,
    patient_amc,
    patients,
    preferences,
    prescribers,
    pricing,
    professionals,
    referentials,
    system,
    transmission,
)

ROUTERS = (
    system.router,
    referentials.router,
    pricing.router,
    invoices.router,
    patients.router,
    patient_amc.router,
    professionals.router,
    prescribers.router,
    organisms.router,
    favourites.router,
    preferences.router,
    transmission.router,
)
