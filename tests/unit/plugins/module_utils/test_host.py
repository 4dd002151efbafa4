# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host decisions for podman/buildah: cgroup mode, runtime, ulimits, containers.conf drop-in."""

import resource
import tomllib

import pytest

from ansible_collections.tcib.images.plugins.module_utils.host import (
    DROPIN_HEADER, PODMAN_DEFAULT_NOFILE, PODMAN_DEFAULT_NPROC, cgroup_mode, dropin_text, find_ulimits,
    runtime_settings, ulimit_candidates)

ROOT_LINES = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
"""

V1 = ROOT_LINES + """\
25 24 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
26 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,name=systemd
27 25 0:25 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,memory
28 25 0:26 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,pids
"""

HYBRID = V1 + """\
29 25 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:13 - cgroup2 cgroup2 rw,nsdelegate
"""

V2 = ROOT_LINES + """\
25 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
"""

# Optional fields vary in number; a cgroup2 mount somewhere else is not the cgroup root.
V2_NO_OPTIONAL_FIELDS = "30 29 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
CGROUP2_ELSEWHERE = V1 + "40 22 0:30 / /mnt/cgroup2 rw shared:20 master:3 - cgroup2 none rw\n"


@pytest.mark.parametrize("text, mode", [
    (V1, "v1"),
    (HYBRID, "hybrid"),
    (V2, "v2"),
    (V2_NO_OPTIONAL_FIELDS, "v2"),
    (CGROUP2_ELSEWHERE, "v1"),
    ("", "v1"),
    ("garbage without separator\n", "v1"),
])
def test_cgroup_mode(text, mode):
    assert cgroup_mode(text) == mode


def facts(mode="v2", nofile=PODMAN_DEFAULT_NOFILE, nproc=PODMAN_DEFAULT_NPROC):
    return {"cgroup_mode": mode, "init": "systemd", "hard_nofile": nofile, "hard_nproc": nproc}


def test_hybrid_needs_runc_with_cgroupfs():
    settings, reasons = runtime_settings(facts("hybrid"))
    assert settings == {"runtime": "runc", "cgroup_manager": "cgroupfs"}
    assert len(reasons) == 1 and "hybrid" in reasons[0]


@pytest.mark.parametrize("mode", ["v1", "v2"])
def test_other_modes_need_no_runtime_settings(mode):
    assert runtime_settings(facts(mode)) == ({}, [])


@pytest.mark.parametrize("nofile, nproc, expected", [
    # High enough or unlimited: nothing to do.
    (PODMAN_DEFAULT_NOFILE, PODMAN_DEFAULT_NPROC, {}),
    (resource.RLIM_INFINITY, resource.RLIM_INFINITY, {}),
    (PODMAN_DEFAULT_NOFILE * 2, PODMAN_DEFAULT_NPROC, {}),
    # Below podman's default: the hard limit first, then the smaller steps.
    (524288, PODMAN_DEFAULT_NPROC, {"nofile": [524288, 65536, 16384, 1024]}),
    (PODMAN_DEFAULT_NOFILE, 63704, {"nproc": [63704, 32768, 4096, 1024]}),
    (20000, 5000, {"nofile": [20000, 16384, 1024], "nproc": [5000, 4096, 1024]}),
    (65536, 32768, {"nofile": [65536, 16384, 1024], "nproc": [32768, 4096, 1024]}),
    (1024, 500, {"nofile": [1024], "nproc": [500]}),
])
def test_ulimit_candidates(nofile, nproc, expected):
    assert ulimit_candidates(facts(nofile=nofile, nproc=nproc)) == expected


def parse(ulimits):
    return dict((item.split("=")[0], item.split("=")[1]) for item in ulimits)


def test_find_ulimits_takes_the_best_value_that_works():
    tried = []

    def works(ulimits):
        tried.append(list(ulimits))
        limits = {}
        for name, value in parse(ulimits).items():
            soft, hard = value.split(":")
            assert soft == hard
            limits[name] = int(soft)
        return limits["nproc"] <= 32768 and limits["nofile"] <= 20000

    candidates = {"nofile": [524288, 65536, 16384, 1024], "nproc": [63704, 32768, 4096, 1024]}
    ulimits, reasons = find_ulimits(candidates, works)
    assert ulimits == ["nofile=16384:16384", "nproc=32768:32768"]
    # One limit at a time, the other at its safest value while it is searched.
    assert tried[0] == ["nofile=524288:524288", "nproc=1024:1024"]
    assert tried[:3] == [["nofile=%d:%d" % (v, v), "nproc=1024:1024"] for v in (524288, 65536, 16384)]
    assert tried[3:] == [["nofile=16384:16384", "nproc=%d:%d" % (v, v)] for v in (63704, 32768)]
    assert len(reasons) == 2
    assert "RLIMIT_NOFILE 524288" in reasons[0] and "16384" in reasons[0]
    assert "RLIMIT_NPROC 63704" in reasons[1] and "32768" in reasons[1]


def test_find_ulimits_keeps_a_hard_limit_that_works():
    ulimits, reasons = find_ulimits({"nproc": [63704, 32768, 4096, 1024]}, lambda ulimits: True)
    assert ulimits == ["nproc=63704:63704"]
    assert len(reasons) == 1


def test_find_ulimits_with_nothing_to_find():
    def works(ulimits):
        raise AssertionError("must not probe when no limit needs lowering")
    assert find_ulimits({}, works) == ([], [])


def test_find_ulimits_raises_when_nothing_works():
    with pytest.raises(RuntimeError) as info:
        find_ulimits({"nofile": [65536, 1024], "nproc": [4096, 1024]}, lambda ulimits: False)
    assert "nofile" in str(info.value) and "65536" in str(info.value)


def test_find_ulimits_raises_naming_the_limit_that_cannot_be_met():
    tried = []

    def works(ulimits):
        tried.append(ulimits)
        return False

    with pytest.raises(RuntimeError) as info:
        find_ulimits({"nproc": [4096, 1024]}, works)
    assert "no nproc limit" in str(info.value) and "4096" in str(info.value)
    assert tried == [["nproc=4096:4096"], ["nproc=1024:1024"]]


def test_dropin_text_is_empty_without_settings():
    assert dropin_text({}, []) == ""
    assert dropin_text({}, ["a reason that needs nothing"]) == ""


def test_dropin_text_is_valid_toml_with_every_setting():
    settings = {"runtime": "runc", "cgroup_manager": "cgroupfs",
                "default_ulimits": ["nofile=16384:16384", "nproc=32768:32768"]}
    reasons = ["cgroups in hybrid mode: crun cannot run containers", "hard RLIMIT_NOFILE is low"]
    text = dropin_text(settings, reasons)
    assert text.startswith(DROPIN_HEADER)
    assert text.endswith("\n")
    for reason in reasons:
        assert "# - %s\n" % reason in text
    assert tomllib.loads(text) == {
        "containers": {"default_ulimits": ["nofile=16384:16384", "nproc=32768:32768"]},
        "engine": {"runtime": "runc", "cgroup_manager": "cgroupfs"},
    }


@pytest.mark.parametrize("settings, expected", [
    ({"runtime": "runc", "cgroup_manager": "cgroupfs"}, {"engine": {"runtime": "runc", "cgroup_manager": "cgroupfs"}}),
    ({"default_ulimits": ["nproc=4096:4096"]}, {"containers": {"default_ulimits": ["nproc=4096:4096"]}}),
])
def test_dropin_text_has_only_the_sections_needed(settings, expected):
    assert tomllib.loads(dropin_text(settings, [])) == expected


def test_decision_pipeline_for_a_constrained_hybrid_host():
    host = facts("hybrid", nofile=524288, nproc=63704)
    settings, reasons = runtime_settings(host)
    ulimits, more = find_ulimits(
        ulimit_candidates(host),
        lambda ulimits: all(int(v.split("=")[1].split(":")[0]) <= 32768 for v in ulimits))
    settings["default_ulimits"] = ulimits
    parsed = tomllib.loads(dropin_text(settings, reasons + more))
    assert parsed["engine"] == {"runtime": "runc", "cgroup_manager": "cgroupfs"}
    assert parsed["containers"]["default_ulimits"] == ["nofile=16384:16384", "nproc=32768:32768"]


def test_probe_stamp_changes_with_the_dropin_and_the_tools(tmp_path):
    from ansible_collections.tcib.images.plugins.module_utils.host import probe_stamp, read_stamp, write_stamp
    tool = tmp_path / "podman"
    tool.write_text("v1")
    first = probe_stamp('[engine]\nruntime = "runc"\n', [str(tool)])
    assert first == probe_stamp('[engine]\nruntime = "runc"\n', [str(tool)])
    assert first != probe_stamp("", [str(tool)])
    tool.write_text("version two")
    assert first != probe_stamp('[engine]\nruntime = "runc"\n', [str(tool)])
    stamp_file = tmp_path / "stamp"
    assert read_stamp(str(stamp_file)) is None
    write_stamp(str(stamp_file), first)
    assert read_stamp(str(stamp_file)) == first


class FakeTools:
    """Stands in for podman, buildah, ldd and dpkg-query: records each command, fails those asked to."""

    def __init__(self, failing=()):
        self.calls = []
        self.failing = failing

    def __call__(self, argv):
        self.calls.append(argv)
        name = " ".join(argv[:2])
        if any(name.startswith(prefix) for prefix in self.failing):
            return 1, "", "%s: refused" % name
        if argv[0] == "dpkg-query":
            return 0, "ii podman\nun buildah\n", ""
        return 0, "working-container\n" if argv[1:2] == ["from"] else "", ""


@pytest.fixture
def host(tmp_path, monkeypatch):
    from ansible_collections.tcib.images.plugins.module_utils import host as host_utils
    monkeypatch.setattr(host_utils, "host_facts", lambda: facts("hybrid"))
    for tool in ("podman", "buildah"):
        (tmp_path / tool).write_text(tool)
    written = {}

    def write(path, text):
        written[path] = text
        (tmp_path / "dropin.conf").write_text(text)

    return dict(utils=host_utils, written=written, write=write, podman=str(tmp_path / "podman"),
                buildah=str(tmp_path / "buildah"), dropin=str(tmp_path / "dropin.conf"), stamp=str(tmp_path / "stamp"))


def configure_with(host, run, **options):
    return host["utils"].configure(run, host["podman"], host["buildah"], host["dropin"], host["stamp"],
                                   write=host["write"], **options)


def test_configure_writes_what_a_hybrid_host_needs_then_proves_it(host):
    run = FakeTools()
    result = configure_with(host, run)
    assert result["changed"] is True
    assert tomllib.loads(host["written"][host["dropin"]])["engine"] == {"runtime": "runc", "cgroup_manager": "cgroupfs"}
    assert [argv[1] for argv in run.calls if argv[0] == host["podman"]] == ["run"]
    assert any(argv[:2] == [host["buildah"], "run"] for argv in run.calls)


def test_configure_keeps_a_proven_dropin_and_does_not_probe_again(host):
    configure_with(host, FakeTools())
    host["written"].clear()
    run = FakeTools()
    first = configure_with(host, run)
    assert first["changed"] is False and host["written"] == {}
    assert any("hybrid" in reason for reason in first["reasons"])
    # The stamp of that passed probe spares the next run every command.
    run = FakeTools()
    assert configure_with(host, run)["changed"] is False
    assert run.calls == []


def test_configure_in_check_mode_writes_nothing_and_says_it_would(host):
    run = FakeTools()
    result = configure_with(host, run, check_mode=True)
    assert result["changed"] is True and host["written"] == {}
    assert not any(argv[1:2] == ["run"] for argv in run.calls), "a probe would test settings not yet written"


def test_configure_fails_naming_the_tool_that_cannot_run(host):
    with pytest.raises(host["utils"].HostError, match="buildah run: refused"):
        configure_with(host, FakeTools(failing=(host["buildah"] + " run",)))


def test_missing_packages_are_those_dpkg_has_not_installed():
    from ansible_collections.tcib.images.plugins.module_utils.host import missing_packages
    assert missing_packages(FakeTools(), ["podman", "buildah", "skopeo"]) == ["buildah", "skopeo"]
    assert missing_packages(FakeTools(), []) == []


def test_make_package_cache_only_when_absent(tmp_path):
    from ansible_collections.tcib.images.plugins.module_utils.host import make_package_cache
    cache = tmp_path / "cache"
    assert make_package_cache(str(cache), check_mode=True) is True and not cache.exists()
    assert make_package_cache(str(cache), check_mode=False) is True and cache.is_dir()
    assert make_package_cache(str(cache), check_mode=False) is False
    assert make_package_cache(None, check_mode=False) is False


class FakeTaskHost:
    """The task's view of where it runs (module_utils/task.py), over FakeTools."""

    def __init__(self, host, tools, check_mode=False, diff=False):
        self.run, self.write, self.check_mode, self.diff = tools, host["write"], check_mode, diff
        self.paths = {"podman": host["podman"], "buildah": host["buildah"]}

    def binary(self, name, required=True):
        return self.paths[name]


