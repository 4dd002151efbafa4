"""Hostile variable files and settings: each fails fast with a message naming the file and key (or the
setting), exits non-zero, and leaves podman and buildah holding nothing new.

Every case runs the real build.yml on a copy of the base/os tree with one leaf image, ``hostile``, under the
image prefix ``hostile``: no image of that prefix may ever exist, in any registry or namespace, nor a
temporary ``localhost/tcib-build-in-progress/hostile-*`` one, nor a buildah working container for one. The
plan runs before anything else, so even the runs that are not ``--check`` (bad names, where the bug was a
full build before the failure) stop within seconds.
"""

import os
import subprocess
import time

import pytest
import yaml

from conftest import REPO, TEST_NAMESPACE, ansible_playbook

PREFIX = "hostile"
# A hang is a failure, not a stuck CI: the slowest case (the template time limit) takes about 15 s.
TIMEOUT = 120


def alias_bomb():
    """1.6 KB of YAML that expands to 10^7 values (a "billion laughs")."""
    lines = ["lol0: &lol0 [%s]" % ", ".join(["lol"] * 10)]
    for level in range(1, 7):
        lines.append("lol%d: &lol%d [%s]" % (level, level, ", ".join(["*lol%d" % (level - 1)] * 10)))
    lines.append("tcib_runs: *lol6")
    return "\n".join(lines) + "\n"


def _listing(argv, attempts=3):
    """Lines of a podman/buildah listing; retried, as an image removed meanwhile by another run can fail one."""
    for _attempt in range(attempts):
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode == 0:
            return done.stdout.splitlines()
        time.sleep(1)
    raise AssertionError("%s failed: %s" % (" ".join(argv), done.stderr))


def podman_and_buildah_hold_nothing_hostile():
    """Images (final or temporary) and buildah working containers of the hostile prefix: none may exist."""
    images = _listing(["podman", "images", "--format", "{{.Repository}}:{{.Tag}}"])
    containers = _listing(["buildah", "containers", "--format", "{{.ContainerName}} {{.ImageName}}"])
    return ([name for name in images if "/%s-" % PREFIX in name.lower()]
            + [line for line in containers if "%s-" % PREFIX in line.lower()])


def flat(text):
    """Output with line breaks and indentation of wrapped messages taken out."""
    return " ".join(text.split())


@pytest.fixture
def leaf(tree):
    directory = tree / "base" / "os" / "hostile"
    directory.mkdir()
    return directory


@pytest.fixture
def run(tree, tmp_path):
    def play(*extra_vars, check=True, service="hostile", expect_failure=True):
        started = time.time()
        result = ansible_playbook(REPO / "build.yml", "tcib_tree=%s" % tree, "work_dir=%s" % (tmp_path / "work"),
                                  "image_namespace=%s" % TEST_NAMESPACE, "prefix=%s" % PREFIX,
                                  "service=%s" % service, *extra_vars, check=check, timeout=TIMEOUT)
        result.seconds = time.time() - started
        result.text = flat(result.stdout + result.stderr)
        assert "Traceback" not in result.text
        assert podman_and_buildah_hold_nothing_hostile() == []
        if expect_failure:
            assert result.returncode != 0, result.stdout[-3000:]
        else:
            assert result.returncode == 0, result.stdout[-3000:]
        return result
    return play


# --- variable files -----------------------------------------------------------------------------------

def test_non_utf8_byte_names_the_file(leaf, run):
    (leaf / "hostile.yaml").write_bytes(b"tcib_user: root\n# caf\xe9 cr\xe8me\n")
    result = run()
    assert "%s: is not UTF-8 text: byte 0xe9 at line 2, column 6 cannot be decoded" % (leaf / "hostile.yaml") \
        in result.text


def test_alias_bomb_fails_fast(leaf, run):
    text = alias_bomb()
    assert len(text) < 1700
    (leaf / "hostile.yaml").write_text(text)
    result = run()
    assert "%s: holds more than 100000 values once its YAML aliases are expanded" % (leaf / "hostile.yaml") \
        in result.text
    assert result.seconds < 30


def test_recursive_alias_names_the_file(leaf, run):
    (leaf / "hostile.yaml").write_text("tcib_runs: &loop [echo, *loop]\n")
    assert "%s: not usable YAML: an alias refers to a node that contains it" % (leaf / "hostile.yaml") \
        in run().text


