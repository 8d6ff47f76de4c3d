#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environment at the repository root
# that scripts/gen_numpy_fixtures.py runs in. Idempotent: a second run only
# checks that the pinned NumPy is installed.
#
#   bash scripts/setup_venv.sh
#   .venv/bin/python scripts/gen_numpy_fixtures.py
set -euo pipefail

NUMPY_SPEC="numpy==2.2.6"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi

want="${NUMPY_SPEC#numpy==}"
have="$("$venv/bin/python" -c 'import numpy; print(numpy.__version__)' 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$NUMPY_SPEC"
fi
# threadpoolctl only reports which BLAS NumPy uses, for the benchmark tables.
"$venv/bin/python" -c 'import threadpoolctl' 2>/dev/null || "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "threadpoolctl==3.5.0"
"$venv/bin/python" -c 'import numpy; print("numpy", numpy.__version__, "in", "'"$venv"'")'
