"""Reference tables with effective dates (pure: no database, no network, no clock).

One module per table, each reading its own copy of the data shipped in ``data/`` (see
``data/SOURCES.md`` for provenance and the ``tools/update/`` command regenerating each file):

- ``ngap``: NGAP letter keys and COx codes per profession and zone, with dates;
- ``codes``: SESAM-Vitale code lists (nature d'assurance, exonération, parcours de soins…);
- ``amc_formulas``: the AMC formulas (012, 02A, 052…) and their evaluation;
- ``organisms``: AMO régimes and caisses, AMC organisms (defaults seeding the database);
- ``professions``: professions and médecin spécialités with their official codes;
- ``_dated``: the shared date-effective table (``DatedTable``) and data-file reading.

A lookup of a dated value always takes the date of care as an argument (``on``). Import the
module you need (``from openfse.referentials import ngap``); this package imports nothing
eagerly so that each table is read only when first used.
"""
