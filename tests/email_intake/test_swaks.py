"""swaks, the SMTP test tool admins reach for, against the intake server (skipped where it is not installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Actor, Source
from tests.email_intake.conftest import Mailer, alerts_of

SWAKS = shutil.which("swaks")
pytestmark = pytest.mark.skipif(SWAKS is None, reason="swaks is not installed (make test-tools installs it)")


def swaks(mailer: Mailer, to: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert SWAKS is not None
    return subprocess.run(
        [SWAKS, "--server", "127.0.0.1", "--port", str(mailer.port), "--helo", "monitor.example",
         "--from", "nagios@example.com", "--to", to, *args],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_a_swaks_mail_with_an_attachment_opens_an_alert(mailer: Mailer, inbox: Source, client: TestClient,
                                                        admin: Actor, tmp_path: Path) -> None:
    report = tmp_path / "disk-report.txt"
    report.write_text("/ 97%\n/var 40%\n")
    result = swaks(mailer, mailer.address(inbox.key), "--header", "Subject: Disk full on db-1",
                   "--body", "Disk / is 97% full.", "--attach", f"@{report}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "<-  250 2.0.0 Message accepted: alert opened" in result.stdout
    [alert] = alerts_of(client, admin, inbox)
    assert alert["summary"] == "Disk full on db-1"
    assert alert["details"] == "Disk / is 97% full.\n\nAttachments: disk-report.txt"
    assert alert["customDetails"]["from"] == "nagios@example.com"


def test_swaks_sees_550_for_an_unknown_recipient(mailer: Mailer) -> None:
    result = swaks(mailer, mailer.address("0" * 31 + "f"))
    assert result.returncode != 0
    assert "<** 550 5.1.1" in result.stdout and "unknown recipient" in result.stdout
