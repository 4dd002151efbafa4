# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide how podman and buildah must be configured to run containers on this host.

Some hosts cannot run containers with the packages' defaults: crun refuses cgroups
in hybrid mode (v1 controllers with a v2 ``unified`` mount), and podman raises
RLIMIT_NOFILE/RLIMIT_NPROC above a hard limit the sandbox may not exceed. The
decision is pure (facts in, settings out); a probe then runs a real container.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import resource
import shutil
import tempfile

from ansible_collections.tcib.images.plugins.module_utils.task import TaskError

DROPIN_HEADER = "# Written by tcib.images build_host"

# What podman asks for as root when containers.conf sets no default_ulimits.
PODMAN_DEFAULT_NOFILE = 1048576
PODMAN_DEFAULT_NPROC = 4194304


def cgroup_mode(mountinfo_text):
    """'v2', 'hybrid' or 'v1' from the text of /proc/self/mountinfo."""
    cgroup2_points = []
    for line in mountinfo_text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields = left.split()
        if len(fields) > 4 and right.split()[:1] == ["cgroup2"]:
            cgroup2_points.append(fields[4])
    if "/sys/fs/cgroup" in cgroup2_points:
        return "v2"
    if any(point.startswith("/sys/fs/cgroup/") for point in cgroup2_points):
        return "hybrid"
    return "v1"


def host_facts():
    with open("/proc/self/mountinfo") as handle:
        mountinfo = handle.read()
    try:
        with open("/proc/1/comm") as handle:
            init = handle.read().strip()
    except (IOError, OSError):
        init = "unknown"
    return {
        "cgroup_mode": cgroup_mode(mountinfo),
        "init": init,
        "hard_nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
        "hard_nproc": resource.getrlimit(resource.RLIMIT_NPROC)[1],
    }


def _below(hard, wanted):
    return hard != resource.RLIM_INFINITY and 0 < hard < wanted


# Values tried, best first, when a hard limit is below podman's default. The host's
# hard limit is not always reachable: the sandbox may cap what the runtime can set.
ULIMIT_STEPS = {"nofile": (65536, 16384, 1024), "nproc": (32768, 4096, 1024)}


def runtime_settings(facts):
    """Runtime settings this host needs, with the reason for each."""
    if facts["cgroup_mode"] == "hybrid":
        return ({"runtime": "runc", "cgroup_manager": "cgroupfs"},
                ["cgroups in hybrid mode: crun cannot run containers, runc with cgroupfs can"])
    return {}, []


def ulimit_candidates(facts):
    """Per limit that podman would exceed, the values to try, best first."""
    candidates = {}
    for name, hard, default in (("nofile", facts["hard_nofile"], PODMAN_DEFAULT_NOFILE),
                                ("nproc", facts["hard_nproc"], PODMAN_DEFAULT_NPROC)):
        if _below(hard, default):
            candidates[name] = [hard] + [value for value in ULIMIT_STEPS[name] if value < hard]
    return candidates


def find_ulimits(candidates, works):
    """The best value of each limit with which ``works(ulimits)`` succeeds.

    Limits are searched one at a time while the others sit at their safest value.
    Returns (ulimits, reasons); raises RuntimeError when even the safest values fail.
    """
    chosen = dict((name, values[-1]) for name, values in candidates.items())
    reasons = []
    for name, values in sorted(candidates.items()):
        for value in values:
            trial = dict(chosen, **{name: value})
            if works(["%s=%d:%d" % (key, trial[key], trial[key]) for key in sorted(trial)]):
                chosen[name] = value
                break
        else:
            raise RuntimeError("no %s limit in %s lets a container start" % (name, values))
        reasons.append("hard RLIMIT_%s %d is below podman's default: containers get %d"
                       % (name.upper(), values[0], chosen[name]))
    return ["%s=%d:%d" % (key, chosen[key], chosen[key]) for key in sorted(chosen)], reasons


