#!/usr/bin/python3
"""Renders every overlay of deploy/k8s with `kubectl kustomize` and checks the objects.

Usage: check_k8s_overlays.py --source DEPLOY_K8S_DIR --container-settings CASESERVER_CONF
                             [--caseserver BINARY]

kubectl is the one on PATH; CASECOORD_EXTRA_KUBECTL (paths separated by ":") adds more, e.g. an
unpacked Debian 12 kubernetes-client (kubectl 1.20, kustomize v2.0.3) next to a newer one: every
kubectl must render every overlay, and all must render the same objects (generated names' hash
suffixes aside, as each kustomize hashes differently).

The overlays' secrets/ hold no files in git, so the tree is copied to a scratch directory and
each file a secretGenerator names is filled with a placeholder there.

Exit status: 0 when every check passes, 1 when one fails, 77 (ctest's skip) when no kubectl
exists.
"""
import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

from settings_file import read_settings

SKIP = 77
KEYS_MOUNT = "/run/secrets/casecoord"
# Settings naming files that must reach caseserver through the in-memory keys volume.
KEY_SETTINGS = ("kek-file", "audit-key-file", "tls-key", "offsite-credentials-file")
PUBLIC_SETTINGS = ("tls-cert", "tls-client-ca")
GENERATED = re.compile(
    r"\b(caseserver-(?:config|municipality|keys|tls|client-ca))-[a-z0-9]{8,10}\b")


class Checks:
    def __init__(self):
        self.passed = 0
        self.failures = []

    def expect(self, condition, where, what):
        if condition:
            self.passed += 1
        else:
            self.failures.append(f"{where}: {what}")
        return condition


def kubectls():
    found = []
    on_path = shutil.which("kubectl")
    if on_path:
        found.append(on_path)
    for extra in os.environ.get("CASECOORD_EXTRA_KUBECTL", "").split(":"):
        if extra:
            found.append(extra)
    return found


def kubectl_version(kubectl):
    """"kubectl v1.20.2" from either form of `kubectl version --client`."""
    run = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True)
    found = re.search(r'GitVersion:"(v[^"]+)"|Client Version: (v\d\S*)', run.stdout)
    return f"kubectl {found.group(1) or found.group(2)}" if found else kubectl


def fill_placeholder_secrets(overlay_dir):
    with open(os.path.join(overlay_dir, "kustomization.yaml"), encoding="utf-8") as f:
        kustomization = yaml.safe_load(f)
    for generator in kustomization.get("secretGenerator") or []:
        for entry in generator.get("files") or []:
            path = os.path.join(overlay_dir, entry.split("=", 1)[-1])
            if not os.path.exists(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(f"placeholder for {os.path.basename(path)}, not a key\n")


def render(kubectl, overlay_dir):
    run = subprocess.run([kubectl, "kustomize", overlay_dir], capture_output=True, text=True)
    if run.returncode != 0:
        return None, run.stderr
    return [doc for doc in yaml.safe_load_all(run.stdout) if doc], run.stderr


def by_kind(objects, kind):
    return [o for o in objects if o.get("kind") == kind]


def named(objects, kind, name):
    for o in by_kind(objects, kind):
        if o["metadata"]["name"] == name:
            return o
    return None


def pod_templates(objects):
    """(where, pod spec, names of its volume claim templates) of every workload."""
    templates = []
    for s in by_kind(objects, "StatefulSet"):
        claims = [c["metadata"]["name"] for c in s["spec"].get("volumeClaimTemplates") or []]
        templates.append((f"StatefulSet/{s['metadata']['name']}", s["spec"]["template"]["spec"],
                          claims))
    for c in by_kind(objects, "CronJob"):
        templates.append((f"CronJob/{c['metadata']['name']}",
                          c["spec"]["jobTemplate"]["spec"]["template"]["spec"], []))
    return templates


def selects(selector, labels):
    match = (selector or {}).get("matchLabels", {})
    return all(labels.get(k) == v for k, v in match.items()) and not (
        selector or {}).get("matchExpressions")


def normalized(objects):
    text = GENERATED.sub(r"\1-HASH", yaml.safe_dump_all(objects, sort_keys=True))
    docs = [doc for doc in yaml.safe_load_all(text) if doc]
    return sorted(docs, key=lambda o: (o["kind"], o["metadata"]["name"]))


def check_statefulset(objects, checks, where, settings):
    sets = by_kind(objects, "StatefulSet")
    if not checks.expect(len(sets) == 1, where, f"{len(sets)} StatefulSets, want exactly 1"):
        return None
    s = sets[0]
    spec = s["spec"]
    checks.expect(spec.get("replicas") == 1, where, "StatefulSet replicas must be 1 (one writer)")
    claims = [c["metadata"]["name"] for c in spec.get("volumeClaimTemplates") or []]
    checks.expect(len(claims) == 1, where, "StatefulSet needs one volumeClaimTemplate")
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    checks.expect(selects(spec["selector"], labels), where, "selector does not match pod labels")
    service = named(objects, "Service", spec.get("serviceName", ""))
    checks.expect(service is not None and service["spec"].get("clusterIP") == "None", where,
                  "serviceName must name a rendered headless Service")
    main = [c for c in pod["containers"] if c["name"] == "caseserver"]
    if not checks.expect(len(main) == 1, where, "no container named caseserver"):
        return s
    container = main[0]
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    checks.expect(mounts.get("/var/lib/casecoord") in claims, where,
                  "/var/lib/casecoord is not the volume claim")
    for setting in ("data-dir", "backup-dir", "restore-dir"):
        checks.expect(settings.get(setting, "").startswith("/var/lib/casecoord/"), where,
                      f"{setting} is not on the volume")
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                        ("readinessProbe", "/readyz")):
        get = (container.get(probe) or {}).get("httpGet") or {}
        checks.expect(get.get("path") == path and get.get("scheme") == "HTTPS", where,
                      f"{probe} must GET {path} over HTTPS, got {get}")
        port = get.get("port")
        checks.expect(ports.get(port, port) == int(settings["http-listen"].rsplit(":", 1)[1]),
                      where, f"{probe} port {port} is not http-listen's")
    startup = container.get("startupProbe") or {}
    checks.expect(startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3) >= 600,
                  where, "startupProbe allows less than 10 minutes: start-up may migrate")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    needed = (int(settings["drain-ms"]) + int(settings["shutdown-grace-ms"])) / 1000 + 15
    checks.expect(grace >= needed, where,
                  f"terminationGracePeriodSeconds {grace} < drain + grace + 15 s ({needed})")
    return s


