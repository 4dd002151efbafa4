# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tcib-build: every option and the build.yml variable it becomes; what ansible-runner is given; exit codes."""

import io
import os
import sys

import pytest

from conftest import REPO_ROOT
from tcib_images_cli import main as cli

CWD = "/home/op"
WORK = {"work_dir": "/var/tmp/tcib"}


def extravars(*argv):
    return cli.extravars(cli.build_parser().parse_args(list(argv)), CWD)


@pytest.mark.parametrize("argv, expected", [
    ([], {}),
    (["--config-path", "conf"], {"tcib_tree": "/home/op/conf/tcib"}),
    (["--config-path", "/etc/tcib-conf/"], {"tcib_tree": "/etc/tcib-conf/tcib"}),
    (["--config-file", "/x/containers.yaml"], {"config_file": "/x/containers.yaml"}),
    (["--config-file", "containers.yaml"], {"config_file": "/home/op/containers.yaml"}),
    (["--include", "nova-api", "--include", "keystone,glance-api"],
     {"include": ["nova-api", "keystone,glance-api"]}),
    (["--exclude", "nova-compute", "--exclude", "swift-proxy-server"],
     {"exclude": ["nova-compute", "swift-proxy-server"]}),
    (["--base", "docker.io/library/debian:13"], {"base_image": "docker.io/library/debian:13"}),
    (["--distro", "debian"], {"distro": "debian"}),
    (["--release", "12"], {"distro_suite": "bookworm"}),
    (["--release", "13"], {"distro_suite": "trixie"}),
    (["--release", "forky"], {"distro_suite": "forky"}),
    (["--tag", "2026.1"], {"tag": "2026.1"}),
    (["--prefix", ""], {"prefix": ""}),
    (["--prefix", "os"], {"prefix": "os"}),
    (["--namespace", "lab"], {"image_namespace": "lab"}),
    (["--registry", "127.0.0.1:5000"], {"registry": "127.0.0.1:5000"}),
    (["--push"], {"push": True}),
    (["--authfile", "auth.json"], {"authfile": "/home/op/auth.json"}),
    (["--volume", "/srv/debs:/debs:ro", "--volume", "/a:/b"], {"build_volumes": ["/srv/debs:/debs:ro", "/a:/b"]}),
    (["--work-dir", "work"], {"work_dir": "/home/op/work"}),
    (["--extra-config", "/etc/site.yaml"], {"extra_config": "/etc/site.yaml"}),
    (["--label", "vendor=lab", "--label", "build=a=b"], {"image_labels": {"vendor": "lab", "build": "a=b"}}),
    (["--tcib-extras", "tcib_site=lab-1", "--tcib-extras", "tcib_user=nobody"],
     {"tcib_extras": {"tcib_site": "lab-1", "tcib_user": "nobody"}}),
    (["--build-timeout", "1800"], {"build_timeout": 1800}),
    (["--service", "nova", "--service", "keystone"], {"service": ["nova", "keystone"]}),
    (["--jobs", "3"], {"max_parallel": 3}),
    (["--jobs", "0"], {"max_parallel": 0}),
    (["--gather-dir", "site", "--gather-dir", "/srv/certs"], {"extra_gather_dirs": ["/home/op/site", "/srv/certs"]}),
    (["--force"], {"force": True}),
    (["--no-tls-verify"], {"tls_verify": False}),
    (["--no-check-updates"], {"check_updates": False}),
    # Check mode for ansible, then the pending updates are listed.
    (["--check-updates"], {}),
    # With --check for ansible: everything in check mode but the rendering.
    (["--skip-build"], {"skip_build": True}),
    # Not variables: how the playbook runs, or no run at all.
    (["--list"], {}),
    (["-vv"], {}),
])
def test_each_option_becomes_its_playbook_variable(argv, expected):
    assert extravars(*argv) == dict(WORK, **expected)


@pytest.mark.parametrize("argv", [["--jobs", "-1"], ["--jobs", "abc"], ["--build-timeout", "-5"],
                                  ["--build-timeout", "1.5"]])
