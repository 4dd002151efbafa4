"""keystone from our image, bootstrapped against mariadb from our image, issues tokens."""

import json
import urllib.request

ADMIN = {"user": {"name": "admin", "domain": {"id": "default"}, "password": "molecule-admin-secret"}}
OS_ENV = ("-e OS_AUTH_URL=http://127.0.0.1:5000/v3 -e OS_USERNAME=admin -e OS_PASSWORD=molecule-admin-secret "
          "-e OS_PROJECT_NAME=admin -e OS_USER_DOMAIN_NAME=Default -e OS_PROJECT_DOMAIN_NAME=Default "
          "-e OS_IDENTITY_API_VERSION=3")


def test_token_over_the_http_api():
    body = {"auth": {"identity": {"methods": ["password"], "password": ADMIN},
                     "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    request = urllib.request.Request("http://127.0.0.1:15000/v3/auth/tokens", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        assert response.headers["X-Subject-Token"]
        token = json.load(response)["token"]
    assert token["user"]["name"] == "admin"
    assert token["project"]["name"] == "admin"
    assert {"identity"} <= {entry["type"] for entry in token["catalog"]}


def test_openstack_cli_issues_a_token_and_lists_projects(host):
    token = host.run("podman run --rm --pod tcib-molecule-keystone %s localhost/tcib/openstack-keystone:latest "
                     "openstack token issue -f json" % OS_ENV)
    assert token.rc == 0, token.stderr
    assert json.loads(token.stdout)["id"]
    projects = host.run("podman run --rm --pod tcib-molecule-keystone %s localhost/tcib/openstack-keystone:latest "
                        "openstack project list -f json" % OS_ENV)
    assert projects.rc == 0, projects.stderr
    assert "admin" in [project["Name"] for project in json.loads(projects.stdout)]


def test_keystone_runs_as_keystone(host):
    assert host.run("podman exec tcib-ks-keystone id -un").stdout.strip() == "keystone"
