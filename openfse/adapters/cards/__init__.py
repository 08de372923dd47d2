"""Smart cards: CPS, carte Vitale and appli carte Vitale behind one port.

Start at :mod:`openfse.adapters.cards.port` (the interfaces and typed errors); backends are
:mod:`~openfse.composition.simulated_cards` (in-process test cards) and
:mod:`~openfse.adapters.cards.pcsc` (pyscard), both built on
:mod:`~openfse.adapters.cards.apdu_reader` and openfse's APDU profile
(docs/formats/card-apdu.md).
"""