def check_pdb(objects, checks, where, statefulset):
    pdbs = by_kind(objects, "PodDisruptionBudget")
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    mine = [p for p in pdbs if selects(p["spec"].get("selector"), labels)]
    if not checks.expect(len(mine) == 1, where, "want one PodDisruptionBudget for caseserver"):
        return
    spec = mine[0]["spec"]
    # With one replica, minAvailable 1 or maxUnavailable 0 refuses every eviction: drains hang.
    blocks = spec.get("maxUnavailable") in (0, "0", "0%") or (
        "minAvailable" in spec and spec["minAvailable"] not in (0, "0", "0%"))
    checks.expect(not blocks, where, f"the budget blocks every node drain: {spec}")


def check_network_policies(objects, checks, where, statefulset, settings):
    policies = by_kind(objects, "NetworkPolicy")
    checks.expect(any(p["spec"].get("podSelector") == {} and "Ingress" in p["spec"].get(
        "policyTypes", []) and not p["spec"].get("ingress") for p in policies), where,
                  "no default-deny ingress policy for the namespace")
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    mine = [p for p in policies if p["spec"].get("podSelector") and
            selects(p["spec"]["podSelector"], labels)]
    if not checks.expect(len(mine) == 1, where, "want one NetworkPolicy selecting caseserver"):
        return
    rules = mine[0]["spec"].get("ingress") or []
    port_of = lambda s: int(settings[s].rsplit(":", 1)[1])
    admitted = {}  # port -> list of peers
    for rule in rules:
        peers = rule.get("from") or []
        checks.expect(peers != [], where, "an ingress rule without 'from' admits everyone")
        for peer in peers:
            checks.expect("ipBlock" not in peer, where, "an ipBlock peer")
            checks.expect("namespaceSelector" in peer and peer["namespaceSelector"].get(
                "matchLabels"), where, "a peer without a namespace selector (same namespace or all)")
        for port in rule.get("ports") or []:
            admitted.setdefault(port["port"], []).extend(peers)
    namespace_of = lambda peer: peer["namespaceSelector"]["matchLabels"].get(
        "kubernetes.io/metadata.name")
    for setting in ("listen", "http-listen"):
        peers = admitted.get(port_of(setting), [])
        checks.expect(peers and all(namespace_of(p) == "ingress-nginx" for p in peers), where,
                      f"{setting} port must be admitted from the ingress namespace only: {peers}")
    metrics = admitted.get(port_of("metrics-listen"), [])
    checks.expect(metrics and all(namespace_of(p) == "monitoring" and p.get("podSelector")
                                  for p in metrics), where,
                  f"metrics port must be admitted from monitoring's Prometheus only: {metrics}")
    checks.expect(set(admitted) == {port_of(s) for s in ("listen", "http-listen",
                                                         "metrics-listen")}, where,
                  f"admitted ports {sorted(admitted)} are not exactly caseserver's three")