def _toml_value(value):
    if isinstance(value, list):
        return "[%s]" % ", ".join('"%s"' % item for item in value)
    return '"%s"' % value


def dropin_text(settings, reasons):
    """containers.conf drop-in text; empty when the host needs nothing."""
    if not settings:
        return ""
    lines = [DROPIN_HEADER + ": this host needs these settings to run containers."]
    lines += ["# - %s" % reason for reason in reasons]
    sections = (("containers", ("default_ulimits",)), ("engine", ("runtime", "cgroup_manager")))
    for section, keys in sections:
        present = [key for key in keys if key in settings]
        if present:
            lines.append("")
            lines.append("[%s]" % section)
            lines += ["%s = %s" % (key, _toml_value(settings[key])) for key in present]
    return "\n".join(lines) + "\n"


def probe_rootfs(run, binary="/usr/bin/true"):
    """A throw-away root filesystem holding one dynamically linked binary and its libraries."""
    rc, out, err = run(["ldd", binary])
    if rc != 0:
        raise RuntimeError("ldd %s failed: %s" % (binary, err))
    paths = [binary]
    for line in out.splitlines():
        for word in line.split():
            if word.startswith("/"):
                paths.append(word)
    root = tempfile.mkdtemp(prefix="tcib-probe-")
    for path in paths:
        target = os.path.join(root, path.lstrip("/"))
        if not os.path.isdir(os.path.dirname(target)):
            os.makedirs(os.path.dirname(target))
        shutil.copy2(os.path.realpath(path), target)
    return root


def podman_probe(run, root, podman="podman", global_args=(), run_args=()):
    """Error text of a real container started from root, or None when it ran."""
    argv = [podman] + list(global_args) + ["run", "--rm", "--network", "none"] + list(run_args)
    rc, out, err = run(argv + ["--rootfs", root, "/usr/bin/true"])
    return None if rc == 0 else "podman run: %s" % (err or out).strip()


def probe(run, podman="podman", buildah="buildah"):
    """Run a real container with podman and a real RUN step with buildah; errors as text."""
    errors = []
    root = probe_rootfs(run)
    try:
        error = podman_probe(run, root, podman)
        if error:
            errors.append(error)
        rc, out, err = run([buildah, "from", "scratch"])
        if rc != 0:
            errors.append("buildah from scratch: %s" % (err or out).strip())
        else:
            container = out.strip().splitlines()[-1]
            try:
                for argv in ([buildah, "copy", container, root, "/"],
                             [buildah, "run", "--network", "host", container, "/usr/bin/true"]):
                    rc, out, err = run(argv)
                    if rc != 0:
                        errors.append("%s: %s" % (" ".join(argv[:2]), (err or out).strip()))
                        break
            finally:
                run([buildah, "rm", container])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return errors


def probe_stamp(dropin, binaries):
    """What a passed probe depends on: the drop-in, the tools (by size and time) and the boot."""
    parts = [hashlib.sha256(dropin.encode("utf-8")).hexdigest()]
    for path in binaries:
        info = os.stat(path)
        parts.append("%s:%d:%d" % (path, info.st_size, int(info.st_mtime)))
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            parts.append(handle.read().strip())
    except (IOError, OSError):
        parts.append("no-boot-id")
    return "\n".join(parts)


