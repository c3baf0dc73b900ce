"""Does the lock still say what setup.cfg says? (`make test` runs this first; it reads files only.)

`make lock` compiles setup.cfg into three files with uv: runtime.txt (install_requires),
demo.txt (+ the `demo` extra) and test.txt (+ the `test` extra). Someone who changes a pin
in setup.cfg and forgets `make lock` gets an install that differs from what setup.cfg says;
this check fails instead, naming each package and both versions. It checks, for each file:

- every requirement setup.cfg pins for it is in the file at the same version;
- every package the file says came from setup.cfg ("via citizens-portal") is still pinned there
  (a requirement removed from setup.cfg leaves no orphan in the lock);
- runtime.txt holds nothing that only the demo or the tests need.

Usage: python requirements/check_lock.py [SETUP_CFG [REQUIREMENTS_DIR]]; exit status 1 on a mismatch.
"""
from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOCKS = {"runtime.txt": (), "demo.txt": ("demo",), "test.txt": ("test",)}
PIN = re.compile(r"^\s*([A-Za-z0-9._-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")
LOCKED = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def normalise(name: str) -> str:
    """PEP 503: Flask-WTF, flask_wtf and flask.wtf are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """name -> version of each `name==version` line of a setup.cfg list (comments skipped)."""
    found = {}
    for line in text.splitlines():
        match = PIN.match(line.split("#", 1)[0])
        if match:
            found[normalise(match[1])] = match[2]
        elif line.strip() and not line.strip().startswith("#"):
            raise SystemExit(f"setup.cfg: {line.strip()!r} is not pinned exactly (name==version)")
    return found


def read_lock(path: Path) -> tuple[dict[str, str], set[str]]:
    """(name -> version of every package, names whose `# via` block names the project itself)."""
    versions, direct, current = {}, set(), None
    for line in path.read_text().splitlines():
        match = LOCKED.match(line)
        if match:
            current = normalise(match[1])
            versions[current] = match[2]
        elif current and line.strip().startswith("#") and "citizens-portal" in line:
            direct.add(current)
    return versions, direct


def problems(setup_cfg: Path, folder: Path) -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(setup_cfg)
    runtime = pins(parser["options"]["install_requires"])
    extras = {name: pins(value) for name, value in parser["options.extras_require"].items()}
    found = []
    for filename, extra_names in LOCKS.items():
        path = folder / filename
        if not path.is_file():
            found.append(f"{filename} is missing: run `make lock`")
            continue
        wanted = dict(runtime)
        for extra in extra_names:
            wanted.update(extras.get(extra, {}))
        versions, direct = read_lock(path)
        for name, version in sorted(wanted.items()):
            if name not in versions:
                found.append(f"{filename}: {name}=={version} is in setup.cfg but not in the lock")
            elif versions[name] != version:
                found.append(f"{filename}: setup.cfg pins {name}=={version}, the lock has {versions[name]}")
        for name in sorted(direct - set(wanted)):
            found.append(f"{filename}: {name} came from setup.cfg but setup.cfg no longer asks for it")
        if not extra_names:
            only_extras = {name for pinned in extras.values() for name in pinned} - set(runtime)
            for name in sorted(only_extras & set(versions)):
                found.append(f"{filename}: {name} is a demo/test package but is in the runtime lock")
    return found


def main(argv: list[str]) -> int:
    setup_cfg = Path(argv[0]) if argv else HERE.parent / "setup.cfg"
    folder = Path(argv[1]) if len(argv) > 1 else HERE
    found = problems(setup_cfg, folder)
    for problem in found:
        print(f"lock: {problem}", file=sys.stderr)
    if found:
        print("lock: setup.cfg and requirements/*.txt disagree: run `make lock` and commit requirements/", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