def check_references(objects, checks, where):
    """Every ConfigMap and Secret a pod uses is rendered, and every key it selects exists."""
    for workload, pod, claims in pod_templates(objects):
        at = f"{where} {workload}"
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in pod.get("initContainers", []) + pod["containers"]:
            for mount in container.get("volumeMounts", []):
                checks.expect(mount["name"] in volumes or mount["name"] in claims, at,
                              f"{container['name']} mounts undefined volume {mount['name']}")
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    checks.expect(named(objects, "ConfigMap", source["configMapRef"]["name"]), at,
                                  f"envFrom ConfigMap {source['configMapRef']['name']} not rendered")
                if "secretRef" in source:
                    checks.expect(named(objects, "Secret", source["secretRef"]["name"]), at,
                                  f"envFrom Secret {source['secretRef']['name']} not rendered")
            for env in container.get("env", []):
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    secret = named(objects, "Secret", ref["name"])
                    checks.expect(secret and ref["key"] in secret.get("data", {}), at,
                                  f"env {env['name']}: Secret {ref['name']} key {ref['key']}")
        for volume in volumes.values():
            checks.expect("hostPath" not in volume, at, f"hostPath volume {volume['name']}")
            if "configMap" in volume:
                checks.expect(named(objects, "ConfigMap", volume["configMap"]["name"]), at,
                              f"volume {volume['name']}: ConfigMap not rendered")
            if "secret" in volume:
                secret = named(objects, "Secret", volume["secret"]["secretName"])
                if checks.expect(secret, at, f"volume {volume['name']}: Secret "
                                 f"{volume['secret']['secretName']} not rendered"):
                    for item in volume["secret"].get("items", []):
                        checks.expect(item["key"] in secret.get("data", {}), at,
                                      f"volume {volume['name']}: no key {item['key']}")


def check_security(objects, checks, where):
    for workload, pod, _ in pod_templates(objects):
        at = f"{where} {workload}"
        pod_context = pod.get("securityContext", {})
        checks.expect(pod.get("automountServiceAccountToken") is False, at,
                      "the service account token is mounted")
        checks.expect(not pod.get("hostNetwork") and not pod.get("hostPID"), at, "host namespaces")
        for container in pod.get("initContainers", []) + pod["containers"]:
            context = dict(pod_context, **container.get("securityContext", {}))
            name = f"{at} container {container['name']}"
            checks.expect(context.get("runAsNonRoot") is True, name, "runAsNonRoot is not true")
            checks.expect(context.get("runAsUser", 0) != 0, name, "runs as uid 0")
            checks.expect(context.get("readOnlyRootFilesystem") is True, name,
                          "the root file system is writable")
            checks.expect(context.get("allowPrivilegeEscalation") is False, name,
                          "privilege escalation allowed")
            caps = context.get("capabilities", {})
            checks.expect("ALL" in caps.get("drop", []) and not caps.get("add"), name,
                          "capabilities not dropped")
            checks.expect(context.get("seccompProfile", {}).get("type") == "RuntimeDefault", name,
                          "seccomp profile is not RuntimeDefault")
            resources = container.get("resources", {})
            for kind in ("cpu", "memory"):
                checks.expect(kind in resources.get("requests", {}), name, f"no {kind} request")
            checks.expect("memory" in resources.get("limits", {}), name, "no memory limit")
            image = container.get("image", "")
            checks.expect("/" in image and ":" in image.rsplit("/", 1)[-1], name,
                          f"image {image!r} was not set by the images transformer")


def install_targets(script):
    """{target file name: mode} of `install -m MODE SRC... DIR/` or `install -m MODE SRC DST`."""
    targets = {}
    for line in re.sub(r"\\\n\s*", " ", script).splitlines():
        words = line.split()
        if len(words) < 5 or words[0] != "install" or words[1] != "-m":
            continue
        mode, sources, destination = words[2], words[3:-1], words[-1]
        if destination.endswith("/"):
            for source in sources:
                targets[(destination, source)] = mode
        else:
            targets[destination] = mode
    return targets


