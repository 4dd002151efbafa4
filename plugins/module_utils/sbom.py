# -*- coding: utf-8 -*-
# Copyright: (c) 2026, tcib.images contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an image holds: its installed Debian packages, read from its dpkg database, as a
CycloneDX 1.6 JSON bill of materials (written with the OWASP cyclonedx-python-lib).

Each package is a component with its name, version and architecture, a ``pkg:deb`` package
URL, and its source package as a property. The document's serial number is also a label
of the image, so a copy kept outside the image can be matched to it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import traceback
import uuid

from ansible_collections.tcib.images.plugins.module_utils import defaults, reference

try:
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL
except ImportError:
    CYCLONEDX_IMPORT_ERROR = traceback.format_exc()
else:
    CYCLONEDX_IMPORT_ERROR = None

# Inside every image built here, and the labels that point at it.
PATH = "/usr/share/tcib/sbom.cdx.json"
FORMAT = "CycloneDX 1.6 JSON"
LABEL_FORMAT = "tcib.images.sbom.format"
LABEL_PATH = "tcib.images.sbom.path"
LABEL_SERIAL = "tcib.images.sbom.serial"
SOURCE_PROPERTY = "tcib.images:source-package"


def parse_status(text):
    """Installed packages of a dpkg status file: [{name, version, arch, source, source_version}]."""
    packages = []
    for paragraph in text.split("\n\n"):
        fields = {}
        for line in paragraph.splitlines():
            if line and line[0] not in " \t" and ":" in line:
                key, _colon, value = line.partition(":")
                fields[key] = value.strip()
        if not fields.get("Package") or not fields.get("Status", "").endswith(" installed"):
            continue
        version = fields.get("Version", "")
        # "Source: name (version)" when the source's version differs from the binary's.
        source, _space, source_version = fields.get("Source", fields["Package"]).partition(" ")
        packages.append({"name": fields["Package"], "version": version, "arch": fields.get("Architecture", ""),
                         "source": source, "source_version": source_version.strip("()") or version})
    return sorted(packages, key=lambda item: (item["name"], item["arch"]))


def document(image, packages, distro=defaults.DISTRO, release=defaults.RELEASE, serial=None):
    """The CycloneDX JSON text for an image (``registry/name:tag``) holding ``packages``."""
    name, tag = reference.name_and_tag(image)
    bom = Bom(serial_number=uuid.UUID(str(serial)) if serial else uuid.uuid4())
    root = Component(name=name, version=tag or None, type=ComponentType.CONTAINER, bom_ref=image)
    bom.metadata.component = root
    components = []
    for package in packages:
        purl = PackageURL("deb", distro, package["name"], package["version"],
                          {"arch": package["arch"], "distro": "%s-%s" % (distro, release)})
        component = Component(
            name=package["name"], version=package["version"], type=ComponentType.LIBRARY, purl=purl,
            bom_ref=purl.to_string(),
            properties=[Property(name=SOURCE_PROPERTY, value="%s %s" % (package["source"], package["source_version"]))])
        bom.components.add(component)
        components.append(component)
    bom.register_dependency(root, components)
    return JsonV1Dot6(bom).output_as_string(indent=1)


def read(text):
    """(serial number, {package: version}) of a bill of materials written by ``document``, parsed once."""
    data = json.loads(text)
    return data.get("serialNumber"), dict((item["name"], item["version"]) for item in data.get("components", [])
                                          if item.get("type") == "library" and item.get("version"))


def installed(text):
    """{package: version} from a bill of materials written by ``document``."""
    return read(text)[1]