def test_huge_template_is_refused_before_it_is_made(leaf, run):
    (leaf / "hostile.yaml").write_text("tcib_actions:\n  - run: echo {{ 'x' * 300000000 }}\n")
    result = run()
    assert "%s: tcib_actions: template refused: the template asks for a value of about 300000000 characters" \
        % (leaf / "hostile.yaml") in result.text
    assert result.seconds < 30


def test_huge_format_width_is_refused(leaf, run):
    (leaf / "hostile.yaml").write_text("tcib_user: \"{{ '%999999999d' % 1 }}\"\n")
    assert "%s: tcib_user: template refused: the template's format string asks for a field 999999999 " \
        "characters wide" % (leaf / "hostile.yaml") in run().text


def test_endless_template_is_stopped(leaf, run):
    (leaf / "hostile.yaml").write_text(
        "tcib_user: \"{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\"\n")
    result = run()
    assert "%s: tcib_user: template stopped: the templates took longer than 10 seconds" % (leaf / "hostile.yaml") \
        in result.text
    assert result.seconds < 60


def test_variable_file_linked_out_of_the_tree_is_not_read(leaf, run, tmp_path):
    (tmp_path / "outside.yaml").write_text("tcib_user: root\n")
    (leaf / "hostile.yaml").symlink_to(tmp_path / "outside.yaml")
    assert "%s: is a symbolic link to %s, outside the tree" % (leaf / "hostile.yaml", tmp_path / "outside.yaml") \
        in run().text


def test_variable_file_that_is_a_pipe_does_not_hang(leaf, run):
    os.mkfifo(str(leaf / "hostile.yaml"))
    result = run()
    assert "%s: is a named pipe (fifo), not a variable file" % (leaf / "hostile.yaml") in result.text


# --- gathered files -----------------------------------------------------------------------------------

@pytest.fixture
def gathering(leaf):
    """The leaf gathers its files/ directory, which holds one good file; a test adds a bad entry."""
    (leaf / "files").mkdir()
    (leaf / "files" / "ok.conf").write_text("ok\n")
    (leaf / "hostile.yaml").write_text("tcib_gather_files: [files]\ntcib_copies: [files /etc/hostile/]\n")
    return leaf / "files"


def gather_prefix(leaf):
    return "%s: tcib_gather_files: " % (leaf / "hostile.yaml")


def test_dangling_symlink_in_a_gathered_directory(leaf, gathering, run):
    (gathering / "gone").symlink_to(gathering / "removed.conf")
    assert gather_prefix(leaf) + "%s is a dangling symbolic link (to %s, which does not exist)" % (
        gathering / "gone", gathering / "removed.conf") in run().text


def test_symlink_loop_in_a_gathered_directory(leaf, gathering, run):
    (gathering / "a").symlink_to(gathering / "b")
    (gathering / "b").symlink_to(gathering / "a")
    assert gather_prefix(leaf) + "%s is a symbolic link loop" % (gathering / "a") in run().text


def test_symlink_to_dev_zero_in_a_gathered_directory_does_not_hang(leaf, gathering, run):
    (gathering / "zero").symlink_to("/dev/zero")
    result = run()
    assert gather_prefix(leaf) + "%s (a symbolic link to /dev/zero) is outside the tree" % (gathering / "zero") \
        in result.text
    assert result.seconds < 30


def test_device_is_refused_even_from_an_extra_gather_dir(leaf, gathering, run):
    (gathering / "zero").symlink_to("/dev/zero")
    assert gather_prefix(leaf) + "%s (a symbolic link to /dev/zero) is a character device: only regular files " \
        "and directories are gathered" % (gathering / "zero") in run("extra_gather_dirs=/dev").text


def test_fifo_in_a_gathered_directory(leaf, gathering, run):
    os.mkfifo(str(gathering / "pipe"))
    assert gather_prefix(leaf) + "%s is a named pipe (fifo): only regular files and directories are gathered" % (
        gathering / "pipe") in run().text


def test_symlink_out_of_the_tree_in_a_gathered_directory(leaf, gathering, run, tmp_path):
    (tmp_path / "secret.txt").write_text("secret\n")
    (gathering / "leak").symlink_to(tmp_path / "secret.txt")
    assert gather_prefix(leaf) + "%s (a symbolic link to %s) is outside the tree" % (
        gathering / "leak", tmp_path / "secret.txt") in run().text


