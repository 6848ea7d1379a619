# Sourced by scripts/run and scripts/test: makes .venv and installs the project into it when needed.
# Usage: ensure_venv [EXTRAS]   e.g. ensure_venv test
set -euo pipefail

ensure_venv() {
    local extras="${1:-}"
    local py="${PYTHON:-}"
    if [ -z "$py" ]; then
        for candidate in python3.13 python3.12 python3.11 python3; do
            if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
                py="$candidate"; break
            fi
        done
    fi
    if [ -z "$py" ]; then
        echo "error: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11 if it is not on PATH)" >&2
        exit 2
    fi
    if [ ! -x .venv/bin/python ]; then
        echo "creating .venv with $py" >&2
        "$py" -m venv .venv
    fi
    local spec="."
    [ -n "$extras" ] && spec=".[$extras]"
    # Reinstall only when pyproject.toml or the extras changed.
    local stamp=".venv/.installed-$( (cat pyproject.toml; echo "$extras") | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        echo "installing the project into .venv ($spec)" >&2
        .venv/bin/python -m pip install --quiet --upgrade pip >&2
        .venv/bin/python -m pip install --quiet -e "$spec" >&2
        rm -f .venv/.installed-*
        touch "$stamp"
    fi
}