def test_counts_below_zero_or_not_whole_exit_2_naming_the_option(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.build_parser().parse_args(argv)
    assert info.value.code == 2
    assert "argument %s: %r is not a whole number (0 or more)" % (argv[0], argv[1]) in capsys.readouterr().err


def test_config_file_is_looked_up_in_the_config_path_first(tmp_path):
    (tmp_path / "tripleo_containers.yaml").write_text("container_images: []\n")
    args = cli.build_parser().parse_args(["--config-path", str(tmp_path), "--config-file", "tripleo_containers.yaml"])
    assert cli.extravars(args, CWD)["config_file"] == str(tmp_path / "tripleo_containers.yaml")
    args = cli.build_parser().parse_args(["--config-path", str(tmp_path), "--config-file", "other.yaml"])
    assert cli.extravars(args, CWD)["config_file"] == "/home/op/other.yaml"


@pytest.mark.parametrize("argv, message", [
    (["--label", "novalue"], "--label takes KEY=VALUE, got 'novalue'"),
    (["--tcib-extras", "site=lab"], "--tcib-extras names must start with tcib_ (as upstream's): site"),
    (["--release", "11"], "--release 11: known Debian releases are 12 (bookworm), 13 (trixie), 14 (forky)"),
    (["--check-updates", "--no-check-updates"], "--check-updates and --no-check-updates exclude each other"),
])
def test_wrong_values_are_usage_errors(argv, message):
    with pytest.raises(cli.UsageError) as info:
        extravars(*argv)
    assert str(info.value) == message


def test_runner_gets_the_checkouts_playbook_inventory_and_config():
    args = cli.build_parser().parse_args(["--skip-build", "-vv"])
    kwargs = cli.runner_kwargs(args, "/src/tcib", {"work_dir": "/w"}, "/w/.ansible-runner", color=False)
    assert kwargs["playbook"] == "/src/tcib/build.yml"
    assert kwargs["inventory"] == "/src/tcib/inventory/localhost.yml"
    assert kwargs["envvars"]["ANSIBLE_CONFIG"] == "/src/tcib/ansible.cfg"
    assert kwargs["envvars"]["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable)
    assert kwargs["extravars"] == {"work_dir": "/w"}
    assert kwargs["private_data_dir"] == "/w/.ansible-runner"
    assert kwargs["cmdline"] == "--check"
    assert kwargs["verbosity"] == 2
    assert kwargs["quiet"] is False
    assert kwargs["envvars"]["ANSIBLE_NOCOLOR"] == "1"
    kwargs = cli.runner_kwargs(cli.build_parser().parse_args([]), "/src/tcib", {}, "/w/.r", color=True)
    assert "cmdline" not in kwargs and "verbosity" not in kwargs and "ANSIBLE_NOCOLOR" not in kwargs["envvars"]


@pytest.mark.parametrize("rc, statuses, check, code", [
    (0, [("built", None), ("up to date", None)], False, 0),
    (0, [("built", "pushed"), ("up to date", "pushed: up to date")], False, 0),
    (2, [("built", None), ("failed", None)], False, 2),
    (0, [("built", None), ("skipped", None)], False, 1),
    (0, [("built", "push failed")], False, 1),
    (0, [("would build", None), ("up to date", None)], True, 0),
    (0, [("would build", None)], False, 1),
    (0, None, False, 1),
    (4, None, False, 4),
])
def test_exit_code(rc, statuses, check, code):
    summary = None if statuses is None else {"images": [
        dict({"status": status}, **({"push_status": push} if push else {})) for status, push in statuses]}
    assert cli.outcome(rc, summary, check) == code


def test_summary_of_an_earlier_run_does_not_count(tmp_path):
    path = tmp_path / "summary.json"
    path.write_text('{"images": []}')
    assert cli.read_summary(str(path), 0) == {"images": []}
    assert cli.read_summary(str(path), os.path.getmtime(str(path)) + 10) is None
    assert cli.read_summary(str(tmp_path / "none.json"), 0) is None


def test_list_prints_the_selected_images_with_parents(write_tree):
    root = write_tree({"tcib/base/base.yaml": {}, "tcib/base/os/os.yaml": {},
                       "tcib/base/os/nova-base/nova-base.yaml": {}, "tcib/base/os/nova-base/nova-api/nova-api.yaml": {},
                       "tcib/base/os/keystone/keystone.yaml": {}})
    args = cli.build_parser().parse_args(["--config-path", str(root), "--service", "nova-api", "--list",
                                          "--registry", "r:5000"])
    out = io.StringIO()
    assert cli.list_images(args, cli.collection_root(), cli.extravars(args, CWD), out) == 0
    lines = [line.split() for line in out.getvalue().splitlines()]
    assert lines[0] == ["IMAGE", "PARENT", "REFERENCE", "FROM"]
    assert [line[:2] for line in lines[1:]] == [
        ["base", "-"], ["os", "base"], ["nova-base", "os"], ["nova-api", "nova-base"]]
    assert lines[1][2:] == ["r:5000/tcib/openstack-base:latest", "localhost/tcib/debian:trixie"]
    args = cli.build_parser().parse_args(["--config-path", str(root), "--service", "nova-apy", "--list"])
    with pytest.raises(cli.UsageError, match="nova-api"):
        cli.list_images(args, cli.collection_root(), cli.extravars(args, CWD), out)


def test_list_agrees_with_the_playbook_on_unavailable_images(write_tree, tmp_path):
    root = write_tree({"tcib/base/base.yaml": {}, "tcib/base/os/os.yaml": {},
                       "tcib/base/os/keystone/keystone.yaml": {},
                       "unavailable.yaml": {"unavailable_images": {"qdrouterd": "no qpid-dispatch in Debian"}}})
    config = tmp_path / "containers.yaml"
    config.write_text("container_images:\n- imagename: quay.io/ns/openstack-keystone:current\n"
                      "- imagename: quay.io/ns/openstack-qdrouterd:current\n")
    args = cli.build_parser().parse_args(["--config-path", str(root), "--config-file", str(config), "--list"])
    out, err = io.StringIO(), io.StringIO()
    assert cli.list_images(args, cli.collection_root(), cli.extravars(args, CWD), out, err) == 0
    assert [line.split()[0] for line in out.getvalue().splitlines()[1:]] == ["base", "os", "keystone"]
    assert err.getvalue() == ("tcib-build: warning: %s lists 1 image that this tree cannot build; planning the "
                              "others without it: qdrouterd: no qpid-dispatch in Debian\n" % config)
    args = cli.build_parser().parse_args(["--config-path", str(root), "--service", "qdrouterd", "--list"])
    with pytest.raises(cli.UsageError, match="service 'qdrouterd' is not available from this tree: no qpid"):
        cli.list_images(args, cli.collection_root(), cli.extravars(args, CWD), out, err)


def test_main_reports_usage_errors_with_exit_code_2(tmp_path, capsys):
    assert cli.main(["--config-path", str(tmp_path), "--list"]) == 2
    assert "holds no tcib/ directory" in capsys.readouterr().err
    assert cli.main(["--authfile", str(tmp_path / "missing.json")]) == 2
    assert "--authfile %s: no such file" % (tmp_path / "missing.json") in capsys.readouterr().err


def test_check_updates_runs_in_check_mode_and_lists_the_root_first():
    args = cli.build_parser().parse_args(["--check-updates"])
    assert cli.runner_kwargs(args, "/repo", {"work_dir": "/w"}, "/w/.ansible-runner")["cmdline"] == "--check"
    from ansible_collections.tcib.images.plugins.module_utils.report import pending_updates_table
    root = {"image": "localhost/tcib/debian:trixie",
            "pending_updates": [{"package": "libc6", "installed": "2.41-12", "candidate": "2.41-12+deb13u1"}]}
    plan = {"images": [{"image": "localhost/tcib/openstack-base:latest", "pending_updates": []}]}
    assert pending_updates_table(root, plan).splitlines() == [
        "IMAGE                         PACKAGE  INSTALLED  CANDIDATE",
        "localhost/tcib/debian:trixie  libc6    2.41-12    2.41-12+deb13u1"]
    assert pending_updates_table(None, plan) == ""


def test_the_collection_link_is_gone_when_the_process_ends(tmp_path):
    import subprocess

    # A process of its own: the link is removed at its exit.
    script = ("import sys; sys.path.insert(0, %r); from tcib_images_cli import collection; "
              "print(collection.link(%r))" % (os.path.join(REPO_ROOT, "cli"), REPO_ROOT))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    top = done.stdout.strip()
    assert top and not os.path.exists(top)
