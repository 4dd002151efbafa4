# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``tcib-build``: build (and push) the images of a tcib variable tree.

The options are those of upstream's ``openstack tripleo container image build``, plus ours
(``--service``, ``--jobs``, ``--force``, ``--list``). Each option becomes a variable of the
collection's ``build.yml`` (``extravars`` below, a pure function), which runs through
ansible-runner with the checkout's ansible.cfg; its output, progress lines included, goes to
the terminal as it comes. The exit code is 0 only when every selected image is built or up to
date (and pushed, with ``--push``); the path of the run's summary is printed at the end.
"""

import argparse
import json
import os
import sys
import time

from tcib_images_cli import collection


class UsageError(Exception):
    """A wrong option value: reported on one line, exit code 2."""


def collection_root():
    """The checkout (or installed collection) holding build.yml and ansible.cfg."""
    root = os.environ.get("TCIB_IMAGES_ROOT") or os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))
    if not os.path.isfile(os.path.join(root, "build.yml")):
        raise UsageError("no build.yml in %s: install tcib-build from the tcib.images checkout (pip install -e .) "
                         "or set TCIB_IMAGES_ROOT" % root)
    return root


def _defaults():
    """The collection's defaults (module_utils/defaults.py): the collection is importable by then (main)."""
    from ansible_collections.tcib.images.plugins.module_utils import defaults

    return defaults


def suites_by_release():
    """Debian suites by the release numbers upstream's --release gives."""
    return dict((number, suite) for suite, number in _defaults().RELEASES.items())


