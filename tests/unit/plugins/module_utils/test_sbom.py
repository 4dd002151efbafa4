import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from ansible_collections.tcib.images.plugins.module_utils import sbom

STATUS = """Package: libssl3t64
Status: install ok installed
Architecture: amd64
Source: openssl (3.5.1-1)
Version: 3.5.1-1+b1

Package: removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: python3-pydot
Status: install ok installed
Architecture: all
Version: 999:0-tcib.stub
Description: empty stand-in
 more text: with a colon
"""


def test_parse_status_keeps_installed_packages_with_their_source():
    packages = sbom.parse_status(STATUS)
    assert packages == [
        {"name": "libssl3t64", "version": "3.5.1-1+b1", "arch": "amd64", "source": "openssl", "source_version": "3.5.1-1"},
        {"name": "python3-pydot", "version": "999:0-tcib.stub", "arch": "all", "source": "python3-pydot",
         "source_version": "999:0-tcib.stub"}]


def test_document_is_valid_cyclonedx_and_reads_back():
    serial = "4f6b7a52-7c0e-4a9b-9d6e-2f4a8f0f8a11"
    text = sbom.document("localhost/tcib/openstack-keystone:latest", sbom.parse_status(STATUS), serial=serial)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    data = json.loads(text)
    assert data["specVersion"] == "1.6"
    assert data["metadata"]["component"]["name"] == "localhost/tcib/openstack-keystone"
    purls = [component["purl"] for component in data["components"]]
    assert "pkg:deb/debian/libssl3t64@3.5.1-1%2Bb1?arch=amd64&distro=debian-13" in purls
    assert sbom.installed(text) == {"libssl3t64": "3.5.1-1+b1", "python3-pydot": "999:0-tcib.stub"}
    assert sbom.read(text) == ("urn:uuid:" + serial, sbom.installed(text))
    [openssl] = [c for c in data["components"] if c["name"] == "libssl3t64"]
    assert openssl["properties"] == [{"name": sbom.SOURCE_PROPERTY, "value": "openssl 3.5.1-1"}]
