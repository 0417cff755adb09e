#!/usr/bin/env bash
# The test command: installs what the tests run for real when it is missing, then runs every test.
# Prometheus (the dashboard test evaluates every panel's PromQL) and PostgreSQL (the trace store tests
# start a private server from its binaries), Redis (the shared rate limits and budgets, likewise) and
# kubectl (renders the Kubernetes manifests) come from Debian's packages, and so does PyTorch (the
# distillation tests train a specialist with it), with OpenBLAS so that it trains at full speed.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

packages=()
[ -x /usr/bin/prometheus ] || packages+=(prometheus)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || packages+=(postgresql)
[ -x /usr/bin/redis-server ] || packages+=(redis-server)
command -v kubectl >/dev/null || packages+=(kubernetes-client)
/usr/bin/python3 -c "import torch" 2>/dev/null || packages+=(python3-torch)
[ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ] || packages+=(libopenblas0-pthread)
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

dotnet test SlmGateway.sln "$@"