def whole_number(text):
    """An option that counts (seconds, builds): 0 or more, never a negative number taken for 0 or 1."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError("%r is not a whole number (0 or more)" % text)
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tcib-build",
        description="Build OpenStack container images from a tcib variable tree (the tcib.images collection's "
                    "build.yml, run through ansible-runner).")
    upstream = parser.add_argument_group("upstream options (openstack tripleo container image build)")
    upstream.add_argument("--config-path", metavar="DIR",
                          help="directory holding the variable tree in tcib/ (default: the collection's vars/)")
    upstream.add_argument("--config-file", metavar="FILE",
                          help="tripleo_containers.yaml-style file whose container_images[].imagename entries "
                               "select images (relative paths are looked up in --config-path first)")
    upstream.add_argument("--include", action="append", default=[], metavar="IMAGE",
                          help="add an image (repeatable)")
    upstream.add_argument("--exclude", action="append", default=[], metavar="IMAGE",
                          help="leave an image out (repeatable; ancestors of selected images stay)")
    upstream.add_argument("--base", metavar="IMAGE", help="image the tree's root is built from")
    upstream.add_argument("--distro", help="distribution name templates see as tcib_distro (default: debian)")
    upstream.add_argument("--release", help="Debian release (12, 13, 14) or suite name (bookworm, trixie, ...)")
    upstream.add_argument("--tag", help="image tag (default: latest)")
    upstream.add_argument("--prefix", help="image name prefix (default: openstack; empty for none)")
    upstream.add_argument("--namespace", help="image namespace (default: tcib)")
    upstream.add_argument("--registry", help="registry the images are named after and pushed to (default: localhost)")
    upstream.add_argument("--push", action="store_true", help="push each image once it is built or up to date")
    upstream.add_argument("--authfile", metavar="FILE",
                          help="containers-auth.json file with the registry's credentials (only its path is used)")
    upstream.add_argument("--volume", action="append", default=[], metavar="HOST:CONTAINER[:OPTIONS]",
                          help="bind mount for RUN steps of every build (repeatable)")
    upstream.add_argument("--work-dir", metavar="DIR",
                          help="rendered Containerfiles, logs and summary (default: %s)" % _defaults().WORK_DIR)
    upstream.add_argument("--extra-config", metavar="FILE",
                          help="YAML file of variables for every image, with per-image image_overrides")
    upstream.add_argument("--skip-build", action="store_true",
                          help="render and plan only: print what would be built, and why")
    upstream.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                          help="label set on every image (repeatable)")
    upstream.add_argument("--tcib-extras", action="append", default=[], metavar="tcib_KEY=VALUE",
                          help="variable every image's templates see (repeatable; names start with tcib_)")
    upstream.add_argument("--build-timeout", type=whole_number, metavar="SECONDS",
                          help="stop and fail one image's build after this long (0: no limit)")
    ours = parser.add_argument_group("tcib.images options")
    ours.add_argument("--service", action="append", default=[], metavar="NAME",
                      help="images named so or prefixed NAME-, with their ancestors (repeatable; default: all)")
    ours.add_argument("--jobs", type=whole_number, metavar="N",
                      help="most builds at once (default, or 0: cores + 1, at most 6)")
    ours.add_argument("--gather-dir", action="append", default=[], metavar="DIR",
                      help="a directory besides the tree that tcib_gather_files may gather from (repeatable)")
    ours.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    ours.add_argument("--no-tls-verify", dest="tls_verify", action="store_false",
                      help="talk to the registry without TLS verification (a local test registry)")
    ours.add_argument("--list", action="store_true", help="list the selected images with their parents and exit")
    ours.add_argument("--check-updates", dest="check_updates_only", action="store_true",
                      help="build nothing; list each image's packages that have pending updates in the apt sources "
                           "(exit code 100 when there are some, as dnf check-update)")
    ours.add_argument("--no-check-updates", dest="check_updates", action="store_false", default=None,
                      help="do not read the package indices (offline runs): only changed inputs rebuild")
    ours.add_argument("-v", "--verbose", action="count", default=0, help="more ansible output (repeatable)")
    return parser


def key_values(items, option):
    values = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError("%s takes KEY=VALUE, got %r" % (option, item))
        values[key.strip()] = value
    return values


def _absolute(path, cwd):
    return os.path.normpath(os.path.join(cwd, os.path.expanduser(path)))


def tcib_tree(args, cwd):
    return os.path.join(_absolute(args.config_path, cwd), "tcib") if args.config_path else None


def config_file(args, cwd):
    if not args.config_file:
        return None
    path = os.path.expanduser(args.config_file)
    if not os.path.isabs(path) and args.config_path:
        in_config_path = os.path.join(_absolute(args.config_path, cwd), path)
        if os.path.exists(in_config_path):
            return in_config_path
    return _absolute(path, cwd)


def suite(release):
    suites = suites_by_release()
    if release in suites.values() or not release.isdigit():
        return release
    if release not in suites:
        raise UsageError("--release %s: known Debian releases are %s" % (
            release, ", ".join("%s (%s)" % item for item in sorted(suites.items()))))
    return suites[release]


def extravars(args, cwd=None):
    """The build.yml variables the options stand for. Options not given are left to the playbook's defaults."""
    cwd = cwd or os.getcwd()
    extra = {"work_dir": _absolute(args.work_dir or _defaults().WORK_DIR, cwd)}
    simple = (("base", "base_image"), ("distro", "distro"), ("tag", "tag"), ("prefix", "prefix"),
              ("namespace", "image_namespace"), ("registry", "registry"), ("build_timeout", "build_timeout"),
              ("jobs", "max_parallel"))
    for option, variable in simple:
        if getattr(args, option) is not None:
            extra[variable] = getattr(args, option)
    lists = (("include", "include"), ("exclude", "exclude"), ("service", "service"), ("volume", "build_volumes"))
    for option, variable in lists:
        if getattr(args, option):
            extra[variable] = list(getattr(args, option))
    paths = (("authfile", "authfile"), ("extra_config", "extra_config"))
    for option, variable in paths:
        if getattr(args, option):
            extra[variable] = _absolute(getattr(args, option), cwd)
    if args.gather_dir:
        extra["extra_gather_dirs"] = [_absolute(directory, cwd) for directory in args.gather_dir]
    if args.config_path:
        extra["tcib_tree"] = tcib_tree(args, cwd)
    if args.config_file:
        extra["config_file"] = config_file(args, cwd)
    if args.release:
        extra["distro_suite"] = suite(args.release)
    if args.label:
        extra["image_labels"] = key_values(args.label, "--label")
    if args.tcib_extras:
        extras = key_values(args.tcib_extras, "--tcib-extras")
        wrong = sorted(key for key in extras if not key.startswith("tcib_"))
        if wrong:
            raise UsageError("--tcib-extras names must start with tcib_ (as upstream's): %s" % ", ".join(wrong))
        extra["tcib_extras"] = extras
    for flag in ("push", "force", "skip_build"):
        if getattr(args, flag):
            extra[flag] = True
    if not args.tls_verify:
        extra["tls_verify"] = False
    if args.check_updates is False:
        if args.check_updates_only:
            raise UsageError("--check-updates and --no-check-updates exclude each other")
        extra["check_updates"] = False
    return extra