def read_stamp(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def write_stamp(path, stamp):
    if read_stamp(path) != stamp:
        with open(path, "w") as handle:
            handle.write(stamp)


def missing_packages(run, packages):
    """Those of the packages dpkg does not have installed (dpkg-query answers in milliseconds)."""
    if not packages:
        return []
    _rc, out, _err = run(["dpkg-query", "--show", "--showformat=${db:Status-Abbrev}${Package}\n"] + list(packages))
    installed = set(line.split()[-1] for line in out.splitlines() if line.startswith("ii "))
    return [package for package in packages if package not in installed]


def make_package_cache(path, check_mode):
    """Create the shared package cache directory; True when it was (or would be) created."""
    if not path or os.path.isdir(path):
        return False
    if not check_mode:
        os.makedirs(path, 0o755)
    return True


def needed_settings(run, podman, facts):
    """Settings this host needs and why; the rlimits are found by starting real containers."""
    settings, reasons = runtime_settings(facts)
    candidates = ulimit_candidates(facts)
    if candidates:
        global_args = []
        for key in ("runtime", "cgroup_manager"):
            if key in settings:
                global_args += ["--%s" % key.replace("_", "-"), settings[key]]
        root = probe_rootfs(run)
        try:
            def works(ulimits):
                run_args = [arg for limit in ulimits for arg in ("--ulimit", limit)]
                return podman_probe(run, root, podman, global_args, run_args) is None
            settings["default_ulimits"], more = find_ulimits(candidates, works)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        reasons = reasons + more
    return settings, reasons


class HostError(Exception):
    """This host cannot run containers; the message says what failed."""


def configure(run, podman, buildah, dropin_path, stamp_path, check_mode=False, probe_after=True, write=None):
    """Make podman and buildah work on this host: the module's whole job, as plain data.

    ``write(path, text)`` replaces the drop-in (empty text removes it). Returns a dict with ``changed``,
    ``facts``, ``settings``, ``reasons``, ``before`` and ``after``; raises HostError when containers cannot
    run. A drop-in of ours that already lets containers run is kept as it is, and a probe that passed
    since boot, with these settings and these binaries (the stamp), is not repeated.
    """
    facts = host_facts()
    before = read_stamp(dropin_path) or ""
    result = dict(changed=False, facts=facts, settings={}, reasons=[], before=before, after=before)
    stamp = probe_stamp(before, [podman, buildah])
    if before.startswith(DROPIN_HEADER) and (read_stamp(stamp_path) == stamp or not probe(run, podman, buildah)):
        result["reasons"] = [line[4:] for line in before.splitlines() if line.startswith("# - ")]
        if not check_mode:
            write_stamp(stamp_path, stamp)
        return result
    try:
        settings, reasons = needed_settings(run, podman, facts)
    except RuntimeError as exc:
        raise HostError("this host cannot run containers: %s" % exc)
    wanted = dropin_text(settings, reasons)
    result.update(changed=before != wanted, settings=settings, reasons=reasons, after=wanted)
    if before != wanted and not check_mode:
        write(dropin_path, wanted)
    # In check mode a pending change means the probe would test stale settings.
    if probe_after and not (check_mode and before != wanted):
        errors = probe(run, podman, buildah)
        if errors:
            raise HostError("this host still cannot run containers: %s" % "; ".join(errors))
    return result


ARGUMENT_SPEC = dict(
    path=dict(type="path", default="/etc/containers/containers.conf.d/50-tcib-images.conf"),
    probe=dict(type="bool", default=True),
    stamp=dict(type="path", default="/run/tcib-images-host-probe"),
    packages=dict(type="list", elements="str", default=[]),
    package_cache=dict(type="path"),
)


def execute(params, host):
    """tcib_container_host's whole task (module_utils/task.py): the result, or TaskError."""
    path = params["path"]
    missing = missing_packages(host.run, params["packages"])
    if missing:
        return dict(changed=False, missing_packages=missing, path=path, facts={}, settings={}, reasons=[])
    podman, buildah = host.binary("podman"), host.binary("buildah")
    made_cache = make_package_cache(params["package_cache"], host.check_mode)
    try:
        outcome = configure(host.run, podman, buildah, path, params["stamp"], check_mode=host.check_mode,
                            probe_after=params["probe"], write=host.write)
    except HostError as exc:
        raise TaskError(str(exc), changed=made_cache, path=path, missing_packages=[])
    result = dict(changed=made_cache or outcome["changed"], facts=outcome["facts"], path=path,
                  settings=outcome["settings"], reasons=outcome["reasons"], missing_packages=[])
    if host.diff and outcome["changed"]:
        result["diff"] = dict(before=outcome["before"], after=outcome["after"], before_header=path, after_header=path)
    return result
