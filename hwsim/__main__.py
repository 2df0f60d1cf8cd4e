"""``python -m hwsim`` runs the command line."""

from hwsim.cli.main import console_main

console_main()
