"""``python -m openfse.simulators.caisse --smtp-port P --pop3-port Q --data-dir D``."""

from openfse.simulators.caisse.command import main

if __name__ == "__main__":
    main()
