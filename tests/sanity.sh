#!/usr/bin/env bash
# ansible-test sanity on a copy of the checkout placed where ansible-test wants a collection.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv="$repo/.venv"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
target="$dest/ansible_collections/tcib/images"
mkdir -p "$target"
# ansible-test bootstraps pip in its venvs with a script from a host we cannot reach: use ours.
at_dir=$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(grep -o "pip='[0-9.]*'" "$at_dir/_internal/python_requirements.py" | head -1 | tr -dc '0-9.')
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$cache")"
cp "$repo/tests/get_pip_offline.py" "$cache"
cd "$repo"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$target"
cd "$target"
# ansible-test lists files through git when there is a repository.
git init -q && git add -A
PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" sanity --requirements --python "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"
