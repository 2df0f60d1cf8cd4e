"""The ``hwsim`` command line: thin wrappers over the library (see ``main.py``)."""
