# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lock-free package cache: per-build directories of hard links into a shared pool."""

import os
import threading

from ansible_collections.tcib.images.plugins.module_utils.pkgcache import checkin, checkout


def make_pool(tmp_path, names=("a_1.0_amd64.deb", "b_2.0_all.deb")):
    pool = tmp_path / "pool"
    pool.mkdir()
    for name in names:
        (pool / name).write_bytes(name.encode() * 10)
    (pool / "notes.txt").write_text("not a package\n")
    return str(pool)


def debs(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".deb"))


def test_checkout_links_the_pool_packages_into_a_new_dir(tmp_path):
    pool = make_pool(tmp_path)
    build_dir = checkout(pool)
    assert os.path.dirname(build_dir) == pool
    assert os.path.basename(build_dir).startswith(".build-")
    assert debs(build_dir) == ["a_1.0_amd64.deb", "b_2.0_all.deb"]
    for name in debs(build_dir):
        # A hard link, not a copy.
        assert os.stat(os.path.join(build_dir, name)).st_ino == os.stat(os.path.join(pool, name)).st_ino
    assert os.stat(os.path.join(pool, "a_1.0_amd64.deb")).st_nlink == 2
    assert not os.path.exists(os.path.join(build_dir, "notes.txt"))
    # apt wants a partial/ directory in its archives.
    assert os.path.isdir(os.path.join(build_dir, "partial"))


def test_checkout_creates_a_missing_pool(tmp_path):
    pool = str(tmp_path / "new" / "pool")
    build_dir = checkout(pool)
    assert os.path.isdir(pool)
    assert os.path.dirname(build_dir) == pool
    assert debs(build_dir) == []


def test_checkin_links_new_packages_back_and_removes_the_build_dir(tmp_path):
    pool = make_pool(tmp_path)
    build_dir = checkout(pool)
    new = os.path.join(build_dir, "c_3.0_amd64.deb")
    with open(new, "wb") as handle:
        handle.write(b"new package")
    inode = os.stat(new).st_ino
    # apt's leftovers that are not packages stay out of the pool.
    with open(os.path.join(build_dir, "partial", "d_4.0_amd64.deb"), "wb") as handle:
        handle.write(b"half")
    with open(os.path.join(build_dir, "lock"), "w") as handle:
        handle.write("")
    added = checkin(build_dir, pool)
    assert added == 1
    assert not os.path.exists(build_dir)
    assert debs(pool) == ["a_1.0_amd64.deb", "b_2.0_all.deb", "c_3.0_amd64.deb"]
    assert os.stat(os.path.join(pool, "c_3.0_amd64.deb")).st_ino == inode
    with open(os.path.join(pool, "c_3.0_amd64.deb"), "rb") as handle:
        assert handle.read() == b"new package"
    assert not os.path.exists(os.path.join(pool, "lock"))
    assert not os.path.exists(os.path.join(pool, "d_4.0_amd64.deb"))
    # The pool's own packages are still there, linked once again.
    assert os.stat(os.path.join(pool, "a_1.0_amd64.deb")).st_nlink == 1
    # The next build gets the new package.
    assert "c_3.0_amd64.deb" in debs(checkout(pool))


def test_checkin_keeps_the_pool_copy_when_both_have_a_package(tmp_path):
    pool = make_pool(tmp_path)
    build_dir = checkout(pool)
    # apt replaced its link with a fresh download of the same name.
    path = os.path.join(build_dir, "a_1.0_amd64.deb")
    os.unlink(path)
    with open(path, "wb") as handle:
        handle.write(b"redownloaded")
    assert checkin(build_dir, pool) == 0
    with open(os.path.join(pool, "a_1.0_amd64.deb"), "rb") as handle:
        assert handle.read() == b"a_1.0_amd64.deb" * 10


def test_packages_removed_inside_a_build_stay_in_the_pool(tmp_path):
    pool = make_pool(tmp_path)
    build_dir = checkout(pool)
    for name in debs(build_dir):  # apt-get clean inside the build
        os.unlink(os.path.join(build_dir, name))
    checkin(build_dir, pool)
    assert debs(pool) == ["a_1.0_amd64.deb", "b_2.0_all.deb"]


def test_concurrent_checkouts_get_separate_dirs(tmp_path):
    pool = make_pool(tmp_path)
    first, second = checkout(pool), checkout(pool)
    assert first != second
    with open(os.path.join(first, "only-first_1_all.deb"), "wb") as handle:
        handle.write(b"1")
    assert "only-first_1_all.deb" not in debs(second)
    checkin(first, pool)
    # Checking one in leaves the other alone.
    assert os.path.isdir(second)
    assert debs(second) == ["a_1.0_amd64.deb", "b_2.0_all.deb"]
    checkin(second, pool)
    assert debs(pool) == ["a_1.0_amd64.deb", "b_2.0_all.deb", "only-first_1_all.deb"]
    assert [name for name in os.listdir(pool) if name.startswith(".build-")] == []


def test_checkouts_from_many_threads(tmp_path):
    pool = make_pool(tmp_path)
    dirs, errors = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(8, timeout=10)

    def build(index):
        try:
            barrier.wait()
            build_dir = checkout(pool)
            with lock:
                dirs.append(build_dir)
            with open(os.path.join(build_dir, "pkg%d_1_all.deb" % index), "wb") as handle:
                handle.write(b"x%d" % index)
            checkin(build_dir, pool)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(set(dirs)) == 8
    assert debs(pool) == sorted(["a_1.0_amd64.deb", "b_2.0_all.deb"] + ["pkg%d_1_all.deb" % i for i in range(8)])
    assert [name for name in os.listdir(pool) if name.startswith(".build-")] == []
