"""A rebuild worker process (``python -m casework.projections.rebuild_worker``): see
``casework.projections.parallel``. Its orders arrive as a pickle on standard input, from the
process that started it; its answers leave as JSON lines on standard output, and everything
else it prints (its logs) goes to standard error."""

from __future__ import annotations

import pickle
import sys
from typing import Any

import orjson


def main() -> None:
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers on the channel
    spawn, names, report_progress = pickle.load(sys.stdin.buffer)

    from casework.logs import configure_logging
    from casework.projections.parallel import work

    configure_logging(spawn.settings.log_level, stream=sys.stderr)

    def say(message: tuple[Any, ...]) -> None:
        answers.write(orjson.dumps(message) + b"\n")
        answers.flush()

    work(spawn, names, say, report_progress)


if __name__ == "__main__":
    main()
