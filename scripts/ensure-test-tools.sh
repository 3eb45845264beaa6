#!/usr/bin/env bash
# The test suite runs real servers and checkers from Debian packages: a real Prometheus (and promtool for the
# alert-rule unit tests), amtool (Alertmanager config check), docker-compose (to validate the compose file; no Docker engine is needed)
# and redis-server (shared circuit state across replicas: test/state starts its own on a free loopback port).
# Installs whichever is missing when it can (root with apt-get), else says exactly what to install.
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test tools: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "the tests need these Debian packages: ${need[*]} (sudo apt-get install --no-install-recommends ${need[*]})" >&2
  exit 1
fi