def runner_kwargs(args, root, extra, private_data_dir, color=None):
    """What ansible_runner.run is given: the checkout's playbook, inventory and ansible.cfg, and the
    ansible-playbook installed beside this command first on PATH (the virtualenv need not be active)."""
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", os.defpath)])
    kwargs = {
        "private_data_dir": private_data_dir,
        "playbook": os.path.join(root, "build.yml"),
        "inventory": os.path.join(root, "inventory", "localhost.yml"),
        "extravars": extra,
        "envvars": {"ANSIBLE_CONFIG": os.path.join(root, "ansible.cfg"), "PATH": path},
        "quiet": False,
        "rotate_artifacts": 5,
    }
    if not (sys.stdout.isatty() if color is None else color):
        kwargs["envvars"]["ANSIBLE_NOCOLOR"] = "1"
    if args.skip_build or args.check_updates_only:
        # Everything in check mode (with skip_build, but the plan, which writes the Containerfiles).
        kwargs["cmdline"] = "--check"
    if args.verbose:
        kwargs["verbosity"] = args.verbose
    return kwargs


def outcome(runner_rc, summary, check_mode=False):
    """Exit code: ansible's when it failed, else 1 unless every image is built or up to date (and pushed)."""
    if runner_rc:
        return runner_rc
    if summary is None:
        return 1
    from ansible_collections.tcib.images.plugins.module_utils import status

    ok = status.SUCCEEDED if check_mode else status.PUSHABLE
    for image in summary.get("images", []):
        if image.get("status") not in ok or image.get("push_status") in (status.PUSH_FAILED, status.NOT_PUSHED):
            return 1
    return 0


