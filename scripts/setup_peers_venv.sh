#!/usr/bin/env bash
# Creates (or reuses) the virtual environment .venv-peers at the repository
# root with the frameworks that scripts/bench_autograd_peers.py compares kusari
# against: Chainer 7.8.1 (on NumPy 1.x, which Chainer 7 needs) and PyTorch on
# the CPU. Kept apart from .venv, which pins NumPy 2 for the fixtures.
# Idempotent: a second run only checks the installed versions.
#
#   bash scripts/setup_peers_venv.sh [--no-torch]
#
# PyTorch: PyPI has no CPU-only Linux x86_64 wheel. The regular wheel loads the
# CUDA libraries at `import torch` even on a machine without a GPU (libtorch_cuda
# is a link dependency of torch._C), so they have to be present, but neither
# Triton, cuda-bindings, cuSOLVER (loaded lazily) nor NVTX are needed for CPU
# work. The wheel and the libraries it links are installed with --no-deps,
# pinned to the versions torch's own metadata asks for: about 2.4 GB of
# downloads, about 4 GB installed. If that fails (or --no-torch is given),
# the environment is left without PyTorch and the benchmark reports it missing.
set -euo pipefail

CHAINER_VERSION="7.8.1"
NUMPY_SPEC="numpy<2"
TORCH_VERSION="2.15.0"
# The CUDA 13 libraries that torch 2.15.0's shared objects link (DT_NEEDED).
TORCH_LINKED_LIBS=(
    "nvidia-cuda-runtime==13.2.86"
    "nvidia-cuda-cupti==13.2.86"
    "nvidia-cuda-nvrtc==13.2.86"
    "nvidia-cublas==13.4.1.3"
    "nvidia-cufft==12.2.0.57"
    "nvidia-cufile==1.17.1.22"
    "nvidia-cusparse==12.7.10.12"
    "nvidia-nvjitlink==13.5.37"
    "nvidia-cudnn-cu13==9.26.0.51"
    "nvidia-cusparselt-cu13==0.8.1"
    "nvidia-nccl-cu13==2.30.7"
    "nvidia-nvshmem-cu13==3.7.2"
)
# Pure-Python packages that `import torch` needs.
TORCH_PY_DEPS=(filelock "typing-extensions>=4.13.0" "sympy>=1.13.3" "networkx>=2.5.1" jinja2 "fsspec>=0.8.5")
# Space the PyTorch install needs, with room for pip's unpacking.
TORCH_NEED_GB=6

with_torch=1
for arg in "$@"; do
    case "$arg" in
        --no-torch) with_torch=0 ;;
        *) echo "usage: $0 [--no-torch]" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-peers"
py="$venv/bin/python"
pip_install=("$py" -m pip install --quiet --disable-pip-version-check)

if [ ! -x "$py" ]; then
    python3 -m venv "$venv"
fi

# Chainer 7.8.1 ships only as an sdist whose setup.py imports pkg_resources,
# which current setuptools no longer has: build it without isolation against
# an older setuptools installed in the environment.
have="$("$py" -c 'import chainer, numpy; print(chainer.__version__, numpy.__version__.split(".")[0])' 2>/dev/null || true)"
if [ "$have" != "$CHAINER_VERSION 1" ]; then
    "${pip_install[@]}" "setuptools<70" wheel "$NUMPY_SPEC"
    "${pip_install[@]}" --no-build-isolation "chainer==$CHAINER_VERSION" "$NUMPY_SPEC"
fi

if [ "$with_torch" = 1 ]; then
    have="$("$py" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null || true)"
    if [ "$have" != "$TORCH_VERSION" ]; then
        free_gb="$(df --output=avail -BG "$root" | tail -1 | tr -dc 0-9)"
        if [ "${free_gb:-0}" -lt "$TORCH_NEED_GB" ]; then
            echo "warning: only ${free_gb} GB free, PyTorch needs about ${TORCH_NEED_GB} GB: skipping it" >&2
        elif ! { "${pip_install[@]}" "${TORCH_PY_DEPS[@]}" &&
                 "${pip_install[@]}" --no-deps "torch==$TORCH_VERSION" "${TORCH_LINKED_LIBS[@]}" &&
                 "$py" -c 'import torch; assert (torch.ones(1) * 2).item() == 2'; }; then
            echo "warning: PyTorch $TORCH_VERSION could not be installed; the benchmark will skip it" >&2
        fi
    fi
fi

"$py" - "$venv" <<'PY'
import sys
import chainer, numpy
try:
    import torch
    tv = torch.__version__
except Exception as e:  # reported, not fatal
    tv = f"missing ({type(e).__name__})"
print(f"chainer {chainer.__version__}, numpy {numpy.__version__}, torch {tv} in {sys.argv[1]}")
PY
