"""How much an ordinary command says besides its answer. A command prints what the user asked
for (and a progress bar on long work at a terminal); the logs a server keeps (``projections_
rebuilt``, ``cqc_import_done``, a line per deadline fired) stay out of the way unless asked for:

- by default, warnings and errors only;
- ``casework --verbose`` (or ``CASEWORK_LOG_LEVEL`` set in the environment): that level, INFO
  for ``--verbose``;
- ``casework --debug``: everything, and a failure's traceback (see casework.cli.errors).

``casework serve`` is a server and logs at ``CASEWORK_LOG_LEVEL`` (INFO by default)."""

from __future__ import annotations

from contextvars import ContextVar

from casework.logs import configure_logging
from casework.settings import Settings, load_settings

QUIET = "WARNING"

# Set by the root command from --debug and --verbose, for the command it runs.
_asked: ContextVar[str | None] = ContextVar("casework_cli_log_level", default=None)


def ask_for_logs(*, debug: bool, verbose: bool) -> None:
    """Record the root options: ``--debug`` asks for every log, ``--verbose`` for INFO."""
    _asked.set("DEBUG" if debug else "INFO" if verbose else None)


def command_level(settings: Settings) -> str:
    """The log level of the command being run, from the root options and the settings."""
    asked = _asked.get()
    if asked is not None:
        return asked
    if "log_level" in settings.model_fields_set:  # the user chose it in the environment
        return settings.log_level
    return QUIET


def command_settings(**overrides: object) -> Settings:
    """The settings of an ordinary command, with logging configured at its level. The level
    travels in the settings, so processes the command starts (rebuild workers) keep it."""
    settings = load_settings(**overrides)
    level = command_level(settings)
    configure_logging(level)
    return settings.model_copy(update={"log_level": level})


__all__ = ["ask_for_logs", "command_level", "command_settings"]
