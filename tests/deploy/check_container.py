#!/usr/bin/python3
"""Checks deploy/container as far as this machine can: no base image can be pulled here, so the
image is never built. Instead:

- every package of runtime-packages is a Debian 12 package (installed here, or known to apt);
- every library the built binaries name directly (ELF NEEDED) belongs to a listed package, and
  every library they load in the end (ldd) to a listed package or one of its dependencies, which
  apt installs with it (the dependency closure is read from dpkg, offline);
- the Containerfile has the shape the deployment relies on: debian:12 to build, debian:12-slim to
  run, a fixed non-root uid, the volume, the ports and health check of caseserver.conf, and the
  ENTRYPOINT the Kubernetes manifests and docs name.

Usage: check_container.py --container-dir DIR --binary PATH [--binary PATH...]
Exit status 0 when all pass, 1 when one fails, 77 (ctest's skip) off Debian 12.
"""
import argparse
import json
import os
import re
import subprocess
import sys

from settings_file import read_settings

SKIP = 77


class Checks:
    def __init__(self):
        self.passed = 0
        self.failures = []

    def expect(self, condition, what):
        if condition:
            self.passed += 1
        else:
            self.failures.append(what)
        return condition


def runtime_packages(path):
    with open(path, encoding="utf-8") as f:
        return [line.split("#", 1)[0].strip() for line in f
                if line.split("#", 1)[0].strip()]


def installed_version(package):
    run = subprocess.run(["dpkg-query", "-W", "-f", "${Status}|${Version}", package],
                         capture_output=True, text=True)
    status, _, version = run.stdout.partition("|")
    return version if run.returncode == 0 and status.endswith("installed") else None


def known_to_apt(package):
    run = subprocess.run(["apt-cache", "show", "--no-all-versions", package],
                         capture_output=True, text=True)
    return run.returncode == 0 and f"Package: {package}" in run.stdout


def owners(paths):
    """{path: owning package} for the paths dpkg knows, trying each path's /usr-merged spellings
    (a library found as /lib/... may be recorded as /usr/lib/... or the other way round). One
    dpkg run for all: each run reads the whole file list database."""
    spellings = {}
    for path in paths:
        real = os.path.realpath(path)
        for p in (path, real):
            spellings.setdefault(p, set()).add(path)
            other = p[len("/usr"):] if p.startswith("/usr/") else "/usr" + p
            spellings.setdefault(other, set()).add(path)
    run = subprocess.run(["dpkg", "-S"] + sorted(spellings), capture_output=True, text=True)
    found = {}
    for line in run.stdout.splitlines():
        packages, _, spelled = line.partition(": ")
        for path in spellings.get(spelled.strip(), ()):
            found.setdefault(path, packages.split(",")[0].split(":")[0].strip())
    return found


def dependency_closure(packages):
    """The packages and everything they Depend or Pre-Depend on, as dpkg records them."""
    closure, pending = set(), list(packages)
    while pending:
        package = pending.pop()
        if package in closure:
            continue
        closure.add(package)
        run = subprocess.run(["dpkg-query", "-W", "-f", "${Depends}, ${Pre-Depends}", package],
                             capture_output=True, text=True)
        for clause in run.stdout.split(","):
            # "a (>= 1) | b": the first alternative is what apt picks when none is installed.
            name = clause.split("|", 1)[0].strip().split(" ", 1)[0].split(":", 1)[0]
            if name:
                pending.append(name)
    return closure


def needed(binary):
    run = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True)
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run.stdout)


def loaded(binary):
    """{soname: resolved path or None} of everything ldd loads."""
    run = subprocess.run(["ldd", binary], capture_output=True, text=True)
    libraries = {}
    for line in run.stdout.splitlines():
        line = line.strip()
        if "=>" in line:
            name, rest = line.split("=>", 1)
            target = rest.strip().split(" ", 1)[0]
            libraries[name.strip()] = target if target.startswith("/") else None
        elif line.startswith("/"):
            libraries[line.split(" ", 1)[0]] = line.split(" ", 1)[0]
    return libraries


def containerfile_stages(path):
    """[(base image, [(instruction, argument text)])] with continuation lines joined."""
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, argument = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stages.append((argument.split()[0], []))
        elif stages:
            stages[-1][1].append((instruction, argument.strip()))
    return stages