@pytest.mark.parametrize("pattern", ["SECRET", "../../../.."])
def test_gather_from_outside_the_tree_is_refused(leaf, run, tree, tmp_path, pattern):
    (tmp_path / "secret.txt").write_text("secret\n")
    (tmp_path / "site").mkdir()
    pattern = str(tmp_path / "secret.txt") if pattern == "SECRET" else pattern
    (leaf / "hostile.yaml").write_text(yaml.safe_dump({"tcib_gather_files": [pattern]}))
    # Not --check: the bug copied the file into the image.
    result = run("extra_gather_dirs=%s" % (tmp_path / "site"), check=False)
    assert gather_prefix(leaf) in result.text
    assert "is outside the tree: files are gathered only from %s and %s (name another directory in the " \
        "extra_gather_dirs setting to gather from it)" % (tree, tmp_path / "site") in result.text


def test_copy_of_a_file_that_is_not_gathered_fails_before_building(leaf, run):
    (leaf / "hostile.yaml").write_text("tcib_copies: [nosuch.conf /etc/nosuch.conf]\n")
    result = run(check=False)
    assert "%s: tcib_copies: COPY nosuch.conf /etc/nosuch.conf: 'nosuch.conf' is not in the image's build " \
        "context, which holds only what tcib_gather_files gathers (nothing)" % (leaf / "hostile.yaml") \
        in result.text


def test_copy_action_of_a_file_that_is_not_gathered(leaf, gathering, run):
    (leaf / "hostile.yaml").write_text(
        "tcib_gather_files: [files]\ntcib_actions:\n  - run: 'true'\n  - copy: files/other.conf /etc/\n")
    assert "%s: tcib_actions[1]: COPY files/other.conf /etc/: 'files/other.conf' is not in the image's build " \
        "context" % (leaf / "hostile.yaml") in run().text


# --- values of the wrong shape, and upstream's shapes -------------------------------------------------

def test_package_group_given_as_a_string(leaf, run):
    (leaf / "hostile.yaml").write_text(
        "tcib_packages: {common: memcached}\ntcib_actions:\n  - run: tcib-install {{ tcib_packages.common | join(' ') }}\n")
    assert "%s: tcib_packages: group 'common' must be a list of package names, got str 'memcached'" % (
        leaf / "hostile.yaml") in run().text


def test_what_is_accepted_plans_in_one_check_run_with_warnings(tree, leaf, run, tmp_path):
    """Three leaves selected together (service=hostile takes hostile-*): an empty file (a warning naming it),
    upstream's plain package list and boolean label (rendered as upstream did), and a file gathered from a
    directory that the extra_gather_dirs setting names."""
    (leaf / "hostile.yaml").write_text("---\n# emptied by mistake\n")
    upstream = tree / "base" / "os" / "hostile-upstream"
    upstream.mkdir()
    (upstream / "hostile-upstream.yaml").write_text(
        "tcib_packages: [memcached, libevent-2.1-7t64]\n"
        "tcib_actions:\n  - run: tcib-install {{ tcib_packages | join(' ') }}\n"
        "tcib_labels:\n  tcib_managed: true\n")
    site = tree / "base" / "os" / "hostile-site"
    site.mkdir()
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "ca.pem").write_text("pem\n")
    (site / "hostile-site.yaml").write_text(yaml.safe_dump({"tcib_gather_files": [str(tmp_path / "site" / "ca.pem")],
                                                            "tcib_copies": ["ca.pem /etc/ssl/"]}))
    result = run("extra_gather_dirs=%s" % (tmp_path / "site"), "skip_build=true", expect_failure=False)
    assert "[WARNING]: %s holds no variables (an empty file)" % (leaf / "hostile.yaml") in result.text
    assert "image hostile has no variables at all: it would be built as a copy of its parent os" in result.text
    work = tmp_path / "work" / "base" / "os"
    containerfile = (work / "hostile-upstream" / "Containerfile").read_text()
    assert "RUN tcib-install memcached libevent-2.1-7t64\n" in containerfile
    assert 'LABEL tcib_managed="true"\n' in containerfile
    assert (work / "hostile-site" / "ca.pem").read_text() == "pem\n"
    assert "COPY ca.pem /etc/ssl/\n" in (work / "hostile-site" / "Containerfile").read_text()