def list_images(args, root, extra, out=sys.stdout, err=sys.stderr):
    """Print the selected images (name, parent, reference, FROM), as the plan would build them; the
    images a config file names that the tree cannot build go to ``err`` as the playbook's one warning."""
    from ansible_collections.tcib.images.plugins.module_utils.discovery import TreeError, load_file
    from ansible_collections.tcib.images.plugins.module_utils.graph import names_from_config
    from ansible_collections.tcib.images.plugins.module_utils.plan import (
        PlanSettings, config_selection, load_unavailable, make_plan, unavailable_path)
    from ansible_collections.tcib.images.plugins.module_utils.report import format_rows
    from ansible_collections.tcib.images.plugins.module_utils.variables import VariableError

    defaults = _defaults()
    tree = extra.get("tcib_tree") or os.path.join(root, "vars", "tcib")
    release = extra.get("distro_suite", defaults.SUITE)
    base_image = extra.get("base_image") or defaults.base_image(release)
    prefix = extra.get("prefix", defaults.PREFIX)
    try:
        settings = PlanSettings(base_image, registry=extra.get("registry", defaults.REGISTRY),
                                namespace=extra.get("image_namespace", defaults.NAMESPACE), prefix=prefix,
                                tag=extra.get("tag", defaults.TAG), distro=extra.get("distro", defaults.DISTRO),
                                release=defaults.RELEASES.get(release, release),
                                extras=extra.get("tcib_extras"), extra_gather_dirs=extra.get("extra_gather_dirs"))
        unavailable_source = unavailable_path(tree)
        unavailable = load_unavailable(unavailable_source)
        names, warning = [], None
        if extra.get("config_file"):
            names = names_from_config(load_file(extra["config_file"]), prefix, extra["config_file"])
            names, _skipped, warning = config_selection(names, unavailable, extra["config_file"])
        entries = make_plan(tree, settings, _split(extra.get("service")), _split(extra.get("include")),
                            _split(extra.get("exclude")), names, unavailable, unavailable_source)
    except (TreeError, VariableError, ValueError) as exc:
        raise UsageError(str(exc))
    if warning:
        err.write("tcib-build: warning: %s\n" % warning)
    rows = [("IMAGE", "PARENT", "REFERENCE", "FROM")]
    rows += [(entry.name, entry.parent or "-", entry.image, entry.from_image) for entry in entries]
    out.write(format_rows(rows) + "\n")
    return 0


def _split(values):
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def read_summary(path, since):
    """The JSON at path when this run wrote it (a file from an earlier run does not count)."""
    try:
        if os.path.getmtime(path) < since:
            return None
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


# As dnf check-update: there are updates to apply.
PENDING_UPDATES = 100


def run_playbook(args, root, extra):
    import ansible_runner

    private_data_dir = os.path.join(extra["work_dir"], ".ansible-runner")
    if not os.path.isdir(private_data_dir):
        os.makedirs(private_data_dir)
    started = time.time() - 1
    runner = ansible_runner.run(**runner_kwargs(args, root, extra, private_data_dir))
    check_mode = args.skip_build or args.check_updates_only
    from ansible_collections.tcib.images.plugins.module_utils.plan import plan_files

    # A check run's plan is its preview, beside the real run's plan.
    summary_path = plan_files(extra["work_dir"], check=True)[0] if check_mode else os.path.join(
        extra["work_dir"], "summary.json")
    summary = read_summary(summary_path, started)
    code = outcome(runner.rc, summary, check_mode)
    sys.stdout.flush()
    if args.check_updates_only and code == 0:
        index = read_summary(os.path.join(extra["work_dir"], "package-index.json"), started) or {}
        from ansible_collections.tcib.images.plugins.module_utils.report import pending_updates_table
        table = pending_updates_table(index.get("root"), summary)
        print(table or "tcib-build: no pending updates")
        code = PENDING_UPDATES if table else 0
    if summary is not None:
        print("tcib-build: %s: %s" % ("plan" if check_mode else "summary", summary_path))
    print("tcib-build: %s (ansible-runner %s, exit code %d)" % ("ok" if code == 0 else "FAILED", runner.status, code))
    return code


def main(argv=None):
    try:
        root = collection_root()
    except UsageError as exc:
        sys.stderr.write("tcib-build: %s\n" % exc)
        return 2
    # Before the options: their defaults are the collection's.
    collection.importable(root)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        extra = extravars(args)
        if extra.get("tcib_tree") and not os.path.isdir(extra["tcib_tree"]):
            raise UsageError("--config-path %s holds no tcib/ directory" % args.config_path)
        for option, variable in (("--config-file", "config_file"), ("--extra-config", "extra_config"),
                                 ("--authfile", "authfile")):
            if extra.get(variable) and not os.path.isfile(extra[variable]):
                raise UsageError("%s %s: no such file" % (option, extra[variable]))
        if args.list:
            return list_images(args, root, extra)
        return run_playbook(args, root, extra)
    except UsageError as exc:
        sys.stderr.write("tcib-build: %s\n" % exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
