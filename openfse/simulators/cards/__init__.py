"""Test cards: the chip model, its APDU interface and the vpcd bridge to pcscd."""
