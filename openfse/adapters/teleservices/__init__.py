"""Teleservices: ADRi (AMO rights of the day), Inter-AMC directory, AMC attestation 2D codes.

Services use the ports of :mod:`openfse.adapters.teleservices.port`; the backend (simulated
HTTP service or in-process data set) is chosen by configuration in
:mod:`openfse.services.teleservices`.
"""
