"""Provenance labels: when, from which revision and source; git is read once, only when needed."""

from ansible_collections.tcib.images.plugins.module_utils import provenance


def test_build_labels():
    labels = provenance.build_labels("abc123", "https://example.invalid/repo", now=0)
    assert labels == {provenance.CREATED: "1970-01-01T00:00:00Z",
                      provenance.REVISION: "abc123", provenance.SOURCE: "https://example.invalid/repo"}
    assert provenance.build_labels(now=0) == {provenance.CREATED: "1970-01-01T00:00:00Z"}


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