def task_params(host, packages=(), package_cache=None):
    return dict(path=host["dropin"], probe=True, stamp=host["stamp"], packages=list(packages),
                package_cache=package_cache)


def test_the_task_stops_at_missing_packages_before_touching_anything(host, tmp_path):
    tools = FakeTools()
    result = host["utils"].execute(task_params(host, ["podman", "buildah"], str(tmp_path / "cache")),
                                   FakeTaskHost(host, tools))
    assert result["missing_packages"] == ["buildah"] and result["changed"] is False
    assert [argv[0] for argv in tools.calls] == ["dpkg-query"] and not (tmp_path / "cache").exists()


def test_the_task_configures_and_shows_the_diff_when_asked(host, tmp_path):
    result = host["utils"].execute(task_params(host, ["podman"], str(tmp_path / "cache")),
                                   FakeTaskHost(host, FakeTools(), diff=True))
    assert result["changed"] is True and (tmp_path / "cache").is_dir()
    assert result["diff"]["before"] == "" and "runc" in result["diff"]["after"]


def test_the_task_fails_with_what_it_made(host, tmp_path):
    from ansible_collections.tcib.images.plugins.module_utils.task import TaskError
    with pytest.raises(TaskError, match="buildah run: refused") as failure:
        host["utils"].execute(task_params(host, ["podman"], str(tmp_path / "cache")),
                              FakeTaskHost(host, FakeTools(failing=(host["buildah"] + " run",))))
    assert failure.value.result == {"changed": True, "path": host["dropin"], "missing_packages": []}
