"""The ``casework`` command line."""
