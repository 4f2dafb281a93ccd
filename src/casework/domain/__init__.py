"""The pure casework domain: lifecycles, commands, decide/evolve per aggregate, and the
Application (command bus) in ``casework.domain.application``. Nothing runs on import."""
