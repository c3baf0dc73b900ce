"""The lock (requirements/*.txt) says what setup.cfg says, with a hash for every package."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "requirements" / "check_lock.py"


def check(setup_cfg: Path, folder: Path = ROOT / "requirements") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), str(setup_cfg), str(folder)], capture_output=True, text=True)


def test_the_committed_lock_matches_setup_cfg():
    result = check(ROOT / "setup.cfg")
    assert result.returncode == 0, result.stderr


def test_a_pin_changed_without_make_lock_fails_naming_both_versions(tmp_path):
    changed = tmp_path / "setup.cfg"
    changed.write_text((ROOT / "setup.cfg").read_text().replace("pypdf==7.1.0", "pypdf==7.0.0"))
    result = check(changed)
    assert result.returncode == 1
    assert "runtime.txt: setup.cfg pins pypdf==7.0.0, the lock has 7.1.0" in result.stderr
    assert "run `make lock`" in result.stderr


def test_a_requirement_added_or_removed_without_make_lock_fails(tmp_path):
    text = (ROOT / "setup.cfg").read_text()
    added = tmp_path / "added.cfg"
    added.write_text(text.replace("    pypdf==7.1.0\n", "    pypdf==7.1.0\n    requests==2.32.3\n"))
    assert "requests==2.32.3 is in setup.cfg but not in the lock" in check(added).stderr
    removed = tmp_path / "removed.cfg"
    removed.write_text(text.replace("    croniter==7.0.0\n", ""))
    assert "runtime.txt: croniter came from setup.cfg but setup.cfg no longer asks for it" in check(removed).stderr


def test_demo_and_test_packages_stay_out_of_the_runtime_lock(tmp_path):
    runtime = (ROOT / "requirements" / "runtime.txt").read_text()
    assert "time-machine==" not in runtime and "pytest==" not in runtime
    assert "time-machine==" in (ROOT / "requirements" / "demo.txt").read_text()
    folder = tmp_path / "requirements"
    folder.mkdir()
    for name in ("runtime.txt", "demo.txt", "test.txt"):
        (folder / name).write_text((ROOT / "requirements" / name).read_text())
    (folder / "runtime.txt").write_text(runtime + "time-machine==3.6.0 \\\n    --hash=sha256:00\n")
    assert "runtime.txt: time-machine is a demo/test package" in check(ROOT / "setup.cfg", folder).stderr


def test_every_locked_package_has_a_hash():
    for name in ("runtime.txt", "demo.txt", "test.txt"):
        text = (ROOT / "requirements" / name).read_text()
        entries = re.split(r"\n(?=[a-z0-9])", text.split("\n", 2)[2])
        assert len(entries) > 20
        for entry in entries:
            assert "==" in entry and "--hash=sha256:" in entry, f"{name}: {entry.splitlines()[0]} has no hash"
