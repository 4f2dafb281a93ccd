"""The pure casework domain: the aggregates (one module each: state, lifecycle, commands, decide,
evolve), the council's deadline policy and working calendar, quality frameworks and the sealing
of personal data. No database, web or scheduler code: the command bus that runs these is
``casework.application``. Nothing runs on import."""