def check_containerfile(directory, checks):
    settings = read_settings(os.path.join(directory, "caseserver.conf"))
    stages = containerfile_stages(os.path.join(directory, "Containerfile"))
    if not checks.expect(len(stages) == 2, f"Containerfile: want 2 stages, got {len(stages)}"):
        return
    (build_image, build), (run_image, runtime) = stages
    checks.expect(build_image.endswith("debian:12"), f"build stage FROM {build_image}")
    checks.expect(run_image.endswith("debian:12-slim"), f"runtime stage FROM {run_image}")
    build_runs = " ".join(a for i, a in build if i == "RUN")
    checks.expect("deploy/install-deps.sh" in build_runs, "the build does not run install-deps.sh")
    checks.expect("-DCASECOORD_BUILD_BENCH=OFF" in build_runs, "the build builds the benchmarks")
    checks.expect("console" in build_runs, "the build leaves out the console")
    runtime_runs = " ".join(a for i, a in runtime if i == "RUN")
    checks.expect("runtime-packages" in runtime_runs and "--no-install-recommends" in runtime_runs,
                  "the runtime stage does not install runtime-packages alone")
    checks.expect(not re.search(r"apt-get install[^&]*\b(g\+\+|cmake|-dev)\b", runtime_runs),
                  "the runtime stage installs build tools")
    users = [a for i, a in runtime if i == "USER"]
    checks.expect(len(users) == 1 and re.fullmatch(r"[1-9][0-9]{3,}:[1-9][0-9]{3,}", users[0]),
                  f"USER must be one numeric non-root uid:gid, got {users}")
    instructions = [i for i, _ in runtime]
    checks.expect("USER" in instructions and "ENTRYPOINT" in instructions and
                  instructions.index("USER") < instructions.index("ENTRYPOINT"),
                  "USER must come before ENTRYPOINT")
    volumes = [json.loads(a) if a.startswith("[") else a.split() for i, a in runtime
               if i == "VOLUME"]
    data_root = os.path.dirname(settings["data-dir"])
    checks.expect([data_root] in volumes, f"no VOLUME {data_root}")
    for setting in ("data-dir", "backup-dir", "restore-dir"):
        checks.expect(os.path.dirname(settings[setting]) == data_root,
                      f"{setting} is not on the volume {data_root}")
    ports = {int(settings[s].rsplit(":", 1)[1]) for s in ("listen", "http-listen",
                                                          "metrics-listen")}
    exposed = {int(p.split("/")[0]) for i, a in runtime if i == "EXPOSE" for p in a.split()}
    checks.expect(exposed == ports, f"EXPOSE {sorted(exposed)} is not the settings' {sorted(ports)}")
    health = [a for i, a in runtime if i == "HEALTHCHECK"]
    http_port = settings["http-listen"].rsplit(":", 1)[1]
    checks.expect(len(health) == 1 and f"https://127.0.0.1:{http_port}/healthz" in health[0],
                  f"HEALTHCHECK must GET /healthz on port {http_port}: {health}")
    entrypoints = [json.loads(a) for i, a in runtime if i == "ENTRYPOINT"]
    checks.expect(entrypoints == [["/usr/bin/caseserver", "serve", "--config",
                                   "/etc/casecoord/caseserver.conf"]],
                  f"ENTRYPOINT {entrypoints}")
    copies = [a for i, a in runtime if i == "COPY"]
    checks.expect("deploy/container/caseserver.conf /etc/casecoord/caseserver.conf" in copies,
                  "caseserver.conf is not installed as /etc/casecoord/caseserver.conf")
    for setting in ("kek-file", "audit-key-file", "tls-key", "offsite-credentials-file"):
        checks.expect(settings.get(setting, "").startswith("/run/secrets/casecoord/"),
                      f"{setting} is not read from the mounted secrets")
    checks.expect(settings.get("mode") == "production", "the image's settings are not production")
    ignore = os.path.join(directory, "Containerfile.dockerignore")
    checks.expect(os.path.exists(ignore), "no Containerfile.dockerignore")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--container-dir", required=True)
    parser.add_argument("--binary", action="append", required=True)
    args = parser.parse_args()

    try:
        with open("/etc/debian_version") as f:
            debian = f.read().strip()
    except OSError:
        debian = ""
    if not debian.startswith("12"):
        print(f"SKIP: the runtime packages are Debian 12's; this is {debian or 'not Debian'}")
        return SKIP

    checks = Checks()
    check_containerfile(args.container_dir, checks)
    packages = runtime_packages(os.path.join(args.container_dir, "runtime-packages"))
    for package in packages:
        version = installed_version(package)
        checks.expect(version or known_to_apt(package),
                      f"runtime-packages: {package} is not a Debian 12 package")
    closure = dependency_closure(packages)
    for binary in args.binary:
        name = os.path.basename(binary)
        libraries = loaded(binary)
        checks.expect(libraries, f"{name}: ldd printed nothing")
        owner = owners([p for p in libraries.values() if p])
        for soname in needed(binary):
            path = libraries.get(soname)
            package = owner.get(path)
            checks.expect(package in packages,
                          f"{name} needs {soname} ({path}, package {package}): add the package "
                          "to runtime-packages")
        for soname, path in libraries.items():
            if soname.startswith("linux-vdso") or soname.startswith("linux-gate"):
                continue
            if not checks.expect(path, f"{name}: {soname} not found"):
                continue
            checks.expect(owner.get(path) in closure,
                          f"{name} loads {path} from {owner.get(path)}, which no runtime package "
                          "brings")
    for failure in checks.failures:
        print("FAIL", failure)
    print(f"checks passed: {checks.passed}; failed: {len(checks.failures)}")
    return 0 if not checks.failures else 1


if __name__ == "__main__":
    sys.exit(main())
