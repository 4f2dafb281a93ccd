"""The application layer: the command bus (``bus.Application``: authorise, load, decide, append)
and its batch path (``batch.CommandBatch``) for importers and demonstration data."""

from casework.application.batch import CommandBatch
from casework.application.bus import Application, CommandResult

__all__ = ["Application", "CommandBatch", "CommandResult"]
