"""Pydantic models of the API's bodies, shared by several routers (``fields``: the typed
values of the forms) or adopted by a router (``invoices``)."""
