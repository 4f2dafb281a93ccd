"""``casework history`` shows an immediate termination loudly: a ``!!!`` line under each of its
events, naming the grounds and the two managers (issue 18)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import casework
from casework.bootstrap import bootstrap
from casework.domain.actors import Actor, Role
from casework.domain.escalation import ApproveImmediateTermination, ProposeImmediateTermination
from casework.domain.providers import RegisterProvider
from casework.settings import Settings


def test_history_prints_an_alert_line_for_an_immediate_termination(tmp_path: Path) -> None:
    db = tmp_path / "casework.db"
    cw = bootstrap(Settings(database_url=f"sqlite:///{db}", scheduler_enabled=False))
    ann, ben = Actor("ann", Role.manager), Actor("ben", Role.manager)
    try:
        pid = cw.application.execute(
            RegisterProvider(name="Rowan House", service_type="care_home_nursing"), ann).aggregate_id
        cw.application.execute(ProposeImmediateTermination(
            provider_id=pid, grounds="loss of CQC registration",
            reason="CQC cancelled the registration"), ann)
        cw.application.execute(ApproveImmediateTermination(provider_id=pid), ben)
    finally:
        cw.close()
    # this checkout's casework, whatever the working directory (PYTHONPATH=src is relative)
    src = str(Path(casework.__file__).resolve().parents[1])
    env = {**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{db}", "CASEWORK_LOG_LEVEL": "WARNING",
           "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "casework.cli", "history", pid], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=180, check=False)
    assert out.returncode == 0, out.stderr
    alerts = [line.strip() for line in out.stdout.splitlines() if line.strip().startswith("!!!")]
    assert alerts == [
        "!!!      IMMEDIATE TERMINATION PROPOSED for a serious breach (loss of CQC registration): "
        "awaits a second manager",
        "!!!      IMMEDIATE TERMINATION APPROVED (loss of CQC registration): proposed by ann, "
        "approved by ben",
        "!!!      CONTRACT TERMINATED IMMEDIATELY for a serious breach (loss of CQC registration), "
        "without a final notice running its course",
    ]
