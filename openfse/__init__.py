"""openfse — logiciel de facturation SESAM-Vitale libre."""

__version__ = "0.1.0"
