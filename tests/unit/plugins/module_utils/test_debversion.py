import itertools
import subprocess

import pytest

from ansible_collections.tcib.images.plugins.module_utils.debversion import VersionError, compare, newest, split

# (lower, higher) by Debian Policy 5.6.12.
ORDERED = [
    ("1.0~rc1", "1.0"),            # ~ sorts before the end of the string
    ("1.0~~", "1.0~"),
    ("1.0", "1.0+deb13u1"),        # a stable update sorts after the release
    ("3.5.1-1", "3.5.1-1+deb13u1"),
    ("1.0-1~bpo13+1", "1.0-1"),    # a backport sorts before the version it backports
    ("2.0", "1:0.1"),              # the epoch wins
    ("1.0-9", "1.0-10"),           # digits compare as numbers
    ("1.0", "1.0a"),
    ("1.0a", "1.0+"),              # letters before non-letters
    ("27.0.0-3", "999:0-tcib.stub"),
]


@pytest.mark.parametrize("lower, higher", ORDERED)
def test_order(lower, higher):
    assert compare(lower, higher) == -1
    assert compare(higher, lower) == 1


@pytest.mark.parametrize("left, right", [("1.0", "1.00"), ("01", "1"), ("0:1.0", "1.0"), ("1.0", "1.0-0")])
def test_equal(left, right):
    assert compare(left, right) == 0


def test_split():
    assert split("1:2.3-4+deb13u1") == (1, "2.3", "4+deb13u1")
    assert split("2.3") == (0, "2.3", "0")
    assert split("1.2-3-4") == (0, "1.2-3", "4")


@pytest.mark.parametrize("text", ["", "a1.0", "1.0 1", "x:1.0", "1.0-", "-1"])
def test_invalid(text):
    with pytest.raises(VersionError):
        split(text)


def test_newest():
    assert newest(["3.5.1-1", "3.5.1-1+deb13u1", "3.5.0-2"]) == "3.5.1-1+deb13u1"
    assert newest([]) is None


def test_agrees_with_dpkg():
    versions = sorted(set(itertools.chain.from_iterable(ORDERED))) + ["1.0-1.1", "0.9+really1.0", "1.2.3~"]
    for left, right in itertools.product(versions, versions):
        dpkg_lt = subprocess.run(["dpkg", "--compare-versions", left, "lt", right], check=False).returncode == 0
        assert dpkg_lt == (compare(left, right) < 0), (left, right)
