from openfse.cli import main

main()
