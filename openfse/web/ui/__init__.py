"""The French web UI: one router module per menu; ``ROUTERS`` is their inclusion order.

``home`` comes last: it answers the menus not built yet with its ``/{menu}`` catch-all.
"""

from openfse.web.ui import (
    audit,
    cabinet_settings,
    favourites,
    home,
    invoice,
    invoices,
    patient_amc,
    patients,
    prescribers,
    professionals,
    profiles,
    settings_sv,
    shares,
    start,
    teletransmission,
)

ROUTERS = (
    patients.router,
    patient_amc.router,
    invoice.router,
    invoices.router,
    shares.router,
    start.router,
    professionals.router,
    prescribers.router,
    favourites.router,
    profiles.router,
    cabinet_settings.router,
    settings_sv.router,
    teletransmission.router,
    audit.router,
    home.router,
)