def check_keys_volume(objects, checks, where, settings):
    """The key files the settings name are copied into memory with no group or other bits."""
    for workload, pod, _ in pod_templates(objects):
        at = f"{where} {workload}"
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        main = pod["containers"][0]
        keys_volume = next((m["name"] for m in main.get("volumeMounts", [])
                            if m["mountPath"] == KEYS_MOUNT), None)
        if not checks.expect(keys_volume, at, f"nothing mounted at {KEYS_MOUNT}"):
            continue
        checks.expect(volumes.get(keys_volume, {}).get("emptyDir", {}).get("medium") == "Memory", at,
                      f"{KEYS_MOUNT} is not an in-memory emptyDir")
        installed = {}
        for init in pod.get("initContainers", []):
            source_dirs = {m["mountPath"]: volumes.get(m["name"], {})
                           for m in init.get("volumeMounts", [])}
            for target, mode in install_targets("\n".join(init.get("command", []))).items():
                if isinstance(target, tuple):  # SRC_DIR/* DIR/: every key of the mounted Secret
                    destination, source = target
                    volume = source_dirs.get(source.rstrip("/*"), {})
                    secret = named(objects, "Secret", volume.get("secret", {}).get("secretName"))
                    for key in (secret or {}).get("data", {}):
                        installed[destination + key] = mode
                else:
                    installed[target] = mode
        is_drill = workload.startswith("CronJob")
        for setting in KEY_SETTINGS + PUBLIC_SETTINGS:
            path = settings.get(setting, "")
            if is_drill and setting in ("tls-key", "tls-cert"):
                continue  # the drill serves nothing
            checks.expect(path.startswith(KEYS_MOUNT + "/"), at, f"{setting} is not under {KEYS_MOUNT}")
            if setting in KEY_SETTINGS:
                checks.expect(installed.get(path) in ("0400", "0600"), at,
                              f"{setting} {path}: installed with mode {installed.get(path)}")
            else:
                checks.expect(path in installed, at, f"{setting} {path} is not installed")
        if is_drill:
            checks.expect(settings["tls-key"] not in installed, at, "the drill gets the TLS key")


def check_restore_drill(objects, checks, where):
    jobs = by_kind(objects, "CronJob")
    if not checks.expect(len(jobs) == 1, where, "want one CronJob (the restore drill)"):
        return
    job = jobs[0]["spec"]
    fields = job["schedule"].split()
    checks.expect(len(fields) == 5 and fields[4] != "*" and fields[2] == "*" and fields[3] == "*",
                  where, f"schedule {job['schedule']!r} is not weekly")
    checks.expect(job.get("concurrencyPolicy") == "Forbid", where, "drills may overlap")
    pod = job["jobTemplate"]["spec"]["template"]["spec"]
    command = " ".join(pod["containers"][0].get("command", []) + pod["containers"][0].get("args", []))
    checks.expect("backup verify-offsite --scratch /scratch" in command, where,
                  f"the drill does not run verify-offsite into /scratch: {command}")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    scratch = next((m["name"] for m in pod["containers"][0].get("volumeMounts", [])
                    if m["mountPath"] == "/scratch"), None)
    checks.expect(scratch and "emptyDir" in volumes.get(scratch, {}), where,
                  "/scratch is not an emptyDir")
    checks.expect(not any("persistentVolumeClaim" in v for v in volumes.values()), where,
                  "the drill mounts a volume claim (the live data?)")


def check_overlay(objects, checks, where, settings, container_settings):
    namespaces = by_kind(objects, "Namespace")
    checks.expect(len(namespaces) == 1, where, "want the overlay's Namespace object")
    namespace = namespaces[0]["metadata"]["name"] if namespaces else None
    for o in objects:
        if o["kind"] != "Namespace":
            checks.expect(o["metadata"].get("namespace") == namespace, where,
                          f"{o['kind']}/{o['metadata']['name']} is not in namespace {namespace}")
    config_maps = by_kind(objects, "ConfigMap")
    conf = [c for c in config_maps if "caseserver.conf" in c.get("data", {})]
    if checks.expect(len(conf) == 1, where, "no ConfigMap with caseserver.conf"):
        checks.expect(conf[0]["data"]["caseserver.conf"] == container_settings, where,
                      "the ConfigMap's caseserver.conf differs from deploy/container/caseserver.conf")
    env = {}
    for c in config_maps:
        for key, value in c.get("data", {}).items():
            if key.startswith("CASECOORD_"):
                env[key] = value
    checks.expect(env.get("CASECOORD_MUNICIPALITY"), where, "no CASECOORD_MUNICIPALITY")
    checks.expect(env.get("CASECOORD_OFFSITE_TARGET", "").startswith("s3://"), where,
                  "no s3:// CASECOORD_OFFSITE_TARGET")
    statefulset = check_statefulset(objects, checks, where, settings)
    if statefulset:
        check_pdb(objects, checks, where, statefulset)
        check_network_policies(objects, checks, where, statefulset, settings)
    check_references(objects, checks, where)
    check_security(objects, checks, where)
    check_keys_volume(objects, checks, where, settings)
    check_restore_drill(objects, checks, where)
    return namespace, env


