# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding images in a variable tree, merging their files, linking directory parents.

Selection and ordering work on the parents mapping: see test_graph.py.
"""

import os

import pytest

from ansible_collections.tcib.images.plugins.module_utils.discovery import (
    TreeError, discover, find_image_dir, image_ref, load_file)
from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError

# A small upstream-shaped tree: base -> os -> {nova-base -> {nova-api, nova-compute}, novax, keystone}.
TREE = {
    "base/base.yaml": {"tcib_envs": {"LANG": "C.UTF-8"}},
    "base/os/os.yaml": {"tcib_runs": ["os"]},
    "base/os/nova-base/nova-base.yaml": {"tcib_user": "nova"},
    "base/os/nova-base/nova-api/nova-api.yaml": {"tcib_cmd": "nova-api"},
    "base/os/nova-base/nova-compute/nova-compute.yaml": {"tcib_cmd": "nova-compute"},
    "base/os/novax/novax.yaml": {"tcib_cmd": "novax"},
    "base/os/keystone/keystone.yaml": {"tcib_cmd": "keystone"},
}


@pytest.fixture
def tree(write_tree):
    return str(write_tree(TREE))


@pytest.fixture
def images(tree):
    return discover(tree)


def test_images_are_named_after_their_directories(images, tree):
    assert sorted(images) == ["base", "keystone", "nova-api", "nova-base", "nova-compute", "novax", "os"]
    nova_api = images["nova-api"]
    assert nova_api.directory == os.path.join(tree, "base", "os", "nova-base", "nova-api")
    assert nova_api.relpath == os.path.join("base", "os", "nova-base", "nova-api")
    assert nova_api.files == [os.path.join(nova_api.directory, "nova-api.yaml")]
    assert nova_api.variables == {"tcib_cmd": "nova-api"}


def test_parents_follow_the_directory_tree(images):
    parents = dict((name, image.parent) for name, image in images.items())
    assert parents == {"base": None, "os": "base", "nova-base": "os", "nova-api": "nova-base",
                       "nova-compute": "nova-base", "novax": "os", "keystone": "os"}


def test_files_merge_in_name_order_later_wins_shallow(write_tree):
    root = write_tree({
        "img/20-second.yaml": {"tcib_envs": {"B": "2"}, "tcib_user": "second", "only_second": 1},
        "img/10-first.yml": {"tcib_envs": {"A": "1"}, "tcib_user": "first", "only_first": 1},
        "img/30-third.yaml": {"tcib_user": "third"},
        "img/notes.txt": "tcib_user: ignored\n",
        "img/99-dir.yaml/inner.txt": "a directory named like a yaml file is not a file",
    })
    image = discover(str(root))["img"]
    assert [os.path.basename(path) for path in image.files] == ["10-first.yml", "20-second.yaml", "30-third.yaml"]
    # Shallow: the later tcib_envs replaces the earlier one, it is not merged key by key.
    assert image.variables == {"tcib_envs": {"B": "2"}, "tcib_user": "third", "only_first": 1, "only_second": 1}
    directory = image.directory
    assert image.sources == {
        "tcib_envs": os.path.join(directory, "20-second.yaml"),
        "only_second": os.path.join(directory, "20-second.yaml"),
        "only_first": os.path.join(directory, "10-first.yml"),
        "tcib_user": os.path.join(directory, "30-third.yaml"),
    }


def test_directory_level_without_yaml_is_skipped_over(write_tree):
    root = write_tree({
        "base/base.yaml": {},
        "base/grouping/README.md": "no yaml here",
        "base/grouping/deeper/leaf/leaf.yaml": {},
        "base/sibling/sibling.yaml": {},
    })
    images = discover(str(root))
    assert sorted(images) == ["base", "leaf", "sibling"]
    assert images["leaf"].parent == "base"
    assert images["sibling"].parent == "base"


def test_several_roots_each_without_parent(write_tree):
    root = write_tree({"one/one.yaml": {}, "two/two.yaml": {}, "two/child/child.yaml": {}})
    images = discover(str(root))
    assert images["one"].parent is None and images["two"].parent is None
    assert images["child"].parent == "two"


def test_yaml_in_the_root_directory_is_an_image_too(write_tree):
    root = write_tree({"root.yaml": {}, "child/child.yaml": {}})
    images = discover(str(root))
    assert images["tree"].parent is None
    assert images["child"].parent == "tree"


def test_duplicate_names_name_both_directories(write_tree):
    root = write_tree({"base/base.yaml": {}, "base/a/common/common.yaml": {}, "base/b/common/common.yaml": {}})
    with pytest.raises(TreeError) as info:
        discover(str(root))
    message = str(info.value)
    assert "'common'" in message
    assert os.path.join(str(root), "base", "a", "common") in message
    assert os.path.join(str(root), "base", "b", "common") in message


def test_broken_yaml_names_the_file(write_tree):
    root = write_tree({"base/base.yaml": {}, "base/bad/bad.yaml": "tcib_runs: [unclosed\n"})
    with pytest.raises(VariableError) as info:
        discover(str(root))
    assert os.path.join(str(root), "base", "bad", "bad.yaml") in str(info.value)
    assert "not valid YAML" in str(info.value)


@pytest.mark.parametrize("text, kind", [("- a\n- b\n", "list"), ("just a string\n", "str"), ("42\n", "int")])
def test_non_mapping_yaml_is_an_error(write_tree, text, kind):
    root = write_tree({"img/img.yaml": text})
    path = os.path.join(str(root), "img", "img.yaml")
    with pytest.raises(VariableError) as info:
        discover(str(root))
    message = str(info.value)
    assert path in message and "mapping" in message and kind in message


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_file_is_an_image_without_variables(write_tree, text):
    root = write_tree({"img/img.yaml": text, "img/child/child.yaml": {"tcib_user": "x"}})
    images = discover(str(root))
    assert images["img"].variables == {}
    assert images["child"].parent == "img"


def test_load_file_rejects_python_tags(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("x: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(VariableError) as info:
        load_file(str(path))
    assert str(path) in str(info.value)


def test_missing_or_empty_tree_is_an_error(tmp_path):
    with pytest.raises(TreeError) as info:
        discover(str(tmp_path / "absent"))
    assert "does not exist" in str(info.value)
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(TreeError) as info:
        discover(str(tmp_path / "empty"))
    assert "no image variable files" in str(info.value)


# --- find_image_dir ----------------------------------------------------------------------------

def test_find_image_dir_by_name_alone(tree):
    assert find_image_dir(tree, "nova-api") == os.path.join(tree, "base", "os", "nova-base", "nova-api")
    assert find_image_dir(tree, "base") == os.path.join(tree, "base")


def test_find_image_dir_skips_directories_without_variable_files(write_tree):
    # A "files" directory beside the variable files is no image, nor is a directory named like one without yaml.
    root = str(write_tree({"base/base.yaml": {}, "base/files/tcib-install": "#!/bin/sh\n",
                           "other/memcached/README": "no yaml here", "base/os/memcached/memcached.yaml": {}}))
    assert find_image_dir(root, "memcached") == os.path.join(root, "base", "os", "memcached")
    with pytest.raises(TreeError) as info:
        find_image_dir(root, "files")
    assert "no image named 'files'" in str(info.value) and root in str(info.value)


def test_find_image_dir_refuses_two_images_of_one_name(write_tree):
    root = str(write_tree({"a/common/common.yaml": {}, "b/common/common.yml": {}}))
    with pytest.raises(TreeError) as info:
        find_image_dir(root, "common")
    assert os.path.join(root, "a", "common") in str(info.value)
    assert os.path.join(root, "b", "common") in str(info.value)


def test_find_image_dir_in_a_missing_tree(tmp_path):
    with pytest.raises(TreeError) as info:
        find_image_dir(str(tmp_path / "absent"), "base")
    assert "does not exist" in str(info.value)


# --- image_ref ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, expected", [
    ({}, "localhost/tcib/openstack-nova-api:latest"),
    ({"prefix": ""}, "localhost/tcib/nova-api:latest"),
    ({"prefix": None}, "localhost/tcib/nova-api:latest"),
    ({"registry": "quay.io", "namespace": "podified", "prefix": "rdo", "tag": "2026.1"},
     "quay.io/podified/rdo-nova-api:2026.1"),
    ({"registry": "registry.example:5000/", "namespace": "/a/b/"}, "registry.example:5000/a/b/openstack-nova-api:latest"),
    ({"namespace": ""}, "localhost/openstack-nova-api:latest"),
    ({"registry": "", "namespace": "", "prefix": "", "tag": "t"}, "nova-api:t"),
])
def test_image_ref(kwargs, expected):
    assert image_ref("nova-api", **kwargs) == expected


# --- hostile variable files ---------------------------------------------------------------------------

def alias_bomb(levels=7, width=10):
    """A "billion laughs": each level holds ``width`` aliases of the one below (width ** levels leaves)."""
    lines = ["l0: &l0 [%s]" % ", ".join(["lol"] * width)]
    for level in range(1, levels):
        lines.append("l%d: &l%d [%s]" % (level, level, ", ".join(["*l%d" % (level - 1)] * width)))
    lines.append("tcib_runs: *l%d" % (levels - 1))
    return "\n".join(lines) + "\n"


def load_error(tmp_path, content, name="image.yaml"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(VariableError) as info:
        load_file(str(path))
    assert str(path) in str(info.value)
    return str(info.value)


def test_non_utf8_byte_names_the_file_line_and_byte(tmp_path):
    message = load_error(tmp_path, b"tcib_user: nova\n# caf\xe9\ntcib_cmd: x\n")
    assert "is not UTF-8 text: byte 0xe9 at line 2, column 6" in message


def test_alias_bomb_is_refused_fast(tmp_path):
    import time

    text = alias_bomb()
    assert len(text) < 2000
    started = time.time()
    message = load_error(tmp_path, text)
    assert time.time() - started < 5
    assert "more than 100000 values once its YAML aliases are expanded" in message


def test_aliases_within_the_limit_are_fine(tmp_path):
    path = tmp_path / "image.yaml"
    path.write_text(alias_bomb(levels=3))
    assert len(load_file(str(path))["tcib_runs"]) == 10


def test_merge_keys_count_what_they_copy(tmp_path):
    lines = ["a0: &a0 {%s}" % ", ".join("k%d: v" % i for i in range(10))]
    for level in range(1, 6):
        lines.append("a%d: &a%d {%s}" % (level, level, ", ".join(
            "m%d: {<<: *a%d}" % (i, level - 1) for i in range(10))))
    assert "aliases are expanded" in load_error(tmp_path, "\n".join(lines) + "\n")


def test_recursive_alias_is_refused(tmp_path):
    assert "recursive structure" in load_error(tmp_path, "tcib_runs: &a [x, *a]\n")


def test_deep_nesting_is_refused(tmp_path):
    # libyaml stops at its own depth limit; the pure-Python parser at Python's recursion limit.
    message = load_error(tmp_path, "a: " + "[" * 50000 + "]" * 50000 + "\n")
    assert "image.yaml: not" in message
    assert "nested too deeply" in message or "exceeded maximum nesting depth" in message


def test_file_larger_than_a_mebibyte_is_refused(tmp_path):
    assert "is larger than 1048576 bytes" in load_error(tmp_path, "# " + "x" * (1 << 20) + "\n")


def test_a_fifo_is_never_read(tmp_path):
    fifo = tmp_path / "image.yaml"
    os.mkfifo(str(fifo))
    with pytest.raises(VariableError) as info:
        load_file(str(fifo))
    assert "is a named pipe (fifo), not a regular file" in str(info.value)


def test_variable_file_linked_from_outside_the_tree_is_refused(write_tree, tmp_path):
    root = write_tree({"base/base.yaml": {"tcib_user": "root"}})
    outside = tmp_path / "secret.yaml"
    outside.write_text("tcib_user: secret\n")
    (root / "base" / "os").mkdir()
    (root / "base" / "os" / "os.yaml").symlink_to(outside)
    with pytest.raises(VariableError) as info:
        discover(str(root))
    assert str(root / "base" / "os" / "os.yaml") in str(info.value)
    assert "outside the tree" in str(info.value)


def test_variable_file_linked_inside_the_tree_is_read(write_tree):
    root = write_tree({"base/base.yaml": {"tcib_user": "root"}, "base/os/shared.txt": "tcib_cmd: x\n"})
    (root / "base" / "os" / "os.yaml").symlink_to("shared.txt")
    assert discover(str(root))["os"].variables == {"tcib_cmd": "x"}


@pytest.mark.parametrize("make,message", [
    (lambda path: path.symlink_to(path.parent / "nowhere.yaml"), "is a dangling symbolic link"),
    (lambda path: path.symlink_to(path.name), "is a symbolic link loop"),
    (lambda path: os.mkfifo(str(path)), "is a named pipe (fifo), not a variable file"),
    (lambda path: path.symlink_to("/dev/zero"), "is a character device, not a variable file"),
])
def test_broken_or_special_variable_files_are_named(write_tree, make, message):
    root = write_tree({"base/base.yaml": {"tcib_user": "root"}})
    (root / "base" / "os").mkdir()
    make(root / "base" / "os" / "os.yaml")
    with pytest.raises(VariableError) as info:
        discover(str(root))
    assert str(root / "base" / "os" / "os.yaml") in str(info.value)
    assert message in str(info.value)


def test_empty_files_are_recorded(write_tree):
    root = write_tree({"base/base.yaml": {"tcib_user": "root"}, "base/os/os.yaml": "",
                       "base/os/nova/a.yaml": "# nothing\n", "base/os/nova/b.yaml": {"tcib_cmd": "x"}})
    images = discover(str(root))
    assert images["base"].empty_files == []
    assert images["os"].empty_files == [str(root / "base" / "os" / "os.yaml")]
    assert images["nova"].empty_files == [str(root / "base" / "os" / "nova" / "a.yaml")]
