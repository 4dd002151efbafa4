"""Provenance labels: versions parsed from apt-cache, looked up once, only when needed."""

from ansible_collections.tcib.images.plugins.module_utils import provenance

SHOW = """Package: nova-api
Version: 2:31.0.0-6+deb13u2
Architecture: all

Package: keystone
Version: 2:27.0.0-3
Description: x
Version: 9.9
"""


def test_parse_versions_takes_each_package_first_version():
    assert provenance.parse_versions(SHOW) == {"nova-api": "2:31.0.0-6+deb13u2", "keystone": "2:27.0.0-3"}


class Runner(object):
    def __init__(self, rc=0, out=SHOW, err=""):
        self.calls = []
        self.answer = (rc, out, err)

    def __call__(self, argv):
        self.calls.append(argv)
        return self.answer


def test_versions_are_looked_up_once_through_the_base_image():
    run = Runner()
    versions = provenance.PackageVersions(run, "podman", "localhost/tcib/debian:trixie",
                                          ["nova-api", "keystone", None, "nova-api"], "/tmp/lists")
    assert versions.version("nova-api") == "2:31.0.0-6+deb13u2"
    assert versions.version("keystone") == "2:27.0.0-3"
    assert versions.version("missing") is None
    assert len(run.calls) == 1
    argv = run.calls[0]
    assert "localhost/tcib/debian:trixie" in argv and argv[-2:] == ["keystone", "nova-api"]
    assert "/tmp/lists:/var/lib/apt/lists" in argv


def test_no_lookup_without_packages_and_none_on_failure():
    run = Runner(rc=1, out="", err="E: failed")
    assert provenance.PackageVersions(run, "podman", "img", [None]).version(None) is None
    assert run.calls == []
    failing = provenance.PackageVersions(run, "podman", "img", ["x"])
    assert failing.version("x") is None
    assert failing.error == "E: failed"


def test_build_labels():
    versions = provenance.PackageVersions(Runner(), "podman", "img", ["keystone"])
    labels = provenance.build_labels(versions, "keystone", "abc123", "https://example.invalid/repo", now=0)
    assert labels == {provenance.CREATED: "1970-01-01T00:00:00Z", provenance.VERSION: "2:27.0.0-3",
                      provenance.REVISION: "abc123", provenance.SOURCE: "https://example.invalid/repo"}
    assert provenance.VERSION not in provenance.build_labels(None, "keystone", now=0)


class GitRunner(object):
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        return self.answers.get(argv[3], (128, "", "fatal: not a git repository"))


def test_tree_origin_reads_git_once_and_only_when_asked():
    run = GitRunner({"rev-parse": (0, "abc123\n", ""), "config": (0, "https://example.invalid/tree.git\n", "")})
    origin = provenance.TreeOrigin(run, "/srv/tree")
    assert run.calls == []
    assert origin.get() == ("abc123", "https://example.invalid/tree.git")
    assert origin.get() == ("abc123", "https://example.invalid/tree.git")
    assert len(run.calls) == 2


def test_tree_origin_outside_git_and_given_values():
    assert provenance.TreeOrigin(GitRunner({}), "/tmp/tree").get() == (None, None)
    given = provenance.TreeOrigin(GitRunner({"rev-parse": (0, "abc\n", "")}), "/srv/tree", source="https://x")
    assert given.get() == ("abc", "https://x")