def check_settings_known(caseserver, names, checks):
    run = subprocess.run([caseserver, "settings"], capture_output=True, text=True)
    known = set(re.findall(r"^--([a-z0-9-]+) ", run.stdout, re.M))
    checks.expect(run.returncode == 0 and known, "caseserver settings", run.stderr)
    for where, name in names:
        checks.expect(name in known, where, f"unknown setting {name!r}")


def check_no_committed_secrets(source, checks):
    """Only the README of each overlay's secrets/ may be in git: never a key."""
    git = shutil.which("git")
    if not git:
        return
    run = subprocess.run([git, "-C", source, "ls-files", "--", "overlays/*/secrets/*"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        return  # not a git checkout
    tracked = [f for f in run.stdout.split() if os.path.basename(f) != "README.md"]
    checks.expect(not tracked, "git", f"key or certificate files committed: {tracked}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--container-settings", required=True)
    parser.add_argument("--caseserver")
    args = parser.parse_args()

    binaries = kubectls()
    if not binaries:
        print("SKIP: no kubectl (deploy/install-deps.sh installs kubernetes-client)")
        return SKIP
    checks = Checks()
    with open(args.container_settings, encoding="utf-8") as f:
        container_settings = f.read()
    settings = read_settings(args.container_settings)
    check_no_committed_secrets(args.source, checks)
    scratch = tempfile.mkdtemp(prefix="casecoord-k8s-")
    try:
        tree = os.path.join(scratch, "k8s")
        shutil.copytree(args.source, tree)
        overlays = sorted(d for d in os.listdir(os.path.join(tree, "overlays"))
                          if os.path.isfile(os.path.join(tree, "overlays", d, "kustomization.yaml")))
        checks.expect(len(overlays) >= 2, "overlays", f"want two or more, found {overlays}")
        seen = {}
        for overlay in overlays:
            directory = os.path.join(tree, "overlays", overlay)
            fill_placeholder_secrets(directory)
            renders = []
            for kubectl in binaries:
                where = f"{overlay} ({kubectl_version(kubectl)})"
                objects, errors = render(kubectl, directory)
                if not checks.expect(objects is not None, where, f"render failed: {errors}"):
                    continue
                renders.append((where, objects))
                namespace, env = check_overlay(objects, checks, where, settings, container_settings)
            if not renders:
                continue
            first_where, first = renders[0]
            for where, objects in renders[1:]:
                checks.expect(normalized(objects) == normalized(first), where,
                              f"renders other objects than {first_where}")
            seen[overlay] = (namespace, env)
        for a in seen:
            for b in seen:
                if a >= b:
                    continue
                (ns_a, env_a), (ns_b, env_b) = seen[a], seen[b]
                pair = f"{a} and {b}"
                checks.expect(ns_a != ns_b, pair, f"share namespace {ns_a}")
                target_a = env_a.get("CASECOORD_OFFSITE_TARGET", "")
                target_b = env_b.get("CASECOORD_OFFSITE_TARGET", "")
                # One prefix inside the other would let one municipality's copies mix with
                # (and be pruned with) the other's.
                checks.expect(not target_a.startswith(target_b) and not target_b.startswith(target_a),
                              pair, f"off-site prefixes overlap: {target_a} {target_b}")
                checks.expect(env_a.get("CASECOORD_MUNICIPALITY") != env_b.get(
                    "CASECOORD_MUNICIPALITY"), pair, "same municipality name")
        if args.caseserver:
            names = [("deploy/container/caseserver.conf", n) for n in settings]
            for overlay, (_, env) in seen.items():
                for variable in env:
                    names.append((overlay, variable[len("CASECOORD_"):].lower().replace("_", "-")))
            check_settings_known(args.caseserver, names, checks)
    finally:
        shutil.rmtree(scratch)

    for failure in checks.failures:
        print("FAIL", failure)
    print(f"kubectl: {', '.join(kubectl_version(k) for k in binaries)}")
    print(f"checks passed: {checks.passed}; failed: {len(checks.failures)}")
    return 0 if not checks.failures else 1


if __name__ == "__main__":
    sys.exit(main())
