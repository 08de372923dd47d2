"""Tests of the pricing engine (openfse.domain.pricing)."""