def test_containerfile_role_accepts_a_plain_package_list(tmp_path):
    playbook = REPO / "tests" / "integration" / "playbooks" / "containerfile_role.yml"
    result = ansible_playbook(playbook, "tcib_path=%s" % tmp_path, {
        "tcib_packages": ["memcached", "sasl"], "tcib_actions": [{"run": "tcib-install {{ tcib_packages | join(' ') }}"}]},
        timeout=TIMEOUT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "cannot be converted to a dict" not in result.stdout
    assert "RUN tcib-install memcached sasl\n" in (tmp_path / "Containerfile").read_text()


# --- image names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("setting,message", [
    # As JSON: `-e tag=bad tag!` would be read by ansible as tag=bad (and build).
    ({"tag": "bad tag!"}, "setting tag=bad tag!: tag 'bad tag!' is not valid: at most 128 letters, digits"),
    ({"image_namespace": "Fault"}, "setting namespace=Fault: namespace component 'Fault' is not valid: lowercase"),
    ({"registry": "bad"}, "setting registry=bad: registry 'bad' is not a registry host: with no dot and no port, "
                          "and not localhost, podman would read it as a path on docker.io"),
    ({"prefix": "Hostile"}, "setting prefix=Hostile: prefix 'Hostile' is not valid"),
    ({"base_image": "localhost/tcib/Debian:trixie"},
     "setting base_image=localhost/tcib/Debian:trixie: image reference"),
], ids=["tag", "namespace", "registry", "prefix", "base_image"])
def test_invalid_image_names_fail_before_anything_is_built(leaf, run, setting, message):
    (leaf / "hostile.yaml").write_text("tcib_user: root\n")
    # Not --check: this is where the bug was a full build, then a failed tag and a leaked temporary image.
    result = run(setting, check=False)
    assert message in result.text
    # The plan comes first: the host was not even prepared.
    assert "Prepare the build host" not in result.stdout and "build_host :" not in result.stdout


def test_bare_word_registry_is_never_pushed_to(leaf, run):
    (leaf / "hostile.yaml").write_text("tcib_user: root\n")
    result = run({"registry": "bad", "push": True}, check=False)
    assert "setting registry=bad: registry 'bad' is not a registry host" in result.text
    assert "docker.io/bad" not in result.text.replace("path on docker.io", "")


def test_image_directory_that_cannot_name_an_image(tree, run):
    leaf = tree / "base" / "os" / "Hostile_Leaf"
    leaf.mkdir()
    (leaf / "x.yaml").write_text("tcib_user: root\n")
    result = run(service="Hostile_Leaf", check=False)
    assert "%s: image 'Hostile_Leaf' cannot be named localhost/%s/%s-Hostile_Leaf:latest" % (
        leaf, TEST_NAMESPACE, PREFIX) in result.text


def test_tcib_from_outside_the_tree_with_an_invalid_reference(leaf, run):
    (leaf / "hostile.yaml").write_text("tcib_from: quay.io/Bad/image:1\n")
    assert "%s: tcib_from: image reference 'quay.io/Bad/image:1': repository path component 'Bad' is not " \
        "valid" % (leaf / "hostile.yaml") in run().text


# --- settings -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("setting,message", [
    ("build_timeout=abc", "setting build_timeout=abc is not valid: whole seconds, 0 for none"),
    ("max_parallel=abc", "setting max_parallel=abc is not valid: a whole number, 0 for cores + 1"),
    ("build_retries=-1", "setting build_retries=-1 is not valid: a whole number, 0 or more"),
    ("max_parallel=-1", "setting max_parallel=-1 is not valid: a whole number, 0 for cores + 1"),
    ("force=maybe", "setting force=maybe is not valid: true or false"),
])
def test_settings_that_would_become_zero_fail_naming_the_setting(run, setting, message):
    result = run(setting, service="os", check=False)
    assert message in result.text
    # Checked first: nothing was planned.
    assert "Plan the images" not in result.stdout


def test_config_file_entry_without_imagename_names_file_and_entry(run, tmp_path):
    config = tmp_path / "containers.yaml"
    config.write_text(yaml.safe_dump({"container_images": [
        {"imagename": "quay.io/ns/openstack-os:current", "image_source": "tripleo"}, {"image_source": "tripleo"}]}))
    assert "%s: container_images[1] has no imagename" % config in run("config_file=%s" % config, service="").text


def test_extra_config_that_is_not_utf8_names_the_file(run, tmp_path):
    extra = tmp_path / "site.yaml"
    extra.write_bytes(b"tcib_labels:\n  site: \xff\n")
    assert "%s: is not UTF-8 text: byte 0xff at line 2, column 9" % extra in run(
        "extra_config=%s" % extra, service="os").text
